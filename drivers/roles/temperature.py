"""Temperature controller role."""
from __future__ import annotations

from abc import abstractmethod

from drivers.roles.base import Instrument, Range

HEATER_RANGES = ("off", "low", "medium", "high")


class TemperatureController(Instrument):
    """Temperatures in K per input channel (e.g. 'A'), one control loop per output."""

    role = "temperature"
    setpoint_range = Range(0.0, 1500.0, "K")

    @property
    @abstractmethod
    def channels(self) -> tuple[str, ...]: ...

    @abstractmethod
    def read_temperature(self, channel: str | None = None) -> float:
        """Kelvin; ``None`` reads the control channel."""

    @abstractmethod
    def get_setpoint(self, loop: int = 1) -> float: ...

    @abstractmethod
    def set_setpoint(self, kelvin: float, loop: int = 1) -> None: ...

    @abstractmethod
    def get_heater_range(self, loop: int = 1) -> str: ...

    @abstractmethod
    def set_heater_range(self, level: str, loop: int = 1) -> None:
        """One of :data:`HEATER_RANGES`."""

    def make_safe(self) -> None:
        """Temperature is left where it is: switching heaters off mid-run is not 'safe' in general."""
