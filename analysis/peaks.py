"""Peak picking on a swept spectrum: where the lines are, before (or instead of) any model fit.

A first-derivative (lock-in) line is located at the zero crossing between its maximum and the
minimum that follows it (``analysis.line_count.derivative_line_features``); an absorption-like
trace (echo-detected sweep, magnitude, integrated spectrum) at its maxima. Only features that
stand out of the trace's noise by ``min_sigma`` (prominence) count, so a sloping baseline is not
a peak. An absorption maximum is refined by a parabola through the top of the peak.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import find_peaks

from analysis.field_correction import g_from_field
from analysis.line_count import derivative_line_features, trace_noise

SHAPES = ("auto", "derivative", "absorption")


@dataclass(frozen=True)
class Peak:
    position: float  # x of the line (zero crossing or maximum), in the x unit (T for a field sweep)
    height: float  # peak-to-peak (derivative) or height above the baseline (absorption)
    width: float  # field between the derivative's extrema, or the full width at half prominence
    shape: str  # 'derivative' or 'absorption'


def _vertex(x: np.ndarray, y: np.ndarray, i: int, prominence: float) -> float:
    """The maximum refined by a least-squares parabola through the top of the peak (the points
    within 30 % of its prominence of the highest, at least three): with noise, three points
    alone would follow the noise on a flat top; a symmetric line's top is centred without bias."""
    lo = hi = i
    while lo > 0 and y[lo - 1] >= y[i] - 0.3 * prominence:
        lo -= 1
    while hi < len(y) - 1 and y[hi + 1] >= y[i] - 0.3 * prominence:
        hi += 1
    lo, hi = min(lo, max(0, i - 1)), max(hi, min(len(y) - 1, i + 1))
    if hi - lo < 2:
        return float(x[i])
    a, b, _ = np.polyfit(x[lo:hi + 1] - x[i], y[lo:hi + 1], 2)
    vertex = x[i] - b / (2 * a) if a < 0 else x[i]
    return float(vertex) if x[lo] <= vertex <= x[hi] else float(x[i])


def _absorption_peaks(x: np.ndarray, y: np.ndarray, min_sigma: float) -> list[Peak]:
    noise = trace_noise(y)
    if not np.isfinite(noise) or noise <= 0:
        return []
    idx, props = find_peaks(y, prominence=min_sigma * noise, width=0)
    out = []
    for k, i in enumerate(idx):
        pos = _vertex(x, y, int(i), float(props["prominences"][k]))
        left, right = props["left_ips"][k], props["right_ips"][k]
        width = float(np.interp(right, np.arange(len(x)), x) - np.interp(left, np.arange(len(x)), x))
        out.append(Peak(float(pos), float(props["prominences"][k]), width, "absorption"))
    return sorted(out, key=lambda p: -p.height)


def pick_peaks(x: np.ndarray, y: np.ndarray, shape: str = "auto", min_sigma: float = 8.0) -> list[Peak]:
    """Peaks of ``y`` over ``x`` (any order), strongest first. ``shape`` 'derivative' (lock-in
    first harmonic), 'absorption', or 'auto' (:func:`looks_like_derivative`)."""
    if shape not in SHAPES:
        raise ValueError(f"peak shape {shape!r}: use one of {', '.join(SHAPES)}")
    x, y = np.asarray(x, float), np.asarray(y, float)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"peak picking needs one trace: x has shape {x.shape}, y {y.shape}")
    keep = np.isfinite(x) & np.isfinite(y)
    order = np.argsort(x[keep], kind="stable")
    x, y = x[keep][order], y[keep][order]
    if len(x) < 8:
        return []
    if shape == "auto":
        shape = "derivative" if looks_like_derivative(y) else "absorption"
    if shape == "derivative":
        return [Peak(f.centre, f.peak_to_peak, f.width, "derivative")
                for f in derivative_line_features(x, y, min_sigma)]
    return _absorption_peaks(x, y, min_sigma)


def looks_like_derivative(y: np.ndarray) -> bool:
    """A derivative line swings both ways about the baseline (the median: most points of a sweep
    are off the lines) by similar amounts; an absorption line goes one way only. Between two
    absorption lines there is a valley, so counting extrema alone would not tell them apart."""
    dev = np.asarray(y, float) - np.median(y)
    up, down = float(np.max(dev)), float(-np.min(dev))
    return min(up, down) > 0.3 * max(up, down)


def g_of_peak(position: float, frequency: float) -> float:
    """g of a line at field ``position`` (T) for microwave ``frequency`` (Hz): h f / (mu_B B)."""
    if not (frequency > 0 and position > 0):
        raise ValueError(f"g needs a positive field and frequency, got B = {position} T, f = {frequency} Hz")
    return g_from_field(position, 0.0, frequency)[0]
