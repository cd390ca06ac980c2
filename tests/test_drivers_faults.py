"""Each injected fault class, through the real drivers and the run engine over TCP:
a successful retry or a clear error, the hardware left safe, and every acquired point on disk."""
from __future__ import annotations

import tomllib

import numpy as np
import pytest

from app.engine import MemoryCollector, RunEngine
from app.labconfig import build_lab
from app.storage import HDF5Writer, read_run
from drivers.errors import InstrumentError
from sequences.experiments import EsrFieldSweep
from sim_backend.served import Fault, serve_lab
from sim_backend.world import SimulatedWorld

#: A short sweep near zero field: no long ramps, 1 ms time constant.
SWEEP = dict(field_start=0.0, field_stop=1e-3, points=11, time_constant=1e-3, settle_tc=3, ramp_rate=0.1)
TIMEOUT = 0.5


@pytest.fixture
def served_lab():
    made = []

    def make(role: str | None = None, fault: Fault | None = None, **field_options):
        served = serve_lab(SimulatedWorld(seed=3), roles=("rf", "lockin", "field", "gaussmeter", "temperature"),
                           serial=(), timeout=TIMEOUT, faults={role: [fault]} if role else None)
        served.options["field"].update(field_options)
        lab = build_lab(tomllib.loads(served.toml()))
        made.append((served, lab))
        return served, lab

    yield make
    for served, lab in made:
        lab.close()
        served.stop()


def run(lab, tmp_path):
    """Run SWEEP with an HDF5 writer and a memory copy; returns (info, error, file, memory rows)."""
    engine, memory = RunEngine(lab), MemoryCollector()
    writer = HDF5Writer(tmp_path / "run.h5")
    error = None
    try:
        engine.run(EsrFieldSweep(**SWEEP), [writer, memory])
    except Exception as exc:  # the engine re-raises the plan's error after the safe state
        error = exc
    return engine.current, error, read_run(tmp_path / "run.h5"), memory.rows


def assert_safe(world):
    assert not world.microwave.output
    assert world.magnet.target_current == 0.0
    assert world.modulation_amplitude_v == pytest.approx(0.004)  # the SR830's minimum sine output


def assert_nothing_lost(info, stored, rows):
    assert info.points == len(rows) == len(stored["x"])
    assert np.array_equal(stored["x"], [r["x"] for r in rows])
    assert np.array_equal(stored["field"], [r["field"] for r in rows])


@pytest.mark.slow
def test_delayed_reply_once_is_retried_and_the_run_completes(served_lab, tmp_path):
    served, lab = served_lab("lockin", Fault("delay", match="SNAP?", after=3, seconds=1.0))
    info, error, stored, rows = run(lab, tmp_path)
    assert error is None and info.status == "completed" and info.points == 11
    assert lab.lockin.transport.retried_queries >= 1  # (more only if the shared machine stalls)
    assert served.instruments["lockin"].faults.faults[0].fired == 1
    assert_nothing_lost(info, stored, rows)
    assert_safe(served.world)


@pytest.mark.slow
def test_instrument_that_stops_answering_ends_the_run_safely_with_data_kept(served_lab, tmp_path):
    served, lab = served_lab("lockin", Fault("delay", match="SNAP?", after=4, times=0, seconds=1.0))
    info, error, stored, rows = run(lab, tmp_path)
    assert isinstance(error, InstrumentError) and info.status == "failed"
    assert error.instrument == "lockin" and error.command == "SNAP? 1,2"
    assert error.address == served.addresses["lockin"]
    assert "no reply within 0.5 s" in str(error) and "after 3 attempts" in str(error)
    assert info.points == 4 and stored.status == "failed"
    assert_nothing_lost(info, stored, rows)
    assert_safe(served.world)


@pytest.mark.parametrize("role, match, mode", [("lockin", "SNAP?", "chars"), ("gaussmeter", "RDGFIELD?", "chars"),
                                               ("field", "MEAS:CURR?", "truncate")])
@pytest.mark.slow
def test_garbled_reply_is_detected_and_retried(served_lab, tmp_path, role, match, mode):
    served, lab = served_lab(role, Fault("garble", match=match, after=2, times=2, mode=mode))
    info, error, stored, rows = run(lab, tmp_path)
    assert error is None and info.status == "completed"
    assert served.instruments[role].faults.faults[0].fired == 2
    assert lab.instruments[role].transport.retried_queries >= 2
    # The retried values are real readings, not the garbled text: the field column is monotonic.
    assert np.all(np.diff(stored["field_set"]) > 0) and np.all(np.isfinite(stored["x"]))
    assert_nothing_lost(info, stored, rows)


def test_dropped_connection_loses_no_setting(served_lab, tmp_path):
    """The server closes the socket instead of executing SOUR:POW: the driver's next query finds
    the connection dead, reconnects and re-sends the unconfirmed setting before retrying."""
    served, lab = served_lab("rf", Fault("drop", match="SOUR:POW", when="before"))
    lab.rf.frequency = 9.4e9
    lab.rf.power = 2e-3  # dropped on the wire
    assert served.world.microwave.power == pytest.approx(2e-3, rel=1e-4)  # 3.01 dBm on the wire
    assert lab.rf.transport.reconnects == 1
    assert served.instruments["rf"].received.count("SOUR:POW 3.01") == 1  # arrived once, after the replay


@pytest.mark.slow
def test_dropped_connection_during_a_run_is_survived(served_lab, tmp_path):
    served, lab = served_lab("field", Fault("drop", match="MEAS:CURR?", after=5, when="after"))
    info, error, stored, rows = run(lab, tmp_path)
    assert error is None and info.status == "completed" and info.points == 11
    assert lab.field.transport.reconnects >= 1
    assert_safe(served.world)


def test_error_queue_entry_fails_the_run_before_any_point(served_lab, tmp_path):
    served, lab = served_lab("rf", Fault("error", match="SOUR:FREQ", message='-221,"Settings conflict"'))
    info, error, stored, rows = run(lab, tmp_path)
    assert isinstance(error, InstrumentError) and info.status == "failed"
    assert "-221, Settings conflict" in str(error) and error.command == "SOUR:FREQ 9500000000.000"
    assert info.points == 0 and len(stored["x"]) == 0
    assert_safe(served.world)


def test_esr_error_bit_on_the_lockin_names_the_setting(served_lab, tmp_path):
    served, lab = served_lab("lockin", Fault("error", match="SLVL 0.030"))
    info, error, stored, rows = run(lab, tmp_path)
    assert "execution error" in str(error) and error.command == "SLVL 0.030"
    assert_safe(served.world)


def test_slow_ramp_is_reported_and_the_supply_is_commanded_to_zero(served_lab, tmp_path):
    served, lab = served_lab("field", Fault("slow_ramp", match="CURR 0.0", after=3, rate=2e-5), settle_timeout=0.3)
    info, error, stored, rows = run(lab, tmp_path)
    assert isinstance(error, InstrumentError) and "magnet current is not following" in str(error)
    assert error.instrument == "field" and info.status == "failed"
    assert 1 <= info.points < 11
    assert_nothing_lost(info, stored, rows)
    # Safe state: RF and modulation off, the supply commanded to 0 A; the slow magnet is still
    # on its way down, which the run records rather than hides.
    assert_safe(served.world)
    assert any("field" in e for e in info.safe_state_errors)
