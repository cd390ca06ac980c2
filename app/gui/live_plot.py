"""The live plot (pyqtgraph): traces that grow as points arrive, the scan average, a 2D colour
map for map experiments, cursors A and B with read-out (values and B − A), the fit overlay at the end, PNG export.

Points come in through :meth:`LivePlot.add_rows` (cheap: numpy appends); the pixels are redrawn
by a frame timer only when something changed, at most ``fps`` times a second. Curves use
pyqtgraph's peak downsampling and clip-to-view, and :class:`~app.gui.plot_model.PointStore`
caps the points kept (measured, docs/references.md: 1e5 points redraw at ~125 frames/s this way).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np

from app.gui._qt import QtCore, QtWidgets, QTimer, Signal, pg
from app.gui.elided_label import ElidedLabel
from app.gui.frame_view import FrameView
from app.gui.pacing import FrameGate
from app.gui import theme
from app.gui.envelope import PeakEnvelope, block_for
from app.gui.plot_area import DOWNSAMPLE_ABOVE, PlotArea, new_curve, set_curve_data
from app.gui.theme import curve_colour
from app.gui.plot_model import MapGrid, PlotSpec, PointStore, ScanAverage
from app.gui.plot_readouts import CursorReadouts
from app.gui.readouts import LABELS
from app.gui.results_table import ResultsTable
from sequences.experiment import FitValue

#: SI-prefix ranges of an axis that counts (scans, points): pyqtgraph scales a unitless axis
#: below 1 by default ("scan (x0.001)"); a zero-width range at 0 never applies.
NEVER_SCALE = ((0.0, 0.0),)


class LivePlot(CursorReadouts, QtWidgets.QWidget):
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
        self.trace_curves: dict[str, pg.PlotDataItem] = {}
        self.fit_curve: pg.PlotDataItem | None = None
        self.frames = 0  # redraws done (for tests and the benchmark)
        self._dirty = False
        self._segment: Any = None  # (outer, scan) of the points being drawn as "this scan"
        self._segment_start = 0  # arrival number of its first point
        self._latest: dict[str, np.ndarray] = {}
        self._placed = False  # cursor moved onto the data yet
        self._texts_at = 0.0
        self._texts_stale = False
        self._mouse_text = ""
        self._raw: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # each trace's points as last drawn
        self._envelopes: dict[str, PeakEnvelope] = {}
        self.frame_gate = FrameGate()  # a simulated run's worker waits while a frame is drawn
        self._build()
        self.timer = QTimer(self)
        self.timer.setTimerType(QtCore.Qt.PreciseTimer)
        self.timer.setInterval(max(1, int(1000 / fps)))
        self.timer.timeout.connect(self.refresh)
        self.timer.start()

    # --- layout ---------------------------------------------------------------------------------
    def _build(self) -> None:
        bar = QtWidgets.QHBoxLayout()
        self.status = ElidedLabel("no data")  # a narrow view shows "…" and the whole line as tooltip
        self.show_average = QtWidgets.QCheckBox("scan average")
        self.show_average.setChecked(True)
        self.show_average.toggled.connect(lambda _: self._touch())
        self.show_legend = QtWidgets.QCheckBox("legend")
        self.show_legend.setChecked(True)
        self.show_legend.toggled.connect(self._legends_visible)
        self.second_cursor = QtWidgets.QCheckBox("Δ cursor")
        self.second_cursor.setToolTip("a second cursor: the read-out adds B − A for x and every trace")
        self.second_cursor.toggled.connect(self._second_cursor)
        auto = QtWidgets.QPushButton("Auto range")
        auto.clicked.connect(lambda: [p.enableAutoRange() for p in self.plots])
        export = QtWidgets.QPushButton("Export PNG…")
        export.clicked.connect(self._export_dialog)
        bar.addWidget(self.status, 1)
        self._controls = (self.show_average, self.show_legend, auto, export)
        for w in self._controls:
            bar.addWidget(w)
        self._bar = bar
        self._status_row = QtWidgets.QHBoxLayout()  # the status under the controls when beside them it would be cut
        self.status.changed.connect(self._place_status)
        self.graphics = FrameView(self.frame_gate)
        self.graphics.scene().sigMouseMoved.connect(self._mouse_moved)
        self.area = PlotArea(self.graphics, self._update_readout)
        self.readout = ElidedLabel(" ")
        self.readout.setTextInteractionFlags(QtCore.Qt.TextSelectableByMouse)
        self.delta_readout = QtWidgets.QLabel(" ")  # B - A, on its own line while cursor B is shown
        self.delta_readout.setObjectName("delta_readout")
        self.delta_readout.setTextInteractionFlags(QtCore.Qt.TextSelectableByMouse)
        self.delta_readout.setVisible(False)
        for label in (self.status, self.readout, self.delta_readout):  # new text must not re-layout the plot
            label.setSizePolicy(QtWidgets.QSizePolicy.Ignored, QtWidgets.QSizePolicy.Fixed)
            label.setMinimumWidth(1)
        self.results = ResultsTable()
        # the fit results under the plot (the plot keeps the centre's full width); the splitter
        # lets the user give the table more room
        middle = QtWidgets.QSplitter(QtCore.Qt.Vertical)
        middle.addWidget(self.graphics)
        middle.addWidget(self.results)
        middle.setStretchFactor(0, 4)
        middle.setStretchFactor(1, 1)
        middle.setChildrenCollapsible(False)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(bar)
        lay.addLayout(self._status_row)
        lay.addWidget(middle, 1)
        below = QtWidgets.QHBoxLayout()  # the cursor switch beside the read-out it extends
        below.addWidget(self.readout, 1)
        below.addWidget(self.second_cursor)
        lay.addLayout(below)
        lay.addWidget(self.delta_readout)

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._place_status()

    def _place_status(self, *_: Any) -> None:
        """The status beside the controls when it fits there, else on a line of its own."""
        bar = self._bar
        controls = sum(w.sizeHint().width() + bar.spacing() for w in self._controls if not w.isHidden())
        own_line = self.status.sizeHint().width() + controls > self.contentsRect().width() - 4
        if own_line == (self._status_row.indexOf(self.status) >= 0):
            return
        if own_line:
            bar.removeWidget(self.status)
            bar.insertStretch(0, 1)  # the controls stay together at the right
            self._status_row.addWidget(self.status, 1)
        else:
            self._status_row.removeWidget(self.status)
            bar.takeAt(0)  # the stretch
            bar.insertWidget(0, self.status, 1)

    @property
    def plot(self) -> pg.PlotItem:
        return self.area.plot

    @property
    def plots(self) -> list[pg.PlotItem]:
        return [p for p in (*self.area.plots, self.area.trace_plot) if p is not None]

    @property
    def map_plot(self) -> pg.PlotItem:
        return self.area.map_plot

    # --- data in ----------------------------------------------------------------------------------
    def configure(self, experiment: Any) -> None:
        """Clear and lay the plot out for ``experiment`` (its columns and parameters)."""
        self.spec = spec = PlotSpec.for_experiment(experiment)
        names = [n for n in [spec.x, spec.scan, spec.index, *spec.ys] if n]
        self.store = PointStore(dict.fromkeys(names), self.max_points)
        averaging = spec.scan and spec.index and not spec.outer
        self.average = ScanAverage([n for n in [spec.x, *spec.ys] if n]) if averaging else None
        self.grid = MapGrid() if spec.map or spec.trace else None
        self._segment, self._segment_start, self._latest, self._placed = None, 0, {}, False
        self._raw, self._envelopes = {}, {}
        groups: dict[str, list[str]] = {}
        for y in spec.ys:
            groups.setdefault(spec.units.get(y, ""), []).append(y)
        self.area.build(list(groups.values()) or ([] if spec.trace_ys else [[]]), trace=bool(spec.trace_ys),
                        map_shown=self.grid is not None)
        self.area.set_legends_visible(self.show_legend.isChecked())
        self.curves, self.avg_curves, self.trace_curves, self.fit_curve = {}, {}, {}, None
        multi = spec.scans > 1 and self.average is not None
        for i, y in enumerate(spec.ys):
            colour = curve_colour(i)
            self.curves[y] = new_curve(self.area.plot_of[y], colour, LABELS.get(y, y) + (" (this scan)" if multi else ""))
            if multi:
                self.avg_curves[y] = new_curve(self.area.plot_of[y], theme.current().average(colour),
                                               f"{LABELS.get(y, y)} (scan average)", width=2.5)
        for i, y in enumerate(spec.trace_ys):
            self.trace_curves[y] = new_curve(self.area.trace_plot, curve_colour(i), f"{y} (latest point)")
        self.show_average.setVisible(multi)
        xlabel = LABELS.get(spec.x, spec.x) if spec.x else "point"
        xunit = spec.units.get(spec.x or "", "") or None
        for i, (unit, group) in enumerate(groups.items()):
            plot = self.area.plot_of[group[0]]
            title = "signal" if unit == "V" and len(group) > 1 else ", ".join(LABELS.get(y, y) for y in group)
            plot.setLabel("left", title, units=unit or None)
            # every plot scales its x axis (SI prefix); the name goes under the last one only
            plot.setLabel("bottom", xlabel if i == len(groups) - 1 else "", units=xunit)
        if self.area.trace_plot is not None:
            self.area.trace_plot.setLabel("bottom", spec.trace_x or "sample", units=spec.units.get(spec.trace_x or "") or None)
            self.area.trace_plot.setLabel("left", ", ".join(spec.trace_ys), units=spec.units.get(spec.trace_ys[0]) or None)
        self.plot.setTitle(getattr(experiment, "title", "") or getattr(experiment, "name", ""))
        mp = self.map_plot
        if spec.map:
            if spec.map[0] == spec.x:
                self.area.map_follows_x()
            mp.setLabel("bottom", LABELS.get(spec.map[0], spec.map[0]), units=spec.units.get(spec.map[0]) or None)
            outer_unit, value_unit = spec.units.get(spec.map[1]) or None, spec.units.get(spec.map[2]) or None
            mp.setLabel("left", LABELS.get(spec.map[1], spec.map[1]), units=outer_unit)
            if outer_unit is None:  # scan numbers are counted, never shown as "scan (x0.001)" or 0.5
                mp.getAxis("left").setSIPrefixEnableRanges(NEVER_SCALE)
                self.area.map_rows_counted = True
            self.area.colour_bar.axis.setLabel(LABELS.get(spec.map[2], spec.map[2]), units=value_unit)
            mp.setTitle(f"{LABELS.get(spec.map[2], spec.map[2])} by {spec.map[1]}")
        elif spec.trace:
            mp.setLabel("bottom", f"{spec.trace} sample")
            mp.setLabel("left", "point")
            mp.getAxis("left").setSIPrefixEnableRanges(NEVER_SCALE)
            self.area.colour_bar.axis.setLabel(spec.trace, units=spec.units.get(spec.trace) or None)
            mp.setTitle(f"{spec.trace}: one row per point")
        self.results.show_results({})
        self.area.fit_legends()
        for plot in self.area.plots:  # the run's data grow: the range follows them in steps
            plot.vb.stepping = True
        self.status.setText("waiting for data")
        self._touch()

    def add_rows(self, rows: Sequence[dict[str, Any]]) -> None:
        """Append points (column name -> value dicts) in arrival order; redrawn at the next frame."""
        if not rows:
            return
        spec = self.spec
        keys = [k for k in (spec.outer, spec.scan) if k]
        if keys:  # split where a new scan (or outer step) starts, so "this scan" starts clean
            start = 0
            for i, r in enumerate(rows):
                segment = tuple(r.get(k) for k in keys)
                if segment != self._segment:
                    self._append(rows[start:i])
                    start = i
                    self._segment, self._segment_start = segment, self.store.seen
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
                    self.grid.add_trace(np.asarray(r[spec.trace], float).real)
        last = rows[-1]
        for name in [*spec.trace_ys, spec.trace_x]:
            if name and name in last and np.ndim(last[name]) == 1:
                self._latest[name] = np.asarray(last[name], float)

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
        gate = self.frame_gate
        if not gate.is_open:  # the last frame was never painted (minimised, covered): stop gating
            gate.open()
            self.graphics.unpainted = True
        elif self.graphics.isVisible() and not self.graphics.unpainted:
            gate.close()  # opened when the paint is done
        spec, store = self.spec, self.store
        start = -(-self._segment_start // store.stride)
        x = store.column(spec.x, start) if spec.x else np.arange(start, store.n) * float(store.stride)
        x_ok = store.finite.get(spec.x, True) if spec.x else True
        # while the run's data grow and the view follows them, draw each trace's envelope,
        # updated for the new points only (envelope.py); else the points themselves
        growing = self.plot is not None and getattr(self.plot.vb, "stepping", False) and self.plot.vb.autoRangeEnabled()[0]
        block = block_for(len(x), self.plot.vb.width()) if growing else 1
        self._raw = {}
        for y, curve in self.curves.items():
            ys = store.column(y, start)
            self._raw[y] = (x, ys)
            if block > 1 and len(x) > DOWNSAMPLE_ABOVE:
                ex, ey = self._envelopes.setdefault(y, PeakEnvelope()).update(
                    (id(store), store.generation, start), x, ys, block)
                set_curve_data(curve, ex, ey, x_ok and store.finite[y], reduced=True)
            else:
                set_curve_data(curve, x, ys, x_ok and store.finite[y])
        show_avg = self.show_average.isChecked()
        if self.avg_curves and self.average is not None and spec.x:
            ax = self.average.mean(spec.x)
            for y, curve in self.avg_curves.items():
                curve.setVisible(show_avg)
                if show_avg:
                    set_curve_data(curve, ax, self.average.mean(y))
        axis = self._latest.get(spec.trace_x or "")
        for y, curve in self.trace_curves.items():
            if y in self._latest:
                values = self._latest[y]
                set_curve_data(curve, axis if axis is not None and len(axis) == len(values) else np.arange(len(values)),
                               values)
        if self.grid is not None and self.grid.outer_values:
            self.area.draw_map(self.grid)
        if not self._placed and len(x):
            finite = x[np.isfinite(x)]
            if finite.size:
                self.place_cursor(float(finite[len(finite) // 2]))
                self._placed = True
        self.frames += 1
        self._texts_stale = True
        self._update_texts()
        return True

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
                self.fit_curve = self.plot.plot(xs, curve, pen=pg.mkPen(theme.current().foreground, width=2,
                                                                        style=QtCore.Qt.DashLine),
                                                name=f"fit{' (' + str(model) + ')' if model else ''}")
                centre = results.get("resonance_field")
                if isinstance(centre, FitValue):
                    self.place_cursor(centre.value)
        self.results.show_results(results)
        self.area.fit_legends()
        for plot in self.plots:  # the run is over: no headroom for growth, every point drawn
            if hasattr(plot.vb, "fit_now"):
                plot.vb.stepping = False
        self._touch()
        self.refresh()
        for plot in self.plots:
            if hasattr(plot.vb, "fit_now"):
                plot.vb.fit_now()
        self._touch()
        self._update_texts(force=True)

    def apply_theme(self, new: theme.Theme) -> None:
        """The scan averages (a shade of their trace) in the new theme; the rest is generic."""
        for i, curve in enumerate(self.avg_curves.values()):
            curve.setPen(pg.mkPen(new.average(curve_colour(i)), width=2.5))

    def _legends_visible(self, on: bool) -> None:
        self.area.set_legends_visible(on)
        self.area.fit_legends()  # a hidden legend gives its column back to the plot

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
        self._update_texts(force=True)

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
