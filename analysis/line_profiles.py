"""Field-domain line models beyond the basic derivative fits: Voigt-like (pseudo-Voigt),
dispersive admixture, and field modulation of any of them; one fitter for all.

Every profile is area-normalised in absorption, so the fitted ``area`` is the double integral of
the first-derivative spectrum (proportional to the number of spins). Widths are FWHM of the
absorption. Closed forms (Poole 1983; Stoll & Schweiger 2006):
- Lorentzian: (2/(pi W)) / (1 + x^2), x = 2 (B - B0) / W; dispersion (2/(pi W)) x / (1 + x^2).
- Gaussian: sqrt(4 ln2 / pi) / W exp(-4 ln2 u^2), u = (B - B0) / W.
- Voigt-like: the pseudo-Voigt of Thompson, Cox & Hastings (J. Appl. Cryst. 20, 79 (1987)):
  eta L + (1 - eta) G with a common FWHM from the Lorentzian and Gaussian widths.
- Dispersive admixture (phase phi): cos(phi) absorption + sin(phi) dispersion (Lorentzian).
The lock-in signal is the derivative (small modulation) or, when the modulation amplitude Bm is
known, the first Fourier component of A(B + Bm cos t) divided by Bm (any Bm): for Lorentzian and
Gaussian lines the one modulated-line model of :mod:`analysis.modulated_line` (closed form /
quadrature with an error bound); the pseudo-Voigt and dispersive shapes by a 48-node midpoint rule.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from analysis.model_names import MODELS
from analysis.derivative_lines import fit_derivative
from analysis.modulated_line import modulated_line
from analysis.uncertainty import covariance, standard_errors

C4LN2 = 4 * np.log(2)
_N_THETA = 48
_THETA = (np.arange(_N_THETA) + 0.5) * 2 * np.pi / _N_THETA


def lorentzian(b: np.ndarray, b0: float, fwhm: float) -> np.ndarray:
    x = 2 * (b - b0) / fwhm
    return (2 / (np.pi * fwhm)) / (1 + x * x)


def lorentzian_dispersion(b: np.ndarray, b0: float, fwhm: float) -> np.ndarray:
    x = 2 * (b - b0) / fwhm
    return (2 / (np.pi * fwhm)) * x / (1 + x * x)


def gaussian(b: np.ndarray, b0: float, fwhm: float) -> np.ndarray:
    u = (b - b0) / fwhm
    return np.sqrt(C4LN2 / np.pi) / fwhm * np.exp(-C4LN2 * u * u)


def tch_width(fwhm_l: float, fwhm_g: float) -> tuple[float, float]:
    """Total FWHM and Lorentzian fraction eta of the pseudo-Voigt (Thompson-Cox-Hastings)."""
    fl, fg = abs(fwhm_l), abs(fwhm_g)
    f = (fg**5 + 2.69269 * fg**4 * fl + 2.42843 * fg**3 * fl**2 + 4.47163 * fg**2 * fl**3
         + 0.07842 * fg * fl**4 + fl**5) ** 0.2
    r = fl / f if f > 0 else 1.0
    return f, 1.36603 * r - 0.47719 * r * r + 0.11116 * r**3


def pseudo_voigt(b: np.ndarray, b0: float, fwhm_l: float, fwhm_g: float) -> np.ndarray:
    f, eta = tch_width(fwhm_l, fwhm_g)
    return eta * lorentzian(b, b0, f) + (1 - eta) * gaussian(b, b0, f)


def d_lorentzian(b, b0, fwhm):
    x = 2 * (b - b0) / fwhm
    return (2 / (np.pi * fwhm)) * (-2 * x / (1 + x * x) ** 2) * (2 / fwhm)


def d_lorentzian_dispersion(b, b0, fwhm):
    x = 2 * (b - b0) / fwhm
    return (2 / (np.pi * fwhm)) * ((1 - x * x) / (1 + x * x) ** 2) * (2 / fwhm)


def d_gaussian(b, b0, fwhm):
    return gaussian(b, b0, fwhm) * (-2 * C4LN2 * (b - b0) / fwhm**2)


def d_pseudo_voigt(b, b0, fwhm_l, fwhm_g):
    f, eta = tch_width(fwhm_l, fwhm_g)
    return eta * d_lorentzian(b, b0, f) + (1 - eta) * d_gaussian(b, b0, f)


def _shape(model: str, p: np.ndarray) -> tuple[Callable, Callable]:
    """(absorption(b), derivative(b)) for the model's shape parameters p (after b0)."""
    if model == "lorentzian":
        return (lambda b, b0: lorentzian(b, b0, p[0])), (lambda b, b0: d_lorentzian(b, b0, p[0]))
    if model == "gaussian":
        return (lambda b, b0: gaussian(b, b0, p[0])), (lambda b, b0: d_gaussian(b, b0, p[0]))
    if model == "voigt":
        return (lambda b, b0: pseudo_voigt(b, b0, p[0], p[1])), (lambda b, b0: d_pseudo_voigt(b, b0, p[0], p[1]))
    c, s = np.cos(p[1]), np.sin(p[1])
    return ((lambda b, b0: c * lorentzian(b, b0, p[0]) + s * lorentzian_dispersion(b, b0, p[0])),
            (lambda b, b0: c * d_lorentzian(b, b0, p[0]) + s * d_lorentzian_dispersion(b, b0, p[0])))


def line_signal(model: str, b: np.ndarray, b0: float, shape: np.ndarray, area: float, offset: float,
                bm: float = 0.0, harmonic: int = 1) -> np.ndarray:
    """Lock-in signal of a line: ``area`` x derivative, or x first-harmonic / Bm if ``bm`` > 0."""
    absorb, deriv = _shape(model, np.asarray(shape, float))
    if bm <= 0:
        return area * deriv(b, b0) + offset
    if model in ("lorentzian", "gaussian"):  # closed form / error-bounded quadrature, unit peak
        w = float(shape[0])
        dbpp, peak = ((w / np.sqrt(3), 2 / (np.pi * w)) if model == "lorentzian"
                      else (w / np.sqrt(C4LN2 / 2), np.sqrt(C4LN2 / np.pi) / w))
        return area * modulated_line(b, b0, dbpp, peak, 0.0, model=model, bm=bm, harmonic=harmonic) / bm + offset
    grid = b[:, None] + bm * np.cos(_THETA)[None, :]
    comp = 2.0 * np.mean(absorb(grid, b0) * np.cos(harmonic * _THETA), axis=1)
    return area * comp / bm + offset


@dataclass
class LineResult:
    """One fitted line. ``fwhm`` is of the absorption; ``dbpp`` of its first derivative."""

    model: str
    b0: float
    fwhm: float
    dbpp: float
    area: float
    offset: float
    fwhm_lorentz: float = float("nan")
    fwhm_gauss: float = float("nan")
    phase: float = 0.0
    errors: dict[str, float] = field(default_factory=dict)
    residual_rms: float = float("nan")
    n: int = 0
    n_params: int = 0
    curve: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0))
    #: Peak-to-peak of the fitted line (without offset) at the data points over the residual rms.
    snr: float = float("nan")

    @property
    def bic(self) -> float:
        return self.n * np.log(max(self.residual_rms, 1e-300) ** 2) + self.n_params * np.log(max(self.n, 1))


def _dbpp(model: str, shape: np.ndarray, fwhm: float) -> float:
    if model in ("lorentzian", "lorentzian-dispersive"):
        return fwhm / np.sqrt(3)
    if model == "gaussian":
        return fwhm / np.sqrt(2 * np.log(2))
    x = np.linspace(-2 * fwhm, 2 * fwhm, 8001)
    d = d_pseudo_voigt(x, 0.0, shape[0], shape[1])
    return float(x[np.argmin(d)] - x[np.argmax(d)])


def fit_line(b: np.ndarray, y: np.ndarray, model: str = "lorentzian", *, bm: float = 0.0, harmonic: int = 1,
             b0: float | None = None, fwhm: float | None = None, inflation: float = 1.0) -> LineResult:
    """Least-squares fit of one first-derivative (lock-in) line; 'auto' picks the lowest BIC
    among Lorentzian, Gaussian and Voigt-like. ``inflation``: variance inflation of correlated
    lock-in samples (``analysis.correlated_noise``; 1: independent points)."""
    from scipy.optimize import least_squares
    b, y = np.asarray(b, float), np.asarray(y, float)
    if len(b) < 8:
        raise ValueError(f"need at least 8 points to fit a line, got {len(b)}")
    if model == "auto":
        fits = [fit_line(b, y, m, bm=bm, harmonic=harmonic, b0=b0, fwhm=fwhm, inflation=inflation) for m in MODELS[:3]]
        return min(fits, key=lambda f: f.bic)
    if model not in MODELS:
        raise ValueError(f"unknown line model {model!r}; use one of {list(MODELS)} or 'auto'")
    if b0 is None or fwhm is None:
        start = fit_derivative(b, y)
        b0 = start.b0 if b0 is None else b0
        fwhm = (np.sqrt(3) if start.model == "lorentzian" else np.sqrt(2 * np.log(2))) * start.dbpp \
            if fwhm is None else fwhm
    scale = max(float(np.ptp(b)), 1e-12)
    bc = (b - b0) / scale
    if model == "voigt":
        shape0, lo, hi = [fwhm * 0.6 / scale, fwhm * 0.6 / scale], [1e-6, 1e-6], [10.0, 10.0]
    elif model == "lorentzian-dispersive":
        shape0, lo, hi = [fwhm / scale, 0.0], [1e-6, -np.pi], [10.0, np.pi]
    else:
        shape0, lo, hi = [fwhm / scale], [1e-6], [10.0]
    bm_s = bm / scale

    # Area and offset start from the linear sub-problem at the starting shape.
    basis = line_signal(model, bc, 0.0, np.array(shape0), 1.0, 0.0, bm_s, harmonic)
    coef0 = np.linalg.lstsq(np.column_stack([basis, np.ones_like(bc)]), y, rcond=None)[0]
    p0 = np.array([0.0, *shape0, coef0[0], coef0[1]])
    lb = np.array([-1.0, *lo, -np.inf, -np.inf])
    ub = np.array([1.0, *hi, np.inf, np.inf])
    ns = len(shape0)

    yscale = float(np.ptp(y)) or 1.0  # residuals in units of the data's range: tolerances stay meaningful

    def resid(p: np.ndarray) -> np.ndarray:
        return (line_signal(model, bc, p[0], p[1:1 + ns], p[1 + ns], p[2 + ns], bm_s, harmonic) - y) / yscale

    sol = least_squares(resid, np.clip(p0, lb + 1e-12, ub - 1e-12), bounds=(lb, ub), x_scale="jac",
                        max_nfev=4000)
    p = sol.x
    r = sol.fun * yscale
    perr = standard_errors(covariance(sol.jac, sol.fun, inflation=inflation))
    shape = p[1:1 + ns] * scale
    if model == "lorentzian-dispersive":
        shape[1] = p[2]
    # Area-normalised derivative in scaled coordinates: signal = area / scale^2 x shape'(u).
    errs = {"b0": perr[0] * scale, "area": perr[1 + ns] * scale**2, "offset": perr[2 + ns]}
    res = LineResult(model=model, b0=b0 + p[0] * scale, fwhm=0.0, dbpp=0.0, area=p[1 + ns] * scale**2,
                     offset=p[2 + ns], errors=errs, residual_rms=float(np.sqrt(np.mean(r * r))), n=len(y),
                     n_params=len(p), curve=r + y)
    if model == "voigt":
        res.fwhm_lorentz, res.fwhm_gauss = abs(shape[0]), abs(shape[1])
        res.fwhm = tch_width(*shape)[0]
        el, eg = perr[1] * scale, perr[2] * scale
        errs["fwhm_lorentz"], errs["fwhm_gauss"] = el, eg
        # Propagate to the total width numerically (first order).
        dl = (tch_width(shape[0] * 1.001, shape[1])[0] - res.fwhm) / (shape[0] * 0.001)
        dg = (tch_width(shape[0], shape[1] * 1.001)[0] - res.fwhm) / (shape[1] * 0.001)
        errs["fwhm"] = float(np.hypot(dl * el, dg * eg))
    else:
        res.fwhm = abs(shape[0])
        errs["fwhm"] = perr[1] * scale
        if model == "gaussian":
            res.fwhm_gauss = res.fwhm
        else:
            res.fwhm_lorentz = res.fwhm
        if model == "lorentzian-dispersive":
            res.phase = float(shape[1])
            errs["phase"] = perr[2]
    res.dbpp = _dbpp(model, shape, res.fwhm)
    errs["dbpp"] = errs["fwhm"] * res.dbpp / res.fwhm
    res.snr = float(np.ptp(res.curve - res.offset)) / max(res.residual_rms, 1e-300)
    return res


# --- significance -----------------------------------------------------------------------------
#: A line counts as found when its peak-to-peak is at least this many residual rms ...
MIN_SNR = 5.0
#: ... its double integral at least this many standard errors from zero ...
MIN_AREA_SIGMA = 3.0
#: ... and its lock-in feature spans at least this many field steps (narrower "lines" are single
#: noisy points: fits to pure noise reach SNR 6-7 only that way, measured on 201-point traces).
MIN_STEPS = 1.0


def line_problem(fit: LineResult, b: np.ndarray, bm: float = 0.0, min_snr: float = MIN_SNR) -> str:
    """Why ``fit`` is not a line found in the trace swept over ``b`` ('' when it is one).

    Fits to pure noise always return *some* line; this test rejects them: the centre must lie
    inside the swept window, the line must be resolved by the field steps, stand ``min_snr``
    times above the residual noise, and its area must be significant."""
    b = np.asarray(b, float)
    lo, hi = float(np.min(b)), float(np.max(b))
    values = [fit.b0, fit.fwhm, fit.area, fit.errors.get("b0", np.nan), fit.errors.get("area", np.nan)]
    if not np.all(np.isfinite(values)):
        return "the fit did not converge to finite values"
    if not lo <= fit.b0 <= hi:
        return f"centre {fit.b0 * 1e3:.3f} mT lies outside the swept {lo * 1e3:.3f} .. {hi * 1e3:.3f} mT"
    step = float(np.median(np.abs(np.diff(np.sort(b))))) if len(b) > 1 else 0.0
    if max(fit.dbpp, bm) < MIN_STEPS * step:
        return (f"line narrower ({fit.dbpp * 1e3:.3g} mT peak-to-peak) than the field step "
                f"({step * 1e3:.3g} mT): a noise spike, not a resolved line")
    if not fit.snr >= min_snr:
        return f"SNR {fit.snr:.2g} below {min_snr:g} (line peak-to-peak over the residual rms)"
    area_sigma = abs(fit.area) / fit.errors["area"] if fit.errors["area"] > 0 else np.inf
    if area_sigma < MIN_AREA_SIGMA:
        return f"line area only {area_sigma:.2g} standard errors from zero"
    return ""


def fit_significant_line(b: np.ndarray, y: np.ndarray, model: str = "lorentzian", *, bm: float = 0.0,
                         harmonic: int = 1, min_snr: float = MIN_SNR,
                         inflation: float = 1.0) -> tuple[LineResult | None, str]:
    """Fit one line and test it: (fit, '') for a line found, (None, why not) otherwise.
    Every per-trace fit of the ESR/FMR series goes through here, so noise is never reported."""
    try:
        fit = fit_line(b, y, model, bm=bm, harmonic=harmonic, inflation=inflation)
    except (ValueError, RuntimeError, np.linalg.LinAlgError) as exc:
        return None, f"the fit failed ({exc})"
    why = line_problem(fit, b, bm, min_snr)
    return (None, why) if why else (fit, "")
