"""One simulated physical world that every simulated instrument acts on.

Instruments are coupled only through this world: the lock-in reads what the magnet, the
microwave source, the modulation coil and the sample temperature make, at simulated time.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim_backend.clock import SimClock
from sim_backend.lockin_physics import FieldModulationSignal, LockinPhysics
from sim_backend.magnet import Electromagnet
from sim_backend.samples import Paramagnet, Sample


@dataclass
class Microwave:
    frequency: float = 9.5e9
    power: float = 1e-3
    output: bool = False
    modulation: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class Resonator:
    """Cavity: the detected signal scales with Q and falls off away from its resonance."""

    frequency: float = 9.5e9
    q: float = 3000.0
    #: Detector volts per unit absorption at Q = 3000 (sets the signal scale).
    gain: float = 2e-5

    def response(self, f: float) -> float:
        x = 2 * self.q * (f - self.frequency) / self.frequency
        return self.gain * (self.q / 3000.0) / (1.0 + x * x)


@dataclass
class Thermal:
    """Sample temperature relaxing to the controller setpoint with a time constant."""

    temperature: float = 295.0
    setpoint: float = 295.0
    time_constant: float = 30.0
    heater_range: str = "medium"
    noise: float = 2e-3
    rng: np.random.Generator = field(default_factory=lambda: np.random.default_rng(3))

    def max_step(self) -> float:
        return self.time_constant / 20

    def advance(self, t0: float, dt: float) -> None:
        if self.heater_range == "off":
            return
        self.temperature += (self.setpoint - self.temperature) * (1 - np.exp(-dt / self.time_constant))

    def reading(self) -> float:
        return self.temperature + self.rng.normal(0, self.noise)


class SimulatedWorld:
    """The simulated lab: clock, magnet, microwave bridge + resonator, modulation, sample, lock-in.

    Further subsystems (pulsed spins, membrane, Halbach magnet) attach to the same clock with
    :meth:`add_process` and are stored as attributes.
    """

    def __init__(
        self,
        sample: Sample | None = None,
        *,
        seed: int = 0,
        modulation_t_per_v: float = 1e-3,
        modulation_phase_deg: float = 0.0,
        lockin_noise: float = 20e-9,
    ) -> None:
        rng = np.random.default_rng(seed)
        self.clock = SimClock()
        self.sample: Sample = sample if sample is not None else Paramagnet()
        self.magnet = Electromagnet(rng=np.random.default_rng(rng.integers(2**32)))
        self.microwave = Microwave()
        self.resonator = Resonator()
        self.thermal = Thermal(rng=np.random.default_rng(rng.integers(2**32)))
        #: Modulation coil calibration: peak field per volt of lock-in sine output.
        self.modulation_t_per_v = modulation_t_per_v
        self.modulation_phase_deg = modulation_phase_deg
        self.modulation_amplitude_v = 0.0
        self.modulation_frequency = 100e3
        self.harmonic = 1
        self.lockin = LockinPhysics(
            signal=FieldModulationSignal(self), noise_density=lockin_noise,
            rng=np.random.default_rng(rng.integers(2**32)),
        )
        self.command_log: list[tuple[float, str, str]] = []
        # The lock-in first: it sees every step from the state at its start and follows the
        # magnet's ramp through it (Electromagnet.true_field_ahead).
        self.clock.add(self.lockin)
        self.clock.add(self.magnet)
        self.clock.add(self.thermal)

    # --- coupling -------------------------------------------------------------------------
    @property
    def temperature(self) -> float:
        return self.thermal.temperature

    @property
    def modulation_amplitude(self) -> float:
        """Peak modulation field in T."""
        return self.modulation_amplitude_v * self.modulation_t_per_v

    def detected_absorption(self, fields: np.ndarray) -> np.ndarray:
        """Detector voltage vs static field for the present microwave settings."""
        mw = self.microwave
        if not mw.output:
            return np.zeros_like(fields)
        scale = self.resonator.response(mw.frequency)
        return scale * self.sample.absorption(fields, mw.frequency, mw.power, self.temperature)

    def add_process(self, process: Any) -> None:
        self.clock.add(process)

    def log(self, instrument: str, command: str) -> None:
        """Every setting an instrument makes, for tests that check nothing was sent."""
        self.command_log.append((self.clock.now(), instrument, command))

    # --- state checks used by tests and the safe-state logic -------------------------------
    def is_safe(self) -> bool:
        return (not self.microwave.output) and self.magnet.true_field == 0.0 and self.modulation_amplitude_v == 0.0
