"""The continuous-sweep cw-ESR mode and the simulated lock-in's buffer, in the in-process
simulated lab. The experiment is never told the sample's g or the true field: the field axis
comes from its own timed Hall readings."""
from __future__ import annotations

import math

import numpy as np
import pytest

from app.runner import run_experiment
from app.simlab import build_sim_lab
from app.storage import read_run
from sequences.experiments import EsrFieldSweep
from sim_backend.instruments.lockin import SimLockIn
from sim_backend.world import SimulatedWorld

G_TRUE = 2.0036  # the simulated paramagnet's g: only the test knows it


def ramping_world(seed: int) -> tuple[SimulatedWorld, SimLockIn]:
    world = SimulatedWorld(seed=seed)
    world.microwave.output = True
    world.modulation_amplitude_v = 0.05
    world.magnet.ramp_rate = 1.0
    world.magnet.set_field(0.3370)
    world.clock.sleep(1.0)
    world.magnet.ramp_rate = 1e-3
    world.magnet.set_field(0.3410)
    return world, SimLockIn(world)


def test_sim_lockin_buffer_points_are_the_filter_output_at_each_sample_instant():
    """One long sleep (400 time constants: the filter alone would be skipped to its horizon)
    against a twin world stepped to each sample time and read with SNAP?."""
    world, li = ramping_world(3)
    dt = li.start_buffer(64.0)
    world.clock.sleep(4.0)
    li.stop_buffer()
    data = li.read_buffer_xy()
    assert dt == 1 / 64 and len(data) == 257 and data.first == 0
    twin, twin_li = ramping_world(3)
    t0 = twin.clock.now()
    expected = []
    for k in range(257):
        twin.clock.sleep(t0 + k * dt - twin.clock.now())
        expected.append(twin_li.read_xy())
    x, y = np.array(expected).T
    assert np.ptp(x) > 1e-5  # the ramp crossed the line
    assert data.x == pytest.approx(x, rel=1e-9, abs=1e-12 * np.ptp(x))
    assert data.y == pytest.approx(y, rel=1e-9, abs=1e-12 * np.ptp(x))
    assert "horizon" not in world.lockin.__dict__  # the filter may skip time again once stopped
    world.clock.sleep(1.0)
    assert li.buffer_points() == 257  # stopped


def test_sim_lockin_buffer_refuses_unknown_rates_and_is_one_shot():
    world, li = ramping_world(1)
    with pytest.raises(ValueError, match="buffer rate"):
        li.start_buffer(100.0)
    assert li.buffer_capacity == 16383  # as the SR830's
    li.buffer_capacity = 100
    li.start_buffer(64.0)
    world.clock.sleep(4.0)  # 257 samples would be due
    assert li.buffer_points() == 100


def run(tmp_path, seed: int, **params):
    world = SimulatedWorld(seed=seed)
    assert world.sample.g == G_TRUE
    outcome = run_experiment(EsrFieldSweep(**params), build_sim_lab(world), tmp_path, plot=False)
    assert outcome.info.status == "completed", outcome.info.error
    return outcome.info.results, read_run(outcome.path)


def z(a, b) -> float:
    return (a.value - b.value) / math.hypot(a.error, b.error)


def points_per_second(data) -> float:
    """Recorded points over the time spent sweeping (first to last point of each scan)."""
    scans = data["scan"].astype(int)
    span = sum(np.ptp(data["time"][scans == s]) for s in np.unique(scans))
    return len(scans) / span


@pytest.mark.slow
def test_continuous_sweep_gives_the_stepped_g_and_width_at_ten_times_the_points_per_second(tmp_path):
    stepped, data_s = run(tmp_path, 5)
    cont = dict(acquisition="continuous", ramp_rate=0.5e-3)
    up, data_u = run(tmp_path, 6, **cont)
    down, data_d = run(tmp_path, 7, direction="down", **cont)
    for r in (stepped, up, down):
        assert abs(r["g_factor"].value - G_TRUE) < 4 * r["g_factor"].error
    for key in ("g_factor", "linewidth_pp"):
        assert abs(z(up[key], stepped[key])) < 3, key
        assert abs(z(down[key], stepped[key])) < 3, key
    # Up and down agree once the filter delay (rate x n tau, here 10 uT) is taken out.
    assert abs(z(up["resonance_field"], down["resonance_field"])) < 3
    lag = 0.5e-3 * 2 * 0.01  # rate x n_poles x tau: 0.5 mT/s, 12 dB/oct (2 poles), 10 ms -> 10 uT
    assert up["lockin_lag"].value == pytest.approx(lag, rel=0.02)
    assert abs(up["resonance_field"].value - down["resonance_field"].value) < 0.1 * lag
    assert points_per_second(data_u) > 10 * points_per_second(data_s)
    # The stored run re-analyses to the same result (the field axis comes from the file's Hall columns).
    again = EsrFieldSweep(**cont).analyse(data_u)
    assert again["g_factor"].value == pytest.approx(up["g_factor"].value, rel=1e-12)


def test_continuous_field_axis_is_the_hall_line_moved_back_by_the_filter_delay():
    """The axis from hand-made Hall readings: a line of slope r, each sample moved by r n tau."""
    from sequences.experiment import RunData
    from sequences.experiments.esr_continuous import continuous_field

    t = np.linspace(0.0, 10.0, 101)
    hall_t, hall_b = np.full(101, np.nan), np.full(101, np.nan)
    hall_t[::10], hall_b[::10] = t[::10] + 0.01, 0.3 + 1e-3 * (t[::10] + 0.01)
    run_data = RunData({"scan": np.zeros(101), "time": t, "hall_time": hall_t, "hall_field": hall_b,
                        "field_set": np.zeros(101), "x": np.zeros(101), "y": np.zeros(101)}, {})
    got = continuous_field(run_data, {"filter_slope": 18, "time_constant": 0.03})
    assert got == pytest.approx(0.3 + 1e-3 * t - 1e-3 * 3 * 0.03, abs=1e-12)


def test_continuous_needs_a_buffered_lockin(world, monkeypatch):
    import sequences.experiments.esr_sweep as esr_sweep

    lab = build_sim_lab(world)
    assert not any("data buffer" in p for p in EsrFieldSweep(acquisition="continuous").check_lab(lab))
    monkeypatch.setattr(esr_sweep, "buffered", lambda lockin: None)  # a lock-in without a buffer
    problems = EsrFieldSweep(acquisition="continuous").check_lab(lab)
    assert any("needs a lock-in with a data buffer" in p for p in problems)
    assert not EsrFieldSweep().check_lab(lab)  # the stepped sweep does not


def test_abort_during_a_continuous_scan_stops_the_buffer_and_makes_the_lab_safe():
    from app.engine import MemoryCollector, RunEngine

    world = SimulatedWorld(seed=2)
    lab = build_sim_lab(world)

    class AbortOnSecondBlock:
        blocks = 0

        def block(self, index, data):
            self.blocks += 1
            if self.blocks == 2:
                assert world.magnet.is_ramping() and lab.lockin._buffer.running  # mid-scan
                lab.abort_event.set()

    info = RunEngine(lab).run(EsrFieldSweep(acquisition="continuous", ramp_rate=1e-3),
                              [MemoryCollector(), AbortOnSecondBlock()])
    assert info.status == "aborted"
    assert not lab.lockin._buffer.running and "horizon" not in world.lockin.__dict__
    assert world.is_safe()  # microwaves off, modulation off, field ramped to zero


def test_continuous_refuses_sweeps_too_short_for_a_field_axis_and_other_experiments():
    from sequences.experiments.esr_powder import EsrPowderSweep

    from sequences.experiment import ParameterError

    assert EsrFieldSweep(acquisition="continuous", ramp_rate=0.5e-3).check() == []
    with pytest.raises(ParameterError, match="too short for the 3 timed Hall readings"):
        EsrFieldSweep(acquisition="continuous", ramp_rate=0.1, field_start=0.338, field_stop=0.339)
    with pytest.raises(ParameterError, match="not in esr-powder"):
        EsrPowderSweep(acquisition="continuous")


def test_continuous_refuses_the_stepped_filter_delay_correction():
    """The continuous sweep corrects the filter delay itself; asking for the stepped sweep's
    correction as well is a conflict, named, not silently ignored."""
    from sequences.experiment import ParameterError

    with pytest.raises(ParameterError, match="'filter-delay' conflicts with acquisition = 'continuous'"):
        EsrFieldSweep(acquisition="continuous", ramp_rate=0.5e-3, lag_correction="filter-delay")
    assert EsrFieldSweep(acquisition="continuous", ramp_rate=0.5e-3, lag_correction="up-down").check() == []
    assert EsrFieldSweep(lag_correction="filter-delay").check() == []  # the stepped sweep takes it


NARROW = dict(acquisition="continuous", ramp_rate=1e-3, field_start=0.3385, field_stop=0.3395, points=101)


def test_progress_estimate_without_a_lab_then_from_the_lab_lockin_rate():
    """Before the plan starts (no lab) the rows are the ramp time over the interval asked for,
    tau / 2 here: (1 mT + 2 x 10 rate n tau of roll) / rate / (tau / 2). Once started, the rate
    the lab's lock-in gives: the estimate then matches the rows the run recorded."""
    from app.engine import MemoryCollector, RunEngine

    exp = EsrFieldSweep(**NARROW)
    tau, rate, n = 0.01, 1e-3, 2  # default time constant; 12 dB/oct = 2 poles
    duration = (1e-3 + 2 * 10 * rate * n * tau) / rate  # 1.4 s
    assert exp.total_points() == pytest.approx(duration / (tau / 2), abs=1)  # 280
    world = SimulatedWorld(seed=4)
    memory = MemoryCollector()
    info = RunEngine(build_sim_lab(world)).run(exp, [memory])
    assert info.status == "completed", info.error
    assert exp.total_points() == pytest.approx(len(memory.rows), abs=2)
    assert exp.total_points() != pytest.approx(duration / (tau / 2), abs=2)  # the lab's rate is not tau / 2


def test_a_failed_buffer_stop_is_logged_and_noted_and_the_run_still_ends_safe(caplog):
    from app.engine import MemoryCollector, RunEngine

    world = SimulatedWorld(seed=5)
    lab = build_sim_lab(world)

    def broken_stop() -> None:
        raise RuntimeError("bus timeout")

    lab.lockin.stop_buffer = broken_stop
    notes: list[str] = []

    class Notes:
        def note(self, text: str) -> None:
            notes.append(text)

    with caplog.at_level("WARNING", logger="sequences.experiments.esr_continuous"):
        info = RunEngine(lab).run(EsrFieldSweep(**NARROW), [MemoryCollector(), Notes()])
    assert info.status == "completed", info.error
    assert any("stopping the lock-in buffer failed: RuntimeError: bus timeout" in t for t in notes), notes
    assert any("stopping the lock-in buffer failed" in r.getMessage() for r in caplog.records)
    assert lab.field.ramp_rate == lab.field.ramp_rate_range.high  # the other step still ran
    assert world.is_safe()
