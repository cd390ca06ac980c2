"""Run-control panel: start, pause/resume, abort, progress with time left, the run queue, the
current run's file, and (on a simulated lab) the simulation speed."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Callable

from app.engine import not_safe_warning
from app.gui._qt import QtCore, QtWidgets, QTimer
from app.gui.queue_loops import QueueLoops
from app.gui.run_notes import RunNotes
from app.storage import write_notes
from app.gui.queue_series import check_entries
from app.gui.run_controller import RunController
from app.gui.theme import error_style
from sequences.experiment import Experiment, ParameterError
from units.durations import format_duration

STATE_TEXT = {"idle": "idle", "starting": "starting…", "running": "running", "pausing": "pausing at the next safe point…",
              "paused": "paused", "aborting": "aborting: driving the lab to its safe state…",
              "completed": "completed", "aborted": "aborted (lab in safe state)", "failed": "failed (lab in safe state)"}


class RunControlPanel(QtWidgets.QWidget):
    """Buttons and read-outs over a :class:`RunController`. ``experiment_source`` returns the
    experiment the form describes (raising ParameterError when it is invalid)."""

    def __init__(self, controller: RunController, experiment_source: Callable[[], Experiment],
                 parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.experiment_source = experiment_source
        self.setFocusPolicy(QtCore.Qt.ClickFocus)  # holds the focus Start gives up (see _on_state)
        self.form_valid = True
        c = controller
        self.start_button = QtWidgets.QPushButton("Start")
        self.start_button.setObjectName("start")
        self.pause_button = QtWidgets.QPushButton("Pause")
        self.pause_button.setObjectName("pause")
        self.abort_button = QtWidgets.QPushButton("Abort")
        self.abort_button.setObjectName("abort")
        self.abort_button.setStyleSheet("QPushButton:enabled { color: white; background: #c62828; font-weight: bold; }")
        self.start_button.clicked.connect(self.start)
        self.pause_button.clicked.connect(self.toggle_pause)
        self.abort_button.clicked.connect(c.abort)
        buttons = QtWidgets.QHBoxLayout()
        for b in (self.start_button, self.pause_button, self.abort_button):
            buttons.addWidget(b)
        self.state_label = QtWidgets.QLabel("idle")
        self.state_label.setObjectName("run_state")
        self.progress = QtWidgets.QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setFormat("%p%")
        self.time_left = QtWidgets.QLabel("")
        self.time_left.setObjectName("time_left")
        self.path_label = QtWidgets.QLabel("no run yet")
        self.path_label.setObjectName("run_path")
        self.path_label.setTextInteractionFlags(QtCore.Qt.TextSelectableByMouse)
        # folder, file and plot on lines of their own (a word-wrapped label in a form row is
        # given one line's height and cut off); the full paths are in the tooltip
        self.path_label.setSizePolicy(QtWidgets.QSizePolicy.Ignored, QtWidgets.QSizePolicy.Preferred)
        self.message = QtWidgets.QLabel("")
        self.message.setObjectName("run_message")
        self.message.setWordWrap(True)
        self.message.setStyleSheet(error_style())
        self.speed = QtWidgets.QDoubleSpinBox()
        self.speed.setObjectName("speed")
        self.speed.setRange(0.0, 1000.0)
        self.speed.setDecimals(1)
        self.speed.setSpecialValueText("as fast as possible")
        self.speed.setSuffix(" × real time")
        self.speed.setValue(c.speed)
        self.speed.setToolTip("Simulated lab only: how fast simulated time runs against the wall clock")
        self.speed.valueChanged.connect(c.set_speed)
        form = QtWidgets.QFormLayout()
        form.addRow("State", self.state_label)
        form.addRow("Progress", self.progress)
        form.addRow("Time left", self.time_left)
        form.addRow("File", self.path_label)
        self.speed_row_label = QtWidgets.QLabel("Sim speed")
        form.addRow(self.speed_row_label, self.speed)
        # queue
        self.queue_list = QtWidgets.QListWidget()
        self.queue_list.setObjectName("queue")
        self.queue_list.setMaximumHeight(110)
        self.add_button = QtWidgets.QPushButton("Add to queue")
        self.remove_button = QtWidgets.QPushButton("Remove")
        self.run_queue_button = QtWidgets.QPushButton("Run queue")
        self.add_button.clicked.connect(self.add_to_queue)
        self.remove_button.clicked.connect(self._remove_selected)
        self.run_queue_button.clicked.connect(c.run_queue)
        self.loops = QueueLoops(experiment_source)
        # notes and sample, written into every run's file when it ends (storage.write_notes)
        self.notes_toggle = QtWidgets.QToolButton()
        self.notes_toggle.setText("Notes and sample (saved with each run)")
        self.notes_toggle.setToolButtonStyle(QtCore.Qt.ToolButtonTextBesideIcon)
        self.notes_toggle.setCheckable(True)
        self.notes_toggle.setArrowType(QtCore.Qt.RightArrow)
        self.notes = RunNotes()
        self.notes.hide()
        self.notes_toggle.toggled.connect(self._show_notes)
        qbuttons = QtWidgets.QHBoxLayout()
        for b in (self.add_button, self.remove_button, self.run_queue_button):
            qbuttons.addWidget(b)
        lay = QtWidgets.QVBoxLayout(self)
        lay.addLayout(buttons)
        lay.addLayout(form)
        lay.addWidget(self.message)
        lay.addWidget(self.notes_toggle)
        lay.addWidget(self.notes)
        lay.addWidget(QtWidgets.QLabel("Queue (runs one after another; an abort stops the queue)"))
        lay.addWidget(self.queue_list)
        lay.addWidget(self.loops)
        lay.addLayout(qbuttons)
        lay.addStretch(1)
        c.state_changed.connect(self._on_state)
        c.run_started.connect(self._on_started)
        c.run_finished.connect(self._on_finished)
        c.queue_changed.connect(self._refresh_queue)
        self.ticker = QTimer(self)
        self.ticker.setInterval(250)
        self.ticker.timeout.connect(self._tick)
        self.ticker.start()
        self.set_simulated(getattr(c.lab, "world", None) is not None)
        self._on_state(c.state)

    # --- actions ----------------------------------------------------------------------------------
    def start(self) -> bool:
        """Start the experiment in the form; an invalid form or lab limit starts nothing."""
        self.message.setText("")
        self.message.setStyleSheet(error_style())
        try:
            self.controller.start(self.experiment_source())
        except (ParameterError, ValueError, RuntimeError) as exc:
            problems = getattr(exc, "problems", [str(exc)])
            self.message.setText("Not started: " + "; ".join(problems))
            return False
        return True

    def toggle_pause(self) -> None:
        if self.controller.state in ("paused", "pausing"):
            self.controller.resume()
        else:
            self.controller.pause()

    def add_to_queue(self) -> None:
        """Queue the form's run: once, or repeated and/or stepped through a series (``loops``)."""
        self.message.setText("")
        try:
            items = self.loops.entries()
            check_entries(items, self.controller.lab)
            self.controller.queue += items
            self.controller.queue_changed.emit()
        except (ParameterError, ValueError) as exc:
            self.message.setText("Not queued: " + "; ".join(getattr(exc, "problems", [str(exc)])))

    def _remove_selected(self) -> None:
        row = self.queue_list.currentRow()
        if 0 <= row < len(self.controller.queue):
            self.controller.remove(row)

    def set_form_valid(self, valid: bool) -> None:
        self.form_valid = valid
        self._on_state(self.controller.state)

    def set_simulated(self, simulated: bool) -> None:
        self.speed.setVisible(simulated)
        self.speed_row_label.setVisible(simulated)

    # --- updates ----------------------------------------------------------------------------------
    def _on_state(self, state: str) -> None:
        busy = self.controller.busy
        if busy and self.start_button.hasFocus():
            # Disabling the focused Start would hand focus to the next widget in the tab chain,
            # the simulation speed with its text selected, where a typed digit changes the speed.
            self.setFocus(QtCore.Qt.OtherFocusReason)
        self.state_label.setText(STATE_TEXT.get(state, state))
        self.start_button.setEnabled(not busy and self.form_valid)
        self.add_button.setEnabled(self.form_valid)
        self.run_queue_button.setEnabled(not busy and bool(self.controller.queue))
        self.pause_button.setEnabled(state in ("running", "paused", "pausing"))
        self.pause_button.setText("Resume" if state in ("paused", "pausing") else "Pause")
        self.abort_button.setEnabled(busy and state != "aborting")

    def _on_started(self, info: Any) -> None:
        self._show_path(info.path)
        self._tick()

    def _show_path(self, path: Any, png: Any = None) -> None:
        if not path:
            self.path_label.setText("(no file)")
            return
        p = Path(path)
        self.path_label.setText(f"{p.parent}/\n{p.name}" + (f"\nplot: {Path(png).name}" if png else ""))
        self.path_label.setToolTip(str(p) + (f"\n{png}" if png else ""))

    def _show_notes(self, shown: bool) -> None:
        self.notes.setVisible(shown)
        self.notes_toggle.setArrowType(QtCore.Qt.DownArrow if shown else QtCore.Qt.RightArrow)

    def _save_notes(self, outcome: Any) -> None:
        """Write the notes and sample into the file of the run that ended (closed by now)."""
        path = outcome.path if outcome is not None else self.controller.current_path
        if self.notes.is_empty() or path is None or not Path(path).exists():
            return
        try:
            write_notes(path, *self.notes.values())
        except (OSError, ValueError) as exc:
            self.message.setText(f"Notes not saved into {Path(path).name}: {exc}")

    def _on_finished(self, outcome: Any, error: str) -> None:
        self._save_notes(outcome)
        if outcome is not None:
            self._show_path(outcome.path, outcome.png)
            info = outcome.info
            if info.error:
                self.message.setText(info.error)
            if info.safe_state_errors:  # a red banner: the magnet may still be at field
                self.message.setText(not_safe_warning(info.safe_state_errors))
                self.message.setStyleSheet("background: #b00020; color: white; font-weight: bold; padding: 6px;")
        if error:
            self.message.setText(error)
        self._tick()
        self._on_state(self.controller.state)

    def safe_state_countdown(self) -> str:
        """What the safe state is still doing, e.g. ``ramping field to zero: 330 mT, 7 s left``."""
        lab = self.controller.lab
        step = lab.safe_state_progress() if lab is not None else ""
        return step or "stopping the plan…"

    def _refresh_queue(self) -> None:
        self.queue_list.clear()
        for item in self.controller.queue:
            self.queue_list.addItem(item.label)
        self._on_state(self.controller.state)

    def _tick(self) -> None:
        p = self.controller.progress
        self.progress.setValue(int(p.fraction * 1000))
        self.progress.setFormat(f"{p.done}/{p.total} points (%p%)" if p.total else "%p%")
        if self.controller.state == "aborting":
            self.time_left.setText(self.safe_state_countdown())
        elif self.controller.busy:
            left = p.time_left()
            self.time_left.setText(format_duration(left) if math.isfinite(left) else "estimating…")
        elif self.controller.state in ("completed", "aborted", "failed"):
            self.time_left.setText("—")
