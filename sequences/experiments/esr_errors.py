"""Error bars of a cw-ESR sweep's line fit that include what the fit itself cannot see.

* Correlated lock-in samples: the output filter (``time_constant``, ``filter_slope``) correlates
  readings taken closer than a few time constants; the line fits take the variance inflation of
  the filter at the run's measured reading interval (:func:`sweep_inflation`, from
  ``analysis.correlated_noise.reading_inflation``) as ``inflation=``, as the trace series and
  the file analysis do. These are instrument settings, recorded with the run.
* The field axis: per scan a straight line through the Hall readings (against the setpoints in a
  stepped sweep, :func:`setpoint_lines`; against time in a continuous one,
  ``esr_continuous.hall_lines``). The line's own error where it reads the resonance moves the
  whole line, so it adds in quadrature to the resonance field's error (and g's):
  :func:`axis_error`, :func:`add_axis_error`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np

from analysis.correlated_noise import reading_inflation
from analysis.lockin_lag import poles
from analysis.uncertainty import covariance, propagate
from sequences.experiment import FitValue, RunData


def sweep_inflation(run: RunData, settings: Mapping[str, Any], points: int) -> float:
    """Variance inflation of the sweep's ``points`` fitted points: the lock-in filter of the
    run's settings at its recorded reading interval (per scan); 1 where the run has no times."""
    times = run["time"] if "time" in run.columns else None
    groups = run["scan"].astype(int) if "scan" in run.columns else None
    return reading_inflation(points, float(settings["time_constant"]), poles(settings["filter_slope"]),
                             times=times, groups=groups)


@dataclass(frozen=True)
class AxisLine:
    """y = a + slope (x - xc), least squares, with the covariance of (a, slope): one scan's field
    axis. Centred on the mean x, so a and the slope are uncorrelated."""

    xc: float
    a: float
    slope: float
    cov: np.ndarray
    points: int

    @classmethod
    def fit(cls, x: np.ndarray, y: np.ndarray) -> "AxisLine | None":
        """The line through (x, y); None for fewer than two points or no spread in x."""
        x, y = np.asarray(x, float), np.asarray(y, float)
        if len(x) < 2 or np.ptp(x) == 0:
            return None
        xc = float(np.mean(x))
        design = np.column_stack([np.ones(len(x)), x - xc])
        coef, *_ = np.linalg.lstsq(design, y, rcond=None)
        return cls(xc, float(coef[0]), float(coef[1]), covariance(design, y - design @ coef), len(x))

    def __call__(self, x: np.ndarray | float) -> np.ndarray:
        return self.a + self.slope * (np.asarray(x, float) - self.xc)

    def error_where_it_reads(self, y: float) -> float:
        """1-sigma error of the line at the x where it reads ``y``: sqrt(g C g^T), g = (1, x* - xc)."""
        return propagate(self.cov, np.array([1.0, (y - self.a) / self.slope]))


def setpoint_lines(run: RunData) -> dict[int, AxisLine]:
    """Per scan of a stepped sweep, the Hall readings (``field``) regressed on the setpoints
    (the supply is linear over a sweep; the remanent offset depends on the sweep direction)."""
    b_set, b_meas, scans = run["field_set"], run["field"], run["scan"].astype(int)
    lines = {}
    for scan in np.unique(scans):
        sel = scans == scan
        line = AxisLine.fit(b_set[sel], b_meas[sel]) if sel.sum() >= 3 else None
        if line is not None:
            lines[int(scan)] = line
    return lines


def axis_error(lines: Mapping[int, AxisLine], reading: Callable[[AxisLine], float],
               by_direction: bool = False) -> float:
    """1-sigma error (T) of the scan-averaged field axis: each scan's line error where it reads
    ``reading(line)`` (lines of at least 3 points, with a slope); the scans' average divides
    the quadrature sum by their number. ``by_direction``: the scans of each sweep direction (the
    sign of their line's slope in time) are averaged first and the directions then with equal
    weight, as the continuous sweep averages its traces."""
    usable = [line for line in lines.values() if line.points >= 3 and line.slope != 0]
    groups = ([[ln for ln in usable if ln.slope > 0], [ln for ln in usable if ln.slope < 0]] if by_direction
              else [usable])
    groups = [g for g in groups if g]
    if not groups:
        return 0.0
    per_group = [math.sqrt(sum(ln.error_where_it_reads(reading(ln)) ** 2 for ln in g)) / len(g) for g in groups]
    return math.sqrt(sum(e * e for e in per_group)) / len(per_group)


def add_axis_error(out: dict[str, Any], error: float) -> None:
    """Add the field axis' ``error`` (T) at the resonance to the resonance field's error in
    ``out``, and g's in proportion."""
    b = out.get("resonance_field")
    if not isinstance(b, FitValue) or b.value == 0:
        return
    total = math.hypot(b.error, error)
    out["resonance_field"] = FitValue(b.value, total, b.unit)
    g = out.get("g_factor")
    if isinstance(g, FitValue):
        out["g_factor"] = FitValue(g.value, abs(g.value) * total / abs(b.value), g.unit)
