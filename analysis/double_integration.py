"""Model-free double integral of a first-derivative spectrum, and spin counting against a
reference sample.

The double integral of the lock-in (first-derivative) signal over the field is the area of the
absorption, proportional to the number of spins (Weil & Bolton, *Electron Paramagnetic
Resonance*, 2nd ed., Wiley 2007, ch. 13; Eaton et al., *Quantitative EPR*, Springer 2010). The
integral is computed with the trapezoid rule twice; being linear in the data, its standard
error from independent noise of rms ``sigma`` is sigma * sqrt(sum w_i^2) with w its weights.
"""
from __future__ import annotations

import numpy as np


def double_integral_weights(b: np.ndarray) -> np.ndarray:
    """w with DI = sum w_i y_i for DI = trapz(cumtrapz(y)) over an increasing field axis b."""
    b = np.asarray(b, float)
    d = np.diff(b)
    n = b.size
    # weights of the outer trapezoid over the running integral a_0 .. a_{n-1}
    t = np.zeros(n)
    t[:-1] += d / 2
    t[1:] += d / 2
    tail = np.concatenate([np.cumsum(t[::-1])[::-1], [0.0]])  # tail[m] = sum_{j >= m} t_j
    w = np.zeros(n)
    w[:-1] += d / 2 * tail[1:n]  # y_k enters segment k -> k+1 for every a_j with j >= k + 1
    w[1:] += d / 2 * tail[1:n]  # y_k enters segment k-1 -> k for every a_j with j >= k
    return w


def double_integral(b: np.ndarray, y: np.ndarray, noise: float) -> tuple[float, float]:
    """(double integral, its standard error) of derivative trace ``y`` over field ``b`` for
    independent noise of rms ``noise``; subtract the baseline first (analysis.baseline)."""
    order = np.argsort(b, kind="stable")
    b, y = np.asarray(b, float)[order], np.asarray(y, float)[order]
    w = double_integral_weights(b)
    return float(w @ y), float(noise * np.sqrt(w @ w))


def spin_count(di: float, di_err: float, di_ref: float, di_ref_err: float, ref_spins: float,
               scale: float = 1.0) -> tuple[float, float]:
    """Spins of a sample from its double integral against a reference of known spin number
    measured the same way; ``scale`` divides out the settings that differ between the two
    (receiver gain, modulation amplitude, sqrt(power), scans, temperature for a Curie sample)."""
    if di_ref == 0:
        raise ValueError("the reference spectrum's double integral is zero: no reference line")
    n = ref_spins * di / di_ref * scale
    rel = np.hypot(di_err / di if di else np.inf, di_ref_err / di_ref)
    return float(n), float(abs(n) * rel)
