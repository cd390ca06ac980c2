"""The anisotropy field of an antiferromagnet against temperature, H_A(T), fitted for H_A(0) and
the Neel temperature T_N.

Two models:

* ``"mean-field"``: H_A(T) = H_A0 m(T/T_N)^n with m the reduced sublattice magnetisation of the
  molecular-field theory, m = B_S(3S/(S+1) m T_N/T) (Brillouin function of spin S; e.g.
  J. S. Smart, *Effective Field Theories of Magnetism*, Saunders 1966, ch. 4), and n = 2 for a
  uniaxial single-ion anisotropy: K ~ m^3 (H. B. Callen and E. Callen, J. Phys. Chem. Solids 27,
  1271 (1966)), H_A = 2K/M ~ m^2. S and n are inputs (the ion's spin, the anisotropy's origin);
  H_A0 and T_N are fitted.
* ``"power-law"``: the empirical H_A0 (1 - (T/T_N)^2)^beta, beta fitted too; it has the mean-field
  exponent at T_N for beta = n/2 but not the mean-field shape in between, so on a mean-field
  magnet it trades T_N against beta (a model error, not noise: prefer ``"mean-field"`` when S
  is known).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import least_squares

from analysis.uncertainty import covariance, standard_errors

MODELS = ("mean-field", "power-law")


def brillouin(x: np.ndarray, spin: float) -> np.ndarray:
    """B_S(x); below x = 1e-3 its series (S+1)/(3S) x - (a^4 - b^4) x^3 / 45, where the two coth
    terms would cancel to round-off (a = (2S+1)/2S, b = 1/2S)."""
    x = np.asarray(x, float)
    a, b = (2 * spin + 1) / (2 * spin), 1 / (2 * spin)
    small = np.abs(x) < 1e-3
    xs = np.where(small, 1.0, x)
    full = a / np.tanh(a * xs) - b / np.tanh(b * xs)
    return np.where(small, (spin + 1) / (3 * spin) * x - (a ** 4 - b ** 4) * x ** 3 / 45, full)


def mean_field_magnetisation(reduced_t: np.ndarray, spin: float) -> np.ndarray:
    """Reduced sublattice magnetisation m(T/T_N) (0 at and above T_N): the root of
    m = B_S(3S/(S+1) m / t), by bisection on [0, 1] (the right side minus m is positive below
    the root and negative above it for 0 < t < 1), 60 halvings: to round-off."""
    if not spin > 0:
        raise ValueError(f"mean-field magnetisation: spin must be > 0, got {spin}")
    t = np.asarray(reduced_t, float)
    inside = (t > 0) & (t < 1)
    ti = np.where(inside, t, 0.5)
    lo, hi = np.zeros_like(ti), np.ones_like(ti)
    c = 3 * spin / (spin + 1)
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        above = brillouin(c * mid / ti, spin) > mid
        lo, hi = np.where(above, mid, lo), np.where(above, hi, mid)
    return np.where(inside, 0.5 * (lo + hi), np.where(t <= 0, 1.0, 0.0))


def anisotropy_temperature_law(t: np.ndarray, h_a0: float, t_neel: float, beta: float) -> np.ndarray:
    """The empirical H_A0 (1 - (T/T_N)^2)^beta, 0 at and above T_N."""
    x = np.clip(1 - (np.asarray(t, float) / t_neel) ** 2, 0.0, None)
    return h_a0 * x ** beta


def mean_field_anisotropy(t: np.ndarray, h_a0: float, t_neel: float, spin: float,
                          exponent: float = 2.0) -> np.ndarray:
    """H_A0 m(T/T_N)^exponent, m the mean-field sublattice magnetisation of spin ``spin``."""
    return h_a0 * mean_field_magnetisation(np.asarray(t, float) / t_neel, spin) ** exponent


@dataclass
class AnisotropyTemperatureFit:
    """H_A(0) (T), T_N (K) and the exponent (beta of the power law, fitted; the mean-field model's
    m exponent n, given) with 1-sigma errors (``errors``, fitted parameters only)."""

    model: str
    h_a0: float
    t_neel: float
    exponent: float
    errors: dict[str, float]
    reduced_chi2: float
    spin: float = field(default=float("nan"))

    def h_a(self, t: np.ndarray) -> np.ndarray:
        if self.model == "mean-field":
            return mean_field_anisotropy(t, self.h_a0, self.t_neel, self.spin, self.exponent)
        return anisotropy_temperature_law(t, self.h_a0, self.t_neel, self.exponent)


def fit_anisotropy_temperature(t: np.ndarray, h_a: np.ndarray, h_a_err: np.ndarray, model: str = "mean-field",
                               spin: float | None = None, exponent: float = 2.0) -> AnisotropyTemperatureFit:
    """Fit anisotropy fields (T) with their 1-sigma errors measured at temperatures ``t`` (K).

    ``model``: ``"mean-field"`` (H_A0, T_N fitted; ``spin`` S, required, and ``exponent`` n given) or
    ``"power-law"`` (H_A0, T_N, beta fitted). The errors are scaled by the reduced chi-square
    when it exceeds 1 (``analysis.uncertainty.covariance``)."""
    if model not in MODELS:
        raise ValueError(f"H_A(T) fit: unknown model {model!r}; use one of {list(MODELS)}")
    if model == "mean-field" and not (spin is not None and spin > 0):
        raise ValueError(f"H_A(T) fit (mean-field): give the magnetic ion's spin S > 0 (e.g. 2.5 for Mn2+), got {spin}")
    t, h_a, err = (np.asarray(v, float) for v in (t, h_a, h_a_err))
    n_par = 2 if model == "mean-field" else 3
    if not (t.shape == h_a.shape == err.shape) or t.size < n_par + 1:
        raise ValueError(f"H_A(T) fit ({model}): need at least {n_par + 1} temperatures with H_A and its error, "
                         f"got {t.size}")
    if np.any(~np.isfinite(err)) or np.any(err <= 0):
        raise ValueError("H_A(T) fit: every H_A needs a positive, finite error")
    if np.any(~np.isfinite(h_a)) or np.any(~np.isfinite(t)) or np.any(t < 0):
        raise ValueError("H_A(T) fit: temperatures and H_A must be finite (temperatures >= 0 K)")
    s_ion = float(spin) if model == "mean-field" and spin is not None else float("nan")
    t_low = float(t.max()) * (1 + 1e-9)  # T_N above every measured temperature: H_A > 0 there

    if model == "mean-field":
        def resid(p):
            return (mean_field_anisotropy(t, p[0], p[1], s_ion, exponent) - h_a) / err
        starts = [[float(h_a[np.argmin(t)]), k * float(t.max())] for k in (1.05, 1.2, 1.5, 3.0)]
        lower, upper = [0.0, t_low], [np.inf, np.inf]
    else:
        def resid(p):
            return (anisotropy_temperature_law(t, p[0], p[1], p[2]) - h_a) / err
        starts = [[float(h_a[np.argmin(t)]), k * float(t.max()), b] for b in (0.5, 1.0, 2.0) for k in (1.1, 1.5, 3.0)]
        lower, upper = [0.0, t_low, 0.01], [np.inf, np.inf, 10.0]
    best = None
    for p0 in starts:
        sol = least_squares(resid, p0, bounds=(lower, upper), x_scale=np.abs(p0), xtol=1e-12, ftol=1e-12)
        if best is None or sol.cost < best.cost:
            best = sol
    chi2 = float(2 * best.cost / max(t.size - n_par, 1))
    e = standard_errors(covariance(best.jac, best.fun, known_errors=True))
    names = ("h_a0", "t_neel") if model == "mean-field" else ("h_a0", "t_neel", "beta")
    beta = exponent if model == "mean-field" else float(best.x[2])
    return AnisotropyTemperatureFit(model, float(best.x[0]), float(best.x[1]), beta,
                                    dict(zip(names, map(float, e))), chi2, s_ion)
