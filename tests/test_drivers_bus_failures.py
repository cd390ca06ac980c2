"""What real buses do to every driver: an output buffer that outlives the session, replies
late past the timeout, a link lost mid-reply, stray bytes, a reply one step behind.

Each driver talks to its served simulated instrument (replies from the instrument's command
table acting on the simulated world) over :class:`tests.bus_double.BufferedBus`. After each
fault the value read must be the world's, never another query's answer, and the recovery
must have gone through a device clear (GPIB) or a drain (socket) and the marker query.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import pytest

from drivers.kepco_bop import KepcoBOP
from drivers.lakeshore336 import LakeShore336
from drivers.lakeshore475 import LakeShore475
from drivers.redpitaya import RedPitayaGenerator
from drivers.scpi_source import KeysightE8257D, KeysightN5183B, RohdeSchwarzSMB100A
from drivers.sr830 import SR830
from drivers.sr860 import SR860
from sim_backend.served import Fault
from sim_backend.served.faults import FaultSet
from sim_backend.served.link import WorldLink
from sim_backend.served.lockin import ServedSR830
from sim_backend.served.lockin_sr860 import ServedSR860
from sim_backend.served.magnet import ServedKepcoBOP, ServedLakeShore475
from sim_backend.served.redpitaya import ServedRedPitaya
from sim_backend.served.source import ServedScpiSource
from sim_backend.served.temperature import ServedLakeShore336
from sim_backend.world import SimulatedWorld
from tests.bus_double import on_bus


@dataclass
class Case:
    """One driver: how to set it up, read one quantity, and the world's value of it."""

    served: type
    driver: type
    query: str  # the wire query behind ``read`` (faults match it)
    read: Callable[[Any], float]
    truth: Callable[[SimulatedWorld], float]
    tolerance: float
    setup: Callable[[Any, SimulatedWorld], None] = lambda d, w: None
    options: dict[str, Any] | None = None


def _rf_setup(rf: Any, world: SimulatedWorld) -> None:
    rf.frequency = 9.4e9
    rf.power = 2e-3


def _magnet_at(amps: float) -> Callable[[Any, SimulatedWorld], None]:
    def setup(driver: Any, world: SimulatedWorld) -> None:
        world.magnet.current = world.magnet.target_current = amps  # the world's state, set behind the driver

    return setup


def _sample_at(kelvin: float) -> Callable[[Any, SimulatedWorld], None]:
    def setup(driver: Any, world: SimulatedWorld) -> None:
        world.thermal.temperature = world.thermal.setpoint = kelvin

    return setup


CASES = {
    "rf-power": Case(ServedScpiSource, KeysightN5183B, "SOUR:POW?", lambda d: d.power,
                     lambda w: w.microwave.power, 1e-6, _rf_setup),
    "rf-frequency": Case(ServedScpiSource, KeysightN5183B, "SOUR:FREQ?", lambda d: d.frequency,
                         lambda w: w.microwave.frequency, 1e-3, _rf_setup),
    "rf-e8257d": Case(ServedScpiSource, KeysightE8257D, "SOUR:POW?", lambda d: d.power,
                      lambda w: w.microwave.power, 1e-6, _rf_setup),
    "rf-smb100a": Case(ServedScpiSource, RohdeSchwarzSMB100A, "SOUR:FREQ?", lambda d: d.frequency,
                       lambda w: w.microwave.frequency, 1e-3, _rf_setup),
    "lockin": Case(ServedSR830, SR830, "FREQ?", lambda d: d.reference_frequency,
                   lambda w: w.modulation_frequency, 1e-3,
                   lambda d, w: setattr(d, "reference_frequency", 12345.0)),
    "lockin-sr860": Case(ServedSR860, SR860, "FREQ?", lambda d: d.reference_frequency,
                         lambda w: w.modulation_frequency, 1e-3,
                         lambda d, w: setattr(d, "reference_frequency", 250e3)),
    "field": Case(ServedKepcoBOP, KepcoBOP, "MEAS:CURR?", lambda d: d.field,
                  lambda w: w.magnet.current * 0.02, 1e-6, _magnet_at(3.0), options={"tesla_per_amp": 0.02}),
    "gaussmeter": Case(ServedLakeShore475, LakeShore475, "RDGFIELD?", lambda d: d.read_field(),
                       lambda w: w.magnet.true_field, 1e-4, _magnet_at(5.0)),
    "temperature": Case(ServedLakeShore336, LakeShore336, "KRDG?", lambda d: d.read_temperature(),
                        lambda w: w.thermal.temperature, 0.02, _sample_at(77.0)),
    "piezo": Case(ServedRedPitaya, RedPitayaGenerator, "SOUR1:FREQ:FIX?", lambda d: d.frequency,
                  lambda w: w.drive_outputs[1]["frequency"], 1e-6, lambda d, w: setattr(d, "frequency", 31250.0)),
}


def make(case: Case, *, device_clear: bool = True, stale: tuple[str, ...] = (), faults: list[Fault] | None = None):
    world = SimulatedWorld(seed=5)
    served = case.served(WorldLink(world), FaultSet([]))
    driver, bus = on_bus(case.driver, served, device_clear=device_clear, stale=stale, **(case.options or {}))
    case.setup(driver, world)
    for fault in faults or []:
        served.faults.add(fault)
    return world, served, driver, bus


def check(case: Case, world: SimulatedWorld, driver: Any, served: Any) -> None:
    """The faulted read, then other queries: every answer is the one to its own query."""
    assert case.read(driver) == pytest.approx(case.truth(world), abs=case.tolerance)
    assert driver.identity() == served.idn
    assert case.read(driver) == pytest.approx(case.truth(world), abs=case.tolerance)
    assert driver.identity() == served.idn


BUSES = pytest.mark.parametrize("device_clear", [True, False], ids=["gpib", "socket"])
ALL = pytest.mark.parametrize("name", sorted(CASES))


@ALL
@BUSES
def test_unread_reply_left_in_the_buffer_by_an_earlier_session(name, device_clear):
    """The issue's failure: the buffer holds another query's answer; it must be detected by
    validation (an *IDN? text, or a number this query cannot return), cleared, and retried."""
    case = CASES[name]
    stale = ("Agilent Technologies, N5183B, MY53050000, B.01.80",)
    world, served, driver, bus = make(case, device_clear=device_clear, stale=stale)
    check(case, world, driver, served)
    assert bus.clears >= 1 and bus.stale_replies + bus.retried_queries >= 1


@ALL
@BUSES
def test_reply_held_back_is_not_read_as_the_next_answer(name, device_clear):
    case = CASES[name]
    world, served, driver, bus = make(case, device_clear=device_clear,
                                      faults=[Fault("shift", match=case.query.split("?")[0])])
    check(case, world, driver, served)
    assert bus.clears >= 1 and bus.resyncs >= 1


@ALL
@BUSES
def test_reply_arriving_after_the_timeout_is_discarded(name, device_clear):
    case = CASES[name]
    world, served, driver, bus = make(case, device_clear=device_clear,
                                      faults=[Fault("delay", match=case.query.split("?")[0], seconds=1.0)])
    check(case, world, driver, served)
    assert bus.retried_queries >= 1


@ALL
def test_link_lost_mid_reply_then_the_rest_of_the_reply_is_not_taken_for_an_answer(name):
    case = CASES[name]
    world, served, driver, bus = make(case)
    bus.drop_mid_reply = 1
    check(case, world, driver, served)
    assert bus.reconnects >= 1 and bus.resyncs >= 1


@ALL
@pytest.mark.parametrize("junk", [b"\x11", b"\r\n", b"#@~"], ids=["xon", "empty-line", "noise"])
def test_stray_bytes_before_a_reply(name, junk):
    case = CASES[name]
    world, served, driver, bus = make(case)
    bus.stray = junk
    check(case, world, driver, served)


def test_power_query_given_the_frequency_answer_is_an_instrument_error_not_overflow():
    """With retries off the shifted reply must still be an InstrumentError naming the reply
    (it was an OverflowError from dbm_to_watt)."""
    from drivers.errors import InstrumentError

    world = SimulatedWorld(seed=5)
    served = ServedScpiSource(WorldLink(world), FaultSet([]))
    rf, bus = on_bus(KeysightN5183B, served, stale=("9400000000.000",))
    rf.transport.retries = 0
    with pytest.raises(InstrumentError) as err:
        rf.power  # noqa: B018
    assert err.value.command == "SOUR:POW?" and "'9400000000.000'" in str(err.value)
    assert "rf" in str(err.value) or err.value.instrument
