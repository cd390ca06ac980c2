"""Live-plot frames/s in the REAL main window (every dock shown, 1600x1000) with 1e5 points per
trace while a simulated ESR run streams into it through the GUI's own RunController; exits 1
when a case stays below 60 frames/s. Its first line says what it measures.

    python benchmarks/live_plot.py [--points 100000] [--seconds 2] [--rounds 3] [--widget]

The run is ``RunController.start`` on the built-in simulated lab, as the Start button does it:
"as fast as possible" (speed 0: the pacer applies only the GUI duty cap and the frame gate)
and paced at 1x real time. When the window has laid the plot out for the run, the plot is
given ``--points`` points of a synthetic derivative line per trace (the redraw cost depends on
the number of points, not their values); the run's points follow. Then the application's
event loop runs for ``--seconds``: the window's own frame timer (60 Hz), made to redraw every
tick, new points or not; the points the run delivers (RunController -> live plot, instruments
panel, progress); the log's flushes; every repaint that anything asks for.

Counted: frames painted (paints of the plot's view that drew a new frame; all paints are
printed too: more paints than frames is wasted work), run points that arrived, the process's
CPU seconds per wall second and the GUI thread's CPU milliseconds per frame. The machine may be
shared: the CPU figures tell how much of a wall-clock shortfall is the machine's. ``--widget``
adds the bare pyqtgraph widget and the lone LivePlot, drawn back to back, for comparison.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import NamedTuple

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from app.gui._qt import QtCore, QtWidgets, pg  # noqa: E402

SIZE = (1200, 800)  # the lone widgets (--widget)
WINDOW = (1600, 1000)  # the main window
TARGET = 60.0


class PaintCounter(QtCore.QObject):
    """Counts the paints a view really does (a frame = one paint with the new data)."""

    def __init__(self, view: QtWidgets.QGraphicsView):
        super().__init__()
        self.n = 0
        view.viewport().installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QtCore.QEvent.Paint:
            self.n += 1
        return False


def prefill_rows(n: int, seed: int = 0) -> list[dict[str, float]]:
    rng = np.random.default_rng(seed)
    b = np.linspace(0.330, 0.337, n)
    u = (b - 0.3335) / 0.2e-3
    x = -2 * u / (1 + u * u) ** 2 * 1e-4 + rng.normal(0, 2e-6, n)
    y = rng.normal(0, 2e-6, n)
    return [{"scan": 0, "index": i, "field": b[i], "x": x[i], "y": y[i]} for i in range(n)]


def frames_per_second(step, seconds: float, counter: PaintCounter) -> float:
    """Paints per second while ``step`` (new data + one pass of the event loop) runs back to back."""
    for _ in range(5):  # warm-up
        step()
    n0, t0 = counter.n, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        step()
    return (counter.n - n0) / (time.perf_counter() - t0)


def bare(x: np.ndarray, y1: np.ndarray, y2: np.ndarray, seconds: float, app, downsample: bool = True) -> float:
    w = pg.PlotWidget()
    w.resize(*SIZE)
    w.show()
    item = w.getPlotItem()
    if downsample:
        item.setDownsampling(auto=True, mode="peak")
        item.setClipToView(True)
    c1, c2 = w.plot(pen="b"), w.plot(pen="r")
    counter = PaintCounter(w)

    def step() -> None:
        c1.setData(x, y1)
        c2.setData(x, y2)
        app.processEvents()  # Qt paints the update the new data asked for

    fps = frames_per_second(step, seconds, counter)
    w.close()
    return fps


def ours(rows: list[dict[str, float]], seconds: float, app, stream: bool, speed: float = 0.0,
         pacer: bool = True) -> tuple[float, int, int]:
    import app.simlab as simlab
    from app.engine import RunEngine
    from app.gui.bridge import RunBridge
    from app.gui.live_plot import LivePlot
    from app.gui.pacing import GUI_MAX_DUTY, RealTimePacer
    from sequences.experiments import EsrFieldSweep

    plot = LivePlot(max_points=2_000_000)
    plot.timer.stop()  # the loop below is the frame clock
    plot.resize(*SIZE)
    plot.show()
    plot.configure(EsrFieldSweep(points=len(rows) + 5000, field_start=0.330, field_stop=0.340))
    plot.add_rows(rows)
    plot.refresh()
    streamed = [0]
    bridge = RunBridge()

    def drain() -> None:
        items = bridge.take()
        streamed[0] += len(items)
        plot.add_rows([d for _, d in items])

    bridge.points_ready.connect(drain)
    engine = thread = None
    if stream:
        lab = simlab.build_sim_lab()
        exp = EsrFieldSweep(points=5000, field_start=0.3371, field_stop=0.340, ramp_rate=0.1, settle_tc=2)
        engine = RunEngine(lab)
        # what the GUI subscribes for a simulated lab: the pacer, with its worker duty cap
        subs = [bridge] + ([RealTimePacer(lab.clock, lab.abort_event, speed, max_duty=GUI_MAX_DUTY)]
                           if pacer else [])
        thread = engine.start(exp, subs)
        t0 = time.monotonic()
        while streamed[0] == 0 and time.monotonic() - t0 < 30:
            app.processEvents()
            time.sleep(0.005)

    counter = PaintCounter(plot.graphics)

    def step() -> None:
        plot._touch()  # redraw every frame, new points or not (what the frame timer does when points arrive)
        plot.refresh()
        app.processEvents()  # queued point signals -> drain -> add_rows; and the paint

    before = streamed[0]
    fps = frames_per_second(step, seconds, counter)
    during = streamed[0] - before
    if engine is not None:
        engine.abort()
        thread.join(10)
    n = plot.store.n
    plot.close()
    return fps, during, n


class Measured(NamedTuple):
    fps: float  # frames drawn per wall second
    points: float  # run points that reached the window per wall second
    cpu: float  # CPU seconds of the whole process per wall second
    gui_ms: float  # CPU milliseconds of the GUI thread per frame (everything it did, not only drawing)
    paints: float  # paint events of the plot's view per wall second (>= fps: one per frame is ideal)


def window(rows: list[dict[str, float]], seconds: float, app, speed: float) -> Measured:
    """The real main window drawing while a run streams into it (see the module doc)."""
    import tempfile

    from app.gui._qt import QSettings
    from app.gui.main_window import MainWindow
    from app.simlab import build_sim_lab
    from sequences.experiments import EsrFieldSweep

    tmp = Path(tempfile.mkdtemp(prefix="spinbench-bench-"))
    win = MainWindow(build_sim_lab, out_dir=tmp / "runs", settings=QSettings(str(tmp / "gui.ini"), QSettings.IniFormat),
                     speed=speed)
    win.ask = lambda question: True
    win.resize(*WINDOW)
    win.show()
    for dock in win.docks.values():
        dock.show()
    plot = win.plot
    plot.max_points = 2_000_000
    streamed = [0]
    win.controller.points.connect(lambda batch: streamed.__setitem__(0, streamed[0] + len(batch)))
    prefilled = [False]

    def prefill(_info) -> None:  # after the window configured the plot for the run
        plot.store.max_points = 2_000_000
        plot.add_rows(rows)
        prefilled[0] = True

    win.controller.run_started.connect(prefill)
    win.controller.write_png = False
    exp = EsrFieldSweep(points=20000, field_start=0.3371, field_stop=0.340, ramp_rate=0.1, settle_tc=2)
    win.controller.start(exp)
    t0 = time.monotonic()
    while (not prefilled[0] or streamed[0] == 0) and time.monotonic() - t0 < 60:
        app.processEvents()
        time.sleep(0.005)
    # every tick of the window's own frame timer redraws everything, new points or not
    plot.timer.timeout.disconnect()
    plot.timer.timeout.connect(lambda: (plot._touch(), plot.refresh()))
    counter = PaintCounter(plot.graphics)
    loop = QtCore.QEventLoop()
    QtCore.QTimer.singleShot(500, loop.quit)  # warm-up
    loop.exec()
    n0, f0, before = counter.n, plot.graphics.frames_painted, streamed[0]
    cpu0, gui0, wall0 = time.process_time(), time.thread_time(), time.perf_counter()
    QtCore.QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()  # the application's event loop, as in the GUI
    wall = time.perf_counter() - wall0
    frames = plot.graphics.frames_painted - f0
    cpu = (time.process_time() - cpu0) / wall
    gui_ms = (time.thread_time() - gui0) / max(frames, 1) * 1e3
    paints = (counter.n - n0) / wall
    during = streamed[0] - before
    win.controller.abort()
    t0 = time.monotonic()
    while win.controller.busy and time.monotonic() - t0 < 30:
        app.processEvents()
        time.sleep(0.005)
    win.close()
    app.processEvents()
    return Measured(frames / wall, during / wall, cpu, gui_ms, paints)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=100_000)
    ap.add_argument("--seconds", type=float, default=2.0, help="per measurement")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds (the median is kept)")
    ap.add_argument("--widget", action="store_true", help="also measure bare pyqtgraph and the lone LivePlot")
    args = ap.parse_args()
    print(f"measures: frames/s of the live plot in the real main window ({WINDOW[0]}x{WINDOW[1]}, every dock "
          f"shown) with {args.points} points per trace while a simulated run streams through the GUI's "
          f"RunController; target >= {TARGET:g} frames/s at full simulated speed", flush=True)
    from app.gui.app import GIL_SWITCH_INTERVAL

    sys.setswitchinterval(GIL_SWITCH_INTERVAL)  # what the GUI application sets (app/gui/app.py)
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    rows = prefill_rows(args.points)
    print(f"platform {app.platformName()}, 2 traces, median of {args.rounds} interleaved rounds of "
          f"{args.seconds:g} s; GIL switch interval {GIL_SWITCH_INTERVAL * 1e3:g} ms; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    full, paced = "run as fast as possible (speed 0)", "run paced at 1x real time"
    cases = {full: lambda: window(rows, args.seconds, app, 0.0), paced: lambda: window(rows, args.seconds, app, 1.0)}
    results: dict[str, list[Measured]] = {k: [] for k in cases}
    for _ in range(args.rounds):
        for name, fn in cases.items():
            results[name].append(fn())
    med: dict[str, Measured] = {}
    for name, vals in results.items():
        med[name] = m = Measured(*(sorted(col)[len(col) // 2] for col in zip(*vals)))
        print(f"main window, {name:34s} {m.fps:6.1f} frames/s ({m.paints:.0f} paints/s), {m.points:5.0f} points/s "
              f"arrived; CPU {m.cpu:.2f} s per wall s, GUI thread {m.gui_ms:.1f} ms CPU per frame")
    if args.widget:
        x = np.array([r["field"] for r in rows])
        y1 = np.array([r["x"] for r in rows])
        y2 = np.array([r["y"] for r in rows])
        print(f"bare pyqtgraph widget {SIZE[0]}x{SIZE[1]} (peak downsampling + clip to view), back to back: "
              f"{bare(x, y1, y2, args.seconds, app):.1f} frames/s")
        fps, pts, _ = ours(rows, args.seconds, app, True, 0.0)
        print(f"lone LivePlot widget + run as fast as possible, back to back: {fps:.1f} frames/s, {pts / args.seconds:.0f} points/s")
    worst = min(m.fps for m in med.values())
    print(f"target >= {TARGET:g} frames/s in the main window while a run streams: {'met' if worst >= TARGET else 'NOT met'} "
          f"(full speed {med[full].fps:.0f}, paced {med[paced].fps:.0f}; load average now {os.getloadavg()[0]:.1f})")
    return 0 if worst >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
