"""The live plot (pyqtgraph): traces that grow as points arrive, the scan average, a 2D colour
map for map experiments, a cursor with read-out, the fit overlay at the end, PNG export.

Points come in through :meth:`LivePlot.add_rows` (cheap: numpy appends); the pixels are redrawn
by a frame timer only when something changed, at most ``fps`` times a second. Curves use
pyqtgraph's peak downsampling and clip-to-view, and :class:`~app.gui.plot_model.PointStore`
caps the points kept (ecosystem.md: 1e5 points redraw at ~125 frames/s this way).
"""
from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from app.gui._qt import QtCore, QtWidgets, QTimer, Signal, pg
from app.gui.plot_model import MapGrid, PlotSpec, PointStore, ScanAverage
from app.units import format_quantity
from sequences.experiment import FitValue

COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]
LABELS = {"x": "lock-in X", "y": "lock-in Y", "r": "lock-in R", "field": "field", "frequency": "frequency"}


def describe(value: float, unit: str) -> str:
    if not math.isfinite(value):
        return "-"
    return format_quantity(value, unit, 5) if unit not in ("", "deg") else f"{value:.5g} {unit}".strip()


def format_results(results: dict[str, Any]) -> str:
    """Fit results as short lines (arrays left out)."""
    lines = []
    for name, v in results.items():
        if isinstance(v, FitValue):
            err = "" if not math.isfinite(v.error) else f" ± {describe(v.error, v.unit)}"
            lines.append(f"{name}: {describe(v.value, v.unit)}{err}")
        elif isinstance(v, (str, int, float)) and not isinstance(v, bool):
            lines.append(f"{name}: {v}")
    return "\n".join(lines)


class LivePlot(QtWidgets.QWidget):
    """One experiment's data, live or replayed from a file."""

    exported = Signal(str)

    def __init__(self, parent: QtWidgets.QWidget | None = None, *, max_points: int = 1_000_000,
                 fps: float = 60.0):
        super().__init__(parent)
        self.max_points = max_points
        self.spec = PlotSpec(None, [])
        self.store = PointStore([], max_points)
        self.average: ScanAverage | None = None
        self.grid: MapGrid | None = None
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.avg_curves: dict[str, pg.PlotDataItem] = {}
        self.fit_curve: pg.PlotDataItem | None = None
        self.frames = 0  # redraws done (for tests and the benchmark)
        self._dirty = False
        self._scan_start = 0  # arrival number of the current scan's first point
        self._scan = None
        self._latest_trace: np.ndarray | None = None
        self._placed = False  # cursor moved onto the data yet
        self._texts_at = 0.0
        self._texts_stale = False
        self.plot_of: dict[str, Any] = {}
        self._build()
        self.timer = QTimer(self)
        self.timer.setInterval(max(1, int(1000 / fps)))
        self.timer.timeout.connect(self.refresh)
        self.timer.start()

    # --- layout ---------------------------------------------------------------------------------
    def _build(self) -> None:
        bar = QtWidgets.QHBoxLayout()
        self.status = QtWidgets.QLabel("no data")
        self.show_average = QtWidgets.QCheckBox("scan average")
        self.show_average.setChecked(True)
        self.show_average.toggled.connect(lambda _: self._touch())
        auto = QtWidgets.QPushButton("Auto range")
        auto.clicked.connect(lambda: [p.enableAutoRange() for p in self.plots])
        export = QtWidgets.QPushButton("Export PNG…")
        export.clicked.connect(self._export_dialog)
        bar.addWidget(self.status, 1)
        for w in (self.show_average, auto, export):
            bar.addWidget(w)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.scene().sigMouseMoved.connect(self._mouse_moved)
        self.plots: list[pg.PlotItem] = []
        self.cursors: list[pg.InfiniteLine] = []
        self.readout = QtWidgets.QLabel(" ")
        self.readout.setTextInteractionFlags(QtCore.Qt.TextSelectableByMouse)
        for label in (self.status, self.readout):  # new text must not re-layout the plot
            label.setSizePolicy(QtWidgets.QSizePolicy.Ignored, QtWidgets.QSizePolicy.Fixed)
            label.setMinimumWidth(1)
        self.results = QtWidgets.QLabel("")
        self.results.setTextInteractionFlags(QtCore.Qt.TextSelectableByMouse)
        self.results.setStyleSheet("font-family: monospace;")
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(bar)
        lay.addWidget(self.graphics, 1)
        lay.addWidget(self.readout)
        lay.addWidget(self.results)
        self._layout_plots([[]], None)

    def _layout_plots(self, groups: list[list[str]], map_title: str | None) -> None:
        """One plot per unit group (x axes linked), then the colour map if any."""
        for old in [*self.plots, getattr(self, "map_plot", None)]:
            if old is not None:
                old.setXLink(None)  # unlink before the items are deleted
        self.graphics.clear()
        self.plots, self.cursors, self.plot_of = [], [], {}
        for row, group in enumerate(groups):
            plot = self.graphics.addPlot(row=row, col=0)
            # a GridItem draws ~3x faster than the axes' own alpha-blended grid (1e5-point frames)
            plot.addItem(pg.GridItem(pen=pg.mkPen("#e3e3e3"), textPen=None), ignoreBounds=True)
            plot.setDownsampling(auto=True, mode="peak")
            plot.setClipToView(True)
            plot.addLegend(offset=(10, 10))
            if self.plots:
                plot.setXLink(self.plots[0])
            cursor = pg.InfiniteLine(angle=90, movable=True, pen=pg.mkPen("#555", width=1, style=QtCore.Qt.DashLine))
            cursor.setZValue(10)
            cursor.sigPositionChanged.connect(self._cursor_moved)
            plot.addItem(cursor, ignoreBounds=True)
            self.plots.append(plot)
            self.cursors.append(cursor)
            for y in group:
                self.plot_of[y] = plot
            self.graphics.ci.layout.setRowStretchFactor(row, 3 if row == 0 else 1)
        self.plot = self.plots[0]
        self.cursor = self.cursors[0]
        self.map_plot = self.graphics.addPlot(row=len(groups), col=0)
        self.image = pg.ImageItem()
        self.map_plot.addItem(self.image)
        self.colour_bar = pg.ColorBarItem(colorMap="viridis", interactive=False, width=15)
        self.colour_bar.setImageItem(self.image, insert_in=self.map_plot)
        self.graphics.ci.layout.setRowStretchFactor(len(groups), 2)
        self.map_plot.setVisible(map_title is not None)

    def _cursor_moved(self, line: pg.InfiniteLine) -> None:
        x = line.value()
        for c in self.cursors:
            if c is not line and c.value() != x:
                c.blockSignals(True)
                c.setValue(x)
                c.blockSignals(False)
        self._update_readout()

    # --- data in ----------------------------------------------------------------------------------
    def configure(self, experiment: Any) -> None:
        """Clear and lay the plot out for ``experiment`` (its columns and parameters)."""
        self.spec = spec = PlotSpec.for_experiment(experiment)
        names = [n for n in [spec.x, spec.scan, spec.index, *spec.ys] if n]
        self.store = PointStore(dict.fromkeys(names), self.max_points)
        self.average = ScanAverage([n for n in [spec.x, *spec.ys] if n]) if spec.scan and spec.index else None
        self.grid = MapGrid() if spec.map or spec.trace else None
        self._scan_start, self._scan, self._latest_trace, self._placed = 0, None, None, False
        groups: dict[str, list[str]] = {}
        for y in spec.ys:
            groups.setdefault(spec.units.get(y, ""), []).append(y)
        map_title = None
        if spec.map:
            map_title = f"{LABELS.get(spec.map[2], spec.map[2])} by {spec.map[1]}"
        elif spec.trace:
            map_title = f"{spec.trace}: one row per point"
        self._layout_plots(list(groups.values()) or [[]], map_title)
        self.curves, self.avg_curves, self.fit_curve = {}, {}, None
        multi = spec.scans > 1 and self.average is not None
        for i, y in enumerate(spec.ys):
            colour = COLOURS[i % len(COLOURS)]
            name = LABELS.get(y, y) + (" (this scan)" if multi else "")
            pen = pg.mkPen(colour, width=1)  # 1 px: Qt's fast line path (wider is ~3x slower)
            self.curves[y] = self._curve(self.plot_of[y], pen, name)
            if multi:
                self.avg_curves[y] = self._curve(self.plot_of[y], pg.mkPen(pg.mkColor(colour).darker(150), width=2.5),
                                                 f"{LABELS.get(y, y)} (scan average)")
        self.show_average.setVisible(multi)
        xlabel = LABELS.get(spec.x, spec.x) if spec.x else "point"
        xunit = spec.units.get(spec.x or "", "") or None
        for i, (unit, group) in enumerate(groups.items()):
            plot = self.plot_of[group[0]]
            title = "signal" if unit == "V" and len(group) > 1 else ", ".join(LABELS.get(y, y) for y in group)
            plot.setLabel("left", title, units=unit or None)
            if i == len(groups) - 1:  # one x label, under the last trace plot
                plot.setLabel("bottom", xlabel, units=xunit)
        self.plot.setTitle(getattr(experiment, "title", "") or getattr(experiment, "name", ""))
        if spec.map:
            if spec.map[0] == spec.x:
                self.map_plot.setXLink(self.plot)
            self.map_plot.setLabel("bottom", LABELS.get(spec.map[0], spec.map[0]), units=spec.units.get(spec.map[0]) or None)
            self.map_plot.setLabel("left", spec.map[1])
            self.map_plot.setTitle(map_title)
        elif spec.trace:
            self.map_plot.setLabel("bottom", f"{spec.trace} sample")
            self.map_plot.setLabel("left", "point")
            self.map_plot.setTitle(map_title)
        self.results.setText("")
        self.status.setText("waiting for data")
        self._touch()

    def _curve(self, plot: pg.PlotItem, pen: Any, name: str) -> pg.PlotDataItem:
        curve = plot.plot([], [], pen=pen, name=name)
        curve.setDownsampling(auto=True, method="peak")
        curve.setClipToView(True)
        return curve

    def add_rows(self, rows: Sequence[dict[str, Any]]) -> None:
        """Append points (column name -> value dicts) in arrival order; redrawn at the next frame."""
        if not rows:
            return
        spec = self.spec
        if spec.scan:  # split at scan boundaries so the current-scan trace starts clean
            start = 0
            for i, r in enumerate(rows):
                if r.get(spec.scan) != self._scan:
                    if i > start:
                        self._append(rows[start:i])
                    start = i
                    self._scan = r.get(spec.scan)
                    self._scan_start = self.store.seen
            self._append(rows[start:])
        else:
            self._append(rows)
        self._touch()

    def _append(self, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        spec = self.spec
        self.store.extend(rows)
        if self.average is not None:
            self.average.add(rows, spec.index)
        if self.grid is not None:
            if spec.map:
                self.grid.add(rows, *spec.map, spec.index)
            elif spec.trace:
                for r in rows[-self.grid.max_rows:]:
                    self.grid.add_trace(np.asarray(r[spec.trace]))
        if spec.trace:
            self._latest_trace = np.asarray(rows[-1][spec.trace])

    def _touch(self) -> None:
        self._dirty = True

    @property
    def n_points(self) -> int:
        """Points received since :meth:`configure`."""
        return self.store.seen

    # --- drawing ------------------------------------------------------------------------------------
    def refresh(self) -> bool:
        """Push changed data to the curves (the frame timer calls this); True if anything changed."""
        if not self._dirty:
            if self._texts_stale:
                self._update_texts()
            return False
        self._dirty = False
        spec, store = self.spec, self.store
        start = -(-self._scan_start // store.stride) if spec.scan else 0
        x = store.column(spec.x, start) if spec.x else np.arange(start, store.n) * float(store.stride)
        x_ok = store.finite.get(spec.x, True) if spec.x else True
        for y, curve in self.curves.items():
            curve.setData(x, store.column(y, start), skipFiniteCheck=x_ok and store.finite[y])
        show_avg = self.show_average.isChecked()
        if self.avg_curves and self.average is not None and spec.x:
            ax = self.average.mean(spec.x)
            for y, curve in self.avg_curves.items():
                curve.setVisible(show_avg)
                if show_avg:
                    curve.setData(ax, self.average.mean(y))
        if self.grid is not None and self.grid.outer_values:
            self._draw_map()
        if not self._placed and len(x):
            finite = x[np.isfinite(x)]
            if finite.size:
                self.place_cursor(float(finite[len(finite) // 2]))
                self._placed = True
        self.frames += 1
        self._texts_stale = True
        self._update_texts()
        return True

    def _update_texts(self, force: bool = False) -> None:
        """Text read-outs at ~7 Hz: enough to read, and cheap next to 60 frames/s of curves."""
        now = time.monotonic()
        if force or now - self._texts_at >= 0.15:
            self._texts_at, self._texts_stale = now, False
            self._status()
            self._update_readout()

    def _draw_map(self) -> None:
        grid = self.grid
        img = grid.filled()
        finite = img[np.isfinite(img)]
        if not finite.size:
            return
        lo, hi = float(finite.min()), float(finite.max())
        cols = img.shape[1]
        x0, x1 = (grid.x_min, grid.x_max) if math.isfinite(grid.x_min) else (0.0, float(cols - 1))
        y0 = min(grid.outer_values)
        y1 = max(grid.outer_values)
        w = (x1 - x0) / max(1, cols - 1) or 1.0
        h = (y1 - y0) / max(1, img.shape[0] - 1) or 1.0
        self.image.setImage(np.nan_to_num(img, nan=lo), autoLevels=False, levels=(lo, hi if hi > lo else lo + 1e-30))
        self.image.setRect(QtCore.QRectF(x0 - w / 2, y0 - h / 2, w * cols, h * img.shape[0]))
        self.colour_bar.setLevels((lo, hi if hi > lo else lo + 1e-30))

    def _status(self) -> None:
        spec, n = self.spec, self.store.seen
        text = f"{n} points"
        if self.store.stride > 1:
            text += f" (showing 1 in {self.store.stride}: cap {self.max_points})"
        if spec.scan and self._scan is not None:
            text += f" · scan {int(self._scan) + 1} of {spec.scans}"
            if self.average is not None and spec.scans > 1:
                text += f" · average of {self.average.complete_scans} complete scan(s)"
        self.status.setText(text)

    # --- cursor and mouse read-out ------------------------------------------------------------------
    def _mouse_moved(self, pos: Any) -> None:
        for plot in self.plots:
            if plot.isVisible() and plot.sceneBoundingRect().contains(pos):
                p = plot.vb.mapSceneToView(pos)
                ys = [y for y, pl in self.plot_of.items() if pl is plot]
                xu = self.spec.units.get(self.spec.x or "", "")
                yu = self.spec.units.get(ys[0], "") if ys else ""
                self._mouse_text = f"mouse: {describe(p.x(), xu)}, {describe(p.y(), yu)}"
                self._update_readout()
                return

    def _update_readout(self, *_: Any) -> None:
        spec = self.spec
        xc = float(self.cursor.value())
        xu = spec.units.get(spec.x or "", "")
        parts = [f"cursor {LABELS.get(spec.x, spec.x) if spec.x else 'point'} = {describe(xc, xu)}"]
        for y, value in self.values_at(xc).items():
            parts.append(f"{LABELS.get(y, y)} = {describe(value, spec.units.get(y, ''))}")
        mouse = getattr(self, "_mouse_text", "")
        self.readout.setText("   ".join(parts) + (f"      {mouse}" if mouse else ""))

    def values_at(self, xc: float) -> dict[str, float]:
        """Each trace's value at the data point nearest ``xc`` (the average when shown)."""
        out: dict[str, float] = {}
        curves = self.avg_curves if self.avg_curves and self.show_average.isChecked() else self.curves
        for y, curve in curves.items():
            xs, ys = curve.xData, curve.yData
            if xs is None or not len(xs):
                continue
            out[y] = float(ys[int(np.nanargmin(np.abs(xs - xc)))]) if np.isfinite(xs).any() else float("nan")
        return out

    def place_cursor(self, x: float) -> None:
        self.cursor.setValue(x)

    # --- end of run ---------------------------------------------------------------------------------
    def show_results(self, results: dict[str, Any]) -> None:
        """Overlay the fitted curve (``fit_curve`` against a ``fit_<x>`` array) and list the values."""
        if self.fit_curve is not None:
            self.plot.removeItem(self.fit_curve)
            self.fit_curve = None
        curve = results.get("fit_curve")
        if curve is not None:
            curve = np.asarray(curve, float)
            xs = next((np.asarray(v, float) for k, v in results.items() if k.startswith("fit_") and k != "fit_curve"
                       and hasattr(v, "__len__") and len(v) == len(curve)), None)
            if xs is not None:
                model = results.get("model", "")
                self.fit_curve = self.plot.plot(xs, curve, pen=pg.mkPen("#000", width=2, style=QtCore.Qt.DashLine),
                                                name=f"fit{' (' + str(model) + ')' if model else ''}")
                centre = results.get("resonance_field")
                if isinstance(centre, FitValue):
                    self.place_cursor(centre.value)
        self.results.setText(format_results(results))
        self._touch()
        self._update_texts(force=True)

    def clear_results(self) -> None:
        self.show_results({})

    # --- replay and export ----------------------------------------------------------------------------
    def load_run(self, experiment: Any, run: Any) -> None:
        """Show a finished run (a :class:`RunData`, e.g. from ``read_run``) with its results."""
        self.configure(experiment)
        cols = run.columns
        n = min((len(v) for v in cols.values()), default=0)
        names = list(cols)
        rows = [{k: cols[k][i] for k in names} for i in range(n)]
        self.add_rows(rows)
        self.refresh()
        self.show_results(run.results or {})
        self.refresh()
        for plot in self.plots:
            plot.enableAutoRange()

    def export_png(self, path: str | Path) -> Path:
        self.refresh()
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not self.graphics.grab().save(str(path)):
            raise OSError(f"could not write {path} (is the folder writable and the name .png?)")
        self.exported.emit(str(path))
        return path

    def _export_dialog(self) -> None:
        name, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Export plot", "plot.png", "PNG images (*.png)")
        if name:
            self.export_png(name if name.lower().endswith(".png") else name + ".png")
