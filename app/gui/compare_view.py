"""The data browser's Compare tab: several runs (and their scans) overlaid on one plot, any column
against any other, optionally normalised or as differences to the first run ticked."""
from __future__ import annotations

from typing import Any

import pyqtgraph as pg

from app.gui._qt import QtCore, QtWidgets
from app.gui.theme import curve_colour
from app.gui.plot_model import PlotSpec
from app.gui.compare_model import Series, difference, normalised, plottable_columns, series_of
from sequences.experiment import Experiment, RunData

COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")


class ComparePanel(QtWidgets.QWidget):
    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.runs: list[tuple[str, RunData, dict[str, str]]] = []
        self.shown: list[Series] = []
        self.list = QtWidgets.QListWidget()
        self.list.setObjectName("compare_runs")
        self.list.setMaximumHeight(80)
        self.list.itemChanged.connect(lambda _: self.redraw())
        self.x = QtWidgets.QComboBox()
        self.y = QtWidgets.QComboBox()
        for box in (self.x, self.y):
            box.setSizeAdjustPolicy(QtWidgets.QComboBox.AdjustToContents)
            box.currentTextChanged.connect(lambda _: self.redraw())
        self.per_scan = QtWidgets.QCheckBox("each scan")
        self.norm = QtWidgets.QCheckBox("normalise")
        self.diff = QtWidgets.QCheckBox("difference to the first")
        for box in (self.per_scan, self.norm, self.diff):
            box.toggled.connect(lambda _: self.redraw())
        remove = QtWidgets.QPushButton("Remove")
        remove.clicked.connect(self.remove_selected)
        self.message = QtWidgets.QLabel("Add runs with “Compare” on the Run tab.")
        self.message.setWordWrap(True)
        # the legend in its own row under the plot, never on the data (as in the live plot)
        self.graphics = pg.GraphicsLayoutWidget()
        self.plot = self.graphics.addPlot(row=0, col=0)
        self.plot.showGrid(x=True, y=True, alpha=0.3)
        self.legend = pg.LegendItem()
        self.graphics.addItem(self.legend, row=1, col=0)
        self.plot.legend = self.legend
        columns, options = QtWidgets.QHBoxLayout(), QtWidgets.QHBoxLayout()  # two rows: the tab stays narrow
        for w in (QtWidgets.QLabel("x"), self.x, QtWidgets.QLabel("y"), self.y):
            columns.addWidget(w)
        columns.addStretch(1)
        columns.addWidget(remove)
        for w in (self.per_scan, self.norm, self.diff):
            options.addWidget(w)
        options.addStretch(1)
        lay = QtWidgets.QVBoxLayout(self)
        lay.addWidget(self.list)
        lay.addLayout(columns)
        lay.addLayout(options)
        lay.addWidget(self.graphics, 1)
        lay.addWidget(self.message)

    def add_run(self, name: str, run: RunData, experiment: Experiment | None,
                units: dict[str, str] | None = None) -> None:
        """Add a run (checked); the x/y choices become the columns the runs have. ``units``:
        the columns' units when there is no experiment (a spectrum file from another spectrometer)."""
        if units is None:
            units = {c.name: c.unit for c in experiment.columns()} if experiment is not None else {}
        self.runs.append((name, run, units))
        item = QtWidgets.QListWidgetItem(name)
        item.setFlags(item.flags() | QtCore.Qt.ItemIsUserCheckable)
        item.setCheckState(QtCore.Qt.Checked)
        self.list.blockSignals(True)
        self.list.addItem(item)
        self.list.blockSignals(False)
        self._fill_columns(experiment)
        self.redraw()

    def remove_selected(self) -> None:
        row = self.list.currentRow()
        if row >= 0:
            self.list.takeItem(row)
            del self.runs[row]
            self.redraw()

    def _fill_columns(self, experiment: Experiment | None) -> None:
        names = list(dict.fromkeys(c for _, run, _ in self.runs for c in plottable_columns(run)))
        x, y = self.x.currentText(), self.y.currentText()
        if not x and experiment is not None:  # the first run's own plot: its x and first trace
            spec = PlotSpec.for_experiment(experiment)
            x, y = spec.x or "", (spec.ys or [""])[0]
        elif not x:  # a file: its field (or x axis) against its real part
            x, y = next((n for n in names if n not in ("x", "y", "scan", "index")), ""), "x"
        for box, keep in ((self.x, x), (self.y, y)):
            box.blockSignals(True)
            box.clear()
            box.addItems(names)
            if keep in names:
                box.setCurrentText(keep)
            box.blockSignals(False)

    def checked(self) -> list[tuple[str, RunData, dict[str, str]]]:
        return [r for i, r in enumerate(self.runs) if self.list.item(i).checkState() == QtCore.Qt.Checked]

    def redraw(self) -> None:
        self.plot.clear()
        self.legend.clear()
        self.shown = []
        x, y = self.x.currentText(), self.y.currentText()
        runs = self.checked()
        if not runs or not x or not y:
            return
        series: list[Series] = []
        problems = []
        for name, run, _ in runs:
            try:
                series += series_of(run, name, x, y, self.per_scan.isChecked())
            except KeyError as exc:
                problems.append(str(exc.args[0]))
        if self.norm.isChecked():
            series = [normalised(s) for s in series]
        if self.diff.isChecked() and len(series) > 1:
            series = [difference(s, series[0]) for s in series[1:]]
        for i, s in enumerate(series):
            self.plot.plot(s.x, s.y, pen=pg.mkPen(curve_colour(i), width=1), name=s.label)
        self.shown = series
        units = self._unit
        self.plot.setLabel("bottom", x, units=units(x))
        self.plot.setLabel("left", f"{y} (normalised)" if self.norm.isChecked() else y,
                           units=None if self.norm.isChecked() else units(y))
        self.message.setText("; ".join(problems) if problems else
                             f"{len(series)} line(s) from {len(runs)} run(s)")

    def _unit(self, column: str) -> Any:
        found = {u.get(column) for _, _, u in self.runs if u.get(column)}
        return found.pop() if len(found) == 1 else None
