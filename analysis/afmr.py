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


def _residuals(p: np.ndarray, h: np.ndarray, f: np.ndarray) -> np.ndarray:
    """Each point against the nearest branch (the map need not say which branch a point is on,
    and branches may be missing)."""
    h_e, ratio, g = p  # H_A = ratio H_E: the bound ratio < 2 keeps the model defined
    h_a = ratio * h_e
    model = easy_axis_branches(h, h_e, h_a) * g * MU_B_OVER_H
    d = np.where(np.isnan(model), np.inf, model - f[None, :])
    k = np.argmin(np.abs(d), axis=0)
    return d[k, np.arange(len(f))]


def fit_easy_axis_map(h: np.ndarray, f: np.ndarray, g0: float = 2.0, loss: str = "linear",
                      f_scale: float = 1.0) -> AfmrFit:
    """Fit (field T along the easy axis, resonance frequency Hz) points to H_E, H_A and g.

    The map must contain the spin-flop branch as well as a branch below it: below H_sf alone
    only the gap sqrt(2 H_E H_A + H_A^2) is determined, not H_E and H_A separately. Starts from
    the gap read at the lowest field and several H_E / H_A ratios; keeps the best fit. ``loss``,
    ``f_scale`` (Hz): scipy's robust losses, for maps with stray points."""
    h, f = np.abs(np.asarray(h, float)), np.asarray(f, float)
    if h.shape != f.shape or h.size < 4:
        raise ValueError(f"AFMR fit: need at least 4 (field, frequency) points of equal length, got {h.size}")
    gap0 = f[np.argmin(h)] / (g0 * MU_B_OVER_H) + h.min()
    best = None
    for ratio in (1e-3, 1e-2, 0.05, 0.2):  # H_A / H_E
        h_a0 = gap0 * math.sqrt(ratio / (2 + ratio))
        p0 = [h_a0 / ratio, ratio, g0]
        sol = least_squares(_residuals, p0, args=(h, f), x_scale=[p0[0], ratio, 1.0],
                            bounds=([1e-9, 1e-9, 0.1], [np.inf, 1.9, 10.0]), loss=loss, f_scale=f_scale)
        if sol.success and (best is None or sol.cost < best.cost):
            best = sol
    if best is None:
        raise ValueError("AFMR fit did not converge")
    h_e, ratio, g = best.x
    h_a = ratio * h_e
    to_fields = np.array([[1.0, 0.0, 0.0], [ratio, h_e, 0.0], [0.0, 0.0, 1.0]])  # d(H_E, H_A, g)/dp
    cov = to_fields @ covariance(best.jac, best.fun) @ to_fields.T
    err = standard_errors(cov)
    hsf = spin_flop_field(h_e, h_a)
    grad = np.array([h_a / hsf, (h_e - h_a) / hsf, 0.0])
    return AfmrFit(float(h_e), float(h_a), float(g), dict(zip(("h_e", "h_a", "g"), map(float, err))),
                   hsf, float(propagate(cov, grad)), float(np.sqrt(np.mean(best.fun ** 2))))


@dataclass
class AnisotropyTemperatureFit:
    """H_A(T) = H_A0 (1 - (T / T_N)^2)^beta fitted to a temperature series (T, K)."""

    h_a0: float
    t_neel: float
    beta: float
    errors: dict[str, float]
    reduced_chi2: float

    def h_a(self, t: np.ndarray) -> np.ndarray:
        return anisotropy_temperature_law(np.asarray(t, float), self.h_a0, self.t_neel, self.beta)


def anisotropy_temperature_law(t: np.ndarray, h_a0: float, t_neel: float, beta: float) -> np.ndarray:
    """H_A0 (1 - (T/T_N)^2)^beta, 0 at and above T_N: an empirical form for an anisotropy that
    vanishes with the sublattice magnetisation m(T) (beta = n/2 when H_A ~ m^n and m ~ (1 -
    (T/T_N)^2)^(1/2); Callen-Callen single-ion uniaxial anisotropy: H_A ~ m^2, H. B. Callen and
    E. Callen, J. Phys. Chem. Solids 27, 1271 (1966))."""
    x = np.clip(1 - (np.asarray(t, float) / t_neel) ** 2, 0.0, None)
    return h_a0 * x ** beta


def fit_anisotropy_temperature(t: np.ndarray, h_a: np.ndarray, h_a_err: np.ndarray) -> AnisotropyTemperatureFit:
    """Fit a series of anisotropy fields (T) with their 1-sigma errors measured at temperatures
    ``t`` (K) for H_A0, the Neel temperature and the exponent; the errors are scaled by the reduced
    chi-square when it exceeds 1."""
    t, h_a, err = (np.asarray(v, float) for v in (t, h_a, h_a_err))
    if not (t.shape == h_a.shape == err.shape) or t.size < 4:
        raise ValueError(f"H_A(T) fit: need at least 4 temperatures with H_A and its error, got {t.size}")
    if np.any(~np.isfinite(err)) or np.any(err <= 0):
        raise ValueError("H_A(T) fit: every H_A needs a positive, finite error")

    def resid(p):
        return (anisotropy_temperature_law(t, p[0], p[1], p[2]) - h_a) / err

    best = None
    for beta in (0.5, 1.0, 2.0):
        for tn in (1.1, 1.5, 3.0):
            p0 = [float(h_a[np.argmin(t)]), tn * float(t.max()), beta]
            sol = least_squares(resid, p0, bounds=([0.0, float(t.max()) * (1 + 1e-9), 0.01], [np.inf, np.inf, 10.0]))
            if best is None or sol.cost < best.cost:
                best = sol
    dof = max(t.size - 3, 1)
    chi2 = float(2 * best.cost / dof)
    cov = covariance(best.jac, best.fun, known_errors=True)
    e = standard_errors(cov)
    return AnisotropyTemperatureFit(float(best.x[0]), float(best.x[1]), float(best.x[2]),
                                    dict(zip(("h_a0", "t_neel", "beta"), map(float, e))), chi2)


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


def fit_easy_axis_map_rejecting(h: np.ndarray, f: np.ndarray, cut: float = 5.0,
                                rounds: int = 3) -> tuple[AfmrFit, np.ndarray]:
    """:func:`fit_easy_axis_map`, then points further than ``cut`` robust sigmas (median absolute
    residual x 1.4826) from every branch dropped and the rest refitted, up to ``rounds`` times.
    Returns the fit and the mask of points kept."""
    h, f = np.abs(np.asarray(h, float)), np.asarray(f, float)
    keep = np.ones(len(h), bool)
    # a first pass that outliers cannot drag (soft L1 beyond 1 % of the typical frequency): lines
    # of a mode the easy-axis branches lack (e.g. the saturated phase above ~2 H_E) or stray features
    fit = fit_easy_axis_map(h, f, loss="soft_l1", f_scale=0.01 * float(np.median(f)))
    for _ in range(rounds):
        r = _residuals(np.array([fit.h_e, fit.h_a / fit.h_e, fit.g]), h, f)
        sigma = 1.4826 * float(np.median(np.abs(r[keep])))
        new = np.abs(r) <= cut * max(sigma, 1e-12 * float(np.max(f)))
        if new.sum() < 4:
            break
        changed = not np.array_equal(new, keep)
        keep = new
        fit = fit_easy_axis_map(h[keep], f[keep])
        if not changed:
            break
    return fit, keep
