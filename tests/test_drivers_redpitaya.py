"""Red Pitaya against its served simulation, which follows the documented buffer and generator
semantics (Red Pitaya SCPI documentation): where a record starts, and when a sine starts."""
from __future__ import annotations

import numpy as np
import pytest

from drivers.errors import InstrumentError
from drivers.redpitaya import RedPitayaDigitizer, RedPitayaGenerator
from sim_backend.served.faults import FaultSet
from sim_backend.served.link import WorldLink
from sim_backend.served.redpitaya import ServedRedPitaya
from sim_backend.world import SimulatedWorld
from tests.bus_double import on_bus

RAMP_V_PER_SAMPLE = 1e-4


def served_with_ramp():
    """A source whose sample k after the trigger reads k x 0.1 mV: the record's first value says
    where it starts."""
    world = SimulatedWorld(seed=3)
    world.digitizer_source = lambda n, fs: RAMP_V_PER_SAMPLE * np.arange(n) + 0j
    served = ServedRedPitaya(WorldLink(world), FaultSet([]))
    served.noise_v = 1e-6
    return world, served


@pytest.mark.parametrize("length", [16384, 4000, 64])
def test_record_starts_at_the_trigger_for_every_length(length):
    """It started 8192 samples (65.5 us) late for a full record and before the trigger for
    records shorter than 8192."""
    world, served = served_with_ramp()
    dg, _ = on_bus(RedPitayaDigitizer, served, trigger="NOW")
    dg.record_length = length
    dg.arm()
    z = dg.fetch()[0]
    assert len(z) == length
    assert z.real == pytest.approx(RAMP_V_PER_SAMPLE * np.arange(length), abs=1e-5)


def test_generator_output_is_a_sine_not_the_initial_dc_value():
    world = SimulatedWorld(seed=3)
    served = ServedRedPitaya(WorldLink(world), FaultSet([]))
    gen, _ = on_bus(RedPitayaGenerator, served)
    gen.frequency = 31250.0
    gen.amplitude = 0.2
    gen.output = True
    assert world.drive_outputs[1]["output"] and world.drive_outputs[1]["generating"]
    gen.output = False
    assert not world.drive_outputs[1]["generating"]


def test_arbitrary_waveform_is_checked_then_uploaded():
    world = SimulatedWorld(seed=3)
    served = ServedRedPitaya(WorldLink(world), FaultSet([]))
    gen, bus = on_bus(RedPitayaGenerator, served)
    period = np.sin(2 * np.pi * np.arange(1000) / 1000)
    gen.upload_waveform(period)
    assert world.drive_outputs[1]["func"] == "ARBITRARY"
    assert world.drive_outputs[1]["waveform"] == pytest.approx(period, abs=1e-6)
    gen.amplitude = 0.3  # scales the uploaded waveform; does not reselect the sine
    assert world.drive_outputs[1]["func"] == "ARBITRARY"
    sent = len(bus.sent)
    with pytest.raises(ValueError, match="sample 1 = 1.5 outside the full scale"):
        gen.upload_waveform([0.0, 1.5])
    with pytest.raises(ValueError, match="20000 samples"):
        gen.upload_waveform(np.zeros(20000))
    assert len(bus.sent) == sent  # refused before anything was sent


def test_an_os_without_buffer_fill_status_is_refused_by_name():
    world, served = served_with_ramp()
    served._table = [(p, h) for p, h in served._table if "FILL" not in p.pattern.upper()]  # an older OS
    dg, _ = on_bus(RedPitayaDigitizer, served, trigger="NOW")
    dg.arm()
    with pytest.raises(InstrumentError, match="Red Pitaya OS 2.00 or later"):
        dg.fetch()
