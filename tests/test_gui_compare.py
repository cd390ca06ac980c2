"""Comparing runs in the data browser: overlays, scan averages, normalising and differences,
checked against the files read independently with h5py and numpy."""
from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import app.simlab  # noqa: E402
from app.gui.data_browser import DataBrowser  # noqa: E402
from app.runner import run_experiment  # noqa: E402
from sequences.experiments import EsrFieldSweep  # noqa: E402


@pytest.fixture
def two_runs(world, tmp_path):
    lab = app.simlab.build_sim_lab(world)
    common = dict(points=31, scans=2, field_start=0.3375, field_stop=0.34, ramp_rate=0.1)
    return [run_experiment(EsrFieldSweep(frequency=f, **common), lab, tmp_path / "runs", plot=False).path
            for f in (9.5e9, 9.505e9)]


def columns(path) -> dict[str, np.ndarray]:
    with h5py.File(path, "r") as f:
        return {k: f["data"][k][()] for k in f["data"]}


def open_and_add(qtbot, browser: DataBrowser, path) -> None:
    with qtbot.waitSignal(browser.loaded, timeout=10_000):
        browser.open(path)
    browser.compare_button.click()


def test_overlay_average_scans_normalise_and_difference(qtbot, two_runs):
    browser = DataBrowser(two_runs[0].parent)
    qtbot.addWidget(browser)
    for path in two_runs:
        open_and_add(qtbot, browser, path)
    cmp = browser.compare
    assert browser.tabs.currentWidget() is cmp
    assert (cmp.x.currentText(), cmp.y.currentText()) == ("field", "x")  # the run's own plot to begin with
    data = [columns(p) for p in two_runs]

    # scan average per point index, as the mean of the scans read from the file
    assert len(cmp.shown) == 2
    for s, d in zip(cmp.shown, data):
        mean_x = np.array([d["x"][d["index"] == i].mean() for i in range(31)])
        mean_f = np.array([d["field"][d["index"] == i].mean() for i in range(31)])
        order = np.argsort(mean_f)
        assert s.x == pytest.approx(mean_f[order]) and s.y == pytest.approx(mean_x[order])
    assert cmp.plot.getAxis("bottom").labelUnits == "T"

    cmp.per_scan.setChecked(True)  # every scan of every run
    assert len(cmp.shown) == 4 and len(cmp.legend.items) == 4  # each named in the legend
    first = data[0]
    scan1 = first["scan"] == np.unique(first["scan"])[1]
    assert cmp.shown[1].y == pytest.approx(first["x"][scan1][np.argsort(first["field"][scan1])])
    cmp.per_scan.setChecked(False)

    cmp.norm.setChecked(True)
    assert all(np.nanmax(np.abs(s.y)) == pytest.approx(1.0) for s in cmp.shown)
    cmp.norm.setChecked(False)

    cmp.diff.setChecked(True)  # second run minus first, on the first's fields
    (d,) = cmp.shown
    avg = [(np.array([c["field"][c["index"] == i].mean() for i in range(31)]),
            np.array([c["x"][c["index"] == i].mean() for i in range(31)])) for c in data]
    (f0, x0), (f1, x1) = [(f[np.argsort(f)], x[np.argsort(f)]) for f, x in avg]
    inside = (f0 >= f1[0]) & (f0 <= f1[-1])
    assert d.x == pytest.approx(f0)
    assert d.y[inside] == pytest.approx(np.interp(f0[inside], f1, x1) - x0[inside])
    assert np.all(np.isnan(d.y[~inside]))
    assert np.nanmax(np.abs(d.y)) > 0.1 * np.max(np.abs(x0))  # 5 MHz apart: the lines differ
    cmp.diff.setChecked(False)

    cmp.x.setCurrentText("field_set")  # any column against any other
    cmp.y.setCurrentText("field")
    set0 = np.sort([first["field_set"][first["index"] == i].mean() for i in range(31)])
    assert cmp.shown[0].x == pytest.approx(set0)
    assert np.max(np.abs(cmp.shown[0].y - cmp.shown[0].x)) < 1e-3  # the Hall probe follows the setpoint

    cmp.list.setCurrentRow(0)
    cmp.remove_selected()
    assert len(cmp.runs) == 1 and len(cmp.shown) == 1
