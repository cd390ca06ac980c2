"""Screenshots of the lab GUI for the README and docs/gui.md, taken from a real X server.

    xvfb-run -a -s "-screen 0 1600x1000x24" python -m app.gui.screenshots docs/screenshots

Runs the real main window (1600x1000, the default layout) on the built-in simulated lab, with a
throw-away settings file and run folder so the user's own are untouched, and grabs it from the
screen: at start; during a two-scan ESR sweep; after it with the fit and cursor B; the data
browser with the re-analysed run and with its two scans overlaid (Compare); the Instruments
panel after a field set by hand; the timing diagram of a shaped-pulse sequence with the mouse
over the sech pulse; the magnet designer; a Bruker BES3T file opened in the browser; and the
finished run in the dark theme. Each PNG is reduced to a 256-colour palette by ``pngquant`` when
it is installed (Debian: ``apt-get install pngquant``), which keeps each under ~200 kB.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

from app.gui._qt import QSettings, QtCore, QtWidgets

SIZE = (1600, 1000)
#: A file from another spectrometer opened in the browser (tests/data/real/README.md).
FOREIGN = Path(__file__).resolve().parents[2] / "tests" / "data" / "real" / "bes3tint.dsc"


def _spin(app: QtWidgets.QApplication, seconds: float, until: Callable[[], bool] | None = None) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end and not (until and until()):
        app.processEvents()
        time.sleep(0.01)


def save_png(pix, path: Path) -> None:
    """Write a pixmap; palette-reduce it with pngquant when available (GUI colours are few)."""
    pix.save(str(path))
    quant = shutil.which("pngquant")
    if quant:
        subprocess.run([quant, "--force", "--skip-if-larger", "--quality", "70-95", "--speed", "1",
                        "--output", str(path), str(path)], check=False)
    print(f"wrote {path} ({pix.width()}x{pix.height()}, {path.stat().st_size // 1024} kB)")


def _grab(app: QtWidgets.QApplication, widget: QtWidgets.QWidget, path: Path) -> None:
    _spin(app, 0.4)
    if widget.isWindow():
        screen = widget.screen() or app.primaryScreen()
        pix = screen.grabWindow(widget.winId())
        if pix.isNull() or pix.width() < 10:
            pix = widget.grab()
    else:  # one dock: its part of the window
        pix = widget.grab()
    save_png(pix, path)


def shaped_sequence():
    """A Gaussian pi/2, a hyperbolic-secant inversion at half amplitude (Silver, Joseph & Hoult,
    J. Magn. Reson. 59, 347 (1984)) and a linear chirp, then the receiver window."""
    from sequences.pulse.model import Sequence, acquire, delay, pulse

    return Sequence("shaped pulses", (
        pulse("p_g", "x", name="gauss 90", shape="gauss(sigma=0.15)"), delay("d"),
        pulse("p_hs", "x", amplitude=0.5, name="sech inversion", shape="hsec(beta=5.3,mu=5)"), delay("d"),
        pulse("p_ch", "y", name="chirp", shape="chirp(bw=2e7)"), delay("d"), acquire("acq")),
        {"p_g": 200e-9, "p_hs": 1e-6, "p_ch": 800e-9, "d": 300e-9, "acq": 500e-9})


def main(argv: list[str]) -> int:
    out = Path(argv[0] if argv else "docs/screenshots")
    out.mkdir(parents=True, exist_ok=True)
    from app.gui import theme
    from app.gui.app import GIL_SWITCH_INTERVAL
    from app.gui.main_window import MainWindow
    from app.simlab import build_sim_lab

    sys.setswitchinterval(GIL_SWITCH_INTERVAL)
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(["spinbench"])
    tmp = Path(tempfile.mkdtemp(prefix="spinbench-shots-"))
    settings = QSettings(str(tmp / "gui.ini"), QSettings.IniFormat)
    win = MainWindow(build_sim_lab, out_dir=tmp / "runs", settings=settings, speed=6.0)
    win.ask = lambda question: True
    win.resize(*SIZE)
    win.move(0, 0)
    win.show()
    _spin(app, 1.5)
    ep = win.experiment_panel
    ep.select("esr-sweep")
    _spin(app, 10, until=lambda: not ep.checking)
    _grab(app, win, out / "startup.png")
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
        win.browser.add_to_comparison()  # the Compare tab: the run's two scans overlaid, normalised
        win.browser.compare.per_scan.setChecked(True)
        win.browser.compare.norm.setChecked(True)
        _grab(app, win, out / "data-browser-compare.png")
        win.browser.tabs.setCurrentIndex(0)
    # manual control: the field set by hand through the role, within the lab's limits
    manual = win.instruments.manual
    manual.choice.setCurrentIndex(0)
    manual.value.setText("340")
    manual.apply()
    win.poller.request_snapshot()
    _spin(app, 2.0)
    _grab(app, win.docks["Instruments"], out / "manual-control.png")
    # a shaped-pulse sequence in the timing diagram, the mouse over the sech pulse
    win.centre.setCurrentWidget(win.plot)
    win.docks["Sequence"].raise_()
    win.resizeDocks([win.docks["Sequence"]], [380], QtCore.Qt.Vertical)
    win.sequence.show_sequence(shaped_sequence())
    _spin(app, 0.5)
    hs = [p for p in win.sequence.diagram.pulses if p.shape.startswith("hsec")][0]
    vb = win.sequence.plot.getPlotItem().vb
    pos = vb.mapViewToScene(QtCore.QPointF(hs.start + 0.3 * hs.length, win.sequence.diagram.row("rf")))
    win.sequence.plot.scene().sigMouseMoved.emit(pos)
    _grab(app, win, out / "sequence-panel.png")
    win.docks["Magnet designer"].raise_()
    win.resizeDocks([win.docks["Magnet designer"]], [420], QtCore.Qt.Vertical)
    win.magnet.compute()
    _spin(app, 20, until=lambda: win.magnet.report is not None)
    _spin(app, 0.5)
    win.magnet._fit_map_width()
    _grab(app, win, out / "magnet-designer.png")
    win.reset_layout()
    _spin(app, 0.5)
    if FOREIGN.exists():  # a Bruker BES3T file: read by formats.load, analysed as `spinbench analyse`
        loaded: list[str] = []
        win.browser.loaded.connect(loaded.append)
        win.browser.open(FOREIGN)
        _spin(app, 20, until=lambda: bool(loaded))
        _grab(app, win, out / "foreign-file.png")
    win.centre.setCurrentWidget(win.plot)
    win.set_dark(True)
    _grab(app, win, out / "dark-theme.png")
    win.set_dark(False)
    win.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
