"""Closed-form FMR models and fits: Kittel resonance fields, Gilbert damping, anisotropy energy.

Resonance conditions (SI, B = mu0 H in T, gamma' = g muB / h in Hz/T; Kittel 1948,
Smit & Beljers 1955), written here as resonance field against frequency, the quantity measured with errors:

| geometry       | f(B)                                   | B_res(f)                                   |
|----------------|----------------------------------------|--------------------------------------------|
| in-plane film  | gamma' sqrt((B + Bk)(B + Bk + Meff))    | -Bk - Meff/2 + sqrt(Meff^2/4 + (f/gamma')^2) |
| out-of-plane   | gamma' (B - Meff)                      | f/gamma' + Meff                            |
| sphere         | gamma' B                               | f/gamma'                                   |
| easy-axis      | gamma' (B + BK)                        | f/gamma' - BK                              |
| easy-plane     | gamma' sqrt(B (B + BA))  (B in plane)   | -BA/2 + sqrt(BA^2/4 + (f/gamma')^2)        |
| hard-axis      | gamma' (B - BA)  (B along the hard c)   | f/gamma' + BA                              |

Meff = Ms - 2 K_perp/(mu0 Ms); BK (BA) = 2 |K| / Ms (mu0 H_K in T). Damping: the absorption
FWHM in field is dB0 + 2 alpha f / gamma' (Lorentzian intrinsic + Lorentzian inhomogeneous).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from analysis.constants import H, MU0, MU_B
from analysis.model_names import GEOMETRIES
from analysis.uncertainty import covariance, standard_errors

#: What the geometry's field parameter means (for reports).
FIELD_PARAMETER = {"in-plane": "mu0_meff", "out-of-plane": "mu0_meff", "sphere": "",
                   "easy-axis": "mu0_hk", "easy-plane": "mu0_ha", "hard-axis": "mu0_ha"}


def gamma_prime(g: float) -> float:
    """g muB / h in Hz/T."""
    return g * MU_B / H


def resonance_field(f: np.ndarray, g: float, bfield: float, geometry: str, bk: float = 0.0) -> np.ndarray:
    """B_res (T) at frequencies ``f`` (Hz); ``bfield`` is mu0 Meff, mu0 HK or mu0 HA (T)."""
    x = np.asarray(f, float) / gamma_prime(g)
    if geometry in ("in-plane", "easy-plane"):
        return -bk - bfield / 2 + np.sqrt(bfield**2 / 4 + x * x)
    if geometry in ("out-of-plane", "hard-axis"):
        return x + bfield
    if geometry == "easy-axis":
        return x - bfield
    if geometry == "sphere":
        return x
    raise ValueError(f"unknown geometry {geometry!r}; use one of {list(GEOMETRIES)}")


def resonance_frequency(b: np.ndarray, g: float, bfield: float, geometry: str, bk: float = 0.0) -> np.ndarray:
    """Inverse of :func:`resonance_field` (NaN where no resonance exists at that field)."""
    b = np.asarray(b, float)
    gp = gamma_prime(g)
    with np.errstate(invalid="ignore"):
        if geometry in ("in-plane", "easy-plane"):
            prod = (b + bk) * (b + bk + bfield)
            return np.where(prod >= 0, gp * np.sqrt(np.abs(prod)), np.nan)
        if geometry in ("out-of-plane", "hard-axis"):
            return np.where(b >= bfield, gp * (b - bfield), np.nan)
        if geometry == "easy-axis":
            return gp * (b + bfield)
        if geometry == "sphere":
            return gp * b
    raise ValueError(f"unknown geometry {geometry!r}; use one of {list(GEOMETRIES)}")


@dataclass
class KittelFit:
    geometry: str
    g: float
    bfield: float  # mu0 Meff / mu0 HK / mu0 HA in T (0 for a sphere)
    bk: float
    errors: dict[str, float]
    residuals: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0))
    reduced_chi2: float = float("nan")
    #: covariance of the fitted parameters in the order (g, field parameter, bk), free ones only
    cov: np.ndarray = field(repr=False, default_factory=lambda: np.empty((0, 0)))

    @property
    def g_field_correlation(self) -> float:
        """Correlation coefficient of g and the field parameter (NaN for a sphere): near +-1 the
        data cannot tell them apart (frequencies over too narrow a range), whatever the errors say."""
        if self.cov.shape[0] < 2:
            return float("nan")
        denom = np.sqrt(self.cov[0, 0] * self.cov[1, 1])
        return float(self.cov[0, 1] / denom) if denom > 0 else float("nan")

    def field_at(self, f: np.ndarray) -> np.ndarray:
        return resonance_field(f, self.g, self.bfield, self.geometry, self.bk)


def fit_kittel(f: np.ndarray, b_res: np.ndarray, b_err: np.ndarray | None = None, *, geometry: str,
               fit_bk: bool = False, g0: float | None = None, bfield0: float | None = None) -> KittelFit:
    """Weighted least squares of B_res(f). Errors scale with the reduced chi^2 when it exceeds 1
    (the scatter, not only the per-point errors, sets the uncertainty)."""
    from scipy.optimize import least_squares
    if geometry not in GEOMETRIES:
        raise ValueError(f"unknown geometry {geometry!r}; use one of {list(GEOMETRIES)}")
    f, b = np.asarray(f, float), np.asarray(b_res, float)
    sig = np.ones_like(b) if b_err is None else np.where(np.asarray(b_err) > 0, b_err, np.nanmax(b_err) or 1.0)
    has_field = geometry != "sphere"
    n_par = 1 + has_field + bool(fit_bk)
    if len(f) < n_par:
        raise ValueError(f"a {geometry} Kittel fit with {n_par} parameters needs at least {n_par} "
                         f"frequencies, got {len(f)}")
    if len(f) == n_par and n_par > 1 and len(np.unique(f)) < n_par:
        raise ValueError("the Kittel fit needs distinct frequencies")
    if g0 is None or (has_field and bfield0 is None):
        g0, bfield0 = _start(f, b, geometry)

    def unpack(p: np.ndarray) -> tuple[float, float, float]:
        return p[0], (p[1] if has_field else 0.0), (p[-1] if fit_bk else 0.0)

    def resid(p: np.ndarray) -> np.ndarray:
        return (resonance_field(f, *unpack(p)[:2], geometry, unpack(p)[2]) - b) / sig

    p0 = [g0] + ([bfield0] if has_field else []) + ([0.0] if fit_bk else [])
    sol = least_squares(resid, p0, x_scale="jac", max_nfev=2000)
    dof = len(b) - len(p0)
    chi2 = float(sol.fun @ sol.fun / dof) if dof > 0 else float("nan")
    cov = covariance(sol.jac, sol.fun, known_errors=b_err is not None)
    perr = standard_errors(cov)
    g, bf, bk = unpack(sol.x)
    errors = {"g": perr[0], "bfield": perr[1] if has_field else 0.0, "bk": perr[-1] if fit_bk else 0.0}
    return KittelFit(geometry, g, bf, bk, errors, sol.fun * sig, chi2, cov)


#: reduced chi-square above which the Kittel model (or the line fits' errors) is in doubt
MAX_REDUCED_CHI2 = 4.0
#: |corr(g, field parameter)| above which g and Meff (HK, HA) are not separately determined
MAX_CORRELATION = 0.99


def kittel_warnings(fit: KittelFit) -> list[str]:
    """What a user must be told about a Kittel fit: a poor model (large reduced chi-square; the
    errors are then scaled up) and g strongly correlated with the field parameter (the frequencies
    span too little of the curve: each value alone is uncertain along the correlated line)."""
    out = []
    if fit.reduced_chi2 > MAX_REDUCED_CHI2:
        out.append(f"Kittel fit: reduced chi-square {fit.reduced_chi2:.3g} > {MAX_REDUCED_CHI2:g}: the "
                   f"{fit.geometry} model (or the line fits' errors) does not describe the resonance fields; "
                   f"errors are scaled up accordingly")
    corr = fit.g_field_correlation
    if abs(corr) > MAX_CORRELATION:
        out.append(f"Kittel fit: g and {FIELD_PARAMETER[fit.geometry]} are strongly correlated ({corr:+.4f}, "
                   f"|corr| > {MAX_CORRELATION:g}): their errors are not independent (propagate both with "
                   f"the correlation), and a wider frequency range separates them")
    return out


def _start(f: np.ndarray, b: np.ndarray, geometry: str) -> tuple[float, float]:
    """Start values from a grid over (g, field parameter): the closed forms are cheap."""
    trials = np.array([0.0]) if geometry == "sphere" else np.linspace(-3.0, 3.0, 241)
    gs = np.geomspace(0.5, 10.0, 161)
    with np.errstate(invalid="ignore"):
        model = resonance_field(f[None, None, :], gs[:, None, None], trials[None, :, None], geometry)
    cost = np.sum((model - b) ** 2, axis=-1)
    cost[~np.isfinite(cost)] = np.inf
    i, j = np.unravel_index(np.argmin(cost), cost.shape)
    return float(gs[i]), float(trials[j])


@dataclass
class DampingFit:
    alpha: float
    alpha_error: float
    db0: float  # inhomogeneous FWHM (T), never negative
    db0_error: float
    slope: float  # T/Hz
    slope_error: float
    #: The free fit gave a negative inhomogeneous width (``db0_free``): refitted with dB0 = 0.
    db0_fixed: bool = False
    db0_free: float = float("nan")


def _line_fit(design: np.ndarray, target: np.ndarray, known_errors: bool) -> tuple[np.ndarray, np.ndarray]:
    """Linear least squares (rows already weighted) and the parameter covariance."""
    coef, *_ = np.linalg.lstsq(design, target, rcond=None)
    return coef, covariance(design, target - design @ coef, known_errors=known_errors)


def fit_damping(f: np.ndarray, fwhm: np.ndarray, fwhm_err: np.ndarray | None, g: float,
                g_err: float = 0.0) -> DampingFit:
    """Linear fit FWHM = dB0 + (2 alpha / gamma') f; alpha = slope gamma' / 2.

    Widths are never negative: if the free intercept comes out below zero, the slope is refitted
    through the origin and dB0 = 0 is reported with the free fit's uncertainty (``db0_fixed``).
    A linewidth that does not grow with frequency has no Gilbert damping: ValueError."""
    f, w = np.asarray(f, float), np.asarray(fwhm, float)
    if len(f) < 2 or len(np.unique(f)) < 2:
        raise ValueError("the damping fit needs linewidths at two or more distinct frequencies")
    sig = np.ones_like(w) if fwhm_err is None else np.where(np.asarray(fwhm_err) > 0, fwhm_err, 1.0)
    design = np.column_stack([np.ones_like(f), f]) / sig[:, None]
    coef, cov = _line_fit(design, w / sig, fwhm_err is not None)
    db0, db0_err = float(coef[0]), float(np.sqrt(cov[0, 0]))
    slope, slope_err = float(coef[1]), float(np.sqrt(cov[1, 1]))
    fixed = db0 < 0
    if fixed:
        coef1, cov1 = _line_fit(design[:, 1:], w / sig, fwhm_err is not None)
        slope, slope_err = float(coef1[0]), float(np.sqrt(cov1[0, 0]))
    if not slope > 0:
        raise ValueError(f"the linewidth does not grow with frequency (slope {slope * 1e9 * 1e3:.3g} mT/GHz): "
                         f"no Gilbert damping fit")
    gp = gamma_prime(g)
    alpha = slope * gp / 2
    alpha_err = abs(alpha) * np.hypot(slope_err / slope, g_err / g if g else 0.0)
    return DampingFit(alpha, float(alpha_err), 0.0 if fixed else db0, db0_err, slope, slope_err, fixed, db0)


def anisotropy_energy(b_aniso: float, b_aniso_err: float, ms: float, ms_rel_err: float = 0.0) -> tuple[float, float]:
    """K = Ms (mu0 H_A) / 2 in J/m^3 with its uncertainty (Ms in A/m from magnetometry)."""
    k = ms * b_aniso / 2
    rel = np.hypot(b_aniso_err / b_aniso if b_aniso else np.inf, ms_rel_err)
    return k, abs(k) * rel


def meff_from_field(bfield: float) -> float:
    """mu0 Meff (T) -> Meff (A/m)."""
    return bfield / MU0
