"""The Qt-free parts of the GUI: plot layout, the capped point store, the running scan average,
the colour-map grid and the real-time pacer, checked against simulated runs."""
from __future__ import annotations

import threading

import numpy as np
import pytest

import app.simlab
from app.engine import MemoryCollector, RunEngine
from app.gui.pacing import RealTimePacer, paced_subscribers
from app.gui.plot_model import MapGrid, PlotSpec, PointStore, ScanAverage
from sequences.experiments import EsrFieldSweep


@pytest.fixture
def esr_lab(world):
    return app.simlab.build_sim_lab(world)  # the lab ``spinbench gui --sim`` opens


@pytest.fixture
def three_scans(esr_lab):
    exp = EsrFieldSweep(points=41, scans=3, direction="alternate", field_start=0.3375, field_stop=0.34,
                        ramp_rate=0.1)
    collector = MemoryCollector()
    info = RunEngine(esr_lab).run(exp, [collector])
    return exp, collector, info


def test_plot_spec_for_the_esr_sweep():
    spec = PlotSpec.for_experiment(EsrFieldSweep())
    assert spec.x == "field" and spec.ys == ["x", "y"]
    assert (spec.scan, spec.index, spec.map) == ("scan", "index", None)
    assert spec.units["field"] == "T" and spec.units["x"] == "V"
    multi = PlotSpec.for_experiment(EsrFieldSweep(scans=4))
    assert multi.map == ("field", "scan", "x") and multi.scans == 4


def test_live_plot_hint_overrides_the_guess():
    class Hinted(EsrFieldSweep):
        live_plot = {"x": "field_set", "y": ["y"], "map": ("field_set", "scan", "y")}

    spec = PlotSpec.for_experiment(Hinted())
    assert spec.x == "field_set" and spec.ys == ["y"] and spec.map == ("field_set", "scan", "y")


@pytest.mark.slow
def test_running_scan_average_equals_the_experiments_own_average(three_scans):
    exp, collector, info = three_scans
    avg = ScanAverage(["field", "x", "y"])
    rows = collector.rows
    for k in range(0, len(rows), 17):  # in arbitrary batches, as the GUI receives them
        avg.add(rows[k:k + 17], "index")
    for i in (0, 17, 40):  # by definition: the mean over the scans of each field point
        same = [r for r in rows if r["index"] == i]
        assert len(same) == 3
        assert avg.mean("x")[i] == pytest.approx(np.mean([r["x"] for r in same]), rel=1e-12)
        assert avg.mean("field")[i] == pytest.approx(np.mean([r["field"] for r in same]), rel=1e-12)
    # the experiment's own average (sorted by its calibrated field) holds the same per-point means
    _, x, y = exp.averaged(collector.run_data(info))
    np.testing.assert_allclose(np.sort(avg.mean("x")), np.sort(x), rtol=1e-12, atol=1e-18)
    np.testing.assert_allclose(np.sort(avg.mean("y")), np.sort(y), rtol=1e-12, atol=1e-18)
    assert avg.complete_scans == 3


def test_point_store_caps_by_keeping_every_other_point():
    store = PointStore(["i"], cap=1000)
    for k in range(0, 10_000, 37):
        store.extend([{"i": float(j)} for j in range(k, min(k + 37, 10_000))])
    assert store.seen == 10_000 and store.n <= 1000 and store.stride == 16
    kept = store.column("i")
    np.testing.assert_array_equal(kept, np.arange(0, 10_000, 16))


@pytest.mark.slow
def test_map_grid_rows_are_scans_and_columns_are_field_points(three_scans):
    exp, collector, _ = three_scans
    grid = MapGrid()
    grid.add(collector.rows, "field", "scan", "x", "index")
    img = grid.filled()
    assert img.shape == (3, 41)
    for row in collector.rows[::7]:
        assert img[int(row["scan"]), int(row["index"])] == row["x"]
    assert grid.x_min == pytest.approx(0.3375, abs=1e-4) and grid.x_max == pytest.approx(0.34, abs=1e-4)


class FakeWall:
    """A wall clock that moves only when the pacer rests (its ``wait`` stands in for the abort
    event's): the pacing is checked exactly, with no real waiting."""

    def __init__(self) -> None:
        self.t = 100.0
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.t

    def wait(self, seconds: float) -> bool:
        self.waits.append(seconds)
        self.t += seconds
        return False


def test_pacer_holds_a_simulated_run_to_the_chosen_speed(esr_lab):
    exp = EsrFieldSweep(points=21, field_start=0.3375, field_stop=0.34, ramp_rate=0.1, settle_tc=10)
    wall = FakeWall()
    pacer = RealTimePacer(esr_lab.clock, wall, speed=4.0, max_wait=0.5, wall=wall)
    seen: list[tuple[float, float]] = []

    class Stamp:  # after the pacer: simulated and wall time of each point
        def point(self, index, data):
            seen.append((data["time"], wall()))

    RunEngine(esr_lab).run(exp, [MemoryCollector(), pacer, Stamp()])
    sim, shown = np.array(seen).T
    # from the first point on, the wall time between points is the simulated time over the speed
    np.testing.assert_allclose(np.diff(shown), np.diff(sim) / 4.0, rtol=1e-9)
    assert shown[-1] - shown[0] == pytest.approx((sim[-1] - sim[0]) / 4.0, rel=1e-9)
    assert max(wall.waits) <= 0.5  # the long first ramp is capped at max_wait


def test_pacer_rests_on_the_abort_event(esr_lab):
    """The pacer's rest is a wait on the lab's abort event, capped at max_wait, so an abort
    (which sets that event) ends it at once."""
    waits: list[float | None] = []

    class Recording(threading.Event):
        def wait(self, timeout=None):
            waits.append(timeout)
            return super().wait(timeout)

    esr_lab.abort_event = Recording()
    pacer = RealTimePacer(esr_lab.clock, esr_lab.abort_event, speed=1e-3, max_wait=0.5, wall=lambda: 0.0)
    pacer.start(None)
    esr_lab.clock.sleep(10.0)  # 10 s simulated at 1/1000 speed: a long wait, capped to max_wait
    esr_lab.abort_event.set()  # already aborted: the wait returns without resting
    pacer.point(0, {})
    assert waits == [0.5]


def test_real_labs_are_never_paced(esr_lab):
    assert len(paced_subscribers(esr_lab, 1.0)) == 1
    esr_lab.world = None  # what a lab built from a config file looks like
    assert paced_subscribers(esr_lab, 1.0) == []


def test_duty_cap_leaves_the_gui_thread_half_the_time():
    """As fast as possible in the GUI still rests as long as it computes (max_duty 0.5)."""

    class SimClock:
        t = 0.0

        def now(self):
            return self.t

    clock, wall = SimClock(), FakeWall()
    pacer = RealTimePacer(clock, wall, speed=0.0, max_duty=0.5, wall=wall)
    pacer.start(None)
    busy_total = 0.0
    for i, busy in enumerate([2e-3, 5e-3, 1e-3, 3e-3]):
        wall.t += busy  # the worker computes this point
        clock.t += 0.1
        busy_total += busy
        pacer.point(i, {})
    assert pacer.waited == pytest.approx(busy_total)  # duty 0.5: rest as long as computed
    paced = RealTimePacer(clock, wall, speed=2.0, max_duty=1.0, wall=wall)
    paced.start(None)
    wall.t += 1e-3
    clock.t += 0.4  # 0.4 s of simulated time at 2x real time: 0.2 s of wall time
    paced.point(0, {})
    assert paced.waited == pytest.approx(0.2 - 1e-3)
    with pytest.raises(ValueError):
        RealTimePacer(clock, wall, max_duty=0.0)


def test_outer_loop_experiments_map_each_sweep_and_do_not_average_across_them():
    from sequences.experiments import EXPERIMENTS

    cls = EXPERIMENTS["fmr-map"]
    spec = PlotSpec.for_experiment(cls())
    assert spec.outer == "trace" and spec.map == (spec.x, "trace", spec.ys[0])
    assert "trace" not in spec.ys and "scan" not in spec.ys
