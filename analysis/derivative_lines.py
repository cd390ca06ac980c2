"""First-derivative cw-ESR lineshapes parametrised the way experimentalists report them:
resonance field B0, peak-to-peak width dBpp and peak-to-peak amplitude App; their least-squares
fit, and the checks that a fitted line is a measured one. The modulation-aware models and fits
are in :mod:`analysis.modulated_line` and :mod:`analysis.modulated_fit`."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from analysis.blas import SKINNY_ROWS, one_blas_thread
from analysis.constants import H, MU_B
from analysis.uncertainty import covariance

_LORENTZ_PP = 2 * (1 / np.sqrt(3)) / (4 / 3) ** 2 * 2  # peak-to-peak of -2x/(1+x^2)^2
_GAUSS_PP = 2 * np.exp(-0.5)  # peak-to-peak of -u exp(-u^2/2)


def d_lorentzian(b: np.ndarray, b0: float, dbpp: float, app: float, offset: float = 0.0) -> np.ndarray:
    gamma = np.sqrt(3) / 2 * dbpp  # HWHM of the absorption
    x = (b - b0) / gamma
    return app * (-2 * x / (1 + x * x) ** 2) / _LORENTZ_PP + offset


def d_gaussian(b: np.ndarray, b0: float, dbpp: float, app: float, offset: float = 0.0) -> np.ndarray:
    u = (b - b0) / (dbpp / 2)
    return app * (-u * np.exp(-u * u / 2)) / _GAUSS_PP + offset


MODELS = {"lorentzian": d_lorentzian, "gaussian": d_gaussian}


def derivative_line_jacobian(model: str, b: np.ndarray, b0: float, dbpp: float, app: float) -> np.ndarray:
    """Derivatives of :func:`d_lorentzian` / :func:`d_gaussian` by (B0, dBpp, app, offset)
    (points x 4): with s the shape's argument ((B - B0) / gamma or (B - B0) / (dBpp / 2)) and h
    its unit shape, dF/dB0 = app h'(s) (-s / (B - B0)) = -app h'(s) / width and dF/ddBpp =
    -app h'(s) s / dBpp; h' = (6 s^2 - 2) / (1 + s^2)^3 (Lorentzian), (s^2 - 1) exp(-s^2 / 2)
    (Gaussian). Replaces four finite-difference evaluations per Jacobian."""
    if model == "lorentzian":
        width, norm = np.sqrt(3) / 2 * dbpp, _LORENTZ_PP
        s = (b - b0) / width
        q = 1.0 / (1 + s * s)
        h, dh = -2 * s * q * q, (6 * s * s - 2) * q * q * q
    else:
        width, norm = dbpp / 2, _GAUSS_PP
        s = (b - b0) / width
        e = np.exp(-s * s / 2)
        h, dh = -s * e, (s * s - 1) * e
    k = app / norm
    return np.column_stack([-k * dh / width, -k * dh * s / dbpp, h / norm, np.ones(len(b))])


@dataclass
class LineFit:
    model: str
    b0: float
    dbpp: float
    app: float
    offset: float
    errors: dict[str, float]
    residual_rms: float
    curve: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0))

    def g_factor(self, frequency: float) -> tuple[float, float]:
        g = H * frequency / (MU_B * self.b0)
        return g, g * self.errors["b0"] / self.b0


def scaled_least_squares(f, x: np.ndarray, y: np.ndarray, p0, scales, jac=None,
                         inflation: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Least squares (MINPACK Levenberg-Marquardt) with every parameter written as
    p0 + (u - 1) * scale and u starting at 1; returns the parameters and their covariance
    (unit weights: the noise from the residuals; ``inflation``: the variance inflation of
    correlated noise, ``analysis.uncertainty.covariance``). ``jac(x, *p)``, when given, returns
    the model's derivatives (points x parameters) and replaces the finite differences.

    MINPACK's finite-difference step is relative to each parameter's value, so a parameter
    that converges near zero (a centre offset, a baseline) gets a vanishing step and an
    infinite covariance; in these units every step is a sensible fraction of its scale."""
    from scipy.optimize import least_squares
    p0, scales = np.asarray(p0, float), np.asarray(scales, float)
    jac_u = "2-point" if jac is None else (lambda u: jac(x, *(p0 + (u - 1.0) * scales)) * scales)
    with one_blas_thread(len(x) >= SKINNY_ROWS):
        sol = least_squares(lambda u: f(x, *(p0 + (u - 1.0) * scales)) - y, np.ones(len(p0)), method="lm",
                            jac=jac_u, max_nfev=20000)
        if not sol.success:
            raise RuntimeError(f"line fit did not converge: {sol.message}")
        return p0 + (sol.x - 1.0) * scales, covariance(sol.jac, sol.fun, inflation=inflation) * np.outer(scales, scales)


def initial_guess(b: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    i_max, i_min = int(np.argmax(y)), int(np.argmin(y))
    b0 = 0.5 * (b[i_max] + b[i_min])
    dbpp = abs(b[i_min] - b[i_max]) or (b.max() - b.min()) / 20
    return b0, dbpp, float(y[i_max] - y[i_min])


def fit_derivative(b: np.ndarray, y: np.ndarray, model: str = "auto", *, inflation: float = 1.0) -> LineFit:
    """Least-squares fit of a first-derivative line; 'auto' keeps the model with lower residual.
    ``inflation``: variance inflation of correlated lock-in samples (1: independent points)."""
    b, y = np.asarray(b, float), np.asarray(y, float)
    if len(b) < 6:
        raise ValueError(f"need at least 6 points to fit a derivative line, got {len(b)}")
    if model == "auto":
        fits = [fit_derivative(b, y, m, inflation=inflation) for m in MODELS]
        return min(fits, key=lambda f: f.residual_rms)
    if model not in MODELS:
        raise ValueError(f"unknown lineshape {model!r}; use one of {sorted(MODELS)} or 'auto'")
    func = MODELS[model]
    b0, dbpp, app = initial_guess(b, y)
    scale = float(np.ptp(b)) or 1.0
    # Fit in centred, scaled coordinates for a well-conditioned problem.
    bc = (b - b0) / scale
    f = lambda x, c, w, a, o: func(x, c, w, a, o)  # noqa: E731
    p0 = [0.0, dbpp / scale, app, 0.0]
    popt, pcov = scaled_least_squares(f, bc, y, p0, [dbpp / scale, dbpp / scale, abs(app) or 1.0, abs(app) or 1.0],
                                      jac=lambda x, c, w, a, o: derivative_line_jacobian(model, x, c, w, a),
                                      inflation=inflation)
    resid = y - f(bc, *popt)
    perr = np.sqrt(np.clip(np.diag(pcov), 0, np.inf))
    return LineFit(
        model=model, b0=b0 + popt[0] * scale, dbpp=abs(popt[1]) * scale, app=popt[2] * np.sign(popt[1]),
        offset=popt[3],
        errors={"b0": perr[0] * scale, "dbpp": perr[1] * scale, "app": perr[2], "offset": perr[3]},
        residual_rms=float(np.sqrt(np.mean(resid**2))),
        curve=f(bc, *popt),
    )


def robust_noise(y: np.ndarray) -> float:
    """Noise of a trace from its point-to-point differences (median absolute deviation): a
    smooth line hardly changes adjacent differences, so this is the noise even on a line."""
    d = np.diff(np.asarray(y, float))
    if len(d) < 4:
        return float("nan")
    return float(1.4826 * np.median(np.abs(d - np.median(d))) / np.sqrt(2))


def line_problem(b: np.ndarray, fit: LineFit, noise: float, min_snr: float = 8.0) -> str:
    """Why a fitted line is not a measured line ('' if it is): too weak against the noise,
    centre outside the sweep, or wider than the sweep can show."""
    span = float(np.ptp(b))
    snr = abs(fit.app) / noise if noise > 0 else float("inf")
    if not np.isfinite(fit.b0) or not np.isfinite(fit.dbpp):
        return "the fit did not converge"
    if snr < min_snr:
        return (f"the fitted line's amplitude is only {snr:.1f} x the noise ({noise:.3g} V); "
                f"check the field window, the microwave frequency (cavity tuned?) and the power")
    if not (b.min() <= fit.b0 <= b.max()):
        return (f"the fitted centre {fit.b0 * 1e3:.4f} mT is outside the sweep "
                f"({b.min() * 1e3:.4f}..{b.max() * 1e3:.4f} mT)")
    if fit.dbpp > 0.5 * span:
        return (f"the fitted width {fit.dbpp * 1e3:.4g} mT is more than half the sweep ({span * 1e3:.4g} mT): "
                f"widen the sweep")
    return ""
