"""Pulse programmer and digitizer roles."""
from __future__ import annotations

import math
from abc import abstractmethod
from typing import Any

import numpy as np

from drivers.errors import LimitError
from drivers.pulse_duty import transmit_problems
from drivers.pulse_program import ProgramError, PulseProgram
from drivers.roles.base import Instrument, quantity


class TransmitLimitError(LimitError):
    """A pulse program that would drive the RF amplifier beyond the lab's duty cycle or pulse
    length; raised by :meth:`PulseProgrammer.load` before anything reaches the board."""

    def __init__(self, who: str, problems: list[str]):
        self.problems = problems
        ValueError.__init__(self, f"{who}: program refused, nothing loaded: " + "; ".join(problems))


class PulseProgrammer(Instrument):
    """Runs a compiled pulse program. The program format is the target's (see sequences.compile).

    :meth:`load` refuses a program whose RF duty cycle or longest continuous transmission
    exceeds ``max_rf_duty_cycle`` / ``max_pulse_length`` (amplifier protection; a Lab sets them
    from its limits), whoever compiled it; drivers implement :meth:`write_program`.
    """

    role = "pulser"
    #: Clock frequency in Hz and minimum instruction length in clock ticks.
    clock_hz: float = 100e6
    min_instruction_ticks: int = 5
    max_instructions: int = 4096
    max_loop_count: int = 2**20
    #: Board limits a profile may change (drivers.pulseblaster_boards): the longest delay field,
    #: the longer minimum of CONTINUE/JSR/RTS/LONG_DELAY (0: none), the cycles a WAIT adds after
    #: its trigger. ``sequences.pulse.Constraints.from_lab`` reads them.
    max_delay_ticks: int = 2**32 - 1
    min_flow_ticks: int = 0
    wait_latency_ticks: int = 0
    #: Amplifier protection (fraction of time transmitting; s of continuous transmission).
    max_rf_duty_cycle: float = 1.0
    max_pulse_length: float = math.inf

    def load(self, program: Any) -> None:
        """Check the program against the transmit limits, then hand it to the board."""
        compiled = self.as_pulse_program(program)
        try:
            problems = transmit_problems(compiled, self.max_rf_duty_cycle, self.max_pulse_length)
        except ProgramError as exc:
            raise TransmitLimitError(self.name, [str(exc)]) from None
        if problems:
            raise TransmitLimitError(self.name, problems)
        self.write_program(program)

    def as_pulse_program(self, program: Any) -> PulseProgram:
        """The program as a :class:`PulseProgram` (whose channel map says which bit transmits);
        a driver that also takes its own instruction lists converts them here."""
        if not isinstance(program, PulseProgram):
            raise TypeError(f"{self.name}: expected a compiled PulseProgram, got {type(program).__name__}")
        return program

    @abstractmethod
    def write_program(self, program: Any) -> None:
        """Send the (already checked) program to the board."""

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

    sample_rate = quantity(float, "Hz")
    record_length = quantity(int, "")

    @abstractmethod
    def arm(self) -> None: ...

    @abstractmethod
    def fetch(self) -> np.ndarray:
        """The records acquired since ``arm``: complex (I + iQ) in V, shape (n_records, n_samples)."""
