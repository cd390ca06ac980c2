"""Sequence panel: the selected pulsed experiment's shot as an interactive timing diagram.

One row per channel (``rf``, the receiver or counter gate ``adc``, TTL markers such as ``laser``
and the trigger), each pulse a box on a true time axis in seconds (pyqtgraph: wheel/drag zoom,
right-click to reset). Hovering over a box reads out its channel, start, length and phase. The
sequence is the experiment's ``sequence()`` placed on the default target clock with the values
of its first point (``sequence_values(x0)``), so editing a pulse length or ``tau_start`` in the
form redraws it. Loops are drawn for their first two passes with an "x N" label, as
``spinbench sequence show`` draws them (``sequences.pulse.render``). A continuous-wave experiment
has no pulse sequence: the panel says so instead of drawing.

Shaped RF pulses (an event's ``shape``, ``sequences.pulse.shapes``: Gaussian, sinc, hyperbolic
secant, chirp) and pulses below full scale are drawn as their envelope |B1(t)| x amplitude
from the same model the compilers sample, filled from the row's base line; a phase-modulated
one (sech, chirp) adds Re B1(t) as a line. :meth:`SequencePanel.show_sequence` draws a sequence
that no experiment holds (a library sequence, a designed pulse).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyqtgraph as pg

from app.gui import theme
from app.gui._qt import QtCore, QtWidgets, QTimer
from sequences.experiment import Experiment
from sequences.pulse import Sequence
from sequences.pulse.constraints import Constraints
from sequences.pulse.errors import format_seconds
from sequences.pulse.expr import phase_name
from sequences.pulse.model import ADC, RF
from sequences.pulse.render import PHASE_COLOURS, _unroll_shown
from sequences.pulse.shapes import parse_shape
from sequences.pulse.timeline import TimedEvent, resolve

#: Loop passes drawn (the rest are summarised by the "x N" label), as the PNG renderer does.
LOOP_PASSES = 2
#: Points along a shaped pulse's drawn envelope.
ENVELOPE_SAMPLES = 241
#: Height of a full-scale pulse in its row (rows are 1 apart).
BOX = 0.7


def sequence_of(experiment: Experiment) -> tuple[Sequence | None, dict[str, float] | None]:
    """(sequence, values of its first point) of a pulsed experiment; (None, None) for cw ones."""
    if not callable(getattr(experiment, "sequence_values", None)):  # PulsedExperiment, NvPulsedExperiment
        return None, None
    return experiment.sequence(), experiment.sequence_values(float(experiment.sweep_values()[0]))


@dataclass(frozen=True)
class Pulse:
    """One box of the diagram, in seconds from the start of the shot."""

    channel: str
    start: float
    length: float
    phase: float | None  # RF only
    name: str = ""
    amplitude: float = 1.0  # peak, relative to full scale (RF)
    shape: str = ""  # envelope spec (sequences.pulse.shapes); "" = rectangular

    def describe(self, label: str) -> str:
        text = f"{label}: start {format_seconds(self.start)}, length {format_seconds(self.length)}"
        if self.phase is not None:
            text += f", phase {phase_name(self.phase)}"
        if self.shape:
            text += f", shape {self.shape}"
        if self.phase is not None and self.amplitude != 1.0:
            text += f", peak amplitude {self.amplitude:.3g}"
        return text + (f" ({self.name})" if self.name else "")

    def envelope(self, samples: int = ENVELOPE_SAMPLES) -> tuple[np.ndarray, np.ndarray] | None:
        """(times in s, complex envelope x amplitude) of a shaped or scaled RF pulse; None for
        a full-scale hard pulse (a box)."""
        if self.phase is None or (not self.shape and self.amplitude == 1.0):
            return None
        u = np.linspace(0.0, 1.0, samples)
        env = parse_shape(self.shape).at(u, self.length) * self.amplitude
        return self.start + u * self.length, env


@dataclass(frozen=True)
class Diagram:
    """A shot laid out for drawing: pulses, channel rows top to bottom, loops, total length (s)."""

    pulses: tuple[Pulse, ...]
    channels: tuple[str, ...]
    loops: tuple[tuple[float, float, int], ...]  # (start, end of the drawn passes, count)
    total: float

    def row(self, channel: str) -> int:
        return len(self.channels) - 1 - self.channels.index(channel)

    def label(self, channel: str) -> str:
        if channel == ADC:
            return "counter gate" if "laser" in self.channels else "receiver (adc)"
        return channel

    def pulse_at(self, t: float, row: float) -> Pulse | None:
        """The pulse under time ``t`` (s) in diagram row ``row`` (rows are 1 high, centred)."""
        for p in self.pulses:
            if abs(row - self.row(p.channel)) <= 0.45 and p.start <= t <= p.start + p.length:
                return p
        return None


def layout(sequence: Sequence, values: dict[str, float] | None, step: int = 0) -> Diagram:
    """Phase-cycle step ``step`` of ``sequence`` on the default target clock, loops drawn for
    their first :data:`LOOP_PASSES` passes."""
    resolved = resolve(sequence, Constraints().clock_hz, values)
    shot = resolved.shots[step]
    events: list[TimedEvent] = []
    brackets: list[tuple[int, int, int, int]] = []
    cut = _unroll_shown(shot.nodes, -shot.start, LOOP_PASSES, events, brackets)
    tick = 1.0 / float(resolved.clock_hz)
    pulses = tuple(Pulse(e.channel, e.start * tick, (e.stop - e.start) * tick,
                         e.phase if e.channel == RF else None, e.name,
                         e.amplitude if e.channel == RF else 1.0, e.shape if e.channel == RF else "")
                   for e in events if e.stop > e.start)
    present = {p.channel for p in pulses}
    channels = (RF, ADC) + tuple(sorted(present - {RF, ADC}))
    loops = tuple((a * tick, b * tick, n) for a, b, n, _ in brackets)
    return Diagram(pulses, channels, loops, (shot.stop - shot.start - cut) * tick)


class SequencePanel(QtWidgets.QWidget):
    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.experiment: Any = None
        self._shown: tuple[Sequence, dict[str, float] | None, str] | None = None
        self.diagram: Diagram | None = None
        self.message = QtWidgets.QLabel()
        self.message.setObjectName("sequence_message")
        self.message.setWordWrap(True)
        self.message.setAlignment(QtCore.Qt.AlignCenter)
        self.readout = QtWidgets.QLabel(" ")
        self.readout.setObjectName("sequence_readout")
        self.plot = pg.PlotWidget()
        self.plot.setMinimumHeight(140)
        item = self.plot.getPlotItem()
        item.setLabel("bottom", "time", units="s")
        item.hideButtons()
        item.setMouseEnabled(x=True, y=False)
        item.showGrid(x=True, y=False, alpha=0.3)
        self.plot.scene().sigMouseMoved.connect(self._hover)
        lay = QtWidgets.QVBoxLayout(self)
        lay.addWidget(self.message)
        lay.addWidget(self.plot, 1)
        lay.addWidget(self.readout)
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
        self._shown = None
        self.debounce.start()

    def show_sequence(self, sequence: Sequence, values: dict[str, float] | None = None, title: str = "") -> None:
        """Draw a sequence no experiment in the form holds (a library sequence, a designed
        shaped pulse); the next change of the form's experiment replaces it."""
        self._shown = (sequence, values, title)
        self.redraw()

    def redraw(self) -> None:
        try:
            if self._shown is not None:
                sequence, values, title = self._shown
            else:
                sequence, values = sequence_of(self.experiment)
                title = getattr(self.experiment, "title", "")
            diagram = layout(sequence, values) if sequence is not None else None
        except Exception as exc:
            self.message.setText(f"Cannot build the sequence: {type(exc).__name__}: {exc}")
            return
        self.plot.clear()
        self.diagram = diagram
        if diagram is None:
            name = getattr(self.experiment, "title", "") or getattr(self.experiment, "name", "this experiment")
            self.message.setText(f"{name} has no pulse sequence (a continuous-wave experiment).")
            return
        shaped = " (shaped pulses: their envelope |B1|)" if any(p.envelope() is not None for p in diagram.pulses) else ""
        where = ", first point" if self._shown is None else ""
        name = sequence.name if title in ("", sequence.name) else f"{title}: {sequence.name}"
        self.message.setText(f"{name}{where}{shaped} (wheel to zoom, hover a pulse for its timing)")
        self._draw(diagram)

    def apply_theme(self, new: Any) -> None:
        if self.diagram is not None:
            self.redraw()

    def _draw(self, d: Diagram) -> None:
        item = self.plot.getPlotItem()
        for p in d.pulses:
            y = d.row(p.channel)
            colour = PHASE_COLOURS.get(round(p.phase % 360.0, 6), "#444444") if p.phase is not None else "#7f7f7f"
            shaped = p.envelope()
            if shaped is None:
                box = QtWidgets.QGraphicsRectItem(p.start, y - BOX / 2, p.length, BOX)
                box.setPen(pg.mkPen(colour, width=1, cosmetic=True))
                box.setBrush(pg.mkBrush(colour))
                item.addItem(box)
                continue
            self._draw_envelope(item, p, shaped, y, colour)
        for start, end, count in d.loops:
            label = pg.TextItem(f"× {count}", anchor=(0.5, 1.0), color=theme.current().muted)
            label.setPos((start + end) / 2, len(d.channels) - 0.5)
            item.addItem(label)
            item.addItem(pg.PlotDataItem([start, start, end, end], [len(d.channels) - 0.55, len(d.channels) - 0.5,
                                                                   len(d.channels) - 0.5, len(d.channels) - 0.55],
                                         pen=pg.mkPen(theme.current().muted)))
        axis = item.getAxis("left")
        axis.setTicks([[(d.row(ch), d.label(ch)) for ch in d.channels]])
        busy_end = max((p.start + p.length for p in d.pulses), default=d.total)
        item.setLimits(xMin=-0.05 * d.total, xMax=1.05 * d.total)
        item.setYRange(-0.6, len(d.channels) + 0.1, padding=0)
        # the pulses fill the view; the repetition delay after them is one zoom-out away
        item.setXRange(-0.02 * busy_end, 1.05 * busy_end, padding=0)

    @staticmethod
    def _draw_envelope(item: pg.PlotItem, p: Pulse, shaped: tuple[np.ndarray, np.ndarray], y: float,
                       colour: str) -> None:
        """|B1(t)| filled from the row's base line, full scale = the box height; a phase- or
        frequency-modulated pulse (sech, chirp) also shows Re B1(t) as a line about the middle
        of its row, which makes the sweep visible."""
        t, env = shaped
        base = y - BOX / 2
        outline = pg.PlotDataItem(t, base + BOX * np.abs(env), pen=pg.mkPen(colour, width=1))
        floor = pg.PlotDataItem(t, np.full_like(t, base), pen=pg.mkPen(None))
        fill = pg.FillBetweenItem(outline, floor, brush=pg.mkBrush(pg.mkColor(colour).lighter(130)))
        item.addItem(fill)
        item.addItem(outline)
        item.addItem(floor)
        strong = np.abs(env) > 1e-3 * max(p.amplitude, 1e-12)
        if strong.any() and np.ptp(np.unwrap(np.angle(env[strong]))) > 1e-6:
            real = pg.PlotDataItem(t, base + BOX / 2 + BOX / 2 * env.real, pen=pg.mkPen(theme.current().foreground, width=1))
            item.addItem(real)

    def _hover(self, pos: QtCore.QPointF) -> None:
        if self.diagram is None:
            return
        vb = self.plot.getPlotItem().vb
        if not vb.sceneBoundingRect().contains(pos):
            return
        point = vb.mapSceneToView(pos)
        pulse = self.diagram.pulse_at(point.x(), point.y())
        self.readout.setText(pulse.describe(self.diagram.label(pulse.channel)) if pulse else
                             f"t = {format_seconds(max(point.x(), 0.0))}")
