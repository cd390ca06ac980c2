"""The main window's layout as a user sees it: the plot fills the centre, the data browser is a
central tab with a full-size plot, legends sit beside the data, colour maps have labelled axes."""
from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

from app.runner import run_experiment  # noqa: E402
from sequences.experiments import EsrFieldSweep  # noqa: E402
from tests.test_gui_run import lab, settings, window  # noqa: E402,F401 - fixtures


@pytest.fixture
def two_scan_run(lab, tmp_path):
    exp = EsrFieldSweep(points=21, scans=2, field_start=0.3375, field_stop=0.34, ramp_rate=0.1)
    return run_experiment(exp, lab, tmp_path / "runs", plot=False)


def plot_height(live_plot) -> float:
    return live_plot.plot.sceneBoundingRect().height()


def test_at_start_the_plot_fills_the_centre(qtbot, window):
    graphics = window.plot.graphics
    qtbot.waitUntil(lambda: graphics.height() > 300, timeout=5000)
    assert plot_height(window.plot) > 0.85 * graphics.height()  # no empty map row below it
    assert not window.plot.map_plot.isVisible()


def test_data_browser_is_a_central_tab_with_a_full_size_plot(qtbot, window, two_scan_run):
    win = window
    from app.gui.main_window import FORM_WIDTH

    qtbot.waitUntil(lambda: win.docks["Experiment"].width() == FORM_WIDTH, timeout=5000)  # the first-start layout
    form_width = win.docks["Experiment"].width()
    assert "Data browser" not in win.docks
    win.browser.refresh()
    with qtbot.waitSignal(win.browser.loaded, timeout=10_000):
        win.browser.open(two_scan_run.path)
    assert win.centre.currentWidget() is win.browser  # opening a run shows the browser
    # the replot has the centre's height (the fit table below it), not a 30 px strip
    qtbot.waitUntil(lambda: win.browser.plot.graphics.height() > 0.5 * win.centre.height(), timeout=5000)
    assert plot_height(win.browser.plot) > 150
    assert win.docks["Experiment"].width() == form_width  # the form is not squeezed


def test_legends_sit_beside_the_data_and_can_be_hidden(qtbot, window, two_scan_run):
    win = window
    with qtbot.waitSignal(win.browser.loaded, timeout=10_000):
        win.browser.open(two_scan_run.path)
    plot = win.browser.plot
    qtbot.waitUntil(lambda: plot_height(plot) > 150, timeout=5000)
    legend = plot.plot.legend
    assert legend.items  # the traces are named in it
    data_area = plot.plot.vb.sceneBoundingRect()
    assert not legend.sceneBoundingRect().intersects(data_area)
    # entries stay together at the top, each label level with its line sample (a legend
    # stretched to the plot's height spread them apart)
    assert legend.sceneBoundingRect().height() <= legend.layout.preferredHeight() + 3
    assert legend.sceneBoundingRect().top() <= data_area.top() + 30
    for sample, label in legend.items:
        assert abs(sample.sceneBoundingRect().center().y() - label.sceneBoundingRect().center().y()) < 6
    plot.show_legend.setChecked(False)
    assert not legend.isVisible()


def test_scan_colour_map_has_unscaled_scan_numbers_and_a_colour_bar_with_units(qtbot, window, two_scan_run):
    win = window
    with qtbot.waitSignal(win.browser.loaded, timeout=10_000):
        win.browser.open(two_scan_run.path)
    plot = win.browser.plot
    assert plot.map_plot.isVisible()
    left = plot.map_plot.getAxis("left")
    plot.map_plot.setYRange(0.0, 0.5)  # a range pyqtgraph would show as "scan (x0.001)", 0..500
    assert left.autoSIPrefixScale == 1.0 and "x0.001" not in left.labelString()
    plot.map_plot.enableAutoRange()
    qtbot.wait(50)
    ticks = [v for level in left.tickValues(*plot.map_plot.viewRange()[1], 200) for v in level[1]]
    assert ticks and all(float(v).is_integer() for v in ticks)  # scans are counted: no 0.5
    bar_label = plot.area.colour_bar.axis.labelString()
    assert "V" in bar_label  # the lock-in signal's unit


def test_browser_opens_a_spectrum_file_from_another_spectrometer(qtbot, window):
    """A Bruker ESP file (tests/data/real, see its README): drawn with its fit, its parameters
    listed, g consistent with the file's own microwave frequency and fitted resonance field."""
    from pathlib import Path

    from scipy.constants import h, physical_constants

    win = window
    path = Path(__file__).parent / "data" / "real" / "SAMPLE2.SPC"
    with qtbot.waitSignal(win.browser.loaded, timeout=20_000):
        win.browser.open(path)
    plot = win.browser.plot
    assert win.centre.currentWidget() is win.browser
    assert plot.plot.legend.items and any("fit" in label.text for _, label in plot.plot.legend.items)
    keys = [win.browser.meta.topLevelItem(i).text(0) for i in range(win.browser.meta.topLevelItemCount())]
    assert "format" in keys and "parameters" in keys
    b_res = float(plot.results.cell("resonance_field", "value")) * 1e-3  # shown in mT
    g = float(plot.results.cell("g_factor", "value"))
    assert plot.results.cell("resonance_field", "unit") == "mT"
    mu_b = physical_constants["Bohr magneton"][0]
    assert g == pytest.approx(h * 9.243880e9 / (mu_b * b_res), abs=2e-5)  # g = h f / (muB B), f from the file


def test_finished_run_shows_file_and_plot_names_uncut(qtbot, window):
    """The run's file and its PNG each on a line of their own, all of them in view."""
    win = window
    exp = EsrFieldSweep(points=11, field_start=0.3375, field_stop=0.34, ramp_rate=0.1)
    with qtbot.waitSignal(win.controller.run_finished, timeout=30_000) as finished:
        win.controller.start(exp)
    outcome = finished.args[0]
    label = win.run_panel.path_label
    qtbot.waitUntil(lambda: "plot:" in label.text(), timeout=5000)
    lines = label.text().splitlines()
    assert lines == [f"{outcome.path.parent}/", outcome.path.name, f"plot: {outcome.png.name}"]
    qtbot.wait(50)
    assert label.height() >= 3 * label.fontMetrics().lineSpacing()  # no line cut off
    assert str(outcome.path) in label.toolTip()
