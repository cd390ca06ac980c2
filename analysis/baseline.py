"""Polynomial baseline of a swept trace, fitted only where there is no line.

Spectrometer baselines (cavity background, field-dependent offsets of the lock-in, drift) are
smooth over the sweep; lines are not. The baseline is the least-squares polynomial through the
points outside the excluded field windows, evaluated everywhere; subtract it before integrating.
"""
from __future__ import annotations

import numpy as np


def line_windows(centres: list[float], widths: list[float], factor: float = 5.0) -> list[tuple[float, float]]:
    """Windows centre +- factor x width around each line (width: its peak-to-peak width);
    a Lorentzian's derivative has fallen below 2 % of its peak at 5 peak-to-peak widths."""
    return [(c - factor * w, c + factor * w) for c, w in zip(centres, widths)]


def polynomial_baseline(b: np.ndarray, y: np.ndarray, order: int,
                        exclude: list[tuple[float, float]] = ()) -> np.ndarray:
    """The order-``order`` polynomial through the points of ``y`` outside ``exclude``, on ``b``."""
    b, y = np.asarray(b, float), np.asarray(y, float)
    if order < 0:
        raise ValueError(f"baseline order {order}: use 0 (offset), 1 (straight line) or higher")
    keep = np.ones(b.size, bool)
    for lo, hi in exclude:
        keep &= ~((b >= lo) & (b <= hi))
    if np.count_nonzero(keep) < 2 * (order + 1):
        raise ValueError(f"a baseline of order {order} needs at least {2 * (order + 1)} points outside the "
                         f"line regions, only {np.count_nonzero(keep)} of {b.size} are: widen the sweep")
    centre, half = 0.5 * (b.min() + b.max()), 0.5 * float(np.ptp(b)) or 1.0
    coef = np.polynomial.polynomial.polyfit((b[keep] - centre) / half, y[keep], order)
    return np.polynomial.polynomial.polyval((b - centre) / half, coef)
