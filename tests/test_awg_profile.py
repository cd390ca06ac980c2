"""AWG profiles: a sequence that does not fit the generator (memory, full scale, markers) is
refused at validation from the profile alone; a sequence that fits is played by the Red Pitaya
uploader into the served simulation sample for sample. Reference numbers are the Red Pitaya's
documented 125 MS/s and 16384-sample buffer, worked out by hand here."""
from __future__ import annotations

import numpy as np
import pytest

from drivers.awg_profile import AwgProfile, awg_profile
from drivers.errors import ConfigError
from drivers.redpitaya import RedPitayaGenerator
from sequences.pulse import (Constraints, Sequence, SequenceError, compile_awg, delay, get_sequence, pulse, resolve,
                             validate)
from sim_backend.served.faults import FaultSet
from sim_backend.served.link import WorldLink
from sim_backend.served.redpitaya import ServedRedPitaya
from sim_backend.world import SimulatedWorld
from tests.bus_double import on_bus

RP = Constraints.for_awg(profile="redpitaya-125-14", max_rf_duty_cycle=1.0, max_pulse_length=1.0)


def errors_by_rule(seq: Sequence, c: Constraints) -> dict[str, str]:
    return {v.rule: v.message for v in validate(seq, c) if v.severity == "error"}


def test_red_pitaya_profile_sets_rate_and_buffer():
    assert RP.clock_hz == 125e6 and RP.max_samples == 16384 and RP.full_scale == 1.0


def test_hahn_echo_too_long_for_the_buffer_is_refused_from_the_profile():
    """At 125 MS/s 16384 samples are 131.072 us; the library Hahn echo (with its repetition
    delay, both cycle steps) is far longer, and nobody set max_samples by hand."""
    seq = get_sequence("hahn-echo")
    r = resolve(seq, 125e6)
    n = r.pass_ticks * max(r.averages, 1)
    assert n > 16384
    found = errors_by_rule(seq, RP)
    assert f"waveform of {n} samples" in found["memory"]
    assert "redpitaya-125-14's memory of 16384 samples (131.072 us)" in found["memory"]
    with pytest.raises(SequenceError, match="16384 samples"):
        compile_awg(seq, RP)
    # the same sequence on a generic AWG with room for it compiles
    assert "memory" not in errors_by_rule(seq, Constraints.for_awg(125e6, max_rf_duty_cycle=1.0,
                                                                    max_pulse_length=1.0))


def test_amplitude_beyond_full_scale_is_refused():
    seq = Sequence("loud", (pulse("40ns", amplitude=1.5, name="p1"), delay("1us")))
    found = errors_by_rule(seq, RP)
    assert found["registers"] == ("pulse 'p1' amplitude 1.5 exceeds redpitaya-125-14's full scale of 1 "
                                  "(amplitudes are fractions of the generator's full scale)")
    assert "registers" in errors_by_rule(seq, Constraints.for_awg(1e9, max_rf_duty_cycle=1.0))  # generic too
    assert errors_by_rule(Sequence("ok", (pulse("40ns", amplitude=1.0), delay("1us"))), RP) == {}


def test_markers_beyond_the_generator_are_refused():
    seq = Sequence("marked", (pulse("40ns", markers=("trigger",)), delay("1us")))
    assert "has 0" in errors_by_rule(seq, RP)["channel"]


def test_sample_rate_above_the_profile_is_refused():
    with pytest.raises(ValueError, match="exceeds the redpitaya-125-14 AWG's 1.25e\\+08 S/s"):
        Constraints.for_awg(250e6, profile="redpitaya-125-14")
    assert Constraints.for_awg(125e6 / 8, profile="redpitaya-125-14").clock_hz == 125e6 / 8


@pytest.mark.parametrize("spec, changes, message", [
    ("tektronix", {}, "AWG profile 'tektronix' unknown; built-in profiles: redpitaya-125-14, generic"),
    ("generic", {"memory": 0}, "memory = 0 must be an integer >= 1"),
    ("generic", {"full_scale": -1.0}, "full_scale -1.0 must be positive"),
])
def test_bad_profile_is_a_clear_error(spec, changes, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)").replace("+", r"\+")):
        awg_profile(spec, **changes)


def test_compiled_program_is_played_sample_for_sample_on_the_served_red_pitaya():
    seq = Sequence("echo", (pulse("16ns", amplitude=0.5), delay("400ns"), pulse("32ns", "y", amplitude=0.5),
                            delay("1us")))
    prog = compile_awg(seq, RP)
    assert len(prog) == (16 + 400 + 32 + 1000) * 125 // 1000  # 181 samples at 8 ns
    world = SimulatedWorld(seed=3)
    served = ServedRedPitaya(WorldLink(world), FaultSet([]))
    gen_i, bus = on_bus(RedPitayaGenerator, served)
    gen_i.play_samples(prog.rf.real, prog.sample_rate)
    out = world.drive_outputs[1]
    assert out["func"] == "ARBITRARY" and len(out["waveform"]) == 16384
    expected = np.zeros(16384)
    expected[:2] = 0.5  # the x pulse: 16 ns = 2 samples of I at half scale
    assert out["waveform"] == pytest.approx(expected, abs=1e-6)
    assert out["frequency"] * 16384 == pytest.approx(125e6, rel=1e-7)  # one buffer per 131.072 us
    sent = len(bus.sent)
    with pytest.raises(ValueError, match="do not fit the generator's 16384-sample buffer"):
        gen_i.play_samples(np.zeros(20000), 125e6)
    with pytest.raises(ValueError, match="complex samples"):
        gen_i.play_samples(prog.rf, 125e6)
    assert len(bus.sent) == sent


def test_profile_dataclass_is_usable_directly():
    p = AwgProfile("bench-awg", 1e9, granularity=16, min_segment=64, memory=2**20, full_scale=0.8, markers=2)
    c = Constraints.for_awg(profile=p, max_rf_duty_cycle=1.0)
    assert (c.clock_hz, c.waveform_quantum, c.min_waveform_samples, c.full_scale) == (1e9, 16, 64, 0.8)
    assert "registers" in errors_by_rule(Sequence("s", (pulse("64ns", amplitude=0.9), delay("960ns"))), c)
