"""Magnetic field roles: the field controller (magnet supply) and a Hall-probe gaussmeter."""
from __future__ import annotations

from abc import abstractmethod

from drivers.roles.base import Instrument, Range, quantity


class FieldController(Instrument):
    """Field in T, ramp rate in T/s.

    ``setpoint`` starts a ramp at ``ramp_rate``; ``field`` reads the field actually reached
    (the supply's calibrated readback). ``wait_until_settled`` returns the time it took.
    """

    role = "field"
    field_range = Range(-2.0, 2.0, "T")
    ramp_rate_range = Range(1e-6, 1.0, "T/s")

    setpoint = quantity(float, "T")

    @property
    @abstractmethod
    def field(self) -> float: ...

    ramp_rate = quantity(float, "T/s")

    @abstractmethod
    def is_ramping(self) -> bool: ...

    @abstractmethod
    def wait_until_settled(self, timeout: float = 600.0) -> None:
        """Block (on the instrument's clock) until the ramp has reached the setpoint."""

    def ramp_to(self, tesla: float, wait: bool = True) -> None:
        self.setpoint = tesla
        if wait:
            self.wait_until_settled()

    def make_safe(self) -> None:
        self.ramp_to(0.0, wait=True)


class Gaussmeter(Instrument):
    """Hall-probe field readout in T."""

    role = "gaussmeter"

    @abstractmethod
    def read_field(self) -> float: ...
