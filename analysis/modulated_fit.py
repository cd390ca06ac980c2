"""Modulation-aware fits of a cw-ESR line: the intrinsic line with the modulation amplitude known
(:func:`fit_modulated`), and with the modulation amplitude free as well
(:func:`fit_modulation_amplitude`), on the lock-in-harmonic models of
:mod:`analysis.modulated_line`.

Both are one variable-projection least-squares fit (Golub and Pereyra, SIAM J. Numer. Anal. 10,
413 (1973); Jacobian of Kaufman, BIT 15, 49 (1975)): the amplitude and offset enter linearly and
are solved exactly at each (centre, width[, Bm]), so MINPACK's Levenberg-Marquardt only walks the
two or three nonlinear parameters. Same minimum as the full fit, in a few iterations: the
amplitude-Bm valley (over-modulation lowers the peak as a smaller amplitude does) took tens of
iterations in the five-parameter form. A long sweep is modelled on a few hundred nodes
(:mod:`analysis.modulated_sampling`); the curve, the residuals and the covariance always come from
the exact model at the solution.
"""
from __future__ import annotations

import numpy as np

from analysis.blas import SKINNY_ROWS, one_blas_thread
from analysis.derivative_lines import LineFit, fit_derivative
from analysis.modulated_line import line_gradient
from analysis.modulated_sampling import SampledLine
from analysis.uncertainty import covariance

#: The interpolated model at the solution must agree with the exact one within this fraction of the
#: residual rms, or the fit is repeated on the exact model (noise-free data always are).
SAMPLING_TOLERANCE = 1e-3


def even_harmonic_guess(b: np.ndarray, y: np.ndarray, model: str) -> LineFit:
    """Start values for a second-harmonic (second-derivative-like) line: the centre is the
    central extremum; the zero crossings either side are ~dBpp apart (exact for Lorentzian
    and Gaussian lines with small modulation)."""
    centre = int(np.argmax(np.abs(y - np.median(y))))
    sign = np.sign(y[centre] - np.median(y)) or 1.0
    above = (y - np.median(y)) * sign > 0
    left, right = centre, centre
    while left > 0 and above[left - 1]:
        left -= 1
    while right < len(y) - 1 and above[right + 1]:
        right += 1
    width = max(abs(b[right] - b[left]), 3 * abs(b[1] - b[0]) if len(b) > 1 else 1e-6)
    return LineFit(model=model, b0=float(b[centre]), dbpp=float(width), app=float(np.ptp(y)), offset=0.0,
                   errors={"b0": np.nan, "dbpp": np.nan, "app": np.nan, "offset": np.nan}, residual_rms=np.nan)


def fit_modulated(b: np.ndarray, y: np.ndarray, bm: float, model: str, harmonic: int = 1,
                  start: LineFit | None = None, *, inflation: float = 1.0) -> LineFit:
    """Fit with the modulation amplitude known, so the intrinsic width is recovered even when
    Bm is not << dBpp (over-modulation broadens the apparent line). ``app`` of the result is
    the peak-to-peak amplitude of the fitted curve. ``inflation``: variance inflation of
    correlated lock-in samples (1: independent points)."""
    b, y = np.asarray(b, float), np.asarray(y, float)
    if start is None:
        start = fit_derivative(b, y, model) if harmonic == 1 else even_harmonic_guess(b, y, model)
    dbpp0 = start.dbpp if bm < start.dbpp else max(start.dbpp / 3, start.dbpp - bm)
    return _fit(b, y, model, harmonic, np.array([start.b0, dbpp0, bm]), False, inflation)[0]


def fit_modulation_amplitude(b: np.ndarray, y: np.ndarray, start: LineFit, bm: float,
                             harmonic: int = 1, *, inflation: float = 1.0) -> tuple[LineFit, float, float]:
    """Refit ``start`` (a :func:`fit_modulated` result at the nominal modulation ``bm``) with the
    modulation amplitude free as well: (line, Bm, its 1-sigma error).

    Over-modulation broadens and distorts the line in a way a wider line does not, so when Bm
    is not small against dBpp the line shape itself measures the field the coil makes at the
    sample, independent of the coil's calibration. At Bm << dBpp Bm is undetermined (a large
    error), and the calibrated value is all there is."""
    b, y = np.asarray(b, float), np.asarray(y, float)
    return _fit(b, y, start.model, harmonic, np.array([start.b0, start.dbpp, bm]), True, inflation)


def _fit(b: np.ndarray, y: np.ndarray, model: str, harmonic: int, p0: np.ndarray,
         free_bm: bool, inflation: float = 1.0) -> tuple[LineFit, float, float]:
    """(line, Bm, its error) of the projected fit from (centre, width, Bm) = ``p0``: on the
    sampled model, then checked against (and if need be repeated on) the exact one."""
    if len(b) < 6:
        raise ValueError(f"need at least 6 points to fit a modulated line, got {len(b)}")
    with one_blas_thread(len(b) >= SKINNY_ROWS):
        return _fit_line(b, y, model, harmonic, p0, free_bm, inflation)


def _fit_line(b: np.ndarray, y: np.ndarray, model: str, harmonic: int, p0: np.ndarray,
              free_bm: bool, inflation: float = 1.0) -> tuple[LineFit, float, float]:
    """:func:`_fit`'s work: the fit, then the curve, residuals and covariance of the exact model."""
    sampled = SampledLine(model, b, harmonic, *p0)
    theta = _projected_fit(sampled, y, p0, free_bm)
    exact = line_gradient(model, b, theta[0], theta[1], theta[2], harmonic)
    coef, resid = _linear(exact[0], y)
    if not sampled.exact:
        approx = sampled(*theta)[0] * coef[0] + coef[1]
        if np.max(np.abs(approx - (resid + y))) > SAMPLING_TOLERANCE * np.sqrt(np.mean(resid**2)):
            theta = _projected_fit(SampledLine(model, b, harmonic, *theta, exact=True), y, theta, free_bm)
            exact = line_gradient(model, b, theta[0], theta[1], theta[2], harmonic)
            coef, resid = _linear(exact[0], y)
    (amp, offset), curve = coef, resid + y
    steps = _steps(p0)
    scales = np.array([steps[0], steps[1], abs(amp) or 1.0, float(np.ptp(y)) or 1.0, steps[2]])
    jac = np.column_stack([amp * exact[1], amp * exact[2], exact[0], np.ones(len(b)), amp * exact[3]])
    keep = slice(None) if free_bm else slice(0, 4)
    jac, scales = jac[:, keep], scales[keep]
    perr = np.sqrt(np.clip(np.diag(covariance(jac * scales, resid, inflation=inflation) * np.outer(scales, scales)), 0, np.inf))
    pp = float(np.ptp(curve))
    with np.errstate(invalid="ignore"):  # a degenerate fit (flat data) has no finite errors
        app_err = pp * perr[2] / abs(amp) if amp else np.nan
    line = LineFit(model=model, b0=float(theta[0]), dbpp=float(theta[1]), app=pp, offset=float(offset),
                   errors={"b0": perr[0], "dbpp": perr[1], "app": app_err, "offset": perr[3]},
                   residual_rms=float(np.sqrt(np.mean(resid**2))), curve=curve)
    return line, float(theta[2]), float(perr[4]) if free_bm else float("nan")


def _linear(unit: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(amplitude, offset) of ``amplitude * unit + offset`` by linear least squares, and the
    residuals (model - data)."""
    a = np.column_stack([unit, np.ones(len(unit))])
    coef = np.linalg.lstsq(a, y, rcond=None)[0]
    return coef, a @ coef - y


def _steps(p0: np.ndarray) -> np.ndarray:
    """Scale of each nonlinear parameter for the solver: the width for centre and width, Bm."""
    width = abs(p0[1]) or 1e-6
    return np.array([width, width, abs(p0[2]) or width])


def _projected_fit(evaluate: SampledLine, y: np.ndarray, p0: np.ndarray, free_bm: bool) -> np.ndarray:
    """Variable projection: (centre, width, Bm) minimising the residual of the best linear
    amplitude and offset, each parameter written p0 + (u - 1) * step with u starting at 1 (so
    every finite step of the solver is a sensible fraction of its scale)."""
    from scipy.optimize import least_squares
    steps = _steps(p0)
    n_free = 3 if free_bm else 2
    y_c = y - y.mean()
    memo: dict[bytes, tuple[np.ndarray, np.ndarray]] = {}

    def theta(u: np.ndarray) -> np.ndarray:
        t = p0.copy()
        t[:n_free] += (u - 1.0) * steps[:n_free]
        t[1:] = np.abs(t[1:])  # the model is even in width and in Bm
        return t

    def project(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(residuals, reduced Jacobian) at u, evaluated once per point."""
        key = u.tobytes()
        if key not in memo:
            t = p0.copy()
            t[:n_free] += (u - 1.0) * steps[:n_free]
            g = evaluate(t[0], abs(t[1]), abs(t[2]), rows=1 + n_free)
            # Linear least squares on (unit line, 1) through the centred line: two passes, no QR.
            gc = g[0] - g[0].mean()
            norm = float(gc @ gc) or 1.0
            amp = float(gc @ y_c) / norm
            resid = amp * gc - y_c
            signs = np.array([1.0, np.sign(t[1]) or 1.0, np.sign(t[2]) or 1.0])[:n_free]
            d = g[1:1 + n_free] * (amp * signs * steps[:n_free])[:, None]
            # Kaufman: the projection of dPhi/dtheta alpha off the linear span (1, unit line).
            d -= d.mean(axis=1, keepdims=True)
            d -= np.outer(d @ gc / norm, gc)
            d = d.T
            memo.clear()
            memo[key] = (resid, d)
        return memo[key]

    sol = least_squares(lambda u: project(u)[0], np.ones(n_free), jac=lambda u: project(u)[1], method="lm",
                        max_nfev=20000)
    if not sol.success:
        raise RuntimeError(f"line fit did not converge: {sol.message}")
    return theta(sol.x)
