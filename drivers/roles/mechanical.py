"""Roles of a force-detection setup: interferometric displacement readout and piezo drive."""
from __future__ import annotations

from abc import abstractmethod

import numpy as np

from drivers.roles.base import Instrument, Range, quantity


class DisplacementSensor(Instrument):
    """Fibre interferometer on the membrane: displacement in m after fringe calibration."""

    role = "displacement"

    sample_rate = quantity(float, "Hz")

    @abstractmethod
    def calibrate_fringe(self) -> float:
        """Sweep the wavelength/cavity through a fringe; returns metres per volt."""

    @abstractmethod
    def lock_working_point(self) -> None:
        """Servo to mid-fringe, where the response is linear and steepest."""

    @abstractmethod
    def read_displacement(self) -> float: ...

    @abstractmethod
    def acquire(self, n_samples: int) -> np.ndarray:
        """A record of displacement samples (m) at ``sample_rate``."""


class PiezoDrive(Instrument):
    """Piezo that drives the resonator: amplitude in V (peak), frequency in Hz."""

    role = "piezo"
    amplitude_range = Range(0.0, 10.0, "V")

    amplitude = quantity(float, "V")
    frequency = quantity(float, "Hz")
    output = quantity(bool, "")

    def make_safe(self) -> None:
        self.output = False
