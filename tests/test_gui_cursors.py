"""Two cursors on the live/browser plot: cursor B's read-out of B − A for x and every trace,
checked against the run file read with h5py."""
from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import app.simlab  # noqa: E402
from app.gui.live_plot import LivePlot  # noqa: E402
from app.gui.readouts import describe  # noqa: E402
from app.runner import run_experiment  # noqa: E402
from app.storage import read_run  # noqa: E402
from sequences.experiments import EsrFieldSweep  # noqa: E402


def test_cursor_b_reads_out_differences_to_cursor_a(qtbot, world, tmp_path):
    lab = app.simlab.build_sim_lab(world)
    exp = EsrFieldSweep(points=41, scans=2, field_start=0.3375, field_stop=0.34, ramp_rate=0.1)
    path = run_experiment(exp, lab, tmp_path / "runs", plot=False).path
    with h5py.File(path, "r") as f:
        index, field, x = (f["data"][k][()] for k in ("index", "field", "x"))
    mean_f = np.array([field[index == i].mean() for i in range(41)])
    mean_x = np.array([x[index == i].mean() for i in range(41)])
    lo, hi = int(np.argmin(mean_x)), int(np.argmax(mean_x))  # the derivative line's two extrema

    plot = LivePlot()
    qtbot.addWidget(plot)
    plot.resize(1000, 650)
    plot.show()
    plot.load_run(exp, read_run(path))
    assert plot.area.cursors_b and not plot.area.cursors_b[0].isVisible()
    assert not plot.delta_readout.isVisible()
    plot.second_cursor.setChecked(True)
    assert plot.area.cursors_b[0].isVisible()
    view = plot.plot.viewRange()[0]
    assert view[0] < plot.area.cursor_b_x() < view[1]  # B appears inside the view

    plot.place_cursor(mean_f[lo])
    plot.area.cursors_b[-1].setValue(mean_f[hi])  # dragged in any plot, B follows in all
    assert plot.area.cursor_b_x() == pytest.approx(mean_f[hi])
    text = plot.delta_readout.text()
    assert f"Δfield = {describe(mean_f[hi] - mean_f[lo], 'T')}" in text
    assert f"Δlock-in X = {describe(mean_x[hi] - mean_x[lo], 'V')}" in text
    # x1, y1 on the first line; x2, y2 then dx, dy on the second
    assert f"lock-in X = {describe(mean_x[lo], 'V')}" in plot.readout.text()
    assert text.startswith(f"cursor B field = {describe(mean_f[hi], 'T')}   lock-in X = {describe(mean_x[hi], 'V')}")
    assert text.splitlines()[1].startswith("B − A:")  # its own line: one line was cut off in the window

    plot.second_cursor.setChecked(False)
    assert not plot.area.cursors_b[0].isVisible() and not plot.delta_readout.isVisible()
