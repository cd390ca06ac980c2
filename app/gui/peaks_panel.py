"""Peak picking on a plot (live, finished, or the browser's replot): the lines of the trace
shown, each with its field and, when the microwave frequency is known, its g, marked on the
plot. The numerics are ``analysis.peaks`` (zero crossings of derivative lines, maxima of
absorption-like traces); this widget only reads the drawn trace and shows the list."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from analysis.peaks import SHAPES, Peak, g_of_peak, pick_peaks
from app.gui._qt import QtWidgets, pg
from app.gui.live_plot import LivePlot
from app.gui.readouts import LABELS, describe
from units.quantity import UnitError, parse_quantity

COLUMNS = ("#", "position", "g", "height", "width")


class PeakPicker(QtWidgets.QWidget):
    """Find peaks in ``plot``'s first trace (its scan average when shown)."""

    def __init__(self, plot: LivePlot, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.plot = plot
        self.peaks: list[Peak] = []
        self.markers: pg.ScatterPlotItem | None = None
        self._marked_on: Any = None
        self.shape = QtWidgets.QComboBox()
        self.shape.setObjectName("peak_shape")
        self.shape.addItems(list(SHAPES))
        self.shape.setToolTip("derivative: zero crossings between a maximum and the minimum after it "
                              "(lock-in first harmonic); absorption: maxima; auto: derivative lines if any")
        self.sigma = QtWidgets.QDoubleSpinBox()
        self.sigma.setObjectName("peak_sigma")
        self.sigma.setRange(2.0, 1000.0)
        self.sigma.setValue(8.0)
        self.sigma.setSuffix(" σ")
        self.sigma.setToolTip("a peak must stand out of the trace's noise by this many standard deviations")
        self.frequency = QtWidgets.QLineEdit()
        self.frequency.setObjectName("peak_frequency")
        self.frequency.setPlaceholderText("microwave frequency for g, e.g. 9.5 GHz")
        self.find_button = QtWidgets.QPushButton("Find peaks")
        self.find_button.clicked.connect(self.find)
        self.table = QtWidgets.QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("peak_table")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.NoEditTriggers)
        self.table.cellDoubleClicked.connect(lambda row, _: self._to_cursor(row))
        self.table.setToolTip("double-click a peak to put cursor A on it")
        self.message = QtWidgets.QLabel("")
        self.message.setObjectName("peak_message")
        self.message.setWordWrap(True)
        self.shape.setSizeAdjustPolicy(QtWidgets.QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.shape.setMinimumContentsLength(8)
        form = QtWidgets.QFormLayout()  # a narrow column beside the plot
        form.setRowWrapPolicy(QtWidgets.QFormLayout.WrapLongRows)  # a label over its field when narrow
        form.addRow("Shape", self.shape)
        form.addRow("Threshold", self.sigma)
        form.addRow("Frequency", self.frequency)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(form)
        lay.addWidget(self.find_button)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.message)

    def set_frequency(self, hz: Any) -> None:
        """The microwave frequency the data was taken at (from the run or file), for g; anything
        but a positive number (no such parameter) leaves the field empty."""
        ok = isinstance(hz, (int, float)) and not isinstance(hz, bool) and math.isfinite(hz) and hz > 0
        self.frequency.setText(f"{hz / 1e9:.9g} GHz" if ok else "")

    def frequency_hz(self) -> float | None:
        text = self.frequency.text().strip()
        if not text:
            return None
        return parse_quantity(text, "Hz", bare="GHz", name="microwave frequency")

    def trace(self) -> tuple[np.ndarray, np.ndarray, str, str, str]:
        """(x, y, y name, x unit, y unit) of the trace peaks are picked in."""
        plot, spec = self.plot, self.plot.spec
        use_avg = plot.avg_curves and plot.show_average.isChecked()
        curves = plot.avg_curves if use_avg else plot.curves
        for name, curve in curves.items():
            if curve.xData is not None and len(curve.xData):
                return (np.asarray(curve.xData, float), np.asarray(curve.yData, float), name,
                        spec.units.get(spec.x or "", ""), spec.units.get(name, ""))
        raise ValueError("no trace on the plot yet")

    def find(self) -> list[Peak]:
        """Pick the peaks, list them, mark them; the message says why when there are none."""
        self.clear_markers()
        try:
            x, y, name, x_unit, y_unit = self.trace()
            f = self.frequency_hz()
            self.peaks = pick_peaks(x, y, self.shape.currentText(), self.sigma.value())
        except (ValueError, UnitError) as exc:
            self.peaks = []
            self._fill([], None, "", "")
            self.message.setText(str(exc))
            return []
        self.peaks.sort(key=lambda p: p.position)
        self._fill(self.peaks, f if x_unit == "T" else None, x_unit, y_unit)
        self._mark(x, y)
        label = LABELS.get(name, name)
        if not self.peaks:
            self.message.setText(f"no peak stands out of the noise of {label} by {self.sigma.value():g} σ")
        else:
            kinds = {p.shape for p in self.peaks}
            self.message.setText(f"{len(self.peaks)} peak(s) in {label} ({', '.join(sorted(kinds))})"
                                 + ("" if f or x_unit != "T" else "; type the microwave frequency for g"))
        return self.peaks

    def _fill(self, peaks: list[Peak], f: float | None, x_unit: str, y_unit: str) -> None:
        self.table.setRowCount(len(peaks))
        for r, p in enumerate(peaks):
            g = f"{g_of_peak(p.position, f):.6f}" if f and p.position > 0 else "—"
            cells = (str(r + 1), describe(p.position, x_unit), g, describe(p.height, y_unit),
                     describe(p.width, x_unit))
            for c, text in enumerate(cells):
                self.table.setItem(r, c, QtWidgets.QTableWidgetItem(text))
        self.table.resizeColumnsToContents()

    def _mark(self, x: np.ndarray, y: np.ndarray) -> None:
        if not self.peaks:
            return
        order = np.argsort(x)
        xs = np.array([p.position for p in self.peaks])
        ys = np.interp(xs, x[order], y[order])
        self.markers = pg.ScatterPlotItem(xs, ys, symbol="t", size=12, brush=pg.mkBrush("#c04000"),
                                          pen=pg.mkPen("#000"))
        self.markers.setZValue(20)
        self._marked_on = self.plot.plot
        self._marked_on.addItem(self.markers)

    def clear_markers(self) -> None:
        """Remove the markers (from the plot they were put on: a replot rebuilds the plots)."""
        if self.markers is not None and self.markers in self._marked_on.items:
            self._marked_on.removeItem(self.markers)
        self.markers = None

    def _to_cursor(self, row: int) -> None:
        if 0 <= row < len(self.peaks):
            self.plot.place_cursor(self.peaks[row].position)

    def clear(self) -> None:
        self.clear_markers()
        self.peaks = []
        self.table.setRowCount(0)
        self.message.setText("")
