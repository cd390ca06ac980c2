"""A spectrum file from another spectrometer in the data browser: read with ``formats.load``,
analysed by ``app.file_analysis.analyse_dataset`` (what ``spinbench analyse FILE`` does), drawn
on the browser's plot with its fit, its parameters in the metadata tree."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from app.file_analysis import FileAnalysis, analyse_dataset
from app.gui._qt import QtCore, pg
from app.gui.live_plot import LivePlot
from app.gui import theme
from app.gui.plot_area import new_curve
from app.gui.plot_model import PlotSpec, PointStore
from formats import Dataset, load


#: Longest plot title drawn (the whole title is in the metadata tree).
TITLE_CHARS = 40


def read_and_analyse(path: str | Path) -> tuple[Dataset, FileAnalysis]:
    """Worker-thread job: the file and its analysis (errors propagate as one line to the GUI)."""
    d = load(path)
    return d, analyse_dataset(d)


def show_dataset(plot: LivePlot, d: Dataset, analysis: FileAnalysis) -> None:
    """Draw the analysed trace(s) (a 2-D file: every slice) and the fitted curve; list the results.
    The traces go through the plot's point store as columns (x, then one per slice), so the
    cursors' read-outs (A, and B − A) give their values with units, as for a run."""
    signal = analysis.signal if analysis.signal is not None else np.real(d.ordinates[0].values)
    rows = np.atleast_2d(signal)
    x = np.asarray(d.x.values, float)
    x_name = d.x.name or "x"
    names = [(d.ordinates[0].name or "signal") if len(rows) == 1 else f"slice {i}" for i in range(len(rows))]
    names = [n if n != x_name else f"{n} (signal)" for n in names]
    unit = d.ordinates[0].unit
    plot.spec = PlotSpec(x_name, names, units={x_name: d.x.unit, **{n: unit for n in names}})
    plot.store = PointStore([x_name, *names], plot.max_points)
    plot.average, plot.grid = None, None
    plot.curves, plot.avg_curves, plot.trace_curves, plot.fit_curve = {}, {}, {}, None
    plot._segment, plot._segment_start, plot._placed = None, 0, False
    plot.show_average.setVisible(False)  # no scans to average in a file
    area = plot.area
    area.build([names], trace=False, map_shown=False)
    area.set_legends_visible(plot.show_legend.isChecked())
    target = area.plot
    for i, name in enumerate(names):
        plot.curves[name] = new_curve(target, theme.curve_colour(i), name)
    columns = {x_name: x, **{n: np.asarray(y, float) for n, y in zip(names, rows)}}
    plot.store.extend([{k: v[i] for k, v in columns.items()} for i in range(len(x))])
    fit = analysis.curves.get("fit")
    if fit is not None and np.ndim(fit) == 1 and len(fit) == len(x):
        plot.fit_curve = target.plot(x, fit, pen=pg.mkPen(theme.current().foreground, width=2, style=QtCore.Qt.DashLine),
                                     name=f"fit ({analysis.kind})")
    target.setLabel("bottom", x_name, units=d.x.unit or None)
    target.setLabel("left", d.ordinates[0].name or "signal", units=unit or None)
    title = d.title or (d.source.name if d.source else "")
    # a plot title is as wide as its text: a long file title would push the plot out of view
    target.setTitle(title if len(title) <= TITLE_CHARS else title[:TITLE_CHARS - 1] + "…")
    results: dict[str, Any] = dict(analysis.results)
    results["analysis"] = f"{analysis.kind} ({analysis.reason}), channel {analysis.channel}"
    for i, note in enumerate([*analysis.notes, *analysis.warnings]):
        results[f"note {i + 1}"] = note
    plot.results.show_results(results)
    plot._touch()
    plot.refresh()
    target.enableAutoRange()
    area.fit_legends()
    plot.status.setText(f"{d.format}: {len(x)} points" + (f" x {len(rows)} slices" if len(rows) > 1 else ""))
