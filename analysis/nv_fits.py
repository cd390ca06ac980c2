"""Fits of normalised NV fluorescence (signal window / reference window) in pulsed experiments.

Rabi nutation uses :func:`analysis.pulsed_fits.fit_damped_sine`. Ramsey fringes are the
hyperfine lines' cosines under a Gaussian envelope exp(-(t/T2*)^2) (quasi-static detuning
noise); the Hahn echo decays as exp(-(2 tau/T2)^p) from a bright start; a nuclear species of
Larmor frequency f_L shows as a dip at tau = 1/(2 f_L) in a dynamical-decoupling tau sweep
(Staudacher et al., Science 339, 561 (2013); Degen, Reinhard & Cappellaro, Rev. Mod. Phys. 89,
035002 (2017)).
"""
from __future__ import annotations

import numpy as np

from analysis.pulsed_fits import Fit, _fit


def ramsey_model(t, base, f0, split, t2s, *quad, n: int):
    """base + exp(-(t/T2*)^2) sum_k (a_k cos + b_k sin)(2 pi (f0 + (k - (n-1)/2) split) t): each
    hyperfine line keeps its own amplitude and phase (finite pulses treat the detuned lines differently)."""
    out = np.zeros_like(np.asarray(t, float))
    for k in range(n):
        w = 2 * np.pi * (f0 + (k - (n - 1) / 2) * split) * t
        out = out + quad[2 * k] * np.cos(w) + quad[2 * k + 1] * np.sin(w)
    return base + np.exp(-(t / t2s) ** 2) * out


def fit_ramsey(t: np.ndarray, y: np.ndarray, n_lines: int, split: float) -> Fit:
    """Ramsey fringes of ``n_lines`` hyperfine lines ``split`` Hz apart: base, f0 (the mean
    detuning), split, T2* (s), and each line's quadratures a_k, b_k."""
    t, y = np.asarray(t, float), np.asarray(y, float)
    dt = float(np.median(np.diff(t)))
    m = 32 * len(t)
    spec = np.abs(np.fft.rfft(y - y.mean(), m))
    freqs = np.fft.rfftfreq(m, dt)
    f_peak = freqs[1 + np.argmax(spec[1:])]
    best = None
    starts = [f_peak] if n_lines == 1 else [f_peak, f_peak + split / 2, f_peak - split / 2, f_peak + split,
                                            f_peak - split]
    names = ["base", "f0", "split", "T2star"] + [f"{q}{k}" for k in range(n_lines) for q in ("a", "b")]
    amp = 0.5 * np.ptp(y) / n_lines
    for f0 in starts:
        for t2s in (0.4 * np.ptp(t),):
            p0 = [y.mean(), abs(f0), split, t2s] + [amp, 0.0] * n_lines
            lo = [-np.inf, 0, 0.7 * split, dt] + [-np.inf] * (2 * n_lines)
            hi = [np.inf, 1 / dt, 1.3 * split if n_lines > 1 else 1.0, 100 * np.ptp(t)] + [np.inf] * (2 * n_lines)
            try:
                fit = _fit(lambda x, *p: ramsey_model(x, *p, n=n_lines), t, y, p0, names, (lo, hi))
            except RuntimeError:
                continue
            if best is None or fit.residual_rms < best.residual_rms:
                best = fit
    if best is None:
        raise RuntimeError("Ramsey fit did not converge")
    return best


def fit_echo(t: np.ndarray, y: np.ndarray, stretch: float = 1.0) -> Fit:
    """y = base - amplitude (1 - exp(-(t/T2)^stretch)), t = total free time (2 tau): base is the
    bright level at t = 0 and base - amplitude the fully dephased level."""
    t, y = np.asarray(t, float), np.asarray(y, float)
    best = None
    for t2 in (0.2 * np.ptp(t), np.ptp(t), 3 * np.ptp(t)):
        p0 = [y[np.argmin(t)], max(y[np.argmin(t)] - y.min(), 1e-4), t2]
        try:
            fit = _fit(lambda x, b, a, tc: b - a * (1 - np.exp(-(x / tc) ** stretch)), t, y, p0,
                       ["base", "amplitude", "T2"], ([-np.inf, 0, 1e-12], [np.inf, np.inf, np.inf]))
        except RuntimeError:
            continue
        if best is None or fit.residual_rms < best.residual_rms:
            best = fit
    if best is None:
        raise RuntimeError("echo decay fit did not converge")
    return best


def fit_dip(tau: np.ndarray, y: np.ndarray) -> Fit:
    """A Gaussian dip on a sloped baseline: base, slope, depth, centre, sigma (s)."""
    tau, y = np.asarray(tau, float), np.asarray(y, float)
    k = int(np.argmin(y))
    step = float(np.median(np.diff(tau)))
    mid = float(np.mean(tau))
    p0 = [float(np.percentile(y, 80)), 0.0, float(np.percentile(y, 80) - y[k]), tau[k], 3 * step]
    return _fit(lambda x, b, s, d, c, w: b + s * (x - mid) - d * np.exp(-0.5 * ((x - c) / w) ** 2), tau, y, p0,
                ["base", "slope", "depth", "centre", "sigma"],
                ([-np.inf, -np.inf, 0, tau.min(), step / 10], [np.inf, np.inf, np.inf, tau.max(), np.ptp(tau)]))
