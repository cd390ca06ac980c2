"""Simulated electromagnet: supply current -> field, finite ramp rate, remanence, Hall probe."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np


@dataclass
class Electromagnet:
    """A bipolar supply driving an iron-yoke electromagnet.

    ``tesla_per_amp`` is the supply's calibration; the true field differs by a remanent offset
    whose sign follows the last sweep direction (iron hysteresis), so the supply's readback and
    a Hall probe disagree by ``remanence`` (T). The supply ramps its current at ``ramp_rate``.
    """

    tesla_per_amp: float = 0.02
    remanence: float = 30e-6
    ramp_rate: float = 0.05
    max_current: float = 50.0
    hall_noise: float = 1e-6
    current: float = 0.0
    target_current: float = 0.0
    direction: float = 1.0
    rng: np.random.Generator = field(default_factory=lambda: np.random.default_rng(1))
    #: Optional extra field (T) while the supply drives, e.g. a permanent magnet's thermal drift
    #: (set by sim_backend.halbach_magnet.attach_halbach_drift).
    field_offset: Callable[[], float] | None = None

    @property
    def max_field(self) -> float:
        """The largest supply field (T): the current limit times the calibration."""
        return self.max_current * self.tesla_per_amp

    @property
    def supply_field(self) -> float:
        """The field the supply believes it makes (current x calibration)."""
        return self.current * self.tesla_per_amp

    @property
    def true_field(self) -> float:
        if self.current == 0.0 and self.target_current == 0.0:
            return 0.0
        offset = self.field_offset() if self.field_offset is not None else 0.0
        return self.supply_field + self.direction * self.remanence + offset

    def true_field_ahead(self, seconds: np.ndarray) -> np.ndarray:
        """True field ``seconds`` from now if no new setpoint comes (the ramp is deterministic),
        so a detector can follow a ramp within one clock step."""
        delta = self.target_current - self.current
        travel = np.minimum(self.ramp_rate / self.tesla_per_amp * np.asarray(seconds, dtype=float), abs(delta))
        current = self.current + np.sign(delta) * travel
        offset = self.field_offset() if self.field_offset is not None else 0.0
        out = current * self.tesla_per_amp + self.direction * self.remanence + offset
        if self.target_current == 0.0:  # the yoke's remanence is zeroed with the supply
            out = np.where(current == 0.0, 0.0, out)
        return out

    def set_field(self, tesla: float) -> None:
        target = tesla / self.tesla_per_amp
        if target != self.current:
            self.direction = 1.0 if target > self.current else -1.0
        self.target_current = float(min(max(target, -self.max_current), self.max_current))

    def is_ramping(self) -> bool:
        return self.current != self.target_current

    def time_to_target(self) -> float:
        return abs(self.target_current - self.current) * self.tesla_per_amp / self.ramp_rate

    def hall_reading(self) -> float:
        return self.true_field + self.rng.normal(0.0, self.hall_noise)

    # Process protocol
    def max_step(self) -> float:
        return float("inf")

    def advance(self, t0: float, dt: float) -> None:
        step = self.ramp_rate / self.tesla_per_amp * dt
        delta = self.target_current - self.current
        # Snap onto the target within rounding of the step, so a ramp to zero ends at exactly zero.
        if abs(delta) <= step * (1 + 1e-9) + 1e-12:
            self.current = self.target_current
        else:
            self.current = self.current + np.sign(delta) * step
