"""Lock-in amplifier role."""
from __future__ import annotations

from abc import abstractmethod

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
