"""Sequence panel: the timing diagram of the current experiment's pulse sequence, redrawn as
its parameters change.

The diagram is drawn by the pulse-sequence package's own matplotlib renderer,
``sequences.pulse.render.render_timing`` (the one behind ``spinbench sequence show``), off the GUI
thread into a PNG that the panel shows. The sequence is the selected pulsed experiment's
``sequence()``, resolved with the values of its first point (``sequence_values(x0)``), so editing
a pulse length or ``tau_start`` in the form redraws it. A continuous-wave experiment has no pulse
sequence: the panel says so instead of drawing.
"""
from __future__ import annotations

import io
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg

from app.gui._qt import QtCore, QtGui, QtWidgets, QTimer
from app.gui.bridge import Task
from sequences.experiment import Experiment
from sequences.experiments.pulsed_experiment import PulsedExperiment
from sequences.pulse import Sequence
from sequences.pulse.render import render_timing


def sequence_of(experiment: Experiment) -> tuple[Sequence | None, dict[str, float] | None]:
    """(sequence, values of its first point) of a pulsed experiment; (None, None) for cw ones."""
    if not isinstance(experiment, PulsedExperiment):
        return None, None
    return experiment.sequence(), experiment.sequence_values(float(experiment.sweep_values()[0]))


def render_png(sequence: Sequence, values: dict[str, float] | None = None, title: str | None = None) -> bytes:
    """The timing diagram as PNG bytes (matplotlib Agg, safe in a worker thread)."""
    fig = render_timing(sequence, values=values, title=title)
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    return buf.getvalue()


class SequencePanel(QtWidgets.QWidget):
    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.experiment: Any = None
        self.png: bytes | None = None
        self._generation = 0
        self.message = QtWidgets.QLabel()
        self.message.setObjectName("sequence_message")
        self.message.setWordWrap(True)
        self.message.setAlignment(QtCore.Qt.AlignCenter)
        self.picture = QtWidgets.QLabel()
        self.picture.setAlignment(QtCore.Qt.AlignCenter)
        scroll = QtWidgets.QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.picture)
        lay = QtWidgets.QVBoxLayout(self)
        lay.addWidget(self.message)
        lay.addWidget(scroll, 1)
        self.debounce = QTimer(self)
        self.debounce.setSingleShot(True)
        self.debounce.setInterval(250)
        self.debounce.timeout.connect(self.redraw)
        self.message.setText("Choose a pulsed experiment to see its timing diagram.")

    def set_experiment(self, experiment: Any) -> None:
        """Called when the form changes (None while it is invalid); redraws shortly after."""
        if experiment is None:
            return  # keep the last valid diagram while the user is typing
        self.experiment = experiment
        self.debounce.start()

    def redraw(self) -> None:
        try:
            sequence, values = sequence_of(self.experiment)
        except Exception as exc:
            self.message.setText(f"Cannot build the sequence: {type(exc).__name__}: {exc}")
            return
        if sequence is None:
            name = getattr(self.experiment, "title", "") or getattr(self.experiment, "name", "this experiment")
            self.message.setText(f"{name} has no pulse sequence (a continuous-wave experiment).")
            self.picture.clear()
            return
        self._generation += 1
        gen = self._generation
        title = f"{getattr(self.experiment, 'title', '')} — first point"
        self.message.setText("drawing…")
        self._task = Task(lambda: render_png(sequence, values, title), lambda r, e: self._show(gen, r, e),
                          name="sequence-diagram", owner=self)

    def _show(self, gen: int, png: Any, error: str) -> None:
        if gen != self._generation:
            return
        if error:
            self.message.setText(f"Timing diagram failed: {error}")
            return
        self.png = png
        pix = QtGui.QPixmap()
        pix.loadFromData(png, "PNG")
        self.picture.setPixmap(pix)
        self.message.setText(getattr(self.experiment, "title", ""))
