"""Pulse programmer and digitizer roles."""
from __future__ import annotations

from abc import abstractmethod
from typing import Any

import numpy as np

from drivers.roles.base import Instrument


class PulseProgrammer(Instrument):
    """Runs a compiled pulse program. The program format is the target's (see sequences.compile)."""

    role = "pulser"
    #: Clock frequency in Hz and minimum instruction length in clock ticks.
    clock_hz: float = 100e6
    min_instruction_ticks: int = 5
    max_instructions: int = 4096
    max_loop_count: int = 2**20

    @abstractmethod
    def load(self, program: Any) -> None: ...

    @abstractmethod
    def start(self) -> None:
        """Arm and trigger: the program runs to its STOP."""

    @abstractmethod
    def stop(self) -> None: ...

    @abstractmethod
    def is_running(self) -> bool: ...

    def make_safe(self) -> None:
        self.stop()


class Digitizer(Instrument):
    """Quadrature (or single-channel) digitizer: sample rate in Hz, records of N samples."""

    role = "digitizer"

    @property
    @abstractmethod
    def sample_rate(self) -> float: ...

    @sample_rate.setter
    @abstractmethod
    def sample_rate(self, hz: float) -> None: ...

    @property
    @abstractmethod
    def record_length(self) -> int: ...

    @record_length.setter
    @abstractmethod
    def record_length(self, n: int) -> None: ...

    @abstractmethod
    def arm(self) -> None: ...

    @abstractmethod
    def fetch(self) -> np.ndarray:
        """The records acquired since ``arm``: complex (I + iQ) in V, shape (n_records, n_samples)."""
