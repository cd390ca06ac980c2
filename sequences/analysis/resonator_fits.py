"""Closed-form fits for a mechanical resonator read out by a lock-in (mr-anchors C.1).

- Driven response: z(f) = A e^{i phi} f0^2 / (f0^2 - f^2 + i f f0 / Q) + background.
- Ringdown: |z(t)| = sqrt(A^2 e^{-2 t / tau} + floor^2), tau = Q / (pi f0); the lock-in phase
  advances at 2 pi (f0 - f_ref) while the free mode rings, which gives f0.
- Thermal spectrum: S_x(f) = A / ((f0^2 - f^2)^2 + (f f0 / Q)^2) + B (white floor B);
  equipartition <x^2> = kB T / k gives k, and S_F = 4 kB T k / (w0 Q). A lock-in output read
  at a finite rate folds the spectrum: the model is folded the same way before fitting.
Written from the formulas, independently of the simulator.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares, minimize

from sequences.analysis.constants import KB


@dataclass
class ResonatorFit:
    f0: float
    q: float
    errors: dict[str, float]
    extra: dict[str, float]


def correlation_inflation(resid: np.ndarray) -> float:
    """1 + 2 sum of the residuals' autocorrelation (to its first zero): the variance factor for
    serially correlated residuals, e.g. thermal motion that persists for a ringdown time."""
    r = np.asarray(resid, float) - np.mean(resid)
    var = float(r @ r)
    if var <= 0 or r.size < 4:
        return 1.0
    total = 1.0
    for lag in range(1, r.size // 2):
        rho = float(r[:-lag] @ r[lag:]) / var
        if rho <= 0:
            break
        total += 2 * rho
    return total


def _cov(jac: np.ndarray, resid: np.ndarray, correlated: bool = False) -> np.ndarray:
    dof = max(1, resid.size - jac.shape[1])
    s2 = float(resid @ resid) / dof * (correlation_inflation(resid) if correlated else 1.0)
    try:
        return np.linalg.inv(jac.T @ jac) * s2
    except np.linalg.LinAlgError:
        return np.full((jac.shape[1], jac.shape[1]), np.nan)


# --- driven sweep ------------------------------------------------------------------------------
def driven_model(f: np.ndarray, f0: float, q: float, amp: complex, bg: complex) -> np.ndarray:
    f = np.asarray(f, float)
    return amp * f0**2 / ((f0 - f) * (f0 + f) + 1j * f * f0 / q) + bg


def fit_driven_response(f: np.ndarray, z: np.ndarray) -> ResonatorFit:
    """Complex Lorentzian fit of a driven sweep (amplitude and phase together). Lock-ins differ
    in the sign convention of Y, so both z and conj(z) are tried; the better fit is kept."""
    f, z = np.asarray(f, float), np.asarray(z, complex)
    if f.size < 6:
        raise ValueError(f"need at least 6 sweep points to fit a resonance, got {f.size}")
    fits = [_fit_driven_once(f, z, conj) for conj in (False, True)]
    return min(fits, key=lambda r: r.extra["residual_rms"])


def _fit_driven_once(f: np.ndarray, z: np.ndarray, conj: bool) -> ResonatorFit:
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

    def resid(p: np.ndarray) -> np.ndarray:
        r = (driven_model(f, *unpack(p)) - z) / zs
        return np.concatenate([r.real, r.imag])

    p0 = np.array([0.0, 1.0, (amp0 * fc / (zs * scale)).real, (amp0 * fc / (zs * scale)).imag, 0.0, 0.0])
    sol = least_squares(resid, p0, x_scale="jac", max_nfev=5000)
    f0, q, amp, bg = unpack(sol.x)
    cov = _cov(sol.jac, sol.fun)
    err_f0 = math.sqrt(max(cov[0, 0], 0)) * scale
    err_gamma = math.sqrt(max(cov[1, 1], 0)) * scale
    gamma = f0 / q
    return ResonatorFit(f0, q, {"f0": err_f0, "q": q * math.hypot(err_gamma / gamma, err_f0 / f0)},
                        {"amplitude": abs(amp) * q, "phase_deg": math.degrees(math.atan2(amp.imag, amp.real)) - 90.0,
                         "background": abs(bg), "residual_rms": float(np.sqrt(np.mean(sol.fun**2))) * zs,
                         "conjugated": float(conj), "linewidth": gamma})


# --- ringdown ----------------------------------------------------------------------------------
def fit_ringdown(t: np.ndarray, z: np.ndarray, f_ref: float) -> ResonatorFit:
    """Amplitude decay and phase advance of a free ringdown recorded by a lock-in at f_ref."""
    t, z = np.asarray(t, float), np.asarray(z, complex)
    if t.size < 8:
        raise ValueError(f"need at least 8 ringdown samples, got {t.size}")
    t = t - t[0]
    r = np.abs(z)
    floor0 = float(np.median(r[-max(3, r.size // 10):]))
    strong = r > max(3 * floor0, 0.05 * r[0])
    if strong.sum() < 4:
        raise ValueError("ringdown starts too close to the noise floor to fit")
    slope, icpt = np.polyfit(t[strong], np.log(r[strong]), 1)
    tau0 = -1.0 / slope if slope < 0 else float(t[-1])
    rs = float(r[0]) or 1.0

    def resid(p: np.ndarray) -> np.ndarray:
        a, inv_tau, b = p
        return (np.sqrt(a * a * np.exp(-2 * t * inv_tau) + b * b) - r) / rs

    sol = least_squares(resid, [math.exp(icpt), 1 / tau0, floor0], x_scale=[rs, 1 / tau0, rs], max_nfev=5000)
    a, inv_tau, b = sol.x
    cov = _cov(sol.jac, sol.fun, correlated=True)
    tau = 1.0 / inv_tau
    err_tau = math.sqrt(max(cov[1, 1], 0)) * tau * tau
    # Phase: weighted linear fit where the signal dominates the floor (weights ~ SNR^2).
    keep = r > 10 * max(abs(b), 1e-30)
    if keep.sum() < 4:
        keep = strong
    ph = np.unwrap(np.angle(z[keep]))
    w = (r[keep] / max(abs(b), 1e-30 * rs)) ** 2
    coef, cov_p = np.polyfit(t[keep], ph, 1, w=np.sqrt(w), cov="unscaled") if keep.sum() > 3 else (
        np.polyfit(t[keep], ph, 1), np.full((2, 2), np.nan))
    res_p = ph - np.polyval(coef, t[keep])
    s2 = float(np.sum(w * res_p**2) / max(1, keep.sum() - 2)) * correlation_inflation(res_p * np.sqrt(w))
    f0 = f_ref + coef[0] / (2 * math.pi)
    err_f0 = math.sqrt(max(cov_p[0, 0] * s2, 0)) / (2 * math.pi)
    q = math.pi * f0 * tau
    return ResonatorFit(f0, q, {"f0": err_f0, "q": q * err_tau / tau, "tau": err_tau},
                        {"tau": tau, "amplitude": abs(a), "floor": abs(b),
                         "residual_rms": float(np.sqrt(np.mean(sol.fun**2))) * rs})


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
                    sampling: tuple[float, float, float, int] | None = None) -> dict[str, tuple[float, float]]:
    """Whittle (maximum-likelihood) fit of an averaged periodogram; returns value, error pairs for
    f0, Q, peak, floor, k (from equipartition), S_F and sqrt(S_F). ``sampling`` (f_ref, rate,
    time constant, poles) folds the model like the lock-in's sampled output."""
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
    cov = np.linalg.pinv(n_avg * g @ g.T)

    def derived(p: np.ndarray) -> np.ndarray:
        f0_, q_, peak_, _ = unpack(p)
        x2 = peak_ * math.pi * (f0_ / q_) / 2  # area of the peak = <x^2>
        k = KB * temperature / x2
        sf = 4 * KB * temperature * k / (2 * math.pi * f0_ * q_)
        return np.array([f0_, q_, peak_, math.exp(p[3]), k, sf, math.sqrt(sf), x2])

    d0 = derived(sol.x)
    jac = np.array([(derived(sol.x + eps * np.eye(4)[k]) - d0) / eps for k in range(4)]).T
    err = np.sqrt(np.clip(np.diag(jac @ cov @ jac.T), 0, None))
    names = ["f0", "q", "peak", "floor", "spring_constant", "force_psd", "force_noise", "mean_square"]
    return {n: (float(v), float(e)) for n, v, e in zip(names, d0, err)}
