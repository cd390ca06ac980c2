"""The pyqtgraph items of the live plot: a row of plots per unit (sharing the first plot's x
range, one way: two-way links fight over auto-range), each with its legend in a column beside
it, an optional plot of the latest record (array columns), an optional colour map (only in the
layout when shown), and cursor lines (A, and B for differences) in each x-sharing plot."""
from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from app.gui import theme
from app.gui._qt import QtCore, pg
from app.gui.follow_range import SteppedViewBox
from app.gui.plot_model import MapGrid

COLOURS = list(theme.LIGHT.curves[:6])  # the light theme's; theme.curve_colour follows the theme


#: Curves with more points than this get pyqtgraph's automatic peak downsampling. Below it,
#: drawing is cheap anyway, and pyqtgraph 0.14's auto-downsampling computes its factor from the
#: view range before the first auto-range: with x values ~1e-7 (pulse delays in s) against the
#: initial 0..1 view it keeps no point at all, so the plot never ranges onto the data.
DOWNSAMPLE_ABOVE = 2000
#: Legend text: pyqtgraph's default size, and the size a narrow view falls back to.
LEGEND_TEXT, LEGEND_SMALL = "9pt", "7.5pt"


def new_curve(plot: pg.PlotItem, colour: Any, name: str, width: float = 1) -> pg.PlotDataItem:
    """A curve with clip-to-view (downsampling is switched on by :func:`set_curve_data`);
    1 px pens take Qt's fast line path (a 1.5 px pen made 1e5-point frames ~3x slower)."""
    curve = plot.plot([], [], pen=pg.mkPen(colour, width=width), name=name)
    curve.setDownsampling(auto=False, method="peak")
    curve.setClipToView(True)
    return curve


def set_curve_data(curve: pg.PlotDataItem, x: np.ndarray, y: np.ndarray, skip_finite_check: bool = False,
                   reduced: bool = False) -> None:
    """``reduced``: the data are already an envelope (envelope.py): no downsampling on top."""
    big = len(x) > DOWNSAMPLE_ABOVE and not reduced
    if curve.opts["autoDownsample"] != big:
        curve.setDownsampling(auto=big, method="peak")
    curve.setData(x, y, skipFiniteCheck=skip_finite_check)


class PlotArea:
    def __init__(self, graphics: pg.GraphicsLayoutWidget, on_cursor: Callable[[], None]):
        self.graphics = graphics
        self.on_cursor = on_cursor
        self.plots: list[pg.PlotItem] = []
        self.cursors: list[pg.InfiniteLine] = []
        self.plot_of: dict[str, pg.PlotItem] = {}
        self.followers: list[pg.PlotItem] = []
        self.trace_plot: pg.PlotItem | None = None
        self.second_shown = False
        self.build([[]], trace=False, map_shown=False)

    def build(self, groups: list[list[str]], *, trace: bool, map_shown: bool) -> None:
        """Rows: one plot per group of y columns, the latest-record plot, the colour map."""
        if self.plots:
            try:
                self.plots[0].vb.sigXRangeChanged.disconnect(self._follow_x)
            except (RuntimeError, TypeError):
                pass
        self.graphics.clear()
        self.plots, self.cursors, self.plot_of, self.followers = [], [], {}, []
        self.cursors_b: list[pg.InfiniteLine] = []  # the second (Delta) cursor, hidden until asked for
        self.legends: list[pg.LegendItem] = []
        layout = self.graphics.ci.layout
        row = 0
        for group in groups:
            plot = self._plot(row)
            if self.plots:  # the first plot drives the x range of the others
                plot.enableAutoRange(x=False)
                self.followers.append(plot)
            cursor = pg.InfiniteLine(angle=90, movable=True, pen=pg.mkPen(theme.current().muted, width=1,
                                                                          style=QtCore.Qt.DashLine))
            cursor.setZValue(10)
            cursor.sigPositionChanged.connect(self._cursor_moved)
            plot.addItem(cursor, ignoreBounds=True)
            second = pg.InfiniteLine(angle=90, movable=True, pen=pg.mkPen("#c04000", width=1, style=QtCore.Qt.DashLine),
                                     label="B" if not self.plots else None, labelOpts={"position": 0.95})
            second.setZValue(10)
            second.setVisible(self.second_shown)
            second.sigPositionChanged.connect(self._cursor_moved)
            plot.addItem(second, ignoreBounds=True)
            self.plots.append(plot)
            self.cursors.append(cursor)
            self.cursors_b.append(second)
            for y in group:
                self.plot_of[y] = plot
            layout.setRowStretchFactor(row, 3 if row == 0 else 1)
            row += 1
        self.trace_plot = None
        if trace:
            self.trace_plot = self._plot(row)
            layout.setRowStretchFactor(row, 2)
            row += 1
        self.plot = self.plots[0] if self.plots else self.trace_plot
        self.cursor = self.cursors[0] if self.cursors else None
        if self.plots:
            self.plots[0].vb.sigXRangeChanged.connect(self._follow_x)
        # A hidden item still takes its row in a QGraphicsGridLayout: the map joins the layout
        # only when it is shown, so the traces fill the centre otherwise.
        self.map_plot = self.graphics.addPlot(row=row, col=0) if map_shown else pg.PlotItem()
        self.image = pg.ImageItem()
        self.map_plot.addItem(self.image)
        self.colour_bar = pg.ColorBarItem(colorMap="viridis", interactive=False, width=15)
        self.colour_bar.setImageItem(self.image, insert_in=self.map_plot)
        if map_shown:
            layout.setRowStretchFactor(row, 2)
        self.map_plot.setVisible(map_shown)
        self.map_rows_counted = False  # the map's rows are counts (scans): whole-number ticks

    def _plot(self, row: int) -> pg.PlotItem:
        plot = self.graphics.addPlot(row=row, col=0, viewBox=SteppedViewBox())  # range moves in steps
        # a GridItem draws ~3x faster than the axes' own alpha-blended grid (1e5-point frames)
        plot.addItem(pg.GridItem(pen=pg.mkPen(theme.current().grid), textPen=None), ignoreBounds=True)
        plot.setClipToView(True)
        # The legend sits beside the plot, never on the data; PlotItem adds named curves to
        # ``plot.legend``. It can be hidden (set_legends_visible).
        legend = pg.LegendItem()
        self.graphics.addItem(legend, row=row, col=1)
        plot.legend = legend
        self.legends.append(legend)
        return plot

    def set_legends_visible(self, visible: bool) -> None:
        for legend in self.legends:
            legend.setVisible(visible)

    def fit_legends(self) -> None:
        """Keep the legend column as wide as its widest legend (the layout would squeeze it),
        each legend as tall as its entries at the top of its row (stretched to the row's
        height, the entries drift apart from their line samples); in a narrow view the legend
        text is set smaller before anything is cut."""
        view = self.graphics.width() if self.graphics.isVisible() else 0
        for small in (False, True):
            for legend in self.legends:
                size = LEGEND_SMALL if small else LEGEND_TEXT
                legend.opts["labelTextSize"] = size  # for entries added later
                for _, label in legend.items:  # pyqtgraph's setLabelTextSize does not re-render them
                    if label.opts.get("size") != size:
                        label.setText(label.text, size=size)
            width = max((legend.layout.preferredWidth() for legend in self.legends if legend.isVisible()), default=0.0)
            if view <= 150 or width <= view / 3:
                break
        # never more than a third of a narrow view: the plot must keep its own width
        self.graphics.ci.layout.setColumnMinimumWidth(1, min(width, view / 3) if view > 150 else width)
        for legend in self.legends:
            legend.setMaximumHeight(legend.layout.preferredHeight() + 2)
            self.graphics.ci.layout.setAlignment(legend, QtCore.Qt.AlignTop | QtCore.Qt.AlignLeft)

    def map_follows_x(self) -> None:
        self.map_plot.enableAutoRange(x=False)
        self.followers.append(self.map_plot)

    def _follow_x(self, _vb: Any, x_range: Any) -> None:
        for plot in self.followers:
            plot.setXRange(*x_range, padding=0)

    def _cursor_moved(self, line: pg.InfiniteLine) -> None:
        x = line.value()
        for c in (self.cursors if line in self.cursors else self.cursors_b):
            if c is not line and c.value() != x:
                c.blockSignals(True)
                c.setValue(x)
                c.blockSignals(False)
        self.on_cursor()

    def cursor_x(self) -> float:
        return float(self.cursor.value()) if self.cursor is not None else float("nan")

    def place_cursor(self, x: float) -> None:
        if self.cursor is not None:
            self.cursor.setValue(x)

    def show_second_cursor(self, shown: bool) -> None:
        """Show or hide cursor B (kept across rebuilds of the layout)."""
        self.second_shown = shown
        for c in self.cursors_b:
            c.setVisible(shown)

    def cursor_b_x(self) -> float:
        """Cursor B's x, NaN while it is hidden."""
        return float(self.cursors_b[0].value()) if self.second_shown and self.cursors_b else float("nan")

    def place_cursor_b(self, x: float) -> None:
        if self.cursors_b:
            self.cursors_b[0].setValue(x)

    def draw_map(self, grid: MapGrid) -> None:
        img = grid.filled()
        finite = img[np.isfinite(img)]
        if not finite.size:
            return
        lo, hi = float(finite.min()), float(finite.max())
        hi = hi if hi > lo else lo + 1e-30
        cols = img.shape[1]
        x0, x1 = (grid.x_min, grid.x_max) if math.isfinite(grid.x_min) else (0.0, float(cols - 1))
        y0, y1 = min(grid.outer_values), max(grid.outer_values)
        w = (x1 - x0) / max(1, cols - 1) or 1.0
        h = (y1 - y0) / max(1, img.shape[0] - 1) or 1.0
        # points not measured yet are NaN: pyqtgraph draws them transparent
        self.image.setImage(img, autoLevels=False, levels=(lo, hi))
        self.image.setRect(QtCore.QRectF(x0 - w / 2, y0 - h / 2, w * cols, h * img.shape[0]))
        self.colour_bar.setLevels((lo, hi))
        if self.map_rows_counted:
            step = max(1, math.ceil((y1 - y0 + 1) / 6))
            self.map_plot.getAxis("left").setTickSpacing(major=step, minor=step)

    def plot_at(self, scene_pos: Any) -> pg.PlotItem | None:
        for plot in [*self.plots, self.trace_plot]:
            if plot is not None and plot.isVisible() and plot.sceneBoundingRect().contains(scene_pos):
                return plot
        return None
