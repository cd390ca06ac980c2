"""Closed-form models for pulsed experiments, fitted to the data (Bloch 1946, Hahn 1950, Carr & Purcell 1954).

Complex quadrature data are first rotated onto their principal axis (zero-order phasing), so the
fits see a real signal; every fit returns values with 1-sigma errors from the covariance.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.uncertainty import covariance, propagate, standard_errors


@dataclass
class Fit:
    params: dict[str, float]
    errors: dict[str, float]
    curve: np.ndarray
    residual_rms: float
    cov: np.ndarray  # of the parameters, in the order of ``params``: for derived quantities


def principal_phase(z: np.ndarray, reference: int | None = None) -> tuple[np.ndarray, float]:
    """Rotate complex points onto the axis of largest variance about zero; returns (real, phase rad).

    The sign is chosen so the point ``reference`` (default: the largest) is positive.
    """
    z = np.asarray(z, complex)
    phi = 0.5 * np.angle(np.sum(z * z)) if np.any(z) else 0.0
    real = np.real(z * np.exp(-1j * phi))
    ref = int(np.argmax(np.abs(real))) if reference is None else reference
    if real[ref] < 0:
        real, phi = -real, phi + np.pi
    return real, float((phi + np.pi) % (2 * np.pi) - np.pi)


def _fit(model, x, y, p0, names, bounds=(-np.inf, np.inf)) -> Fit:
    from scipy.optimize import least_squares
    lb, ub = (np.broadcast_to(np.asarray(b, float), (len(p0),)) for b in bounds)
    bounded = bool(np.isfinite(lb).any() or np.isfinite(ub).any())
    sol = least_squares(lambda p: model(x, *p) - y, np.asarray(p0, float), bounds=(lb, ub),
                        method="trf" if bounded else "lm", max_nfev=20000)
    if not sol.success:
        raise RuntimeError(f"fit did not converge: {sol.message}")
    popt, cov = sol.x, covariance(sol.jac, sol.fun)
    perr = standard_errors(cov)
    curve = model(x, *popt)
    return Fit(dict(zip(names, map(float, popt))), dict(zip(names, map(float, perr))), curve,
               float(np.sqrt(np.mean((y - curve) ** 2))), cov)


def fit_decay(t: np.ndarray, y: np.ndarray, *, baseline: bool = False, stretched: bool = False) -> Fit:
    """y = A exp(-(t / T)^beta) + c: echo decays (Hahn: t = 2 tau; CPMG: t = 2 n tau).

    ``baseline`` frees the offset c (a real spectrometer's echo integral rarely decays to exactly
    zero: without c, the residual offset is absorbed by a shorter T); ``stretched`` frees the
    exponent beta (spectral diffusion, Milov et al. 1998: beta between 1 and 2 for nuclear
    spectral diffusion); otherwise c = 0 and beta = 1. ``params``: amplitude, T and, when free,
    offset and beta.
    """
    t, y = np.asarray(t, float), np.asarray(y, float)
    pos = y > 0.05 * np.max(np.abs(y))
    if np.count_nonzero(pos) >= 2:
        slope = np.polyfit(t[pos], np.log(y[pos]), 1)[0]
        t_guess = -1.0 / slope if slope < 0 else np.ptp(t)
    else:
        t_guess = np.ptp(t) / 2
    a_guess = y[0] * np.exp(t[0] / t_guess)
    names, p0 = ["amplitude", "T"], [a_guess, t_guess]
    lo, hi = [-np.inf, 1e-15], [np.inf, np.inf]
    if baseline:
        names, p0, lo, hi = names + ["offset"], p0 + [0.0], lo + [-np.inf], hi + [np.inf]
    if stretched:
        names, p0, lo, hi = names + ["beta"], p0 + [1.0], lo + [0.1], hi + [5.0]

    def model(t: np.ndarray, a: float, tc: float, *rest: float) -> np.ndarray:
        c = rest[0] if baseline else 0.0
        beta = rest[-1] if stretched else 1.0
        return a * np.exp(-np.abs(t / tc) ** beta) + c

    return _fit(model, t, y, p0, names, (lo, hi))


def fit_recovery(t: np.ndarray, y: np.ndarray) -> Fit:
    """y = A - B exp(-t / T1): inversion (B ~ 2A) or saturation (B ~ A) recovery.

    B is free, so an imperfect inversion (B/A below 2: B1 inhomogeneity, finite pulse bandwidth)
    does not bias T1; ``params`` gains ``inversion_factor`` = B / A with its propagated error.
    """
    t, y = np.asarray(t, float), np.asarray(y, float)
    a = y[np.argmax(t)]
    b = a - y[np.argmin(t)]
    target = a - b / np.e
    t1 = t[np.argmin(np.abs(y - target))] or np.median(t)
    fit = _fit(lambda t, a, b, t1: a - b * np.exp(-t / t1), t, y, [a, b, t1], ["A", "B", "T1"],
               ([-np.inf, -np.inf, 1e-15], [np.inf, np.inf, np.inf]))
    a, b = fit.params["A"], fit.params["B"]
    fit.params["inversion_factor"] = b / a
    fit.errors["inversion_factor"] = propagate(fit.cov, np.array([-b / a**2, 1.0 / a, 0.0]))
    return fit


def fit_damped_sine(t: np.ndarray, y: np.ndarray) -> Fit:
    """y = A sin(2 pi f t + phi) exp(-t / tau) + c: Rabi nutation vs pulse length."""
    t, y = np.asarray(t, float), np.asarray(y, float)
    n = 16 * len(t)
    dt = float(np.median(np.diff(t)))
    spec = np.abs(np.fft.rfft(y - y.mean(), n))
    freqs = np.fft.rfftfreq(n, dt)
    f0 = freqs[1 + np.argmax(spec[1:])]
    a0 = 0.5 * np.ptp(y)
    best = None
    for phi0 in (0.0, np.pi / 2, np.pi, -np.pi / 2):
        try:
            fit = _fit(lambda t, a, f, phi, tau, c: a * np.sin(2 * np.pi * f * t + phi) * np.exp(-t / tau) + c,
                       t, y, [a0, f0, phi0, 10 * np.ptp(t), y.mean()], ["amplitude", "f", "phase", "tau", "offset"],
                       ([0, 0, -2 * np.pi, 1e-15, -np.inf], [np.inf, np.inf, 2 * np.pi, np.inf, np.inf]))
        except RuntimeError:
            continue
        if best is None or fit.residual_rms < best.residual_rms:
            best = fit
    if best is None:
        raise RuntimeError("nutation fit did not converge")
    return best


def echo_centre(trace: np.ndarray, t: np.ndarray, t2: float | None = None) -> float:
    """Time about which the echo is symmetric (its refocusing point).

    An echo refocuses as S(te + d) S(te - d) = |E(d)|^2 (any offset phase cancels in the
    product), so the self-convolution R(k) = sum_j S_j S_(k-j) peaks at k = 2 j_e: a matched
    filter that uses the whole window. The T2 decay across the window (which pulls the maximum of
    |S| earlier by sigma^2 / T2) is divided out first when T2 is given.
    """
    z = np.asarray(trace, complex)
    t = np.asarray(t, float)
    if t2 and np.isfinite(t2) and t2 > 0:
        z = z * np.exp((t - t[0]) / t2)
    r = np.abs(np.convolve(z, z))
    k = int(np.argmax(r))
    frac = 0.0
    if 0 < k < len(r) - 1:
        y0, y1, y2 = r[k - 1], r[k], r[k + 1]
        denom = y0 - 2 * y1 + y2
        frac = 0.5 * (y0 - y2) / denom if denom else 0.0
    dt = (t[-1] - t[0]) / (len(t) - 1)
    return float(t[0] + (k + frac) * dt / 2)


def fit_fid_envelope(t: np.ndarray, mag: np.ndarray) -> Fit:
    """|S(t)| = A exp(-a t^2 - b t), t from the FID's time origin: a Voigt line in time.

    The Gaussian part has spectral FWHM sqrt(a / (2 pi^2)) * 2 sqrt(2 ln 2), the Lorentzian part
    b / pi. Fitting in time handles the missing dead-time samples exactly, which a spectrum's
    half-height cannot. ``params`` gains ``gaussian_fwhm``, ``lorentzian_fwhm`` and ``fwhm``
    (Voigt, Olivero & Longbothum 1977's approximation); ``errors`` gains ``fwhm``.

    Only the total ``fwhm`` is robust: the split is not. An error d in the time origin turns
    a (t + d)^2 into a t^2 + 2 a d t, i.e. moves 2 a d / pi into the Lorentzian FWHM, and a
    Gaussian-dominated FID is gone before the Lorentzian decay bends it (simulated 2 MHz Gaussian
    with T2 = 1.5 us: Lorentzian 322 kHz for 1/(pi T2) = 212 kHz, total within 0.5%; a 12 ns
    origin error moves the Lorentzian part by ~50%, the total by ~3%).
    """
    t, mag = np.asarray(t, float), np.asarray(mag, float)
    scale = float(np.max(np.abs(t))) or 1.0  # fit in units of the window: well conditioned
    x = t / scale
    keep = mag > 0.1 * mag.max()
    if np.count_nonzero(keep) >= 3:  # log |S| = log A - a x^2 - b x is linear in (1, x^2, x)
        design = np.column_stack([np.ones(np.count_nonzero(keep)), -x[keep] ** 2, -x[keep]])
        c0, a0, b0 = np.linalg.lstsq(design, np.log(mag[keep]), rcond=None)[0]
    else:
        c0, a0, b0 = np.log(mag.max()), 0.0, 1.0
    fit = _fit(lambda x, amp, a, b: amp * np.exp(-a * x * x - b * x), x, mag,
               [np.exp(c0), max(a0, 0.0), max(b0, 0.0)], ["amplitude", "a", "b"], ([0, 0, 0], [np.inf, np.inf, np.inf]))
    fwhm, grad = _voigt_fwhm(fit.params["a"] / scale**2, fit.params["b"] / scale)
    fwhm_error = propagate(fit.cov, np.array([0.0, grad[0] / scale**2, grad[1] / scale]))
    fit.params["a"] /= scale**2
    fit.errors["a"] /= scale**2
    fit.params["b"] /= scale
    fit.errors["b"] /= scale
    fg = np.sqrt(fit.params["a"] / (2 * np.pi**2)) * 2 * np.sqrt(2 * np.log(2))
    fl = fit.params["b"] / np.pi
    fit.params.update(gaussian_fwhm=float(fg), lorentzian_fwhm=float(fl), fwhm=fwhm)
    fit.errors["fwhm"] = fwhm_error
    return fit


def _voigt_fwhm(a: float, b: float) -> tuple[float, tuple[float, float]]:
    """Voigt FWHM (Hz) of the envelope exp(-a t^2 - b t) and its gradient in (a, b)."""
    fg = np.sqrt(max(a, 0.0) / (2 * np.pi**2)) * 2 * np.sqrt(2 * np.log(2))
    fl = b / np.pi
    root = np.sqrt(0.2166 * fl * fl + fg * fg)
    fwhm = 0.5346 * fl + root
    d_fg = fg / root if root > 0 else 0.0  # dF/dfg
    d_fl = 0.5346 + (0.2166 * fl / root if root > 0 else 0.0)
    da = d_fg * fg / (2 * a) if a > 0 else 0.0  # fg ~ sqrt(a)
    return float(fwhm), (float(da), float(d_fl / np.pi))


@dataclass
class Spectrum:
    freq: np.ndarray  # Hz offset from the carrier
    real: np.ndarray  # phased absorption
    imag: np.ndarray
    phase0: float  # rad
    peak: float  # Hz
    fwhm: float  # Hz


def fid_spectrum(trace: np.ndarray, sample_rate: float, t0: float, zero_fill: int = 8192) -> Spectrum:
    """FFT of an FID whose first sample is ``t0`` after the excitation's time origin.

    First-order phase: the delay t0 multiplies each line by exp(i 2 pi f t0); it is divided out.
    Zero-order phase: the phase at the magnitude peak, so the line is positive absorption there.
    """
    z = np.asarray(trace, complex)
    n = max(zero_fill, len(z))
    spec = np.fft.fftshift(np.fft.fft(z, n)) / len(z)
    freq = np.fft.fftshift(np.fft.fftfreq(n, 1.0 / sample_rate))
    spec = spec * np.exp(-2j * np.pi * freq * t0)
    phase0 = float(np.angle(spec[int(np.argmax(np.abs(spec)))]))
    spec = spec * np.exp(-1j * phase0)
    re = spec.real
    k = int(np.argmax(re))
    peak = float(freq[k])
    if 0 < k < n - 1:
        y0, y1, y2 = re[k - 1], re[k], re[k + 1]
        denom = y0 - 2 * y1 + y2
        if denom != 0:
            peak += 0.5 * (y0 - y2) / denom * (freq[1] - freq[0])
    half = re[k] / 2
    lo = k
    while lo > 0 and re[lo] > half:
        lo -= 1
    hi = k
    while hi < n - 1 and re[hi] > half:
        hi += 1
    df = freq[1] - freq[0]
    left = freq[lo] + df * (half - re[lo]) / (re[lo + 1] - re[lo]) if re[lo + 1] != re[lo] else freq[lo]
    right = freq[hi - 1] + df * (re[hi - 1] - half) / (re[hi - 1] - re[hi]) if re[hi - 1] != re[hi] else freq[hi]
    return Spectrum(freq, re, spec.imag, phase0, peak, float(right - left))
