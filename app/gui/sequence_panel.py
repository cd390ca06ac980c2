"""Sequence panel: the timing diagram of the current experiment's pulse sequence, redrawn as
its parameters change.

The diagram is drawn by the pulse-sequence package's own matplotlib renderer,
``sequences.pulse.render.render_timing`` (the one behind ``spinbench sequence show``), off the GUI
thread into a PNG that the panel shows. The sequence is the selected experiment's
``sequence()``, resolved with the values of its first point (``sequence_values(x0)``), so editing
a pulse length or ``tau_start`` in the form redraws it. When ``sequences.pulse`` is missing, or
the experiment has no pulse sequence (cw experiments), the panel says so instead of drawing.
"""
from __future__ import annotations

import importlib
import inspect
import io
import tempfile
from pathlib import Path
from typing import Any, Callable

from app.gui._qt import QtCore, QtGui, QtWidgets, QTimer
from app.gui.bridge import Task

RENDERER_MODULES = ("sequences.pulse", "sequences.pulse.plot", "sequences.pulse.plotting",
                    "sequences.pulse.diagram", "sequences.pulse.render", "sequences.pulse.timing")
RENDERER_WORDS = ("timing_diagram", "plot_timing", "plot_sequence", "render_timing", "draw_timing",
                  "timing", "diagram", "render", "plot")


def find_renderer() -> tuple[Callable[..., Any] | None, str]:
    """(renderer, why-not text). The renderer draws a sequence with matplotlib."""
    try:
        importlib.import_module("sequences.pulse")
    except ImportError as exc:
        return None, ("Pulse sequences are not installed yet (sequences/pulse: the pulse-sequence issue). "
                      f"The timing diagram appears here once it lands. ({exc})")
    try:
        from sequences.pulse.render import render_timing
        return render_timing, ""
    except ImportError:
        pass
    for word in RENDERER_WORDS:
        for name in RENDERER_MODULES:
            try:
                mod = importlib.import_module(name)
            except ImportError:
                continue
            fn = getattr(mod, word, None)
            if callable(fn) and not inspect.isclass(fn):
                return fn, ""
    return None, "sequences.pulse is installed but has no timing-diagram renderer the panel recognises."


def sequence_of(experiment: Any) -> tuple[Any, dict[str, float] | None]:
    """(sequence, values of the first point) of an experiment, or (None, None)."""
    for name in ("sequence", "pulse_sequence"):
        fn = getattr(experiment, name, None)
        if callable(fn):
            values = None
            if callable(getattr(experiment, "sequence_values", None)):
                xs = experiment.sweep_values() if callable(getattr(experiment, "sweep_values", None)) else [float("nan")]
                values = experiment.sequence_values(float(xs[0]))
            return fn(), values
    return None, None


def render_png(renderer: Callable[..., Any], sequence: Any, values: dict[str, float] | None = None,
               title: str | None = None) -> bytes:
    """Draw with the package's renderer into PNG bytes (matplotlib Agg, safe in a worker)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    params = inspect.signature(renderer).parameters
    if "values" in params and "path" in params:  # render_timing(seq, *, values, title, ...) -> Figure
        kwargs: dict[str, Any] = {"values": values}
        if "title" in params and title:
            kwargs["title"] = title
        fig = renderer(sequence, **kwargs)
        FigureCanvasAgg(fig)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=90)
        return buf.getvalue()
    if "ax" in params or "axes" in params:
        fig = Figure(figsize=(9, 3.2), dpi=100)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot(111)
        result = renderer(sequence, **{("ax" if "ax" in params else "axes"): ax})
        fig = getattr(result, "figure", None) or fig
        buf = io.BytesIO()
        fig.savefig(buf, format="png", bbox_inches="tight")
        return buf.getvalue()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sequence.png"
        result = renderer(sequence, path)
        if hasattr(result, "savefig"):
            result.savefig(path)
        return path.read_bytes()


class SequencePanel(QtWidgets.QWidget):
    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.renderer, self.unavailable = find_renderer()
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
        self.message.setText(self.unavailable or "Choose a pulsed experiment to see its timing diagram.")

    def set_experiment(self, experiment: Any) -> None:
        """Called when the form changes (None while it is invalid); redraws shortly after."""
        if experiment is None:
            return  # keep the last valid diagram while the user is typing
        self.experiment = experiment
        self.debounce.start()

    def redraw(self) -> None:
        if self.renderer is None:
            self.message.setText(self.unavailable)
            return
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
        gen, renderer = self._generation, self.renderer
        title = f"{getattr(self.experiment, 'title', '')} — first point"
        self.message.setText("drawing…")
        self._task = Task(lambda: render_png(renderer, sequence, values, title), lambda r, e: self._show(gen, r, e),
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
