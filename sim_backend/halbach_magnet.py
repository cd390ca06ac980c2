"""A simulated permanent (Halbach) magnet whose field drifts with its temperature.

The magnet body's temperature relaxes toward the room temperature with a thermal time constant
(a first-order lag, integrated exactly per clock step); its field moves by
dB0 = a (T - T_ref) + b (T - T_ref)^2, with a, b from a :mod:`magnets` design or given.
Attached to a :class:`SimulatedWorld`, the drift is added to the field the sample sees (through
``Electromagnet.field_offset``: the electromagnet stands for the sweep coil around the magnet,
its supply calibrated with the magnet at T_ref), and a sensor on the magnet body is published as
``world.magnet_temperature`` (temperature-controller channel B).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

RoomProfile = Callable[[float], float]


def constant_room(kelvin: float = 295.0) -> RoomProfile:
    return lambda t: kelvin


def ramp_room(start: float, rate: float, t0: float = 0.0, stop: float | None = None) -> RoomProfile:
    """Room at ``start`` K until t0, then changing at ``rate`` K/s (until it reaches ``stop``)."""
    def room(t: float) -> float:
        value = start + rate * max(0.0, t - t0)
        if stop is not None:
            value = min(value, stop) if rate >= 0 else max(value, stop)
        return value
    return room


def sine_room(mean: float, amplitude: float, period: float, phase: float = 0.0) -> RoomProfile:
    """Air conditioning cycling: mean + amplitude sin(2 pi t/period + phase)."""
    return lambda t: mean + amplitude * math.sin(2 * math.pi * t / period + phase)


@dataclass
class HalbachThermalMagnet:
    """Clock process: magnet temperature following the room with ``time_constant`` (s)."""

    db0_dt: float  # T/K
    reference_temperature: float = 295.0  # K, where the drift is zero
    d2b0_dt2: float = 0.0  # T/K^2
    temperature: float = 295.0  # K, the magnet body now
    time_constant: float = 600.0  # s
    room: RoomProfile = field(default_factory=constant_room)
    sensor_noise: float = 0.0  # K rms on the published sensor reading
    rng: np.random.Generator = field(default_factory=lambda: np.random.default_rng(11))

    def __post_init__(self) -> None:
        if not self.time_constant > 0:
            raise ValueError(f"magnet thermal time constant {self.time_constant} s must be > 0")

    @classmethod
    def from_design(cls, design: Any, engine: str = "dipole", **kwargs: Any) -> "HalbachThermalMagnet":
        """Drift coefficient from a :class:`magnets.HalbachDesign` (materials + holder)."""
        from magnets.thermal import drift

        d = drift(design, engine=engine)
        kwargs.setdefault("reference_temperature", d.temperature)
        kwargs.setdefault("temperature", d.temperature)
        return cls(db0_dt=d.db_dt, **kwargs)

    def field_shift(self) -> float:
        """B0(T) - B0(T_ref) in T."""
        d = self.temperature - self.reference_temperature
        return self.db0_dt * d + self.d2b0_dt2 * d * d

    def sensor_reading(self) -> float:
        noise = self.rng.normal(0.0, self.sensor_noise) if self.sensor_noise > 0 else 0.0
        return self.temperature + noise

    # Process protocol
    def max_step(self) -> float:
        return self.time_constant / 20

    def advance(self, t0: float, dt: float) -> None:
        target = self.room(t0 + dt / 2)
        self.temperature += (target - self.temperature) * (1.0 - math.exp(-dt / self.time_constant))


@dataclass
class _PublishSensor:
    """Copies the magnet's sensor reading into the world after every step."""

    world: Any
    magnet: HalbachThermalMagnet

    def max_step(self) -> float:
        return math.inf

    def advance(self, t0: float, dt: float) -> None:
        self.world.magnet_temperature = self.magnet.sensor_reading()


def attach_halbach_drift(world: Any, magnet: HalbachThermalMagnet) -> HalbachThermalMagnet:
    """Put ``magnet`` into ``world``: its drift adds to the field at the sample and its body
    temperature is readable on the temperature controller's channel B."""
    world.add_process(magnet)
    world.add_process(_PublishSensor(world, magnet))
    world.halbach = magnet
    world.magnet.field_offset = magnet.field_shift
    world.magnet_temperature = magnet.sensor_reading()
    return magnet
