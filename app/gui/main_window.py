"""The main window: the live plot and the data browser as tabs in the middle, every other panel
a dock (movable, tabbable, closable from the View menu), layout and settings kept in QSettings.

Closing during a run asks first, then aborts exactly as Abort does, showing the safe state's
countdown; the window closes when the worker has finished and a read-back confirms the lab safe
(field setpoint 0 with its ramp finished, RF off). It never blocks waiting for it.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Callable

from app.gui import theme
from app.gui._qt import QSettings, Qt, QtGui, QtWidgets, QTimer
from app.gui.gc_guard import GuiThreadCollector
from app.gui.data_browser import DataBrowser
from app.gui.experiment_panel import ExperimentPanel
from app.gui.instruments_panel import InstrumentPoller, InstrumentsPanel
from app.gui.live_plot import LivePlot
from app.gui.peaks_panel import PeakPicker
from app.gui.log_panel import LogPanel
from app.gui.magnet_panel import MagnetPanel
from app.gui.run_control import RunControlPanel
from app.gui.run_controller import RunController
from app.gui.scroll_panel import ScrollPanel
from app.gui.sequence_panel import SequencePanel
from drivers.lab import Lab
from sequences.experiments import EXPERIMENTS

ORG, APP = "spinbench", "gui"
#: The experiment form's dock width at a first start (px): the form's labels, fields and units.
FORM_WIDTH = 350
#: The centre's width (px) a narrow window keeps by narrowing the side docks at a first start.
CENTRE_WIDTH = 620


def default_settings() -> QSettings:
    return QSettings(ORG, APP)


class MainWindow(QtWidgets.QMainWindow):
    def __init__(self, lab_factory: Callable[[], Lab], *, out_dir: str | Path | None = None,
                 settings: QSettings | None = None, speed: float | None = None, poll_period: float = 1.0):
        super().__init__()
        self.setObjectName("spinbench_main")
        self.collector = GuiThreadCollector(parent=self)  # GC only in this thread while open
        self.collector.start()
        self.settings = settings if settings is not None else default_settings()
        self.lab_factory = lab_factory
        self.lab: Lab | None = lab_factory()
        self.poll_period = poll_period
        self._close_when_idle = False
        self._closed = False
        self._closing_ticker = QTimer(self)  # the safe-state countdown while a close waits for it
        self._closing_ticker.setInterval(250)
        self._closing_ticker.timeout.connect(self._show_closing)
        s = self.settings
        out = Path(out_dir if out_dir is not None else s.value("run/out_dir", "runs"))
        speed = float(speed if speed is not None else s.value("run/speed", 1.0))
        self.io_lock = threading.Lock()
        self.controller = RunController(self.lab, out, speed=speed, io_lock=self.io_lock, parent=self)
        # panels
        self.plot = LivePlot()
        self.plot.setObjectName("live_plot")
        self.controller.frame_gate = self.plot.frame_gate  # the frame has priority over a simulated run
        self.experiment_panel = ExperimentPanel(EXPERIMENTS, self.lab, s)
        self.run_panel = RunControlPanel(self.controller, self.experiment_panel.experiment)
        self.poller = InstrumentPoller(self.lab, self.io_lock, poll_period)
        self.instruments = InstrumentsPanel(self.lab, self.poller, reconnect=self.connect_lab,
                                            disconnect=self.disconnect_lab)
        self.sequence = SequencePanel()
        self.magnet = MagnetPanel()
        self.browser = DataBrowser(out)
        self.peaks = PeakPicker(self.plot)  # peak picking on the live / finished plot
        # the centre: the live plot and the data browser as tabs, each with the full-size plot
        self.centre = QtWidgets.QTabWidget()
        self.centre.setObjectName("centre_tabs")
        self.centre.addTab(self.plot, "Live plot")
        self.centre.addTab(self.browser, "Data browser")
        self.setCentralWidget(self.centre)
        self.log = LogPanel()
        self.log.watch_world(getattr(self.lab, "world", None))
        self.docks: dict[str, QtWidgets.QDockWidget] = {}
        self._dock("Experiment", self.experiment_panel, Qt.LeftDockWidgetArea)
        self._dock("Run control", self.run_panel, Qt.RightDockWidgetArea)
        self._dock("Instruments", self.instruments, Qt.RightDockWidgetArea)
        self._dock("Log", self.log, Qt.BottomDockWidgetArea)
        self._dock("Sequence", self.sequence, Qt.BottomDockWidgetArea)
        self._dock("Magnet designer", self.magnet, Qt.BottomDockWidgetArea)
        self._dock("Peaks", self.peaks, Qt.BottomDockWidgetArea)
        for name in ("Sequence", "Magnet designer", "Peaks"):
            self.tabifyDockWidget(self.docks["Log"], self.docks[name])
        self.docks["Log"].raise_()
        self._default_state = self.saveState()  # what View > Reset layout goes back to
        self._wire()
        self._menus()
        theme.apply(s.value("view/dark", False) in (True, "true", "1", 1))  # before the first paint
        self.dark_action.setChecked(theme.current().dark)
        self.setWindowTitle(f"spinbench — {self.lab.name}")
        self.resize(1500, 950)
        self.status_lab = QtWidgets.QLabel()
        self.statusBar().addPermanentWidget(self.status_lab)
        self._update_title()
        geometry, state = s.value("window/geometry"), s.value("window/state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is None or not self.restoreState(state):
            QTimer.singleShot(0, self.default_layout)
        self.browser.restore_split(s.value("browser/split"))
        self.poller.start()
        self.experiment_panel.validate()
        self.magnet.schedule()

    def set_dark(self, dark: bool) -> None:
        """Switch the theme (View > Dark theme) and remember it."""
        theme.apply(dark)
        self.dark_action.setChecked(dark)
        self.settings.setValue("view/dark", dark)

    def reset_layout(self) -> None:
        """Every dock back where a first start puts it, shown, at the first start's sizes."""
        for dock in self.docks.values():
            dock.setFloating(False)
        self.restoreState(self._default_state)
        for dock in self.docks.values():
            dock.show()
        self.docks["Log"].raise_()
        self.centre.setCurrentWidget(self.plot)
        self.default_layout()
        self.browser.place_split()

    def default_layout(self) -> None:
        """Dock sizes for a first start (later starts restore the saved layout)."""
        d = self.docks
        # the centre keeps what the side docks do not need (the form, the run control); in a
        # narrow window (a 1280 px laptop) they shrink towards their panels' own widths
        widths = [FORM_WIDTH, 390]
        spare = self.width() - CENTRE_WIDTH
        if sum(widths) > spare > 0:
            # room for the run control's vertical scroll bar: a short window scrolls it
            bar = self.style().pixelMetric(QtWidgets.QStyle.PM_ScrollBarExtent)
            run = max(self.run_panel.minimumSizeHint().width() + bar, int(widths[1] * spare / sum(widths)))
            widths = [max(self.experiment_panel.minimumSizeHint().width(), spare - run), run]
        self.resizeDocks([d["Experiment"], d["Run control"]], widths, Qt.Horizontal)
        self.resizeDocks([d["Run control"], d["Instruments"]], [440, 300], Qt.Vertical)
        self.resizeDocks([d["Log"]], [min(210, max(120, self.height() - 640))], Qt.Vertical)  # 160 px at 800

    # --- construction helpers -------------------------------------------------------------------
    def _dock(self, title: str, widget: QtWidgets.QWidget, area: Qt.DockWidgetArea) -> None:
        dock = QtWidgets.QDockWidget(title, self)
        dock.setObjectName("dock_" + title.lower().replace(" ", "_"))
        # a panel taller (or wider) than its place in a small window scrolls there instead of
        # setting the window's minimum size (1280x800 must fit)
        dock.setWidget(ScrollPanel(widget))
        self.addDockWidget(area, dock)
        self.docks[title] = dock

    def _wire(self) -> None:
        c, ep = self.controller, self.experiment_panel
        ep.changed.connect(lambda exp: self.run_panel.set_form_valid(exp is not None))
        ep.changed.connect(self.sequence.set_experiment)
        c.run_started.connect(self._on_run_started)
        c.points.connect(self.plot.add_rows)
        c.points.connect(self.instruments.on_points)
        c.note.connect(lambda text: self.log.engine(text, "ERROR" if "Traceback" in text else "INFO"))
        c.state_changed.connect(self._on_state)
        c.run_ended.connect(self._on_run_ended)
        c.run_finished.connect(self._on_run_finished)
        self.plot.exported.connect(lambda p: self.log.gui(f"plot exported to {p}"))
        self.browser.loaded.connect(lambda p: self.log.gui(f"opened {p}"))
        self.browser.loaded.connect(lambda _: self.centre.setCurrentWidget(self.browser))
        c.run_started.connect(lambda _: self.centre.setCurrentWidget(self.plot))
        c.run_started.connect(lambda info: self.peaks.set_frequency(info.experiment.values.get("frequency")))

    def _menus(self) -> None:
        bar = self.menuBar()
        m = bar.addMenu("&File")
        self._action(m, "Open run…", self.browser._open_dialog, "Ctrl+O")
        self._action(m, "Run folder…", self._choose_folder)
        self._action(m, "Export plot as PNG…", self.plot._export_dialog, "Ctrl+E")
        m.addSeparator()
        self._action(m, "Quit", self.close, "Ctrl+Q")
        m = bar.addMenu("&Run")
        self._action(m, "Start", self.run_panel.start, "F5")
        self._action(m, "Pause / resume", self.run_panel.toggle_pause, "F6")
        self._action(m, "Abort", self.controller.abort, "Esc")
        self._action(m, "Add to queue", self.run_panel.add_to_queue)
        m = bar.addMenu("&View")
        self._action(m, "Live plot", lambda: self.centre.setCurrentWidget(self.plot), "Ctrl+1")
        self._action(m, "Data browser", lambda: self.centre.setCurrentWidget(self.browser), "Ctrl+2")
        m.addSeparator()
        for dock in self.docks.values():
            m.addAction(dock.toggleViewAction())
        m.addSeparator()
        self.dark_action = self._action(m, "Dark theme", lambda: self.set_dark(self.dark_action.isChecked()))
        self.dark_action.setCheckable(True)
        self.dark_action.setChecked(theme.current().dark)
        self._action(m, "Reset layout", self.reset_layout)

    def _action(self, menu: QtWidgets.QMenu, text: str, slot: Callable[..., Any], shortcut: str = "") -> QtGui.QAction:
        act = QtGui.QAction(text, self)
        if shortcut:
            act.setShortcut(QtGui.QKeySequence(shortcut))
        act.triggered.connect(lambda *_: slot())
        menu.addAction(act)
        return act

    def _choose_folder(self) -> None:
        name = QtWidgets.QFileDialog.getExistingDirectory(self, "Folder for run files", str(self.controller.out_dir))
        if name:
            self.set_out_dir(name)

    def set_out_dir(self, folder: str | Path) -> None:
        self.controller.out_dir = Path(folder)
        self.browser.set_folder(folder)
        self.settings.setValue("run/out_dir", str(folder))

    # --- lab connection -------------------------------------------------------------------------
    def disconnect_lab(self) -> None:
        if self.controller.busy or self.lab is None:
            self.log.gui("cannot disconnect while a run is in progress", "WARNING")
            return
        self.poller.stop()
        self.lab.close()
        self.lab = None
        self.controller.set_lab(None)
        self.experiment_panel.set_lab(None)
        self.instruments.set_lab(None, None)
        self.log.watch_world(None)
        self.run_panel.set_form_valid(False)
        self._update_title()
        self.log.gui("lab disconnected")

    def connect_lab(self) -> None:
        if self.controller.busy:
            return
        if self.lab is not None:
            self.disconnect_lab()
        try:
            lab = self.lab_factory()
        except Exception as exc:  # shown, never raised into Qt
            self.log.gui(f"cannot connect: {exc}", "ERROR")
            self.instruments.set_lab(None, None)
            return
        self.lab = lab
        self.controller.set_lab(lab)
        self.poller = InstrumentPoller(lab, self.io_lock, self.poll_period)
        self.instruments.set_lab(lab, self.poller)
        self.experiment_panel.set_lab(lab)
        self.log.watch_world(getattr(lab, "world", None))
        self.run_panel.set_simulated(getattr(lab, "world", None) is not None)
        self.poller.start()
        self._update_title()
        self.log.gui(f"connected to {lab.name}")

    def _update_title(self) -> None:
        name = self.lab.name if self.lab is not None else "no lab"
        sim = " (simulated)" if self.lab is not None and getattr(self.lab, "world", None) is not None else ""
        self.status_lab.setText(f"lab: {name}{sim} · runs: {self.controller.out_dir}")

    # --- run events -----------------------------------------------------------------------------
    def _on_run_started(self, info: Any) -> None:
        self.poller.suspended.set()
        self.instruments.set_run_active(True)
        self.plot.configure(info.experiment)
        self.log.engine(f"run started: {info.experiment.name} -> {info.path}")
        self.statusBar().showMessage(f"running {info.experiment.title} -> {info.path}")

    def _on_state(self, state: str) -> None:
        self.log.engine(f"state: {state}")
        if state in ("starting", "running"):
            self.poller.suspended.set()

    def _on_run_ended(self, info: Any) -> None:
        self.plot.refresh()
        if info.results:
            self.plot.show_results(info.results)
        text = f"run {info.status}: {info.points} points" + (f" ({info.error})" if info.error else "")
        self.log.engine(text, "INFO" if info.status == "completed" else "WARNING")
        for err in info.safe_state_errors:
            self.log.engine(f"safe state: {err}", "ERROR")

    def _on_run_finished(self, outcome: Any, error: str) -> None:
        self.instruments.set_run_active(False)
        self.poller.suspended.clear()
        self.poller.request_snapshot()
        if outcome is not None:
            self.log.gui(f"run file written: {outcome.path}" + (f"; plot {outcome.png}" if outcome.png else ""))
            self.statusBar().showMessage(f"{outcome.info.status}: {outcome.path}", 15000)
            self.browser.refresh()
        if error:
            self.log.engine(error, "ERROR")
        if self._close_when_idle:
            self._close_when_idle = False
            self._closing_ticker.stop()
            problems = self.safe_state_problems()
            for problem in problems:
                self.log.engine(f"safe state not confirmed: {problem}", "ERROR")
            if not problems:
                self.log.engine("lab confirmed safe: field setpoint 0 T, ramp finished, RF off; closing")
                self.close()
            elif self.ask("The lab did NOT confirm its safe state:\n" + "\n".join(problems)
                          + "\n\nClose the window anyway?"):
                self.close()

    # --- closing ---------------------------------------------------------------------------------
    def ask(self, question: str) -> bool:
        """Ask the user (a seam for tests)."""
        answer = QtWidgets.QMessageBox.question(self, "spinbench", question,
                                                QtWidgets.QMessageBox.Yes | QtWidgets.QMessageBox.No,
                                                QtWidgets.QMessageBox.No)
        return answer == QtWidgets.QMessageBox.Yes

    def safe_state_problems(self) -> list[str]:
        """Read back what Abort promises (field setpoint 0 and its ramp finished, RF off); one
        line per thing not confirmed. A role that does not answer is a problem, not a pass."""
        lab = self.lab
        if lab is None:
            return []
        problems: list[str] = []
        with self.io_lock:
            field, rf = lab.instruments.get("field"), lab.instruments.get("rf")
            if field is not None:
                try:
                    if field.setpoint != 0.0 or field.is_ramping():
                        problems.append(f"field: supply reads {field.field * 1e3:.4g} mT, setpoint "
                                        f"{field.setpoint * 1e3:.4g} mT (not at 0 T)")
                except Exception as exc:
                    problems.append(f"field: no answer ({exc})")
            if rf is not None:
                try:
                    if rf.output:
                        problems.append("rf: output still on")
                except Exception as exc:
                    problems.append(f"rf: no answer ({exc})")
        return problems

    def _show_closing(self) -> None:
        self.statusBar().showMessage("Closing when the lab is safe: " + self.run_panel.safe_state_countdown())

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:  # noqa: N802 - Qt's name
        if self.controller.busy:
            if self._close_when_idle or self.ask("A run is in progress. Abort it (the lab is driven to its "
                                                 "safe state) and close?"):
                self._close_when_idle = True
                self.controller.abort()
                self._show_closing()
                self._closing_ticker.start()
            event.ignore()
            return
        self.save_settings()
        self.poller.stop()
        self.log.close_handlers()
        if self.lab is not None:
            self.lab.close()
        self._closed = True
        self.collector.stop()
        event.accept()

    def save_settings(self) -> None:
        s = self.settings
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState())
        s.setValue("browser/split", self.browser.split_state())
        s.setValue("run/speed", self.controller.speed)
        s.setValue("run/out_dir", str(self.controller.out_dir))
        s.sync()
