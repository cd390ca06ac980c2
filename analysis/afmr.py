"""Antiferromagnetic resonance: the two-sublattice branches and a fit of a frequency-field map.

Fields in tesla (mu0 H), frequencies in Hz, gamma = g mu_B / h. Two sublattices coupled by the
exchange field H_E with a uniaxial anisotropy field H_A (C. Kittel, Phys. Rev. 82, 565 (1951);
T. Nagamiya, Prog. Theor. Phys. 6, 342 (1951); F. Keffer and C. Kittel, Phys. Rev. 85, 329
(1952); review: S. M. Rezende, A. Azevedo and R. L. Rodriguez-Suarez, J. Appl. Phys. 126,
151101 (2019)):

* easy axis, field along it, below the spin flop: f / gamma = sqrt(2 H_E H_A + H_A^2) +- H;
* spin-flop field H_sf = sqrt(2 H_E H_A - H_A^2);
* above it (sublattices flopped, canted towards H), one branch
  (f / gamma)^2 = H^2 2 H_E (2 H_E + H_A) / (2 H_E - H_A)^2 - 2 H_E H_A
  (the other is the zero-frequency rotation about the axis); for H_A << H_E this is the often
  quoted sqrt(H^2 - 2 H_E H_A);
* easy plane (hard-axis field H_D), field in the plane: f / gamma = H sqrt(1 + H_D / (2 H_E))
  and sqrt(2 H_E H_D (1 - (H / 2 H_E)^2)).

H_A(T) across a temperature series: ``analysis.afmr_temperature``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares

from analysis.constants import H, MU_B
from analysis.uncertainty import covariance, propagate, standard_errors

MU_B_OVER_H = MU_B / H  # Hz/T


def spin_flop_field(h_e: float, h_a: float) -> float:
    """H_sf = sqrt(2 H_E H_A - H_A^2) (T)."""
    return math.sqrt(2 * h_e * h_a - h_a * h_a)


def easy_axis_branches(h: np.ndarray, h_e: float, h_a: float) -> np.ndarray:
    """f / gamma (T) of the modes at fields ``h`` along the easy axis, shape (3, n): upper and
    lower antiferromagnetic branches (NaN above H_sf) and the spin-flop branch (NaN below)."""
    h = np.abs(np.asarray(h, float))
    gap = math.sqrt(2 * h_e * h_a + h_a * h_a)
    below = h < spin_flop_field(h_e, h_a)
    c = 2 * h_e * (2 * h_e + h_a) / (2 * h_e - h_a) ** 2
    flop = np.sqrt(np.clip(c * h * h - 2 * h_e * h_a, 0.0, None))
    return np.array([np.where(below, gap + h, np.nan), np.where(below, gap - h, np.nan),
                     np.where(below, np.nan, flop)])


def easy_plane_branches(h: np.ndarray, h_e: float, h_d: float) -> np.ndarray:
    """f / gamma (T) for a field in the easy plane (hard-axis field ``h_d``), shape (2, n): the
    in-plane and out-of-plane modes, below the saturation field 2 H_E."""
    h = np.abs(np.asarray(h, float))
    return np.array([h * math.sqrt(1 + h_d / (2 * h_e)),
                     np.sqrt(np.clip(2 * h_e * h_d * (1 - (h / (2 * h_e)) ** 2), 0.0, None))])


@dataclass
class AfmrFit:
    h_e: float
    h_a: float
    g: float
    errors: dict[str, float]
    spin_flop: float
    spin_flop_error: float
    rms_hz: float


def _residuals(p: np.ndarray, h: np.ndarray, f: np.ndarray, h_err: np.ndarray | None = None) -> np.ndarray:
    """Each point against the nearest branch (the map need not say which branch a point is on,
    and branches may be missing). With field errors ``h_err`` (T): divided by the frequency error
    they make on that branch, |df/dH| h_err (effective variance; the frequency is set exactly)."""
    h_e, ratio, g = p  # H_A = ratio H_E: the bound ratio < 2 keeps the model defined
    h_a = ratio * h_e
    model = easy_axis_branches(h, h_e, h_a) * g * MU_B_OVER_H
    d = np.where(np.isnan(model), np.inf, model - f[None, :])
    k = np.argmin(np.abs(d), axis=0)
    r = d[k, np.arange(len(f))]
    if h_err is None:
        return r
    # d(f/gamma)/dH: +1, -1 on the antiferromagnetic branches, c H / (f/gamma) on the flopped one
    c = 2 * h_e * (2 * h_e + h_a) / (2 * h_e - h_a) ** 2
    flop = np.sqrt(np.clip(c * h * h - 2 * h_e * h_a, 0.0, None))
    slope = np.where(k == 2, c * h / np.maximum(flop, 1e-3 * h_e), 1.0) * g * MU_B_OVER_H
    return r / (slope * h_err)


def fit_easy_axis_map(h: np.ndarray, f: np.ndarray, g0: float = 2.0, loss: str = "linear",
                      f_scale: float = 1.0, h_err: np.ndarray | None = None,
                      start: tuple[float, float, float] | None = None) -> AfmrFit:
    """Fit (field T along the easy axis, resonance frequency Hz) points to H_E, H_A and g.

    The map must contain the spin-flop branch as well as a branch below it: below H_sf alone
    only the gap sqrt(2 H_E H_A + H_A^2) is determined, not H_E and H_A separately. Starts from
    the gap read at the lowest field and several H_E / H_A ratios; keeps the best fit. ``loss``,
    ``f_scale`` (Hz; in units of the errors with ``h_err``): scipy's robust losses, for maps
    with stray points. ``h_err`` (T): 1-sigma errors of the line fields; the covariance then
    keeps them (scaled up by the reduced chi-square when it exceeds 1), else it comes from the
    residual scatter, every point weighted alike. ``start``: (H_E, H_A, g) tried first (a
    previous fit), besides the starts from the gap."""
    h, f = np.abs(np.asarray(h, float)), np.asarray(f, float)
    if h.shape != f.shape or h.size < 4:
        raise ValueError(f"AFMR fit: need at least 4 (field, frequency) points of equal length, got {h.size}")
    if h_err is not None:
        h_err = np.asarray(h_err, float)
        if h_err.shape != h.shape or not np.all(np.isfinite(h_err) & (h_err > 0)):
            raise ValueError("AFMR fit: h_err needs one positive, finite field error per point")
    gap0 = f[np.argmin(h)] / (g0 * MU_B_OVER_H) + h.min()
    starts = []
    if start is not None and 0 < start[1] < 1.9 * start[0]:
        starts.append([start[0], start[1] / start[0], start[2]])
    for ratio in (1e-3, 1e-2, 0.05, 0.2):  # H_A / H_E
        h_a0 = gap0 * math.sqrt(ratio / (2 + ratio))
        starts.append([h_a0 / ratio, ratio, g0])
    best = None
    for p0 in starts:
        ratio = p0[1]
        sol = least_squares(_residuals, p0, args=(h, f, h_err), x_scale=[p0[0], ratio, 1.0],
                            bounds=([1e-9, 1e-9, 0.1], [np.inf, 1.9, 10.0]), loss=loss, f_scale=f_scale)
        if sol.success and (best is None or sol.cost < best.cost):
            best = sol
    if best is None:
        raise ValueError("AFMR fit did not converge")
    h_e, ratio, g = best.x
    h_a = ratio * h_e
    to_fields = np.array([[1.0, 0.0, 0.0], [ratio, h_e, 0.0], [0.0, 0.0, 1.0]])  # d(H_E, H_A, g)/dp
    cov = to_fields @ covariance(best.jac, best.fun, known_errors=h_err is not None) @ to_fields.T
    err = standard_errors(cov)
    hsf = spin_flop_field(h_e, h_a)
    grad = np.array([h_a / hsf, (h_e - h_a) / hsf, 0.0])
    rms = float(np.sqrt(np.mean(_residuals(best.x, h, f) ** 2)))
    return AfmrFit(float(h_e), float(h_a), float(g), dict(zip(("h_e", "h_a", "g"), map(float, err))),
                   hsf, float(propagate(cov, grad)), rms)


def non_resonant_fields(h: np.ndarray, f: np.ndarray, tolerance: float, min_traces: int = 3) -> np.ndarray:
    """Mask of features found at one field (within ``tolerance`` T) at ``min_traces`` or more
    different frequencies: not resonances (a resonance moves with frequency, and at most two
    easy-axis branches share a field) but a field-driven change such as the spin-flop
    transition, where the modes jump as the field modulation crosses H_sf."""
    h, f = np.asarray(h, float), np.asarray(f, float)
    out = np.zeros(len(h), bool)
    for i in range(len(h)):
        near = np.abs(h - h[i]) <= tolerance
        out[i] = len(np.unique(f[near])) >= min_traces
    return out


def fit_easy_axis_map_rejecting(h: np.ndarray, f: np.ndarray, cut: float = 5.0, rounds: int = 3,
                                h_err: np.ndarray | None = None) -> tuple[AfmrFit, np.ndarray]:
    """:func:`fit_easy_axis_map`, then points further than ``cut`` robust sigmas (median absolute
    residual x 1.4826) from every branch dropped and the rest refitted, up to ``rounds`` times.
    Returns the fit and the mask of points kept. With ``h_err`` the same again on the
    error-weighted residuals, from the unweighted result (a stray point's small error would make
    it a lever in the first, robust pass)."""
    h, f = np.abs(np.asarray(h, float)), np.asarray(f, float)
    keep = np.ones(len(h), bool)
    # a first pass that outliers cannot drag (soft L1 beyond 1 % of the typical frequency): lines
    # of a mode the easy-axis branches lack (e.g. the saturated phase above ~2 H_E), the truncated
    # tail of the upper branch at H_sf, or stray features
    fit = fit_easy_axis_map(h, f, loss="soft_l1", f_scale=0.01 * float(np.median(f)))
    fit, keep = _reject(h, f, None, fit, keep, cut, rounds, 1e-12 * float(np.max(f)))
    if h_err is None:
        return fit, keep
    e = np.asarray(h_err, float)
    fit = fit_easy_axis_map(h[keep], f[keep], h_err=e[keep], start=(fit.h_e, fit.h_a, fit.g))
    return _reject(h, f, e, fit, keep, cut, rounds, 1.0)


def _reject(h: np.ndarray, f: np.ndarray, e: np.ndarray | None, fit: AfmrFit, keep: np.ndarray, cut: float,
            rounds: int, floor: float) -> tuple[AfmrFit, np.ndarray]:
    """Rounds of: drop points beyond ``cut`` robust sigmas (at least ``floor``), refit from ``fit``."""
    for _ in range(rounds):
        r = _residuals(np.array([fit.h_e, fit.h_a / fit.h_e, fit.g]), h, f, e)
        sigma = 1.4826 * float(np.median(np.abs(r[keep])))
        new = np.abs(r) <= cut * max(sigma, floor)
        if new.sum() < 4:
            break
        changed = not np.array_equal(new, keep)
        keep = new
        fit = fit_easy_axis_map(h[keep], f[keep], h_err=None if e is None else e[keep],
                                start=(fit.h_e, fit.h_a, fit.g))
        if not changed:
            break
    return fit, keep
