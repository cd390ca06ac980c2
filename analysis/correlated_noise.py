"""How many independent points a lock-in trace holds: the noise correlation of an n-pole RC
output filter and the variance inflation it causes in a least-squares fit.

A lock-in's output filter is n identical RC stages of time constant tau (SR830 manual,
"Time Constants": 6 dB/octave per stage). Driven by white noise, its output has the
autocorrelation of its impulse response h(t) = t^(n-1) e^(-t/tau) / ((n-1)! tau^n) with itself,
R(s) = integral h(t) h(t+s) dt; expanding (t + s)^(n-1) binomially and integrating each term
(integral t^m e^(-2t/tau) dt = m! (tau/2)^(m+1)) gives, with x = |s| / tau,

    rho(x) = R(s) / R(0) = e^-x sum_{j<n} C(n-1, j) (n-1+j)! 2^(n-1-j) x^(n-1-j) / (2n-2)!

(1 pole: e^-x; 2: (1 + x) e^-x; 3: (1 + x + x^2/3) e^-x; 4: (1 + x + 2x^2/5 + x^3/15) e^-x).

Samples read every dt therefore correlate as rho(k dt / tau). For the mean of N such samples,
var = (sigma^2 / N) [1 + 2 sum_{k=1}^{N-1} (1 - k/N) rho_k] (Bartlett, J. R. Stat. Soc. Suppl. 8,
27 (1946); Priestley, *Spectral Analysis and Time Series*, 1981, sec. 5.3.2): the N points count
as N_eff = N / f independent ones, f the variance inflation factor. For a least-squares fit the
exact covariance of the estimate is (J^T J)^-1 J^T Sigma J (J^T J)^-1; where the columns of J
vary little over the correlation length (a line many points wide against a few correlated
points), J^T Sigma J = sigma^2 f J^T J, i.e. every parameter's variance is inflated by the same f
(``analysis.uncertainty.covariance`` takes it as ``inflation``).
"""
from __future__ import annotations

import math

import numpy as np

MAX_POLES = 4


def _coefficients(poles: int) -> np.ndarray:
    """c_m of rho(x) = e^-x sum_m c_m x^m (m = 0..n-1), c_0 = 1."""
    n = poles
    c = np.zeros(n)
    for j in range(n):
        c[n - 1 - j] = math.comb(n - 1, j) * math.factorial(n - 1 + j) * 2.0 ** (n - 1 - j) / math.factorial(2 * n - 2)
    return c


def rc_autocorrelation(lag: np.ndarray | float, time_constant: float, poles: int) -> np.ndarray | float:
    """Normalised autocorrelation rho of white noise after ``poles`` RC stages of
    ``time_constant`` (s), at ``lag`` (s, either sign)."""
    if not 1 <= int(poles) <= MAX_POLES or int(poles) != poles:
        raise ValueError(f"an RC filter of {poles} poles: use 1..{MAX_POLES} (6..24 dB/oct)")
    if not time_constant > 0:
        raise ValueError(f"lock-in time constant {time_constant} s: it must be > 0")
    x = np.abs(np.asarray(lag, dtype=float)) / time_constant
    out = np.exp(-x) * np.polynomial.polynomial.polyval(x, _coefficients(int(poles)))
    return float(out) if out.ndim == 0 else out


def variance_inflation(points: int, interval: float, time_constant: float, poles: int) -> float:
    """f = 1 + 2 sum_{k=1}^{N-1} (1 - k/N) rho(k dt): the factor by which ``points`` samples read
    every ``interval`` (s) through the filter inflate the variance of a fitted parameter over the
    independent-point value (1 for samples far apart; ~ 2 n tau / dt for dense ones)."""
    if points < 1:
        raise ValueError(f"variance_inflation of {points} points")
    if not interval > 0:
        raise ValueError(f"sampling interval {interval} s: it must be > 0")
    if points == 1:
        return 1.0
    # rho < 1e-16 beyond ~ (40 + 4 n) tau: the sum stops there.
    kmax = min(points - 1, int(math.ceil((40.0 + 4 * poles) * time_constant / interval)))
    k = np.arange(1, kmax + 1)
    rho = rc_autocorrelation(k * interval, time_constant, poles)
    return float(1.0 + 2.0 * np.sum((1.0 - k / points) * rho))


def effective_points(points: int, interval: float, time_constant: float, poles: int) -> float:
    """N_eff = N / f: the number of independent points the correlated samples are worth."""
    return points / variance_inflation(points, interval, time_constant, poles)


def sample_interval(times: np.ndarray, groups: np.ndarray | None = None) -> float | None:
    """Median time between successive readings (within each group, e.g. one scan), or None when
    the times do not give one (fewer than two readings, no finite positive gaps)."""
    t = np.asarray(times, dtype=float)
    g = np.zeros(len(t), int) if groups is None else np.asarray(groups)
    gaps = np.concatenate([np.diff(t[g == s]) for s in np.unique(g)]) if len(t) else np.array([])
    gaps = np.abs(gaps[np.isfinite(gaps)])
    gaps = gaps[gaps > 0]
    return float(np.median(gaps)) if len(gaps) else None


def reading_inflation(points: int, time_constant: float | None, poles: int, *, interval: float | None = None,
                      times: np.ndarray | None = None, groups: np.ndarray | None = None) -> float:
    """Variance inflation f of a fit to ``points`` lock-in readings taken every ``interval`` (s),
    or at the recorded ``times`` (their median interval, per group: e.g. a scan); 1 (independent
    points) where neither gives an interval or no time constant is known. The one place the
    experiments (recorded times) and the file analysis (the file's parameters) get f from."""
    if interval is None and times is not None:
        interval = sample_interval(times, groups)
    if points < 2 or interval is None or not interval > 0 or time_constant is None or not time_constant > 0:
        return 1.0
    return variance_inflation(points, interval, time_constant, poles)
