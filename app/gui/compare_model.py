"""Comparing runs (Qt-free): any column against any other, per scan or scan-averaged, normalised,
or as the difference to a reference run (what plottr and Xepr's "compare" let users do).

A difference is taken on the reference's x values: the other series is interpolated linearly
onto them, and points outside the x range it covers are NaN (never extrapolated).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.gui.plot_model import ScanAverage
from sequences.experiment import RunData


@dataclass(frozen=True)
class Series:
    """One drawn line: its legend label and data (x sorted ascending)."""

    label: str
    x: np.ndarray
    y: np.ndarray


def plottable_columns(run: RunData) -> list[str]:
    """Columns with one number per point (array columns such as digitizer records are left out)."""
    return [k for k, v in run.columns.items() if np.ndim(v) == 1 and np.issubdtype(np.asarray(v).dtype, np.number)]


def _sorted(label: str, x: np.ndarray, y: np.ndarray) -> Series:
    order = np.argsort(x, kind="stable")
    return Series(label, np.asarray(x, float)[order], np.asarray(y, float)[order])


def series_of(run: RunData, name: str, x: str, y: str, per_scan: bool) -> list[Series]:
    """``y`` against ``x`` of one run: one series per scan (``per_scan``), or the scan average
    per point index when the run has ``scan`` and ``index`` columns, else the points as recorded."""
    cols = run.columns
    for key in (x, y):
        if key not in cols:
            raise KeyError(f"{name}: no column {key!r}; it has {', '.join(plottable_columns(run))}")
    xs, ys = np.asarray(cols[x], float), np.asarray(cols[y], float)
    n = min(len(xs), len(ys))
    xs, ys = xs[:n], ys[:n]
    if "scan" not in cols or len(np.unique(cols["scan"][:n])) < 2:
        return [_sorted(name, xs, ys)]
    scans = np.asarray(cols["scan"][:n], int)
    if per_scan:
        return [_sorted(f"{name} scan {s}", xs[scans == s], ys[scans == s]) for s in np.unique(scans)]
    if "index" not in cols:
        return [_sorted(name, xs, ys)]
    avg = ScanAverage(["x", "y"])
    avg.add([{"i": i, "x": a, "y": b} for i, a, b in zip(cols["index"][:n], xs, ys)], "i")
    return [_sorted(f"{name} (mean of {len(np.unique(scans))} scans)", avg.mean("x"), avg.mean("y"))]


def normalised(s: Series) -> Series:
    """Scaled to a largest |y| of 1 (unchanged when all zero or NaN)."""
    peak = np.nanmax(np.abs(s.y)) if np.any(np.isfinite(s.y)) else 0.0
    return Series(s.label, s.x, s.y / peak if peak > 0 else s.y)


def difference(s: Series, reference: Series) -> Series:
    """``s`` minus ``reference`` on the reference's x (``s`` interpolated linearly; NaN where
    ``s`` does not reach)."""
    inside = (reference.x >= s.x[0]) & (reference.x <= s.x[-1]) if len(s.x) else np.zeros(len(reference.x), bool)
    y = np.full(len(reference.x), np.nan)
    y[inside] = np.interp(reference.x[inside], s.x, s.y) - reference.y[inside]
    return Series(f"{s.label} − {reference.label}", reference.x, y)
