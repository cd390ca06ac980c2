"""Field lag of a lock-in amplifier's output filter during a field sweep.

A lock-in's output low-pass is n cascaded RC stages of time constant tau (6 dB/octave each:
6, 12, 18, 24 dB/oct = 1..4 poles; Stanford Research Systems, SR830 manual, "Time Constants").
It delays a slowly varying input by its group delay n tau, so a line swept at rate r is recorded
displaced by r n tau in the sweep direction: up and down sweeps disagree by twice that, and a
one-way sweep biases the resonance field (and g) unless the lag is small against the linewidth
(Poole, *Electron Spin Resonance*, 2nd ed., 1983, sec. 11-D: the sweep time through a line
should be many time constants).

A stepped sweep ramps each step dB at ``ramp_rate`` (T_r = dB / ramp_rate), then waits T_s
and reads at the end of a period T >= T_r + T_s. The field B(t) then enters the filter as a
piecewise-linear input and, integrating y = h * B by parts, the steady-state lag at a reading is

    lag = B(t) - y(t) = integral_0^inf (1 - H(u)) B'(t - u) du
        = ramp_rate * sum_m [G(T_s + m T + T_r) - G(T_s + m T)]

with H the filter's step response, 1 - H(u) = exp(-u/tau) sum_{i<n} (u/tau)^i / i!, and
G(u) = integral_0^u (1 - H) = tau sum_{i<n} P(i + 1, u / tau) (P: regularised lower incomplete
gamma function). A continuous sweep (T_s = 0) gives exactly r n tau; a long wait gives ~0.
"""
from __future__ import annotations

import math

import numpy as np

#: Sum at most this many sweep periods exactly; beyond, the midpoint rule (error ~ (T/tau)^2).
MAX_TERMS = 200_000


def poles(filter_slope_db_per_oct: float) -> int:
    """RC stages of a filter slope: 6 dB/octave each."""
    n = int(round(float(filter_slope_db_per_oct) / 6.0))
    if n < 1 or abs(n * 6.0 - float(filter_slope_db_per_oct)) > 1e-9:
        raise ValueError(f"filter slope {filter_slope_db_per_oct} dB/oct is not a multiple of 6 dB/oct")
    return n


def deficit_integral(u: np.ndarray | float, time_constant: float, n: int) -> np.ndarray:
    """G(u) = integral_0^u (1 - H(s)) ds of an n-pole RC filter (tends to n tau)."""
    from scipy.special import gammainc
    x = np.asarray(u, dtype=float) / time_constant
    return time_constant * sum(gammainc(i + 1, x) for i in range(n))


def sweep_lag(step: float, ramp_rate: float, wait: float, period: float | None, time_constant: float,
              n: int) -> float:
    """Steady-state field lag (same unit as ``step``) of the filter's output at each reading of
    a stepped sweep: steps of ``step`` ramped at ``ramp_rate``, read ``wait`` after each ramp
    ends, one reading per ``period`` (default: ramp time + wait)."""
    if not (step >= 0 and ramp_rate > 0 and wait >= 0 and time_constant > 0 and n >= 1):
        raise ValueError(f"sweep_lag needs step >= 0, ramp_rate > 0, wait >= 0, time constant > 0 and "
                         f"n >= 1 (got {step}, {ramp_rate}, {wait}, {time_constant}, {n})")
    if step == 0:
        return 0.0
    t_ramp = step / ramp_rate
    period = max(float(period) if period is not None else 0.0, t_ramp + wait)
    full = n * time_constant
    # Terms until the filter has forgotten the step (deficit < e^-50 of its integral).
    horizon = wait + 50.0 * n * time_constant + t_ramp
    terms = int(math.ceil(horizon / period)) + 1
    if terms <= MAX_TERMS:
        m = np.arange(terms) * period + wait
        g = deficit_integral(m + t_ramp, time_constant, n) - deficit_integral(m, time_constant, n)
        return float(ramp_rate * np.sum(g))
    # Many steps per time constant (T << tau): the ramps sample 1 - H ~ 1 - O(u/tau) at their
    # midpoints, T apart, so the sum is (T_r / T) times the integral from a = (midpoint - T/2).
    a = wait + (t_ramp - period) / 2
    return float(ramp_rate * t_ramp / period * (full - a))


def continuous_lag(ramp_rate: float, time_constant: float, n: int) -> float:
    """Steady-state lag (unit of ``ramp_rate`` x s) of an n-pole filter's output behind a field
    ramping at constant ``ramp_rate``: the filter's group delay n tau times the rate (the limit
    of :func:`sweep_lag` with no wait; exact once ~10 n tau have passed since the ramp began)."""
    if not (time_constant > 0 and n >= 1 and math.isfinite(ramp_rate)):
        raise ValueError(f"continuous_lag needs a finite rate, time constant > 0 and n >= 1 "
                         f"(got {ramp_rate}, {time_constant}, {n})")
    return float(ramp_rate) * n * time_constant


__all__ = ["poles", "sweep_lag", "deficit_integral", "continuous_lag"]
