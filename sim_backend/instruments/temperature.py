"""Simulated temperature controller acting on the world's sample temperature."""
from __future__ import annotations

from typing import Any

from drivers.roles import TemperatureController
from drivers.roles.temperature import HEATER_RANGES
from sim_backend.instruments.cw import _SimInstrument
from sim_backend.world import SimulatedWorld


class SimTemperatureController(_SimInstrument, TemperatureController):
    def __init__(self, world: SimulatedWorld, name: str = "temperature"):
        _SimInstrument.__init__(self, world, name)

    def identity(self) -> str:
        return "spinbench,SimTempController,0005,1.0"

    @property
    def channels(self) -> tuple[str, ...]:
        return ("A", "B")

    def read_temperature(self, channel: str | None = None) -> float:
        channel = channel or "A"
        if channel not in self.channels:
            raise ValueError(f"{self.name}: channel {channel!r} unknown; use one of {self.channels}")
        self._cmd(f"KRDG? {channel}")
        if channel == "A":
            return self.world.thermal.reading()
        return float(getattr(self.world, "magnet_temperature", 295.0))

    def get_setpoint(self, loop: int = 1) -> float:
        return self.world.thermal.setpoint

    def set_setpoint(self, kelvin: float, loop: int = 1) -> None:
        kelvin = self.setpoint_range.check("temperature setpoint", kelvin, self.name)
        self._cmd(f"SETP {loop},{kelvin}")
        self.world.thermal.setpoint = kelvin

    def get_heater_range(self, loop: int = 1) -> str:
        return self.world.thermal.heater_range

    def set_heater_range(self, level: str, loop: int = 1) -> None:
        if level not in HEATER_RANGES:
            raise ValueError(f"{self.name}: heater range {level!r}; use one of {HEATER_RANGES}")
        self._cmd(f"RANGE {loop},{level}")
        self.world.thermal.heater_range = level

    def snapshot(self) -> dict[str, Any]:
        th = self.world.thermal
        return {"setpoint_K": th.setpoint, "heater_range": th.heater_range, "temperature_K": th.temperature}
