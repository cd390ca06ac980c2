"""Lock-in amplifier role."""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

import numpy as np

from drivers.roles.base import Instrument, Range, quantity

FILTER_SLOPES_DB = (6, 12, 18, 24)
#: Equivalent noise bandwidth x tau for 1..4 poles (SR830 manual, ch. 3).
ENBW_TIMES_TAU = {6: 1 / 4, 12: 1 / 8, 18: 3 / 32, 24: 5 / 64}
#: Settling to 99 % in time constants for 1..4 poles.
SETTLE_99_TAU = {6: 5.0, 12: 7.0, 18: 9.0, 24: 10.0}


class LockInAmplifier(Instrument):
    """Reference in Hz/V, time constant in s, sensitivity in V (full scale), phase in degrees.

    Phase is kept in degrees: every lock-in front panel and manual speaks degrees, and a
    phase is a setting, not a quantity that enters formulas.
    The reference (sine out) drives the field-modulation coil in a cw-ESR spectrometer.
    """

    role = "lockin"
    reference_frequency_range = Range(1e-3, 102e3, "Hz")
    reference_amplitude_range = Range(0.0, 5.0, "V")

    reference_frequency = quantity(float, "Hz")
    reference_amplitude = quantity(float, "V")
    time_constant = quantity(float, "s")
    filter_slope = quantity(int, "dB/oct")
    sensitivity = quantity(float, "V")
    phase = quantity(float, "deg")
    harmonic = quantity(int, "")

    @abstractmethod
    def read_xy(self) -> tuple[float, float]:
        """X and Y in V, sampled at the same instant."""

    def read_r_theta(self) -> tuple[float, float]:
        import math

        x, y = self.read_xy()
        return math.hypot(x, y), math.degrees(math.atan2(y, x))

    @abstractmethod
    def auto_phase(self) -> None: ...

    def is_overloaded(self) -> bool:
        """True if an input, filter or output overload occurred since the last call (when the
        instrument can tell; False otherwise). A clipped reading must not be fitted silently."""
        return False

    def settle_time(self, time_constants: float | None = None) -> float:
        """Time to wait after a step so the output has settled (99 % by default)."""
        n = SETTLE_99_TAU[self.filter_slope] if time_constants is None else time_constants
        return n * self.time_constant

    def make_safe(self) -> None:
        self.reference_amplitude = 0.0


@dataclass(frozen=True)
class BufferedXY:
    """X and Y (V, or A on a current input) from a lock-in's data buffer.

    Sample k of the buffer was taken ``(first + k) * interval`` after the buffer started: the
    instrument's own sample clock sets the times, so a caller who noted when it started the
    buffer knows when every point was taken (to within the start command's latency).
    """

    x: np.ndarray
    y: np.ndarray
    interval: float
    first: int = 0

    def __post_init__(self) -> None:
        if len(self.x) != len(self.y):
            raise ValueError(f"buffer read: {len(self.x)} X values but {len(self.y)} Y values")
        if not self.interval > 0:
            raise ValueError(f"buffer sample interval must be > 0 s, got {self.interval!r}")

    def __len__(self) -> int:
        return len(self.x)

    def times(self, start_time: float = 0.0) -> np.ndarray:
        """Sample times, s, for a buffer started at ``start_time``."""
        return start_time + (self.first + np.arange(len(self.x))) * self.interval


class BufferedLockIn(ABC):
    """Optional capability of a :class:`LockInAmplifier`: X and Y sampled by the instrument into
    its own memory at a fixed rate, read back in blocks (SR830 ``SRAT/STRT/TRCB?``, SR860
    ``CAPTURE...``). One bus transfer then carries thousands of points, which is what makes a
    continuous field sweep possible; test with :func:`buffered`.
    """

    #: Points the buffer holds (per channel); a one-shot buffer stops when full.
    buffer_capacity: int = 0

    @abstractmethod
    def buffer_rates(self) -> tuple[float, ...]:
        """The sample rates (Hz) the buffer can run at now, ascending."""

    def buffer_rate_for(self, interval: float) -> float:
        """The slowest available rate sampling at least every ``interval`` s (else the fastest)."""
        if not interval > 0:
            raise ValueError(f"buffer sample interval must be > 0 s, got {interval!r}")
        rates = self.buffer_rates()
        fast_enough = [r for r in rates if r * interval >= 1.0 - 1e-9]
        return min(fast_enough) if fast_enough else max(rates)

    def buffer_rate_index(self, rate_hz: float) -> int:
        """Index of ``rate_hz`` in :meth:`buffer_rates`; a rate the buffer cannot run at is refused
        before anything is sent, with the rates it can."""
        rates = self.buffer_rates()
        for i, r in enumerate(rates):
            if abs(r - rate_hz) <= 1e-9 * r:
                return i
        raise ValueError(f"{getattr(self, 'name', 'lock-in')}: buffer rate {rate_hz!r} Hz; use one of "
                         f"{', '.join(f'{r:g}' for r in rates)} Hz")

    @abstractmethod
    def start_buffer(self, rate_hz: float) -> float:
        """Clear the buffer, record X and Y at ``rate_hz`` (one of :meth:`buffer_rates`) from now,
        one shot (stops when full). Returns the sample interval, s. The start command is the
        last thing sent: the caller's clock read just after the call dates sample 0."""

    @abstractmethod
    def stop_buffer(self) -> None:
        """Stop recording (the stored points stay readable)."""

    @abstractmethod
    def buffer_points(self) -> int:
        """Points stored so far."""

    @abstractmethod
    def read_buffer_xy(self, start: int = 0, count: int | None = None) -> BufferedXY:
        """Points ``start .. start + count`` (default: all stored from ``start``)."""


def buffered(lockin: Any) -> BufferedLockIn | None:
    """The lock-in as a :class:`BufferedLockIn`, or None if it has no data buffer."""
    return lockin if isinstance(lockin, BufferedLockIn) else None
