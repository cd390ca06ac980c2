"""Roles of a force-detection setup: interferometric displacement readout and piezo drive."""
from __future__ import annotations

from abc import abstractmethod

import numpy as np

from drivers.roles.base import Instrument, Range


class DisplacementSensor(Instrument):
    """Fibre interferometer on the membrane: displacement in m after fringe calibration."""

    role = "displacement"

    @property
    @abstractmethod
    def sample_rate(self) -> float: ...

    @sample_rate.setter
    @abstractmethod
    def sample_rate(self, hz: float) -> None: ...

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

    @property
    @abstractmethod
    def amplitude(self) -> float: ...

    @amplitude.setter
    @abstractmethod
    def amplitude(self, volts: float) -> None: ...

    @property
    @abstractmethod
    def frequency(self) -> float: ...

    @frequency.setter
    @abstractmethod
    def frequency(self, hz: float) -> None: ...

    @property
    @abstractmethod
    def output(self) -> bool: ...

    @output.setter
    @abstractmethod
    def output(self, on: bool) -> None: ...

    def make_safe(self) -> None:
        self.output = False
