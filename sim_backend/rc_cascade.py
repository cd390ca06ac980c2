"""Closed-form response of a cascade of identical RC low-pass poles over one interval.

A lock-in's output filter of p poles (6 p dB/octave) is p identical stages
ds_k/dt = (s_{k-1} - s_k) / tc, s_0 = u(t). Over an interval h in which the input is a straight
line u(t) = u0 + (u1 - u0) t / h, the state at the end is exact in closed form (x = h / tc):

* memory of the start state: s_k(h) = sum_{j<=k} x^(k-j)/(k-j)! e^-x s_j(0);
* response to a held input u0: u0 P(k, x), P the regularised lower incomplete gamma function
  (the Erlang distribution function: P(k, x) = 1 - e^-x sum_{m<k} x^m/m!);
* response to the ramp: (u1 - u0) [P(k, x) - (k/x) P(k+1, x)], from the convolution of the ramp
  with the k-stage impulse response a (a t)^(k-1)/(k-1)! e^(-a t), a = 1/tc;
* white input noise of intensity q (complex, E[w(t) w*(t')] = q delta(t - t')) adds a Gaussian
  increment of covariance q a C_jk(x), C_jk = (j+k-2)! P(j+k-1, 2x) / (2^(j+k-1) (j-1)! (k-1)!),
  the integral of the product of the two stages' impulse responses over the interval.

(Erlang impulse response and the incomplete gamma function: Abramowitz & Stegun, Handbook of
Mathematical Functions, 6.5.13; discrete noise covariance of a linear system: Van Loan, IEEE
Trans. Autom. Control 23, 395 (1978).) A whole settling wait is therefore one step, as exact as
a thousand small ones.
"""
from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

MAX_POLES = 4


def erlang_cdf(k: int, x: float) -> float:
    """P(k, x) = 1 - e^-x sum_{m<k} x^m/m! for integer k >= 1, accurate for small and large x."""
    if x <= 0.0:
        return 0.0
    if x < k + 1.0:  # the tail series e^-x sum_{m>=k} x^m/m!: no cancellation for small x
        term = math.exp(-x) * x**k / math.factorial(k)
        total = 0.0
        m = k
        while term > 1e-18 * total or total == 0.0:
            total += term
            m += 1
            term *= x / m
            if term == 0.0:
                break
        return total
    head, term = 0.0, math.exp(-x)
    for m in range(k):
        head += term
        term *= x / (m + 1)
    return 1.0 - head


@dataclass(frozen=True)
class CascadeStep:
    """Coefficients of one interval of ``poles`` stages for x = h / tc (see the module doc).

    ``memory[m]`` multiplies s_{k-m}(0) in s_k(h); ``hold[k-1]`` and ``ramp[k-1]`` multiply
    u0 and (u1 - u0); ``noise_root`` (p x p) times a unit complex normal vector, scaled by
    sqrt(q / tc), is the noise increment."""

    poles: int
    x: float
    memory: tuple[float, ...]
    hold: tuple[float, ...]
    ramp: tuple[float, ...]
    noise_root: tuple[tuple[float, ...], ...]

    @classmethod
    def build(cls, x: float, poles: int) -> "CascadeStep":
        if not 1 <= poles <= MAX_POLES:
            raise ValueError(f"an RC cascade of {poles} poles: use 1..{MAX_POLES}")
        memory = tuple(math.exp(-x) if m == 0 else math.exp(m * math.log(x) - x - math.lgamma(m + 1)) if x > 0 else 0.0
                       for m in range(poles))
        p = [erlang_cdf(k, x) for k in range(1, poles + 2)]
        hold = tuple(p[:poles])
        ramp = tuple(p[k - 1] - k / x * p[k] for k in range(1, poles + 1)) if x > 0 else (0.0,) * poles
        c = np.empty((poles, poles))
        for j in range(1, poles + 1):
            for k in range(1, poles + 1):
                n = j + k - 1
                c[j - 1, k - 1] = (math.factorial(n - 1) * erlang_cdf(n, 2 * x)
                                   / (2.0**n * math.factorial(j - 1) * math.factorial(k - 1)))
        w, v = np.linalg.eigh(c)  # near-singular for x << 1: a clipped root, not a Cholesky factor
        root = v * np.sqrt(np.clip(w, 0.0, None))[None, :]
        return cls(poles, x, memory, hold, ramp, tuple(tuple(r) for r in root.tolist()))

    def apply(self, state: list[complex], u0: complex, u1: complex, noise: list[complex] | None = None) -> list[complex]:
        """End state of the stages for an input going linearly from u0 to u1 (``noise``: unit
        complex normals already scaled by sqrt(q / tc), or None for a noiseless step)."""
        mem, hold, ramp = self.memory, self.hold, self.ramp
        du = u1 - u0
        out = []
        for k in range(self.poles):
            acc = hold[k] * u0 + ramp[k] * du
            for j in range(k + 1):
                acc += mem[k - j] * state[j]
            if noise is not None:
                row = self.noise_root[k]
                for j in range(self.poles):
                    acc += row[j] * noise[j]
            out.append(acc)
        return out


class CascadeSteps:
    """A small cache of :class:`CascadeStep` by (x, poles): a sweep repeats the same intervals."""

    def __init__(self, size: int = 64) -> None:
        self._steps: OrderedDict[tuple[float, int], CascadeStep] = OrderedDict()
        self.size = size

    def get(self, x: float, poles: int) -> CascadeStep:
        key = (x, poles)
        step = self._steps.get(key)
        if step is None:
            step = self._steps[key] = CascadeStep.build(x, poles)
            if len(self._steps) > self.size:
                self._steps.popitem(last=False)
        return step
