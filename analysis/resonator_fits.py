"""Closed-form fits for a mechanical resonator read out by a lock-in (Saulson 1990; docs/references.md).

- Driven response: z(f) = A e^{i phi} f0^2 / (f0^2 - f^2 + i f f0 / Q) + background.
- Ringdown: the free mode's envelope (signal and thermal motion alike) obeys
  dz/dt = (-1/tau + 2 pi i (f0 - f_ref)) z + noise, tau = Q / (pi f0): fitted as a first-order
  autoregression of the lock-in samples, which gives tau, f0 and honest errors together.
- Thermal spectrum: S_x(f) = A / ((f0^2 - f^2)^2 + (f f0 / Q)^2) + B (white floor B);
  equipartition <x^2> = kB T / k gives k, and S_F = 4 kB T k / (w0 Q). A lock-in output read
  at a finite rate folds the spectrum: the model is folded the same way before fitting.
Written from the formulas, independently of the simulator.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from analysis.constants import KB
from analysis.uncertainty import covariance, propagate


@dataclass
class ResonatorFit:
    f0: float
    q: float
    errors: dict[str, float]
    extra: dict[str, float]


# --- driven sweep ------------------------------------------------------------------------------
def driven_model(f: np.ndarray, f0: float, q: float, amp: complex, bg: complex) -> np.ndarray:
    f = np.asarray(f, float)
    return amp * f0**2 / ((f0 - f) * (f0 + f) + 1j * f * f0 / q) + bg


def fit_driven_response(f: np.ndarray, z: np.ndarray, average_time: float = 0.0) -> ResonatorFit:
    """Complex Lorentzian fit of a driven sweep (amplitude and phase together). Lock-ins differ
    in the sign convention of Y, so both z and conj(z) are tried; the better fit is kept.

    ``average_time`` (s, the averaging per point) weights the points by their noise: thermal
    motion averaged for T in a frame turning at f0 - f is much quieter off resonance than on
    it, so equal weights would understate the errors of f0 and Q."""
    f, z = np.asarray(f, float), np.asarray(z, complex)
    if f.size < 6:
        raise ValueError(f"need at least 6 sweep points to fit a resonance, got {f.size}")
    fits = [_fit_driven_once(f, z, conj, average_time) for conj in (False, True)]
    return min(fits, key=lambda r: r.extra["residual_rms"])


def averaged_thermal_variance(detuning: np.ndarray, tau: float, average_time: float) -> np.ndarray:
    """Variance (relative to the unaveraged one) of the mean over ``average_time`` of thermal
    motion (an envelope correlated as e^{-|t|/tau}) seen in a frame detuned by ``detuning`` Hz:
    (2/T^2) Re[T/a - (1 - e^{-aT})/a^2], a = 1/tau - 2 pi i detuning."""
    a = 1.0 / tau - 2j * math.pi * np.asarray(detuning, float)
    t = max(average_time, 1e-300)
    return (2.0 / t**2) * np.real(t / a - (1.0 - np.exp(-a * t)) / a**2)


def _fit_driven_once(f: np.ndarray, z: np.ndarray, conj: bool, average_time: float = 0.0) -> ResonatorFit:
    from scipy.optimize import least_squares, nnls
    z = np.conj(z) if conj else z
    p2 = np.abs(z) ** 2
    i = int(np.argmax(p2))
    fc = float(f[i])
    above = f[p2 >= p2[i] / 2]
    width = max(float(above.max() - above.min()), float(np.min(np.diff(np.sort(f)))))
    scale = max(width, 1e-9)
    amp0 = 1j * z[i] * width / fc  # z(f0) = -i Q A  ->  A = i z / Q, Q = f0 / width
    zs = float(np.max(np.abs(z))) or 1.0

    def unpack(p: np.ndarray) -> tuple[float, float, complex, complex]:
        f0 = fc + p[0] * scale
        gamma = abs(p[1]) * scale
        return f0, f0 / gamma, complex(p[2], p[3]) * zs * scale / fc, complex(p[4], p[5]) * zs

    weight = np.ones(f.size)

    def resid(p: np.ndarray) -> np.ndarray:
        r = (driven_model(f, *unpack(p)) - z) / zs * weight
        return np.concatenate([r.real, r.imag])

    p = np.array([0.0, 1.0, (amp0 * fc / (zs * scale)).real, (amp0 * fc / (zs * scale)).imag, 0.0, 0.0])
    # Unweighted first; then weights 1/sqrt(thermal + white) with the white share (readout noise)
    # taken from the residuals by non-negative least squares.
    for stage in range(3 if average_time > 0 else 1):
        sol = least_squares(resid, p, x_scale="jac", max_nfev=5000)
        p = sol.x
        if stage == 2 or average_time <= 0:
            break
        f0, q, _, _ = unpack(p)
        v = averaged_thermal_variance(f - f0, q / (math.pi * f0), average_time)
        v = v / float(np.max(v))
        if stage == 1:
            r = (driven_model(f, *unpack(p)) - z) / zs
            coef, _ = nnls(np.vstack([v, np.ones_like(v)]).T, (r.real**2 + r.imag**2) / 2)
            v = v + (coef[1] / coef[0] if coef[0] > 0 else 1e6)
        weight = 1.0 / np.sqrt(v)
    f0, q, amp, bg = unpack(sol.x)
    cov = covariance(sol.jac, sol.fun)
    err_f0 = math.sqrt(max(cov[0, 0], 0)) * scale
    err_gamma = math.sqrt(max(cov[1, 1], 0)) * scale
    gamma = f0 / q
    r = driven_model(f, f0, q, amp, bg) - z
    return ResonatorFit(f0, q, {"f0": err_f0, "q": q * math.hypot(err_gamma / gamma, err_f0 / f0),
                                "linewidth": err_gamma},
                        {"amplitude": abs(amp) * q, "phase_deg": math.degrees(math.atan2(amp.imag, amp.real)) - 90.0,
                         "background": abs(bg), "residual_rms": float(np.sqrt(np.mean(r.real**2 + r.imag**2) / 2)),
                         "conjugated": float(conj), "linewidth": gamma})


# --- ringdown ----------------------------------------------------------------------------------
def _decay_rate(t: np.ndarray, z: np.ndarray, lag: int) -> tuple[complex, float]:
    """Complex rate lam = -1/tau + 2 pi i (f0 - f_ref) of z_k = exp(lam h_k) z_{k-1} + e_k, by
    instrumental variables (instrument z_{k-1-lag}, which no noise in e_k reaches), Gauss-Newton
    for uneven steps h_k. Returns (lam, E|lam_hat - lam|^2) from the residuals' autocovariance
    at lags <= ``lag`` (the noise in e_k is stationary; the signal sits in the regressor)."""
    h = np.diff(t)
    y0, y1 = z[:-1], z[1:]
    w = y0[:y0.size - lag]  # instrument for row k: z_{k-1-lag}
    y0, y1, h = y0[lag:], y1[lag:], h[lag:]
    rho = complex(np.sum(y1 * np.conj(w)) / np.sum(y0 * np.conj(w)))
    if not np.isfinite(rho) or rho == 0:
        raise ValueError("ringdown fit failed: the record does not decay like a single mode")
    lam = complex(np.log(rho)) / float(np.mean(h))
    for _ in range(30):
        rho_k = np.exp(lam * h)
        step = np.sum((y1 - rho_k * y0) * np.conj(w)) / np.sum(h * rho_k * y0 * np.conj(w))
        lam += complex(step)
        if abs(step) <= 1e-12 * abs(lam):
            break
    rho_k = np.exp(lam * h)
    e = y1 - rho_k * y0
    denom = abs(np.sum(h * rho_k * y0 * np.conj(w))) ** 2
    n = e.size
    total = float(np.vdot(e, e).real) / max(1, n - 2) * float(np.vdot(w, w).real)
    for k in range(1, min(lag, n - 1) + 1):
        c = np.sum(e[k:] * np.conj(e[:-k])) / max(1, n - 2)
        total += 2.0 * float((c * np.sum(w[:-k] * np.conj(w[k:]))).real)
    return lam, max(total, 0.0) / denom


def lockin_settling(time_constant: float, poles: int) -> float:
    """Time after which a p-pole lock-in filter has forgotten a step and its output noise has
    decorrelated: (2 p + 2) time constants (4 poles: 10 tc, where the correlation is 5e-3)."""
    return (2 * max(1, poles) + 2) * time_constant


def fit_ringdown(t: np.ndarray, z: np.ndarray, f_ref: float, noise_time: float = 0.0) -> ResonatorFit:
    """Decay time and frequency of a free ringdown recorded by a lock-in at f_ref.

    The thermal motion obeys the same equation as the ringing mode, so signal + thermal motion
    is one first-order autoregression z_k = exp(lam h) z_{k-1} + (white innovations), with
    lam = -1/tau + 2 pi i (f0 - f_ref): fitting that (not |z| against an exponential) leaves
    white residuals and honest error bars, although the thermal motion stays correlated for a
    ringdown time. The lock-in's own noise, correlated over ``noise_time`` (its filter, about
    (2 poles + 2) time constants), would bias a plain regression; the instrument
    z_{k-1-lag} with lag * h > noise_time removes that. |f0 - f_ref| must stay below 1/(2 h).
    The amplitude and noise floor (for plotting) come from |z| = sqrt(A^2 e^{-2t/tau} + floor^2)
    with tau held."""
    from scipy.optimize import least_squares
    t, z = np.asarray(t, float), np.asarray(z, complex)
    if t.size < 8:
        raise ValueError(f"need at least 8 ringdown samples, got {t.size}")
    if np.any(np.diff(t) <= 0):
        raise ValueError("ringdown sample times must increase")
    t = t - t[0]
    h = float(np.mean(np.diff(t)))
    lag = int(math.ceil(max(noise_time, 0.0) / h)) + 1
    if t.size - lag < 8:
        raise ValueError(f"need at least {lag + 8} ringdown samples for lock-in noise correlated over "
                         f"{noise_time:g} s at {h:g} s spacing, got {t.size}")
    lam, var = _decay_rate(t, z, lag)
    inv_tau = -lam.real
    if inv_tau <= 0:
        raise ValueError("ringdown fit failed: the amplitude does not decay")
    tau = 1.0 / inv_tau
    err_rate = math.sqrt(var / 2)  # each of Re and Im of a circular complex error
    f0 = f_ref + lam.imag / (2 * math.pi)
    q = math.pi * f0 * tau
    r = np.abs(z)
    rs = float(np.max(r)) or 1.0
    decay = np.exp(-2 * t * inv_tau)

    def resid(p: np.ndarray) -> np.ndarray:
        return (np.sqrt(p[0] ** 2 * decay + p[1] ** 2) - r) / rs

    floor0 = float(np.median(r[-max(3, r.size // 10):]))
    sol = least_squares(resid, [float(r[0]), floor0], x_scale=[rs, rs], max_nfev=2000)
    a, b = sol.x
    return ResonatorFit(f0, q, {"f0": err_rate / (2 * math.pi), "q": q * err_rate * tau, "tau": err_rate * tau * tau},
                        {"tau": tau, "amplitude": abs(a), "floor": abs(b),
                         "residual_rms": float(np.sqrt(np.mean(sol.fun**2))) * rs, "lag": float(lag)})


# --- thermal spectrum ---------------------------------------------------------------------------
def baseband_psd(traces: np.ndarray, rate: float, time_constant: float, poles: int,
                 segment: int | None = None) -> tuple[np.ndarray, np.ndarray, int]:
    """One-sided displacement PSD S_x(f_ref + df) (m^2/Hz) from lock-in traces of the complex
    peak envelope z (m): S_x = S_zz / 2, divided by the lock-in filter's |H(df)|^2.
    Returns (df, S_x, number of averaged segments)."""
    from scipy.signal import welch

    traces = np.atleast_2d(np.asarray(traces, complex))
    n = traces.shape[1]
    seg = min(segment or n, n)
    df, s = welch(traces, fs=rate, window="hann", nperseg=seg, noverlap=seg // 2, detrend=False,
                  return_onesided=False, axis=-1)
    s = np.mean(s, axis=0)
    order = np.argsort(df)
    df, s = df[order], s[order] / 2.0
    h2 = (1 + (2 * math.pi * df * time_constant) ** 2) ** (-poles)
    n_seg = traces.shape[0] * max(1, (n - seg) // (seg - seg // 2) + 1)
    return df, s / h2, n_seg


def welch_variance_factor(segment: int, record: int | None = None) -> float:
    """How much the errors' variance of a Whittle fit to a Welch spectrum (Hann, 50 % overlap)
    exceeds the count of averaged segments alone: neighbouring frequency ordinates of a
    tapered periodogram are correlated (Hann: rho = 0.44, 0.03 for 1, 2 bins: 1 + 2 sum = 1.94)
    and overlapping segments of one ``record`` too (Hann at 50 %: up to 1.06). The likelihood
    treats each as new."""
    from scipy.signal import get_window

    seg = max(4, int(segment))
    w = get_window("hann", seg)
    w2 = np.abs(np.fft.rfft(w * w)) ** 2
    bins = 1.0 + 2.0 * float(np.sum(w2[1:] / w2[0]))
    step = seg - seg // 2
    norm = float(w @ w)
    k = max(1, (int(record) - seg) // step + 1) if record else 10**9  # segments per record
    overlap = 1.0 + 2.0 * sum((1 - j / k) * (float(w[:seg - j * step] @ w[j * step:]) / norm) ** 2
                              for j in range(1, min(k, -(-seg // step))))
    return bins * overlap


def psd_model(f: np.ndarray, f0: float, q: float, peak: float, floor: float) -> np.ndarray:
    """S_x(f) of a thermally driven oscillator (peak value at f0) plus a white floor."""
    f = np.asarray(f, float)
    return peak * (f0 * f0 / q) ** 2 / (((f0 - f) * (f0 + f)) ** 2 + (f * f0 / q) ** 2) + floor


def folded(model, f: np.ndarray, sampling: tuple[float, float, float, int] | None, folds: int = 4):
    """The spectrum a filtered lock-in output read at ``rate`` shows after dividing by |H|^2:
    sum_k |H(df + k rate)|^2 S(f + k rate) / |H(df)|^2, sampling = (f_ref, rate, tc, poles)."""
    if sampling is None:
        return model(f)
    f_ref, rate, tc, poles = sampling
    h2 = lambda d: (1 + (2 * math.pi * d * tc) ** 2) ** (-poles)  # noqa: E731
    df = f - f_ref
    total = np.zeros_like(f)
    for k in range(-folds, folds + 1):
        total += h2(df + k * rate) * model(f + k * rate)
    return total / h2(df)


def fit_thermal_psd(f: np.ndarray, s: np.ndarray, temperature: float, n_avg: int,
                    sampling: tuple[float, float, float, int] | None = None,
                    variance_factor: float = 1.0) -> dict[str, tuple[float, float]]:
    """Whittle (maximum-likelihood) fit of an averaged periodogram; returns value, error pairs for
    f0, Q, peak, floor, k (from equipartition), S_F and sqrt(S_F). ``sampling`` (f_ref, rate,
    time constant, poles) folds the model like the lock-in's sampled output.
    ``variance_factor`` (``welch_variance_factor``) accounts for correlated ordinates."""
    from scipy.optimize import minimize
    f, s = np.asarray(f, float), np.asarray(s, float)
    i = int(np.argmax(s))
    fc = float(f[i])
    floor0 = float(np.percentile(s, 10))
    half = f[s >= (s[i] + floor0) / 2]
    width = max(float(half.max() - half.min()), float(f[1] - f[0]))

    def unpack(p: np.ndarray) -> tuple[float, float, float, float]:
        f0 = fc + p[0] * width
        gamma = width * math.exp(p[1])
        return f0, f0 / gamma, math.exp(p[2]), math.exp(p[3])

    def model_of(p: np.ndarray) -> np.ndarray:
        f0, q, peak, floor = unpack(p)
        return folded(lambda ff: psd_model(ff, f0, q, peak, floor), f, sampling)

    def nll(p: np.ndarray) -> float:
        m = model_of(p)
        return float(np.sum(np.log(m) + s / m))

    p0 = np.array([0.0, 0.0, math.log(max(s[i] - floor0, s[i] / 2)), math.log(max(floor0, 1e-300))])
    sol = minimize(nll, p0, method="Nelder-Mead", options={"xatol": 1e-7, "fatol": 1e-9, "maxiter": 20000})
    sol = minimize(nll, sol.x, method="BFGS")
    f0, q, peak, floor = unpack(sol.x)
    # Fisher information of the Whittle likelihood for n_avg averaged periodograms.
    eps = 1e-6
    grads = []
    base = np.log(model_of(sol.x))
    for k in range(4):
        dp = np.zeros(4)
        dp[k] = eps
        grads.append((np.log(model_of(sol.x + dp)) - base) / eps)
    g = np.array(grads)
    cov = np.linalg.pinv(n_avg * g @ g.T) * max(variance_factor, 1.0)

    def derived(p: np.ndarray) -> np.ndarray:
        f0_, q_, peak_, _ = unpack(p)
        x2 = peak_ * math.pi * (f0_ / q_) / 2  # area of the peak = <x^2>
        k = KB * temperature / x2
        sf = 4 * KB * temperature * k / (2 * math.pi * f0_ * q_)
        return np.array([f0_, q_, peak_, math.exp(p[3]), k, sf, math.sqrt(sf), x2])

    d0 = derived(sol.x)
    jac = np.array([(derived(sol.x + eps * np.eye(4)[k]) - d0) / eps for k in range(4)]).T
    err = propagate(cov, jac)
    names = ["f0", "q", "peak", "floor", "spring_constant", "force_psd", "force_noise", "mean_square"]
    return {n: (float(v), float(e)) for n, v, e in zip(names, d0, err)}
