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
from app.gui.plot_area import COLOURS, new_curve, set_curve_data
from app.gui.plot_model import PlotSpec, PointStore
from formats import Dataset, load


#: Longest plot title drawn (the whole title is in the metadata tree).
TITLE_CHARS = 40


def read_and_analyse(path: str | Path) -> tuple[Dataset, FileAnalysis]:
    """Worker-thread job: the file and its analysis (errors propagate as one line to the GUI)."""
    d = load(path)
    return d, analyse_dataset(d)


def show_dataset(plot: LivePlot, d: Dataset, analysis: FileAnalysis) -> None:
    """Draw the analysed trace(s) (a 2-D file: every slice) and the fitted curve; list the results."""
    # not a run: no schema, no point store; the plot is laid out here (PointStore([]) and an
    # empty PlotSpec are what the widget starts with)
    plot.spec, plot.store = PlotSpec(None, []), PointStore([], plot.max_points)
    plot.average, plot.grid = None, None
    plot.curves, plot.avg_curves, plot.trace_curves, plot.fit_curve = {}, {}, {}, None
    plot.show_average.setVisible(False)  # no scans to average in a file
    signal = analysis.signal if analysis.signal is not None else np.real(d.ordinates[0].values)
    rows = np.atleast_2d(signal)
    area = plot.area
    area.build([[f"slice {i}" for i in range(len(rows))]], trace=False, map_shown=False)
    target = area.plot
    x = np.asarray(d.x.values, float)
    for i, y in enumerate(rows):
        name = d.ordinates[0].name or "signal" if len(rows) == 1 else f"slice {i}"
        curve = new_curve(target, COLOURS[i % len(COLOURS)], name)
        set_curve_data(curve, x, np.asarray(y, float))
    fit = analysis.curves.get("fit")
    if fit is not None and np.ndim(fit) == 1 and len(fit) == len(x):
        target.plot(x, fit, pen=pg.mkPen("#000", width=2, style=QtCore.Qt.DashLine), name=f"fit ({analysis.kind})")
    target.setLabel("bottom", d.x.name or "x", units=d.x.unit or None)
    target.setLabel("left", d.ordinates[0].name or "signal", units=d.ordinates[0].unit or None)
    title = d.title or (d.source.name if d.source else "")
    # a plot title is as wide as its text: a long file title would push the plot out of view
    target.setTitle(title if len(title) <= TITLE_CHARS else title[:TITLE_CHARS - 1] + "…")
    results: dict[str, Any] = dict(analysis.results)
    results["analysis"] = f"{analysis.kind} ({analysis.reason}), channel {analysis.channel}"
    for i, note in enumerate([*analysis.notes, *analysis.warnings]):
        results[f"note {i + 1}"] = note
    plot.results.show_results(results)
    area.fit_legends()
    plot.status.setText(f"{d.format}: {len(x)} points" + (f" x {len(rows)} slices" if len(rows) > 1 else ""))
