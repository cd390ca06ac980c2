"""Soak: repaint a live plot thousands of times while its data grows (docs/references.md: PySide6 6.12.0
+ pyqtgraph crashed on Python 3.11 after < 200 such repaints; a screenshot test cannot see it)."""
from __future__ import annotations

import os
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from app.gui.live_plot import LivePlot  # noqa: E402
from app.simlab import build_sim_lab  # noqa: E402
from app.engine import MemoryCollector, RunEngine  # noqa: E402
from sequences.experiments import EsrFieldSweep  # noqa: E402

FRAMES = 5000


def rss_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.fixture(scope="module")
def sim_rows():
    """One scan of a simulated sweep: the rows the soak replays over and over."""
    lab = build_sim_lab()
    exp = EsrFieldSweep(points=201, field_start=0.336, field_stop=0.342, ramp_rate=0.1)
    collector = MemoryCollector()
    RunEngine(lab).run(exp, [collector])
    return collector.rows


@pytest.mark.slow
def test_live_plot_survives_thousands_of_repaints_without_growing(qtbot, sim_rows):
    exp = EsrFieldSweep(points=201, scans=10_000, field_start=0.336, field_stop=0.342)
    plot = LivePlot(max_points=4000, fps=1)  # the loop below drives the frames
    plot.timer.stop()
    qtbot.addWidget(plot)
    plot.resize(1000, 700)
    plot.show()
    qtbot.waitExposed(plot)
    plot.configure(exp)
    n = len(sim_rows)
    t0, base, frame = time.monotonic(), None, 0
    for frame in range(FRAMES):
        scan, i = divmod(frame * 7, n)
        rows = [dict(sim_rows[(i + k) % n], scan=scan + (i + k) // n) for k in range(7)]
        plot.add_rows(rows)
        assert plot.refresh()
        plot.graphics.viewport().repaint()  # a synchronous paint of every axis, curve, the map
        if frame == 500:
            base = rss_bytes()
    elapsed = time.monotonic() - t0
    grown = rss_bytes() - base
    assert plot.frames == FRAMES
    assert plot.n_points == 7 * FRAMES
    assert plot.store.n <= 4000  # the point cap holds
    assert grown < 25e6, f"resident memory grew {grown / 1e6:.1f} MB over {FRAMES - 500} repaints"
    assert np.isfinite(plot.curves["x"].yData).all()
    print(f"{FRAMES} repaints in {elapsed:.1f} s ({FRAMES / elapsed:.0f}/s), RSS growth {grown / 1e6:.2f} MB")
