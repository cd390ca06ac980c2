"""The lock-in detection chain, simulated in time: a demodulated signal and its output filter.

What is demodulated is pluggable (:class:`DemodulatedSignal`); for cw-ESR it is the n-th
harmonic (Fourier component, by quadrature over one modulation period: the modulation is far
faster than the filter) of the detected microwave signal A(B(t) + Bm cos(wm t)), with B(t)
following the magnet's ramp (:class:`FieldModulationSignal`). White input noise is added and the
result passes through 1..4 RC poles advanced in closed form (``sim_backend.rc_cascade``): a held
input is one exact step however long; while the field ramps, the input is followed by straight
segments of at most a quarter time constant. Over-modulation therefore broadens and distorts the
line exactly as in a spectrometer, and noise averages down as 1/sqrt(tc).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

import numpy as np

from sim_backend.rc_cascade import CascadeSteps

N_PHASE = 96
_THETA = (np.arange(N_PHASE) + 0.5) * (2 * np.pi / N_PHASE)
_COS = np.cos(_THETA)
_NOW = np.zeros(1)
_WEIGHTS: dict[int, np.ndarray] = {}
#: Longest straight segment of a varying input, in time constants (linear interpolation error
#: after the filter ~ (1/4)^2 / 8 of the filter's own smoothing).
SEGMENT_TC = 0.25


def harmonic_component(absorption: Callable[[np.ndarray], np.ndarray], b0: np.ndarray | float, bm: float,
                       n: int) -> np.ndarray | float:
    """Peak amplitude of the cos(n wm t) Fourier component of A(B0 + Bm cos(wm t)), for one B0
    or an array of them (one vectorised call of ``absorption``)."""
    b0 = np.asarray(b0, dtype=float)
    fields = b0[..., None] + bm * _COS
    samples = np.asarray(absorption(fields.ravel())).reshape(fields.shape)
    weights = _WEIGHTS.get(n)
    if weights is None:
        weights = _WEIGHTS[n] = (2.0 / N_PHASE) * np.cos(n * _THETA)
    out = samples @ weights
    return float(out) if out.ndim == 0 else out


class DemodulatedSignal(Protocol):
    """What the lock-in demodulates: the complex peak voltage at the reference harmonic."""

    def varies_for(self) -> float:
        """Seconds from now during which the signal follows a known path (0: it holds still)."""

    def ahead(self, seconds: np.ndarray) -> np.ndarray:
        """The signal at now + ``seconds`` (complex V peak) with every setting held."""


class FieldModulationSignal:
    """cw-ESR: field modulation at the lock-in's reference, demodulated at its harmonic."""

    def __init__(self, world: Any) -> None:
        self.world = world

    def _active(self) -> bool:
        return self.world.modulation_amplitude > 0 and self.world.microwave.output

    def varies_for(self) -> float:
        return self.world.magnet.time_to_target() if self._active() else 0.0

    def ahead(self, seconds: np.ndarray) -> np.ndarray:
        w = self.world
        if not self._active():
            return np.zeros(len(seconds), dtype=complex)
        fields = w.magnet.true_field_ahead(seconds) if len(seconds) > 1 else np.array([w.magnet.true_field])
        amp = harmonic_component(w.detected_absorption, fields, w.modulation_amplitude, w.harmonic)
        # The coil's phase lag, seen n times at the n-th harmonic.
        return amp * np.exp(1j * np.deg2rad(w.modulation_phase_deg * w.harmonic))


@dataclass
class LockinPhysics:
    """Demodulator + output filter state (a clock process). ``stages`` holds the RC stages
    (V RMS, rotated by the reference phase); the output is the last active one."""

    signal: DemodulatedSignal
    noise_density: float = 20e-9  # V/sqrt(Hz) at the lock-in input
    time_constant: float = 0.01
    poles: int = 2
    phase_deg: float = 0.0
    rng: np.random.Generator = field(default_factory=lambda: np.random.default_rng(2))
    stages: np.ndarray = field(default_factory=lambda: np.zeros(4, dtype=complex))
    steps: CascadeSteps = field(default_factory=CascadeSteps)
    _normals: list[float] = field(default_factory=list, repr=False)

    def max_step(self) -> float:
        """Any step is exact: the filter never shortens the other processes' steps."""
        return math.inf

    def horizon(self) -> float:
        """The output forgets its input after ~40 time constants (e^-40 ~ 4e-18, 4 poles: <1e-13)."""
        return 40.0 * self.time_constant

    def advance(self, t0: float, dt: float) -> None:
        if dt <= 0:
            return
        tc, p = self.time_constant, self.poles
        moving = min(self.signal.varies_for(), dt)
        segments = max(1, math.ceil(moving / (SEGMENT_TC * tc) - 1e-9)) if moving > 0 else 0
        times = np.arange(segments + 1) * (moving / segments) if segments else _NOW
        # Lock-ins report the RMS of the sinusoid, rotated by the reference phase.
        rot = complex(math.cos(math.radians(self.phase_deg)), -math.sin(math.radians(self.phase_deg))) / math.sqrt(2)
        u = [complex(v) * rot for v in self.signal.ahead(times).tolist()]
        # White noise of one-sided density e_n: complex intensity e_n^2 / 2, scaled by 1/tc.
        scale = self.noise_density * math.sqrt(0.5 / tc)
        state = self.stages[:p].tolist()
        if segments:
            step = self.steps.get(moving / segments / tc, p)
            for i in range(segments):
                state = step.apply(state, u[i], u[i + 1], self._noise(p, scale))
        if dt - moving > 1e-9 * tc:  # (a ramp ending at the step's end leaves rounding only)
            state = self.steps.get((dt - moving) / tc, p).apply(state, u[-1], u[-1], self._noise(p, scale))
        self.stages[:p] = state

    def _noise(self, p: int, scale: float) -> list[complex]:
        """p complex normals of variance scale^2, drawn from ``rng`` in blocks (one call per
        block instead of one per step; the sequence is the generator's, in order)."""
        if len(self._normals) < 2 * p:
            self._normals = self.rng.standard_normal(4096).tolist()[::-1] + self._normals
        z = self._normals
        s = scale * math.sqrt(0.5)
        return [complex(s * z.pop(), s * z.pop()) for _ in range(p)]

    @property
    def output(self) -> complex:
        return complex(self.stages[self.poles - 1])

    def reset(self) -> None:
        self.stages[:] = 0
