"""How many lines a first-derivative (lock-in) spectrum holds, before any model is fitted.

A first-derivative line is a maximum followed, at higher field, by a minimum (absorption rising
then falling); its centre is the zero crossing between them. A feature counts when both
extrema stand out of the trace by ``min_sigma`` times the noise (prominence, so a sloping
baseline does not count). A one-line fit of a spectrum with several such features
describes only one of them, and the analysis says so instead of reporting it as "the" line.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import find_peaks

from analysis.derivative_lines import robust_noise


@dataclass(frozen=True)
class LineFeature:
    centre: float  # field of the zero crossing between the extrema (T)
    peak_to_peak: float  # signal difference max - min
    width: float  # field between the extrema (T): ~ the peak-to-peak width


def trace_noise(y: np.ndarray, edge: float = 0.1) -> float:
    """Noise of a swept trace: the larger of the point-to-point estimate and the scatter about a
    straight line in the quieter of its two ends (``edge`` of the points each). Filtered or
    oversampled traces have correlated noise that point-to-point differences miss."""
    y = np.asarray(y, float)
    n = max(8, int(edge * len(y)))
    ends = []
    for part in (y[:n], y[-n:]):
        if len(part) >= 8:
            x = np.arange(len(part))
            resid = part - np.polyval(np.polyfit(x, part, 1), x)
            ends.append(1.4826 * float(np.median(np.abs(resid - np.median(resid)))))
    return max(robust_noise(y), min(ends) if ends else 0.0)


def derivative_line_features(b: np.ndarray, y: np.ndarray, min_sigma: float = 8.0) -> list[LineFeature]:
    """Derivative-line features of ``y`` over field ``b`` (any order), strongest first."""
    order = np.argsort(b, kind="stable")
    b, y = np.asarray(b, float)[order], np.asarray(y, float)[order]
    noise = trace_noise(y)
    if not np.isfinite(noise) or noise <= 0 or len(y) < 8:
        return []
    prominence = min_sigma * noise
    maxima, _ = find_peaks(y, prominence=prominence)
    minima, _ = find_peaks(-y, prominence=prominence)
    extrema = sorted([(int(i), 1) for i in maxima] + [(int(i), -1) for i in minima])
    out = []
    for (i, kind), (j, next_kind) in zip(extrema, extrema[1:]):
        if kind == 1 and next_kind == -1 and y[i] - y[j] >= 2 * prominence:
            seg = y[i:j + 1] - 0.5 * (y[i] + y[j])
            k = int(np.flatnonzero(np.diff(np.sign(seg)) != 0)[0]) if np.any(np.diff(np.sign(seg)) != 0) else 0
            x0, x1 = b[i + k], b[min(i + k + 1, j)]
            y0, y1 = seg[k], seg[min(k + 1, len(seg) - 1)]
            centre = x0 + (x1 - x0) * y0 / (y0 - y1) if y0 != y1 else x0
            out.append(LineFeature(float(centre), float(y[i] - y[j]), float(b[j] - b[i])))
    return sorted(out, key=lambda f: -f.peak_to_peak)
