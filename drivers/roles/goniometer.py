"""Goniometer role: a rotation stage that turns the sample (or the field) about one axis."""
from __future__ import annotations

from abc import abstractmethod

from drivers.roles.base import Instrument, Range, quantity


class Goniometer(Instrument):
    """Angle in degrees (what every goniometer speaks; rad only inside formulas).

    Convention shared with the analyses: B0 along lab z, the rotation axis along lab y
    (perpendicular to B0), positive angles right-handed about that axis; at angle 0 the sample's
    mount frame coincides with the lab frame.
    """

    role = "goniometer"
    angle_range = Range(-370.0, 370.0, "deg")
    speed_range = Range(1e-3, 100.0, "deg/s")

    @property
    @abstractmethod
    def angle(self) -> float:
        """The angle reached (encoder readback), degrees."""

    speed = quantity(float, "deg/s")

    @abstractmethod
    def start_move(self, degrees: float) -> None:
        """Start moving to ``degrees`` (checked against ``angle_range`` before anything is sent)."""

    @abstractmethod
    def is_moving(self) -> bool: ...

    @abstractmethod
    def wait_until_settled(self, timeout: float = 600.0) -> None:
        """Block (on the instrument's clock) until the target is reached."""

    def move_to(self, degrees: float, wait: bool = True) -> None:
        self.start_move(degrees)
        if wait:
            self.wait_until_settled()

    def make_safe(self) -> None:
        """A stopped stage is safe; it is left where it is."""
