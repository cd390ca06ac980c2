"""The lock-in detection chain of a cw spectrometer, simulated in time.

At each step the detected microwave signal A(B0 + Bm cos(wm t)) is demodulated at the n-th
harmonic of the modulation (its Fourier component, by quadrature over one modulation period:
the modulation is far faster than the filter), white input noise is added, and the result
passes through 1..4 cascaded RC stages integrated exactly for piecewise-constant input.
Over-modulation therefore broadens and distorts the line exactly as in a spectrometer.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

N_PHASE = 96
_THETA = (np.arange(N_PHASE) + 0.5) * (2 * np.pi / N_PHASE)


def harmonic_component(absorption: Callable[[np.ndarray], np.ndarray], b0: float, bm: float, n: int) -> float:
    """Peak amplitude of the cos(n wm t) Fourier component of A(B0 + Bm cos(wm t))."""
    samples = absorption(b0 + bm * np.cos(_THETA))
    return float(2.0 * np.mean(samples * np.cos(n * _THETA)))


@dataclass
class LockinPhysics:
    """Demodulator + output filter state. ``signal`` returns the demodulated input (V, peak)."""

    signal: Callable[[], complex]
    noise_density: float = 20e-9  # V/sqrt(Hz) at the lock-in input
    time_constant: float = 0.01
    poles: int = 2
    phase_deg: float = 0.0
    rng: np.random.Generator = field(default_factory=lambda: np.random.default_rng(2))
    stages: np.ndarray = field(default_factory=lambda: np.zeros(4, dtype=complex))

    def max_step(self) -> float:
        return self.time_constant / 8.0

    def horizon(self) -> float:
        """The output forgets its input after ~40 time constants (e^-40 ~ 4e-18, 4 poles: <1e-13)."""
        return 40.0 * self.time_constant

    def advance(self, t0: float, dt: float) -> None:
        if dt <= 0:
            return
        # Signal as RMS (lock-ins report RMS of the sinusoid), rotated by the reference phase.
        u = self.signal() / np.sqrt(2) * np.exp(-1j * np.deg2rad(self.phase_deg))
        # White noise with one-sided density e_n: variance e_n^2/(2 dt) per sample, per quadrature.
        sigma = self.noise_density / np.sqrt(2.0 * dt)
        u = u + sigma * (self.rng.standard_normal() + 1j * self.rng.standard_normal()) / np.sqrt(2)
        a = np.exp(-dt / self.time_constant)
        for k in range(self.poles):
            self.stages[k] = a * self.stages[k] + (1 - a) * u
            u = self.stages[k]

    @property
    def output(self) -> complex:
        return complex(self.stages[self.poles - 1])

    def reset(self) -> None:
        self.stages[:] = 0
