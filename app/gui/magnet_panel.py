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

from app.gui._qt import QtCore, QtWidgets, QTimer, pg
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
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(QtCore.Qt.TextSelectableByMouse)
        self.message = QtWidgets.QLabel("")
        self.message.setStyleSheet("color: #b00020;")
        self.message.setWordWrap(True)
        self.graphics = pg.GraphicsLayoutWidget()
        self.map_plot = self.graphics.addPlot()
        self.map_plot.setAspectLocked(True)
        self.map_plot.setLabel("bottom", "x", units="m")
        self.map_plot.setLabel("left", "y", units="m")
        self.map_plot.setTitle("|B| − B0 on the z = 0 plane (ppm); dashed: the DSV")
        self.image = pg.ImageItem()
        self.map_plot.addItem(self.image)
        self.bar = pg.ColorBarItem(colorMap="CET-D1", interactive=False, width=15)
        self.bar.setImageItem(self.image, insert_in=self.map_plot)
        self.bar.axis.setLabel("|B| − B0 (ppm)")
        self.dsv_circle = pg.PlotCurveItem(pen=pg.mkPen("k", width=1, style=QtCore.Qt.DashLine))
        self.map_plot.addItem(self.dsv_circle)
        left = QtWidgets.QWidget()
        left_lay = QtWidgets.QVBoxLayout(left)
        left_lay.addLayout(form)
        left_lay.addWidget(self.message)
        left_lay.addStretch(1)
        right = QtWidgets.QWidget()
        right_lay = QtWidgets.QVBoxLayout(right)
        right_lay.setContentsMargins(0, 0, 0, 0)
        right_lay.addWidget(self.result)
        right_lay.addWidget(self.graphics, 1)
        scroll = QtWidgets.QScrollArea()  # the form scrolls rather than making the dock tall
        scroll.setWidgetResizable(True)
        scroll.setWidget(left)
        scroll.setMinimumHeight(120)
        split = QtWidgets.QSplitter()
        split.addWidget(scroll)
        split.addWidget(right)
        split.setStretchFactor(1, 2)
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
        """The map is square (aspect locked): a plot wider than tall would only widen the x axis
        around it (a +-20 mm map in a +-150 mm axis), so the plot is kept about square."""
        self.map_plot.setMaximumWidth(max(240.0, self.graphics.height() * 1.35))

    def schedule(self) -> None:
        self.debounce.start()

    def compute(self) -> None:
        """Start a computation for the current inputs (the result arrives later)."""
        self._generation += 1
        gen = self._generation
        inputs = self.inputs()
        self.message.setText("computing…")
        self.message.setStyleSheet("color: #555;")
        self._task = Task(lambda: compute(inputs), lambda r, e: self._done(gen, inputs, r, e), name="magnet-field", owner=self)

    def _done(self, gen: int, inputs: MagnetInputs, report: Any, error: str) -> None:
        if gen != self._generation:
            return  # a newer request is on its way
        self.error = error
        self.message.setStyleSheet("color: #b00020;")
        self.message.setText(error)
        if report is None:
            return
        self.report = report
        self.result.setText(report.report.text())
        hw = report.half_width
        img = report.map_ppm
        finite = img[np.isfinite(img)]
        span = float(np.percentile(np.abs(finite), 95)) if finite.size else 1.0
        self.image.setImage(img, autoLevels=False, levels=(-span, span))
        self.image.setRect(QtCore.QRectF(-hw, -hw, 2 * hw, 2 * hw))
        self.bar.setLevels((-span, span))
        r, phi = inputs.dsv / 2, np.linspace(0, 2 * np.pi, 121)
        self.dsv_circle.setData(r * np.cos(phi), r * np.sin(phi))
        self.map_plot.autoRange()
        self._fit_map_width()
        if math.isfinite(report.b0):
            self.message.setText("")
