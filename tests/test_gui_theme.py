"""View menu: the dark theme (Qt widgets and every pyqtgraph plot, remembered) and the saved
window layout (restored at start, Reset layout). Settings live in a temporary INI file."""
from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

from app.gui import theme  # noqa: E402
from app.gui._qt import QtGui, QtWidgets, Qt, pg  # noqa: E402
from app.runner import run_experiment  # noqa: E402
from app.storage import read_run  # noqa: E402
from sequences.experiments import EsrFieldSweep  # noqa: E402
from tests.test_gui_run import lab, open_window, settings  # noqa: E402,F401 - fixtures


def luminance(colour: QtGui.QColor) -> float:
    """Relative luminance (WCAG 2.1, sRGB)."""
    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    return 0.2126 * lin(colour.redF()) + 0.7152 * lin(colour.greenF()) + 0.0722 * lin(colour.blueF())


def contrast(a: QtGui.QColor, b: QtGui.QColor) -> float:
    """WCAG 2.1 contrast ratio (1 to 21)."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@pytest.fixture(autouse=True)
def light_again():
    yield
    theme.apply(False)  # the palette is the application's: leave it as found


@pytest.mark.parametrize("t", [theme.LIGHT, theme.DARK])
def test_every_curve_colour_reads_on_its_background(t):
    bg = pg.mkColor(t.background)
    for colour in (*t.curves, t.foreground):
        assert contrast(pg.mkColor(colour), bg) >= 3.0, colour  # WCAG 2.1 minimum for graphics
    assert contrast(pg.mkColor(t.foreground), bg) >= 7.0


def test_dark_theme_restyles_widgets_and_plots_and_is_remembered(qtbot, lab, settings, tmp_path):
    run = run_experiment(EsrFieldSweep(points=21, scans=2, field_start=0.3375, field_stop=0.34, ramp_rate=0.1),
                         lab, tmp_path / "runs", plot=False)
    win = open_window(qtbot, lab, settings, tmp_path, speed=0)
    win.plot.load_run(EsrFieldSweep(points=21, scans=2), read_run(run.path))  # traces, averages, fit
    assert not win.dark_action.isChecked()
    win.dark_action.trigger()  # View > Dark theme
    app = QtWidgets.QApplication.instance()
    assert luminance(app.palette().color(QtGui.QPalette.Window)) < 0.05
    assert luminance(app.palette().color(QtGui.QPalette.Text)) > 0.6
    bg = win.plot.graphics.backgroundBrush().color()
    assert bg.name() == theme.DARK.background
    axis = win.plot.plot.getAxis("left")
    assert contrast(axis.textPen().color(), bg) >= 7.0
    assert win.plot.curves["x"].opts["pen"].color().name() == theme.DARK.curves[0]
    assert win.plot.fit_curve.opts["pen"].color().name() == pg.mkColor(theme.DARK.foreground).name()
    assert win.magnet.graphics.backgroundBrush().color().name() == theme.DARK.background
    assert settings.value("view/dark") in (True, "true")
    win.close()
    theme.apply(False)
    again = open_window(qtbot, lab, settings, tmp_path, speed=0)  # the next start: dark again
    assert again.dark_action.isChecked() and theme.current() is theme.DARK
    assert again.plot.graphics.backgroundBrush().color().name() == theme.DARK.background
    again.dark_action.trigger()  # and back to light
    assert theme.current() is theme.LIGHT
    assert again.plot.graphics.backgroundBrush().color().name() == "#ffffff"
    again.close()


def test_layout_is_restored_at_start_and_reset_layout_brings_every_dock_back(qtbot, lab, settings, tmp_path):
    win = open_window(qtbot, lab, settings, tmp_path, speed=0)
    log, magnet = win.docks["Log"], win.docks["Magnet designer"]
    log.hide()
    win.removeDockWidget(magnet)
    win.addDockWidget(Qt.LeftDockWidgetArea, magnet)
    magnet.show()
    win.close()  # saves geometry and dock state
    again = open_window(qtbot, lab, settings, tmp_path, speed=0)
    assert not again.docks["Log"].isVisible()
    assert again.dockWidgetArea(again.docks["Magnet designer"]) == Qt.LeftDockWidgetArea
    reset = next(a for a in again.findChildren(QtGui.QAction) if a.text() == "Reset layout")
    reset.trigger()
    assert all(dock.isVisible() or again.tabifiedDockWidgets(dock) for dock in again.docks.values())
    assert again.docks["Log"].isVisible()
    assert again.dockWidgetArea(again.docks["Magnet designer"]) == Qt.BottomDockWidgetArea
    assert again.dockWidgetArea(again.docks["Experiment"]) == Qt.LeftDockWidgetArea
    again.close()


def test_error_messages_stay_readable_in_the_dark_theme(qtbot, lab, settings, tmp_path):
    win = open_window(qtbot, lab, settings, tmp_path, speed=0)
    manual = win.instruments.manual
    manual.value.setText("not a number")
    assert not manual.apply()  # refused: the reason in the error colour
    win.set_dark(True)
    assert theme.DARK.error in manual.message.styleSheet()  # a message shown before the switch
    bg = QtWidgets.QApplication.instance().palette().color(QtGui.QPalette.Window)
    assert contrast(pg.mkColor(theme.DARK.error), bg) >= 4.5  # WCAG 2.1 AA for text
    assert contrast(pg.mkColor(theme.LIGHT.error), pg.mkColor("#ffffff")) >= 4.5
    manual.value.setText("also not a number")
    manual.apply()
    assert theme.DARK.error in manual.message.styleSheet()  # and one shown after it
    win.close()
