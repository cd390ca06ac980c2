"""Screenshots of the main window during a simulated run, for the README.

    xvfb-run -a -s "-screen 0 1600x1000x24" python -m app.gui.screenshots docs/screenshots

Runs the real GUI on the built-in simulated lab (a throw-away settings file and run folder, so
the user's own settings are untouched), starts a two-scan ESR sweep and grabs the window from the
screen while points arrive, after the fit, and with the data browser and magnet designer shown.
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from app.gui._qt import QSettings, QtCore, QtWidgets


def _spin(app: QtWidgets.QApplication, seconds: float, until=None) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end and not (until and until()):
        app.processEvents()
        time.sleep(0.01)


def _grab(app: QtWidgets.QApplication, win: QtWidgets.QWidget, path: Path) -> None:
    _spin(app, 0.3)
    screen = win.screen() or app.primaryScreen()
    pix = screen.grabWindow(win.winId())
    if pix.isNull() or pix.width() < 10:
        pix = win.grab()
    pix.save(str(path))
    print(f"wrote {path} ({pix.width()}x{pix.height()})")


def main(argv: list[str]) -> int:
    out = Path(argv[0] if argv else "docs/screenshots")
    out.mkdir(parents=True, exist_ok=True)
    from app.gui.app import GIL_SWITCH_INTERVAL
    from app.gui.main_window import MainWindow
    from app.simlab import build_sim_lab

    sys.setswitchinterval(GIL_SWITCH_INTERVAL)
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(["spinbench"])
    tmp = Path(tempfile.mkdtemp(prefix="spinbench-shots-"))
    settings = QSettings(str(tmp / "gui.ini"), QSettings.IniFormat)
    win = MainWindow(build_sim_lab, out_dir=tmp / "runs", settings=settings, speed=6.0)
    win.ask = lambda question: True
    win.resize(1560, 960)
    win.move(20, 20)
    win.show()
    _spin(app, 1.5)
    ep = win.experiment_panel
    ep.select("esr-sweep")
    for name, text in {"field_start": "336.5", "field_stop": "341", "points": "151", "scans": "2",
                       "direction": "alternate", "ramp_rate": "100"}.items():
        ep.set_text(name, text)
    _spin(app, 10, until=lambda: not ep.checking)  # the form's check against the lab runs off-thread
    if not win.run_panel.start():
        print("could not start:", win.run_panel.message.text())
        return 1
    total = 2 * 151
    _spin(app, 120, until=lambda: win.plot.n_points >= int(total * 0.7))
    _grab(app, win, out / "main-window-live.png")
    _spin(app, 120, until=lambda: not win.controller.busy)
    _spin(app, 1.0)
    win.plot.place_cursor(win.plot.cursor.value())
    win.plot.second_cursor.setChecked(True)  # cursor B with its B - A read-out
    _grab(app, win, out / "main-window-finished.png")
    path = win.controller.last_outcome.path if win.controller.last_outcome else None
    if path:  # the browser is a central tab; opening a run shows it
        win.browser.open(path)
        _spin(app, 10, until=lambda: win.browser.run is not None)
        win.browser.reanalyse()
        _spin(app, 10, until=lambda: win.browser.new_results is not None)
    _grab(app, win, out / "data-browser.png")
    if path:  # the Compare tab: the run's two scans overlaid, normalised
        win.browser.add_to_comparison()
        win.browser.compare.per_scan.setChecked(True)
        win.browser.compare.norm.setChecked(True)
        _grab(app, win, out / "data-browser-compare.png")
        win.browser.tabs.setCurrentIndex(0)
    win.centre.setCurrentWidget(win.plot)
    win.docks["Magnet designer"].raise_()
    win.resizeDocks([win.docks["Magnet designer"]], [480], QtCore.Qt.Vertical)
    win.magnet.compute()
    _spin(app, 20, until=lambda: win.magnet.report is not None)
    _grab(app, win, out / "magnet-designer.png")
    if "t2-hahn" in ep.experiments:  # a pulsed experiment: its timing diagram
        ep.select("t2-hahn")
        _spin(app, 10, until=lambda: not ep.checking)
        win.docks["Sequence"].raise_()
        win.resizeDocks([win.docks["Sequence"]], [420], QtCore.Qt.Vertical)
        win.sequence.redraw()
        _spin(app, 20, until=lambda: win.sequence.diagram is not None)
        _spin(app, 0.5)
        pi = [p for p in win.sequence.diagram.pulses if p.channel == "rf"][1]  # hover the pi pulse
        vb = win.sequence.plot.getPlotItem().vb
        pos = vb.mapViewToScene(QtCore.QPointF(pi.start + pi.length / 2, win.sequence.diagram.row("rf")))
        win.sequence.plot.scene().sigMouseMoved.emit(pos)
        _grab(app, win, out / "sequence-panel.png")
    win.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
