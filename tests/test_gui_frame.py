"""The live plot's frame in the full window: one paint per frame, a view range that moves in
steps while data grow, a simulated run that waits while a frame is drawn, points handed on once
a frame (benchmarks/live_plot.py measures the frames/s these make possible)."""
from __future__ import annotations

import os
import threading

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from app.gui.follow_range import HEADROOM, MIN_FILL, stepped  # noqa: E402
from app.gui.live_plot import LivePlot  # noqa: E402
from app.gui.pacing import FrameGate, RealTimePacer  # noqa: E402
from app.gui.plot_model import ScanAverage  # noqa: E402
from sequences.experiments import EsrFieldSweep  # noqa: E402


class Clock:
    t = 0.0

    def now(self) -> float:
        return self.t


def test_stepped_range_holds_while_the_data_fit_and_grows_with_headroom():
    first = stepped(None, 0.0, 1.0)
    assert first == pytest.approx([-HEADROOM, 1 + HEADROOM])
    assert stepped(first, 0.0, 1.05) == first  # still inside: held
    grown = stepped(first, 0.0, 2.0)  # outside: refitted with headroom
    assert grown == pytest.approx([-2 * HEADROOM, 2 + 2 * HEADROOM])
    # data shrinking to less than MIN_FILL of the held span: refitted
    small = 0.9 * MIN_FILL * (grown[1] - grown[0])
    assert stepped(grown, 0.0, small) == pytest.approx([-HEADROOM * small, small * (1 + HEADROOM)])


def test_pacer_waits_at_a_closed_frame_gate_at_most_its_hold():
    gate = FrameGate(max_hold=0.02)
    abort = threading.Event()
    pacer = RealTimePacer(Clock(), abort, speed=0.0, max_duty=1.0, gate=gate)
    pacer.start(None)
    gate.close()
    opened = threading.Timer(0.005, gate.open)  # the GUI finishes painting
    opened.start()
    pacer.point(0, {})  # returns once the frame is painted
    assert gate.is_open
    gate.close()  # a frame that never paints: the worker goes on after max_hold
    assert gate.wait() is False
    abort.set()  # an abort never waits at the gate
    pacer.point(1, {})
    opened.join()


def test_scan_average_of_small_batches_equals_the_mean_per_index():
    rng = np.random.default_rng(3)
    avg = ScanAverage(["x"])
    values = rng.normal(size=(3, 500))
    for scan in range(3):
        for start in range(0, 500, 7):  # a few points per frame, as a fast run delivers them
            avg.add([{"index": i, "x": values[scan, i]} for i in range(start, min(start + 7, 500))], "index")
    np.testing.assert_allclose(avg.mean("x"), values.mean(axis=0), rtol=1e-12)
    assert avg.complete_scans == 3


@pytest.fixture
def plot(qtbot):
    p = LivePlot(max_points=400_000)
    p.timer.stop()  # the test is the frame clock
    qtbot.addWidget(p)
    p.resize(1000, 700)
    p.show()
    qtbot.waitExposed(p)
    p.configure(EsrFieldSweep(points=200_000, field_start=0.33, field_stop=0.34))
    return p


def test_growing_data_paint_once_a_frame_and_move_the_range_in_steps(qtbot, plot):
    """Auto-range refitting every frame re-plots and repaints each curve a second time."""
    rng = np.random.default_rng(0)
    field = np.linspace(0.33, 0.34, 100_000)
    x = np.sin(field * 3e3) * 1e-4 + rng.normal(0, 1e-6, field.size)
    changes = []
    plot.plot.vb.sigXRangeChanged.connect(lambda *_: changes.append(1))
    paints0, frames = plot.graphics.frames_painted, 0
    for stop in range(2_000, 100_001, 2_000):  # 50 frames, each with 2000 new points
        start = stop - 2_000
        plot.add_rows([{"scan": 0, "index": i, "field": field[i], "x": x[i], "y": 0.0} for i in range(start, stop)])
        assert plot.refresh()
        assert not plot.frame_gate.is_open  # closed until the frame is painted
        plot.graphics.viewport().repaint()
        assert plot.frame_gate.is_open
        frames += 1
    assert plot.graphics.frames_painted - paints0 == frames
    assert len(changes) <= frames // 3  # steps, not one per frame
    lo, hi = plot.plot.viewRange()[0]
    assert lo <= 0.33 and hi >= 0.34  # every point inside the view


def test_an_unpainted_frame_stops_the_gate_until_the_view_paints_again(qtbot, plot):
    plot.add_rows([{"scan": 0, "index": 0, "field": 0.335, "x": 1.0, "y": 0.0}])
    plot.refresh()
    assert not plot.frame_gate.is_open
    plot.add_rows([{"scan": 0, "index": 1, "field": 0.336, "x": 1.0, "y": 0.0}])
    plot.refresh()  # no paint came in between (a minimised window): the run is not held back
    assert plot.frame_gate.is_open
    plot.add_rows([{"scan": 0, "index": 2, "field": 0.337, "x": 1.0, "y": 0.0}])
    plot.refresh()
    assert plot.frame_gate.is_open
    plot.graphics.viewport().repaint()
    plot.add_rows([{"scan": 0, "index": 3, "field": 0.338, "x": 1.0, "y": 0.0}])
    plot.refresh()
    assert not plot.frame_gate.is_open  # painting again: gated again


def test_points_waiting_are_handed_on_in_one_batch_per_frame(qtbot, sim_lab):
    from app.gui.run_controller import DRAIN_MS, RunController

    controller = RunController(sim_lab, "unused")
    batches: list[int] = []
    controller.points.connect(lambda rows: batches.append(len(rows)))
    for i in range(50):  # the worker thread appends points faster than a frame
        controller.bridge.point(i, {"index": i})
    qtbot.wait(3 * DRAIN_MS)
    assert batches == [50]
    assert controller.progress.done == 50


def reference_envelope(x, y, block):
    """pyqtgraph's "peak" reduction written out: per block its max then its min at the block's
    middle x, then the remaining points as they are."""
    full = len(x) // block
    seg = y[:full * block].reshape(full, block)
    ex = np.repeat(x[block // 2:full * block:block], 2)
    ey = np.column_stack([np.nanmax(seg, axis=1), np.nanmin(seg, axis=1)]).reshape(-1)
    return np.concatenate([ex, x[full * block:]]), np.concatenate([ey, y[full * block:]])


def test_envelope_updated_piece_by_piece_equals_the_whole_reduction():
    from app.gui.envelope import PeakEnvelope, block_for

    assert block_for(1000, 800) == 1 and block_for(100_000, 1100) == 32 and block_for(3200, 800) == 2
    rng = np.random.default_rng(7)
    x = np.linspace(0.33, 0.34, 50_000)
    y = rng.normal(size=x.size)
    y[1234] = np.nan  # a block with one NaN keeps its other points' extremes
    env = PeakEnvelope()
    for n in (10, 999, 1000, 1001, 20_000, 20_003, 50_000):  # points arrive; blocks complete
        ex, ey = env.update(("store", 0, 0), x[:n], y[:n], 16)
        rx, ry = reference_envelope(x[:n], y[:n], 16)
        np.testing.assert_array_equal(ex, rx)
        np.testing.assert_array_equal(ey, ry)
    ex, ey = env.update(("store", 0, 0), x, y, 32)  # a new block size: rebuilt
    np.testing.assert_array_equal(ey, reference_envelope(x, y, 32)[1])
    y2 = y * 2  # the stored points changed (the store halved, a new scan): a new key rebuilds
    np.testing.assert_array_equal(env.update(("store", 1, 0), x, y2, 32)[1], reference_envelope(x, y2, 32)[1])


def test_a_growing_trace_is_drawn_as_its_envelope_and_read_out_from_its_points(qtbot, plot):
    rng = np.random.default_rng(1)
    field = np.linspace(0.33, 0.34, 60_000)
    x = rng.normal(size=field.size)
    plot.add_rows([{"scan": 0, "index": i, "field": field[i], "x": x[i], "y": 0.0} for i in range(field.size)])
    plot.refresh()
    drawn = plot.curves["x"]
    assert len(drawn.yData) < field.size / 4  # the envelope, not every point
    assert drawn.yData.max() == x.max() and drawn.yData.min() == x.min()  # every peak kept
    plot.place_cursor(field[12_345])
    assert plot.values_at(field[12_345])["x"] == x[12_345]  # the read-out is the point itself
    plot.show_results({})  # the run is over: every point drawn
    np.testing.assert_array_equal(plot.curves["x"].yData, x)
