"""First-derivative cw-ESR lineshapes parametrised the way experimentalists report them:
resonance field B0, peak-to-peak width dBpp and peak-to-peak amplitude App."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

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


def scaled_least_squares(f, x: np.ndarray, y: np.ndarray, p0, scales, jac=None) -> tuple[np.ndarray, np.ndarray]:
    """Least squares (MINPACK Levenberg-Marquardt) with every parameter written as
    p0 + (u - 1) * scale and u starting at 1; returns the parameters and their covariance
    (unit weights: the noise from the residuals). ``jac(x, *p)``, when given, returns the
    model's derivatives (points x parameters) and replaces the finite differences.

    MINPACK's finite-difference step is relative to each parameter's value, so a parameter
    that converges near zero (a centre offset, a baseline) gets a vanishing step and an
    infinite covariance; in these units every step is a sensible fraction of its scale."""
    from scipy.optimize import least_squares
    p0, scales = np.asarray(p0, float), np.asarray(scales, float)
    jac_u = "2-point" if jac is None else (lambda u: jac(x, *(p0 + (u - 1.0) * scales)) * scales)
    sol = least_squares(lambda u: f(x, *(p0 + (u - 1.0) * scales)) - y, np.ones(len(p0)), method="lm",
                        jac=jac_u, max_nfev=20000)
    if not sol.success:
        raise RuntimeError(f"line fit did not converge: {sol.message}")
    return p0 + (sol.x - 1.0) * scales, covariance(sol.jac, sol.fun) * np.outer(scales, scales)


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
    popt, pcov = scaled_least_squares(f, bc, y, p0, [dbpp / scale, dbpp / scale, abs(app) or 1.0, abs(app) or 1.0],
                                      jac=lambda x, c, w, a, o: derivative_line_jacobian(model, x, c, w, a))
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
#: Field points x quadrature nodes evaluated at once (1 MB of float64): memory stays flat for
#: any sweep length.
_GRID_ELEMENTS = 2**17


def _lorentzian_harmonic(b: np.ndarray, b0: float, dbpp: float, bm: float, harmonic: int) -> np.ndarray:
    """Closed form of the n-th harmonic of a modulated unit-peak Lorentzian (Wilson, J. Appl.
    Phys. 34, 1963; Robinson, Mailer & Reese, J. Magn. Reson. 138, 199 (1999)). The absorption
    is Re[i gamma / (z + Bm cos t)] with z = B - B0 + i gamma, and
    (1/2 pi) int cos(n t) / (z + a cos t) dt = r^n / w, w = sqrt(z^2 - a^2), r = -a / (w + z)
    (the root of modulus < 1; written without the cancellation of (w - z) / a at small a)."""
    return _lorentzian_terms(b, b0, dbpp, bm, harmonic)[0].real.copy()


def _lorentzian_terms(b: np.ndarray, b0: float, dbpp: float, bm: float, harmonic: int):
    """(T, w, z, r, r^(n-1)) of the closed form, the harmonic being Re T."""
    gamma = np.sqrt(3) / 2 * dbpp
    z = (b - b0) + 1j * gamma
    w = np.sqrt(z - bm)
    w *= np.sqrt(z + bm)  # principal roots: Im w > 0 like Im z, so w ~ z
    r = w + z
    np.divide(-bm, r, out=r)
    rn1 = np.ones_like(r)
    for _ in range(harmonic - 1):  # r**(n-1) by products: numpy's complex power goes through log/exp
        rn1 *= r
    term = rn1 * r
    term *= 2j * gamma
    term /= w
    return term, w, z, r, rn1


def _lorentzian_gradient(b: np.ndarray, b0: float, dbpp: float, bm: float, harmonic: int) -> np.ndarray:
    """The closed form and its derivatives by B0, dBpp and Bm (rows), from
    dT/dz = -T (n w + z) / w^2, dT/dgamma = T/gamma + i dT/dz and
    dT/da = 2 i gamma r^(n-1) / w (n dr/da + r a / w^2), dr/da = -1/(w + z) - r^2 / w."""
    n, gamma = harmonic, np.sqrt(3) / 2 * dbpp
    t, w, z, r, rn1 = _lorentzian_terms(b, b0, dbpp, bm, harmonic)
    w2 = w * w
    dt_dz = -t * (n * w + z) / w2
    t_over_gamma = 2j * rn1 * r / w
    dr_da = -1.0 / (w + z) - r * r / w
    dt_da = 2j * gamma * rn1 / w * (n * dr_da + r * bm / w2)
    return np.stack([t.real, -dt_dz.real, (np.sqrt(3) / 2) * (t_over_gamma + 1j * dt_dz).real, dt_da.real])


def _gaussian_nodes(bm: float, dbpp: float, harmonic: int) -> int:
    """Midpoint nodes on [0, 2 pi) for the Gaussian's harmonic to 1e-12 of its peak: the rule's
    error is the integrand's Fourier coefficients at multiples of M, bounded on the strip
    |Im t| <= 1 by 2 exp(n + (Bm/s)^2 sinh^2(1) / 2 - M) (s = dBpp/2, the Gaussian's sigma)."""
    r = bm / (dbpp / 2) if dbpp else 0.0
    m = int(np.ceil(harmonic + 0.5 * np.sinh(1.0) ** 2 * r * r + 29))
    return m + (m % 2)


def _gaussian_harmonic(b: np.ndarray, b0: float, dbpp: float, bm: float, harmonic: int) -> np.ndarray:
    """The n-th harmonic of a modulated unit-peak Gaussian by the midpoint rule (no closed
    form): nodes from :func:`_gaussian_nodes`, each symmetric pair t, 2 pi - t taken once, the
    field points in blocks of bounded size."""
    m = _gaussian_nodes(bm, dbpp, harmonic)
    theta = (np.arange(m // 2) + 0.5) * 2 * np.pi / m
    shift, weight = bm * np.cos(theta), (4.0 / m) * np.cos(harmonic * theta)
    inv = -2.0 / (dbpp * dbpp) if dbpp else -np.inf  # -1 / (2 s^2), s = dbpp / 2
    out = np.empty(len(b))
    step = max(1, _GRID_ELEMENTS // len(theta))
    for i in range(0, len(b), step):
        d = (b[i:i + step] - b0)[:, None] + shift[None, :]
        np.square(d, out=d)
        d *= inv
        np.exp(d, out=d)
        np.dot(d, weight, out=out[i:i + step])
    return out


def _gaussian_gradient(b: np.ndarray, b0: float, dbpp: float, bm: float, harmonic: int) -> np.ndarray:
    """:func:`_gaussian_harmonic` and its derivatives by B0 and dBpp (rows), on the same nodes:
    with E = exp(k d^2), k = -2 / dBpp^2, d = B - B0 + Bm cos t: dE/dB0 = -2 k d E and
    dE/ddBpp = 4 d^2 E / dBpp^3."""
    m = _gaussian_nodes(bm, dbpp, harmonic)
    theta = (np.arange(m // 2) + 0.5) * 2 * np.pi / m
    shift, weight = bm * np.cos(theta), (4.0 / m) * np.cos(harmonic * theta)
    inv = -2.0 / (dbpp * dbpp)
    out = np.empty((3, len(b)))
    step = max(1, _GRID_ELEMENTS // len(theta))
    for i in range(0, len(b), step):
        d = (b[i:i + step] - b0)[:, None] + shift[None, :]
        e = np.exp(inv * d * d)
        out[0, i:i + step] = e @ weight
        e *= d
        out[1, i:i + step] = e @ weight
        e *= d
        out[2, i:i + step] = e @ weight
    out[1] *= -2.0 * inv
    out[2] *= 4.0 / dbpp**3
    return out


def modulated_line(b: np.ndarray, b0: float, dbpp: float, amp: float, offset: float, *,
                   model: str, bm: float, harmonic: int = 1) -> np.ndarray:
    """The n-th harmonic Fourier component of a unit-peak absorption under field modulation of
    peak amplitude ``bm``: what a lock-in reports when the modulation is not small. The
    Lorentzian in closed form, the Gaussian by a quadrature with a stated error bound: a fit of
    a 1e5-point sweep stays well under a second and a few MB (``benchmarks/fit_large.py``)."""
    b = np.asarray(b, float)
    if model == "lorentzian":
        comp = _lorentzian_harmonic(b, b0, dbpp, bm, harmonic)
    else:
        comp = _gaussian_harmonic(b, b0, dbpp, bm, harmonic)
    return amp * comp + offset


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
                  start: LineFit | None = None) -> LineFit:
    """Fit with the modulation amplitude known, so the intrinsic width is recovered even when
    Bm is not << dBpp (over-modulation broadens the apparent line). ``app`` of the result is
    the peak-to-peak amplitude of the fitted curve."""
    b, y = np.asarray(b, float), np.asarray(y, float)
    if start is None:
        start = fit_derivative(b, y, model) if harmonic == 1 else even_harmonic_guess(b, y, model)
    scale = float(np.ptp(b)) or 1.0
    b_ref = start.b0
    dbpp0 = start.dbpp if bm < start.dbpp else max(start.dbpp / 3, start.dbpp - bm)
    unit = modulated_line(b, b_ref, dbpp0, 1.0, 0.0, model=model, bm=bm, harmonic=harmonic)
    amp0 = float(np.dot(unit, y - np.median(y)) / (np.dot(unit, unit) or 1.0))  # linear least squares

    def f(x: np.ndarray, c: float, w: float, a: float, o: float) -> np.ndarray:
        return modulated_line(b_ref + x * scale, b_ref + c * scale, abs(w) * scale, a, o,
                              model=model, bm=bm, harmonic=harmonic)

    gradient = _lorentzian_gradient if model == "lorentzian" else _gaussian_gradient

    def jac(x: np.ndarray, c: float, w: float, a: float, o: float) -> np.ndarray:
        g = gradient(b_ref + x * scale, b_ref + c * scale, abs(w) * scale, bm, harmonic)
        return np.column_stack([a * scale * g[1], a * scale * np.sign(w) * g[2], g[0], np.ones(len(x))])

    popt, pcov = scaled_least_squares(f, (b - b_ref) / scale, y, [0.0, dbpp0 / scale, amp0, 0.0],
                                  [dbpp0 / scale, dbpp0 / scale, abs(amp0) or 1.0, float(np.ptp(y)) or 1.0],
                                  jac=jac)
    perr = np.sqrt(np.clip(np.diag(pcov), 0, np.inf))
    curve = f((b - b_ref) / scale, *popt)
    pp = float(np.ptp(curve))
    with np.errstate(invalid="ignore"):  # a degenerate fit (flat data) has no finite errors
        app_err = pp * perr[2] / abs(popt[2]) if popt[2] else np.nan
    return LineFit(model=model, b0=b_ref + popt[0] * scale, dbpp=abs(popt[1]) * scale, app=pp,
                   offset=popt[3], errors={"b0": perr[0] * scale, "dbpp": perr[1] * scale,
                                           "app": app_err,
                                           "offset": perr[3]},
                   residual_rms=float(np.sqrt(np.mean((y - curve) ** 2))), curve=curve)


def fit_modulation_amplitude(b: np.ndarray, y: np.ndarray, start: LineFit, bm: float,
                             harmonic: int = 1) -> tuple[LineFit, float, float]:
    """Refit ``start`` (a :func:`fit_modulated` result at the nominal modulation ``bm``) with the
    modulation amplitude free as well: (line, Bm, its 1-sigma error).

    Over-modulation broadens and distorts the line in a way a wider line does not, so when Bm
    is not small against dBpp the line shape itself measures the field the coil makes at the
    sample, independent of the coil's calibration. At Bm << dBpp Bm is undetermined (a large
    error), and the calibrated value is all there is."""
    b, y = np.asarray(b, float), np.asarray(y, float)
    scale = float(np.ptp(b)) or 1.0
    b_ref, model = start.b0, start.model
    unit = modulated_line(b, b_ref, start.dbpp, 1.0, 0.0, model=model, bm=bm, harmonic=harmonic)
    amp0 = float(np.dot(unit, y - start.offset) / (np.dot(unit, unit) or 1.0))

    def f(x: np.ndarray, c: float, w: float, a: float, o: float, m: float) -> np.ndarray:
        return modulated_line(b_ref + x * scale, b_ref + c * scale, abs(w) * scale, a, o,
                              model=model, bm=abs(m) * scale, harmonic=harmonic)

    def jac(x: np.ndarray, c: float, w: float, a: float, o: float, m: float) -> np.ndarray:
        g = _lorentzian_gradient(b_ref + x * scale, b_ref + c * scale, abs(w) * scale, abs(m) * scale, harmonic)
        return np.column_stack([a * scale * g[1], a * scale * np.sign(w) * g[2], g[0], np.ones(len(x)),
                                a * scale * np.sign(m) * g[3]])

    if model == "lorentzian":
        popt, pcov = _projected_fit((b - b_ref) / scale, y, b_ref, scale, start.dbpp, bm, harmonic, jac)
    else:
        p0 = [0.0, start.dbpp / scale, amp0, start.offset, bm / scale]
        popt, pcov = scaled_least_squares(f, (b - b_ref) / scale, y, p0,
                                          [start.dbpp / scale, start.dbpp / scale, abs(amp0) or 1.0,
                                           float(np.ptp(y)) or 1.0, bm / scale])
    perr = np.sqrt(np.clip(np.diag(pcov), 0, np.inf))
    curve = f((b - b_ref) / scale, *popt)
    pp = float(np.ptp(curve))
    with np.errstate(invalid="ignore"):
        app_err = pp * perr[2] / abs(popt[2]) if popt[2] else np.nan
    line = LineFit(model=model, b0=b_ref + popt[0] * scale, dbpp=abs(popt[1]) * scale, app=pp, offset=popt[3],
                   errors={"b0": perr[0] * scale, "dbpp": perr[1] * scale, "app": app_err, "offset": perr[3]},
                   residual_rms=float(np.sqrt(np.mean((y - curve) ** 2))), curve=curve)
    return line, abs(popt[4]) * scale, perr[4] * scale


def _projected_fit(x: np.ndarray, y: np.ndarray, b_ref: float, scale: float, dbpp: float, bm: float,
                   harmonic: int, jac) -> tuple[np.ndarray, np.ndarray]:
    """Least squares of the modulated Lorentzian with Bm free by variable projection (Golub and
    Pereyra, SIAM J. Numer. Anal. 10, 413 (1973); Jacobian of Kaufman, BIT 15, 49 (1975)): the
    amplitude and offset enter linearly and are solved exactly at each (centre, width, Bm), so
    MINPACK's Levenberg-Marquardt only walks the three nonlinear parameters. Same minimum as
    the five-parameter fit, but the amplitude-Bm valley (over-modulation lowers the peak as a
    smaller amplitude does) no longer takes tens of iterations: 5 instead of 34 on a 1e5-point
    sweep. Returns (centre, width, amplitude, offset, Bm) in the scaled units of
    :func:`fit_modulation_amplitude` and their covariance from the full five-parameter Jacobian."""
    from scipy.optimize import least_squares
    p0 = np.array([0.0, dbpp / scale, bm / scale])
    steps = p0.copy()
    steps[0] = steps[1]
    memo: dict[bytes, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def project(u: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(residuals, reduced Jacobian, (amplitude, offset)) at u, evaluated once per point."""
        key = u.tobytes()
        if key not in memo:
            c, w, m = p0 + (u - 1.0) * steps
            g = _lorentzian_gradient(b_ref + x * scale, b_ref + c * scale, abs(w) * scale, abs(m) * scale, harmonic)
            q, r = np.linalg.qr(np.column_stack([g[0], np.ones(len(x))]))
            amp, _ = coef = np.linalg.solve(r, q.T @ y)
            resid = q @ (r @ coef) - y
            d = np.column_stack([g[1], np.sign(w) * g[2], np.sign(m) * g[3]]) * (amp * scale * steps)
            d -= q @ (q.T @ d)  # Kaufman: the projection of dPhi/dtheta alpha off the linear span
            memo.clear()
            memo[key] = (resid, d, coef)
        return memo[key]

    sol = least_squares(lambda u: project(u)[0], np.ones(3), jac=lambda u: project(u)[1], method="lm",
                        max_nfev=20000)
    if not sol.success:
        raise RuntimeError(f"line fit did not converge: {sol.message}")
    c, w, m = p0 + (sol.x - 1.0) * steps
    resid, _, (amp, offset) = project(sol.x)
    popt = np.array([c, w, amp, offset, m])
    return popt, covariance(jac(x, *popt), resid)


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
