"""Pieces that turn the simulated cw bridge into other ESR/FMR setups.

- :class:`BroadbandLine`: a coplanar waveguide / coax line instead of the resonant cavity, so
  frequency-field maps see the sample at every frequency. Its loss grows as sqrt(f) (skin
  effect) and scales the power that reaches the sample; for the linear-response samples used in
  FMR this is the same as scaling the detected signal, which is what ``response`` does.
- :class:`SampleSum`: several samples in the resonator at once (e.g. a DPPH g-marker beside
  the sample under study).
- :class:`ShiftedField`: a sample that sees a field different from the one at the Hall probe
  (probe mounted off-centre in the pole gap): B_sample = scale * B + offset.

Install them with :func:`use_broadband_line` or by assigning ``world.sample``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class BroadbandLine:
    """Replaces ``world.resonator``: flat response apart from the line loss to the sample."""

    gain: float = 2e-5
    loss_db_per_sqrt_ghz: float = 0.0

    def transmission(self, f: float) -> float:
        return 10 ** (-self.loss_db_per_sqrt_ghz * np.sqrt(f / 1e9) / 10)

    def response(self, f: float) -> float:
        return self.gain * self.transmission(f)

    def power_at_sample(self, source_power: float, f: float) -> float:
        """Microwave power (W) that reaches the sample from a source giving ``source_power``."""
        return source_power * self.transmission(f)


def use_broadband_line(world: Any, *, loss_db_per_sqrt_ghz: float = 0.0, gain: float = 2e-5) -> BroadbandLine:
    line = BroadbandLine(gain=gain, loss_db_per_sqrt_ghz=loss_db_per_sqrt_ghz)
    world.resonator = line
    return line


@dataclass
class SampleSum:
    """Several samples at the same place; orientation changes reach every member."""

    samples: list[Any] = field(default_factory=list)

    def absorption(self, field: np.ndarray, frequency: float, power: float, temperature: float) -> np.ndarray:
        total = np.zeros(np.shape(field))
        for s in self.samples:
            total = total + s.absorption(field, frequency, power, temperature)
        return total

    def set_stage_rotation(self, rotation: np.ndarray) -> None:
        for s in self.samples:
            if hasattr(s, "set_stage_rotation"):
                s.set_stage_rotation(rotation)


@dataclass
class ShiftedField:
    """A sample at a place where the field is ``scale * B + offset`` (B at the Hall probe)."""

    sample: Any
    offset: float = 0.0
    scale: float = 1.0

    def absorption(self, field: np.ndarray, frequency: float, power: float, temperature: float) -> np.ndarray:
        return self.sample.absorption(self.scale * np.asarray(field, float) + self.offset, frequency, power,
                                      temperature)

    def set_stage_rotation(self, rotation: np.ndarray) -> None:
        if hasattr(self.sample, "set_stage_rotation"):
            self.sample.set_stage_rotation(rotation)
