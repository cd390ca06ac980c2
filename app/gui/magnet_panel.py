"""Magnet designer: Halbach ring-stack parameters -> field map, homogeneity over a DSV, B0,
Larmor frequencies, magnet count and mass, and temperature drift. The numbers are
``magnets.report.design_report`` (the same report ``spinbench halbach`` prints); the panel adds
only the field map.

The field is computed in a background task (the dipole engine takes milliseconds, the exact
magpylib engine can take seconds), so typing never freezes the window; a newer request
supersedes an older one still running.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.gui import theme
from app.gui._qt import QtCore, QtGui, QtWidgets, QTimer, pg
from app.gui.bridge import Task
from magnets.design import Cuboid, HalbachDesign, Ring, stack
from magnets.field import field as b_field
from magnets.materials import HOLDERS, MATERIALS
from magnets.report import DesignReport, design_report
from magnets.sampling import plane


@dataclass
class MagnetInputs:
    """SI values of the designer form."""

    n: int = 16
    edge: float = 12e-3
    radius: float = 45e-3
    rings: int = 2
    spacing: float = 20e-3
    material: str = "N42"
    holder: str = "aluminium"
    dsv: float = 10e-3
    half_width: float = 20e-3
    engine: str = "dipole"

    def design(self) -> HalbachDesign:
        ring = Ring(self.n, self.radius, Cuboid.cube(self.edge), self.material)
        rings = stack(ring, self.rings, self.spacing) if self.rings > 1 else [ring]
        design = HalbachDesign(rings, holder=self.holder, name="gui design")
        problems = design.overlap_problems()
        if problems:
            raise ValueError("; ".join(problems))
        return design


@dataclass
class MagnetView:
    """What the panel shows: the library's design report plus the field map of the xy plane."""

    report: DesignReport
    map_ppm: np.ndarray  # (n, n) deviation of |B| from B0 on the xy plane
    half_width: float  # m

    @property
    def b0(self) -> float:
        return self.report.b0


def compute(inputs: MagnetInputs, map_points: int = 41) -> MagnetView:
    """Everything the panel shows, for one set of inputs (runs in a worker thread)."""
    design = inputs.design()
    report = design_report(design, inputs.dsv, ("1H", "electron"), engine=inputs.engine, compare_dipole=False)
    pts, _, _ = plane("xy", inputs.half_width, map_points)
    mag = np.linalg.norm(b_field(pts, design, "dipole"), axis=1).reshape(map_points, map_points)
    return MagnetView(report, (mag - report.b0) / report.b0 * 1e6, inputs.half_width)


def nice_ceil(value: float) -> float:
    """The smallest 1, 2 or 5 x 10^k at or above ``value`` (a colour scale's round limit)."""
    if not value > 0 or not math.isfinite(value):
        return 1.0
    exp = math.floor(math.log10(value))
    for m in (1.0, 2.0, 5.0, 10.0):
        if m * 10.0**exp >= value * (1 - 1e-12):
            return m * 10.0**exp
    return 10.0 ** (exp + 1)


def colour_bar_ticks(span: float) -> list[list[tuple[float, str]]]:
    """Round ticks within +-span, labelled in ppm: pyqtgraph's own choice for a short bar can be
    a single "0"."""
    step = nice_ceil(span / 3)
    k = int(span // step)
    return [[(i * step, f"{i * step:g}") for i in range(-k, k + 1)]]


class MagnetPanel(QtWidgets.QWidget):
    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.report: MagnetView | None = None
        self.error = ""
        self._generation = 0
        lay = QtWidgets.QVBoxLayout(self)
        form = QtWidgets.QFormLayout()
        self.n = self._spin(form, "magnets per ring", 16, 2, 200, 0, "")
        self.edge = self._spin(form, "cube edge", 12.0, 1.0, 100.0, 2, "mm")
        self.radius = self._spin(form, "ring radius", 45.0, 2.0, 1000.0, 2, "mm")
        self.rings = self._spin(form, "rings", 2, 1, 20, 0, "")
        self.spacing = self._spin(form, "ring spacing", 20.0, 1.0, 500.0, 2, "mm")
        self.material = QtWidgets.QComboBox()
        self.material.addItems(sorted(MATERIALS))
        self.material.setCurrentText("N42")
        self.material.currentTextChanged.connect(lambda _: self.schedule())
        form.addRow("material", self.material)
        self.holder = QtWidgets.QComboBox()
        self.holder.addItems(sorted(HOLDERS))
        self.holder.setCurrentText("aluminium")
        self.holder.currentTextChanged.connect(lambda _: self.schedule())
        form.addRow("holder", self.holder)
        self.dsv = self._spin(form, "DSV diameter", 10.0, 0.1, 500.0, 2, "mm")
        self.half_width = self._spin(form, "map half-width", 20.0, 0.5, 500.0, 2, "mm")
        self.engine = QtWidgets.QComboBox()
        self.engine.addItems(["dipole", "exact"])
        self.engine.setToolTip("dipole: fast point-dipole sum; exact: magpylib cuboid fields (slower)")
        self.engine.currentTextChanged.connect(lambda _: self.schedule())
        form.addRow("field engine", self.engine)
        self.result = QtWidgets.QLabel("")
        self.result.setObjectName("magnet_result")
        self.result.setTextInteractionFlags(QtCore.Qt.TextSelectableByMouse)
        self.result.setAlignment(QtCore.Qt.AlignLeft | QtCore.Qt.AlignTop)
        # the report lines up its columns with spaces (as `spinbench halbach` prints it)
        self.result.setFont(QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.FixedFont))
        self.message = QtWidgets.QLabel("")
        self.message.setStyleSheet(theme.error_style())
        self.message.setWordWrap(True)
        self.graphics = pg.GraphicsLayoutWidget()
        self.map_plot = self.graphics.addPlot()
        # the axes span the map (set in _done), never more: no aspect lock, which would widen
        # one axis to the widget's shape (a +-20 mm map in a +-150 mm axis); the view is kept
        # about square instead (_fit_map_width)
        self.map_plot.setMouseEnabled(x=False, y=False)
        self.map_plot.hideButtons()
        self.map_plot.setLabel("bottom", "x", units="m")
        self.map_plot.setLabel("left", "y", units="m")
        self.image = pg.ImageItem()
        self.map_plot.addItem(self.image)
        self.bar = pg.ColorBarItem(colorMap="CET-D1", interactive=False, width=15)
        self.bar.setImageItem(self.image, insert_in=self.map_plot)
        self.bar.axis.setLabel("|B| − B0 (ppm)")
        self.bar.axis.enableAutoSIPrefix(False)  # ppm is already a scale: no "kppm"
        self.bar.axis.setWidth(88)  # room for "-200000" and the axis title beside it
        self.dsv_circle = pg.PlotCurveItem(pen=pg.mkPen(theme.current().foreground, width=1, style=QtCore.Qt.DashLine))
        self.map_plot.addItem(self.dsv_circle)
        left = QtWidgets.QWidget()
        left_lay = QtWidgets.QVBoxLayout(left)
        left_lay.addLayout(form)
        left_lay.addWidget(self.message)
        left_lay.addStretch(1)
        # the form scrolls down rather than making the dock tall, and is never narrower than
        # itself (no horizontal scroll bar)
        scroll = QtWidgets.QScrollArea()
        scroll.setObjectName("magnet_form")
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarAlwaysOff)
        scroll.setWidget(left)
        scroll.setMinimumHeight(120)
        scroll.setMinimumWidth(left.sizeHint().width() + scroll.verticalScrollBar().sizeHint().width()
                               + 2 * scroll.frameWidth())
        self.form_scroll = scroll
        report = QtWidgets.QScrollArea()
        report.setWidgetResizable(True)
        report.setWidget(self.result)
        report.setFrameShape(QtWidgets.QFrame.NoFrame)
        split = QtWidgets.QSplitter()
        split.addWidget(scroll)
        split.addWidget(report)
        map_box = QtWidgets.QWidget()  # the caption above the map (a plot title would widen it)
        map_lay = QtWidgets.QVBoxLayout(map_box)
        map_lay.setContentsMargins(0, 0, 0, 0)
        caption = QtWidgets.QLabel("|B| − B0 at z = 0 (dashed: the DSV)")
        caption.setAlignment(QtCore.Qt.AlignCenter)
        map_lay.addWidget(caption)
        map_lay.addWidget(self.graphics, 1)
        split.addWidget(map_box)
        split.setStretchFactor(1, 1)
        split.setChildrenCollapsible(False)
        lay.addWidget(split)
        self.debounce = QTimer(self)
        self.debounce.setSingleShot(True)
        self.debounce.setInterval(300)
        self.debounce.timeout.connect(self.compute)

    def _spin(self, form: QtWidgets.QFormLayout, label: str, value: float, lo: float, hi: float,
              decimals: int, suffix: str) -> QtWidgets.QAbstractSpinBox:
        box = QtWidgets.QSpinBox() if decimals == 0 else QtWidgets.QDoubleSpinBox()
        if decimals:
            box.setDecimals(decimals)
        box.setRange(lo, hi)
        box.setValue(value)
        if suffix:
            box.setSuffix(f" {suffix}")
        box.setObjectName("magnet_" + label.replace(" ", "_"))
        box.valueChanged.connect(lambda _: self.schedule())
        form.addRow(label, box)
        return box

    def inputs(self) -> MagnetInputs:
        mm = 1e-3
        return MagnetInputs(int(self.n.value()), self.edge.value() * mm, self.radius.value() * mm,
                            int(self.rings.value()), self.spacing.value() * mm, self.material.currentText(),
                            self.holder.currentText(), self.dsv.value() * mm, self.half_width.value() * mm,
                            self.engine.currentText())

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._fit_map_width()

    def _fit_map_width(self) -> None:
        """Keep the map's pixels about square: the view box as wide as it is tall, plus what the
        axis and the colour bar beside it take (measured from the laid-out items)."""
        vb = self.map_plot.vb.sceneBoundingRect()
        if vb.height() < 20:  # not laid out yet
            return
        beside = self.graphics.ci.geometry().width() - vb.width()  # axis, colour bar, margins
        self.graphics.setFixedWidth(max(240, int(round(beside + vb.height())) + 2))

    def schedule(self) -> None:
        self.debounce.start()

    def compute(self) -> None:
        """Start a computation for the current inputs (the result arrives later)."""
        self._generation += 1
        gen = self._generation
        inputs = self.inputs()
        self.message.setText("computing…")
        self.message.setStyleSheet(f"color: {theme.current().muted};")
        self._task = Task(lambda: compute(inputs), lambda r, e: self._done(gen, inputs, r, e), name="magnet-field", owner=self)

    def _done(self, gen: int, inputs: MagnetInputs, report: Any, error: str) -> None:
        if gen != self._generation:
            return  # a newer request is on its way
        self.error = error
        self.message.setStyleSheet(theme.error_style())
        self.message.setText(error)
        if report is None:
            return
        self.report = report
        self.result.setText(report.report.text())
        hw = report.half_width
        img = report.map_ppm
        finite = img[np.isfinite(img)]
        span = float(np.percentile(np.abs(finite), 95)) if finite.size else 0.0
        span = span if span > 0 else 1.0
        self.image.setImage(img, autoLevels=False, levels=(-span, span))
        self.image.setRect(QtCore.QRectF(-hw, -hw, 2 * hw, 2 * hw))
        self.bar.setLevels((-span, span))
        self.bar.axis.setTicks(colour_bar_ticks(span))
        r, phi = inputs.dsv / 2, np.linspace(0, 2 * np.pi, 121)
        self.dsv_circle.setData(r * np.cos(phi), r * np.sin(phi))
        self.map_plot.setRange(xRange=(-hw, hw), yRange=(-hw, hw), padding=0)
        self._fit_map_width()
        if math.isfinite(report.b0):
            self.message.setText("")
