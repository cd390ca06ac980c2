"""First-derivative cw-ESR lineshapes parametrised the way experimentalists report them:
resonance field B0, peak-to-peak width dBpp and peak-to-peak amplitude App."""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import OptimizeWarning, curve_fit

from sequences.analysis.constants import H, MU_B

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


def curve_fit_scaled(f, x: np.ndarray, y: np.ndarray, p0, scales) -> tuple[np.ndarray, np.ndarray]:
    """curve_fit with every parameter written as p0 + (u - 1) * scale and u starting at 1.

    MINPACK's finite-difference step is relative to each parameter's value, so a parameter
    that converges near zero (a centre offset, a baseline) gets a vanishing step and an
    infinite covariance; in these units every step is a sensible fraction of its scale."""
    p0, scales = np.asarray(p0, float), np.asarray(scales, float)
    g = lambda xx, *u: f(xx, *(p0 + (np.asarray(u) - 1.0) * scales))  # noqa: E731
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OptimizeWarning)
        u, pcov_u = curve_fit(g, x, y, p0=np.ones(len(p0)), maxfev=20000)
    return p0 + (u - 1.0) * scales, pcov_u * np.outer(scales, scales)


def initial_guess(b: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    i_max, i_min = int(np.argmax(y)), int(np.argmin(y))
    b0 = 0.5 * (b[i_max] + b[i_min])
    dbpp = abs(b[i_min] - b[i_max]) or (b.max() - b.min()) / 20
    return b0, dbpp, float(y[i_max] - y[i_min])


def fit_derivative(b: np.ndarray, y: np.ndarray, model: str = "auto") -> LineFit:
    """Least-squares fit of a first-derivative line; 'auto' keeps the model with lower residual."""
    b, y = np.asarray(b, float), np.asarray(y, float)
    if len(b) < 6:
        raise ValueError(f"need at least 6 points to fit a derivative line, got {len(b)}")
    if model == "auto":
        fits = [fit_derivative(b, y, m) for m in MODELS]
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
    popt, pcov = curve_fit_scaled(f, bc, y, p0, [dbpp / scale, dbpp / scale, abs(app) or 1.0, abs(app) or 1.0])
    resid = y - f(bc, *popt)
    perr = np.sqrt(np.clip(np.diag(pcov), 0, np.inf))
    return LineFit(
        model=model, b0=b0 + popt[0] * scale, dbpp=abs(popt[1]) * scale, app=popt[2] * np.sign(popt[1]),
        offset=popt[3],
        errors={"b0": perr[0] * scale, "dbpp": perr[1] * scale, "app": perr[2], "offset": perr[3]},
        residual_rms=float(np.sqrt(np.mean(resid**2))),
        curve=f(bc, *popt),
    )


# --- modulation-aware fit ----------------------------------------------------------------------
_N_THETA = 64
_THETA = (np.arange(_N_THETA) + 0.5) * 2 * np.pi / _N_THETA


def _absorption(model: str, b: np.ndarray, b0: float, dbpp: float) -> np.ndarray:
    if model == "lorentzian":
        gamma = np.sqrt(3) / 2 * dbpp
        return 1.0 / (1.0 + ((b - b0) / gamma) ** 2)
    s = dbpp / 2
    return np.exp(-((b - b0) ** 2) / (2 * s * s))


def modulated_line(b: np.ndarray, b0: float, dbpp: float, amp: float, offset: float, *,
                   model: str, bm: float, harmonic: int = 1) -> np.ndarray:
    """The n-th harmonic Fourier component of a unit-peak absorption under field modulation of
    peak amplitude ``bm``: what a lock-in reports when the modulation is not small."""
    grid = b[:, None] + bm * np.cos(_THETA)[None, :]
    comp = 2.0 * np.mean(_absorption(model, grid, b0, dbpp) * np.cos(harmonic * _THETA), axis=1)
    return amp * comp + offset


def fit_modulated(b: np.ndarray, y: np.ndarray, bm: float, model: str, harmonic: int = 1,
                  start: LineFit | None = None) -> LineFit:
    """Fit with the modulation amplitude known, so the intrinsic width is recovered even when
    Bm is not << dBpp (over-modulation broadens the apparent line)."""
    b, y = np.asarray(b, float), np.asarray(y, float)
    start = start or fit_derivative(b, y, model)
    scale = float(np.ptp(b)) or 1.0
    b_ref = start.b0
    dbpp0 = start.dbpp if bm < start.dbpp else max(start.dbpp / 3, start.dbpp - bm)
    probe = modulated_line(np.array([b_ref - dbpp0 / 2, b_ref + dbpp0 / 2]), b_ref, dbpp0, 1.0, 0.0,
                           model=model, bm=bm, harmonic=harmonic)
    amp0 = start.app / (abs(probe[0] - probe[1]) or 1.0)

    def f(x: np.ndarray, c: float, w: float, a: float, o: float) -> np.ndarray:
        return modulated_line(b_ref + x * scale, b_ref + c * scale, abs(w) * scale, a, o,
                              model=model, bm=bm, harmonic=harmonic)

    popt, pcov = curve_fit_scaled(f, (b - b_ref) / scale, y, [0.0, dbpp0 / scale, amp0, start.offset],
                                  [dbpp0 / scale, dbpp0 / scale, abs(amp0) or 1.0, abs(start.app) or 1.0])
    perr = np.sqrt(np.clip(np.diag(pcov), 0, np.inf))
    curve = f((b - b_ref) / scale, *popt)
    return LineFit(model=model, b0=b_ref + popt[0] * scale, dbpp=abs(popt[1]) * scale, app=start.app,
                   offset=popt[3], errors={"b0": perr[0] * scale, "dbpp": perr[1] * scale,
                                           "app": start.errors["app"], "offset": perr[3]},
                   residual_rms=float(np.sqrt(np.mean((y - curve) ** 2))), curve=curve)
