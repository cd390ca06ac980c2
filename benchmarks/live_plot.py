"""Live-plot refresh rate with 1e5 points per trace while a simulated run streams points,
against bare pyqtgraph redrawing the same data (ratio printed; target >= 60 frames/s).

    python benchmarks/live_plot.py [--points 100000] [--seconds 4]

What is counted: paints of the plot's view (an event filter counts them) while a loop pushes the
data to the curves (``LivePlot.refresh``, as the frame timer does) and runs the event loop once
(which delivers the points that arrived: queued signal -> RunBridge -> LivePlot.add_rows, and
paints), in a 1200x800 widget (offscreen unless
QT_QPA_PLATFORM says otherwise). The baseline is a bare ``pg.PlotWidget`` with the same two
curves, the same downsampling (peak, auto) and clip-to-view, doing ``setData`` of the same
arrays + one event-loop pass each frame, with no run going. The plot holds ``--points`` points of a synthetic
derivative line (the redraw cost depends on the number of points, not their values) and the run
appends its own points after them, at higher fields.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from app.gui._qt import QtCore, QtWidgets, pg  # noqa: E402

SIZE = (1200, 800)


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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=100_000)
    ap.add_argument("--seconds", type=float, default=2.0, help="per measurement")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds (the median is kept)")
    ap.add_argument("--paced-speed", type=float, default=1.0,
                    help="simulated seconds per wall second for the paced stream")
    args = ap.parse_args()
    from app.gui.app import GIL_SWITCH_INTERVAL

    sys.setswitchinterval(GIL_SWITCH_INTERVAL)  # what the GUI application sets (app/gui/app.py)
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    rows = prefill_rows(args.points)
    x = np.array([r["field"] for r in rows])
    y1 = np.array([r["x"] for r in rows])
    y2 = np.array([r["y"] for r in rows])
    print(f"platform {app.platformName()}, {args.points} points per trace, 2 traces, {SIZE[0]}x{SIZE[1]}, "
          f"{args.rounds} interleaved rounds of {args.seconds:g} s, median; GIL switch interval "
          f"{GIL_SWITCH_INTERVAL * 1e3:g} ms; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    cases = {
        "bare pyqtgraph (peak downsampling + clip to view)": lambda: (bare(x, y1, y2, args.seconds, app), 0),
        "bare pyqtgraph without downsampling": lambda: (bare(x, y1, y2, args.seconds, app, downsample=False), 0),
        "LivePlot, no run going": lambda: ours(rows, args.seconds, app, stream=False)[:2],
        f"LivePlot + simulated run paced at {args.paced_speed:g}x real time": lambda: ours(
            rows, args.seconds, app, stream=True, speed=args.paced_speed)[:2],
        "LivePlot + simulated run as fast as possible (GUI duty cap)": lambda: ours(
            rows, args.seconds, app, stream=True, speed=0.0)[:2],
        "LivePlot + simulated run with no pacer at all (stress)": lambda: ours(
            rows, args.seconds, app, stream=True, pacer=False)[:2],
    }
    results: dict[str, list[tuple[float, int]]] = {k: [] for k in cases}
    for _ in range(args.rounds):
        for name, fn in cases.items():
            results[name].append(fn())
    med = {}
    for name, vals in results.items():
        fps = sorted(v[0] for v in vals)[len(vals) // 2]
        pts = sorted(v[1] for v in vals)[len(vals) // 2]
        med[name] = fps
        arrived = f"   ({pts / args.seconds:.0f} points/s arrived)" if pts else ""
        print(f"{name:60s} {fps:7.1f} frames/s{arrived}")
    base = med["bare pyqtgraph (peak downsampling + clip to view)"]
    paced = med[f"LivePlot + simulated run paced at {args.paced_speed:g}x real time"]
    fast = med["LivePlot + simulated run as fast as possible (GUI duty cap)"]
    stress = med["LivePlot + simulated run with no pacer at all (stress)"]
    print(f"ratio LivePlot/bare: no run {med['LivePlot, no run going'] / base:.2f}, paced run {paced / base:.2f}, "
          f"as fast as possible {fast / base:.2f}, no pacer {stress / base:.2f}")
    print(f"target >= 60 frames/s while a run streams (paced): {'met' if paced >= 60 else 'NOT met'} ({paced:.0f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
