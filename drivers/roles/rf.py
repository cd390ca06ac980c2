"""RF / microwave source role."""
from __future__ import annotations

from abc import abstractmethod
import math

from drivers.roles.base import Instrument, Range, quantity


def watt_to_dbm(p_w: float) -> float:
    return 10.0 * math.log10(max(p_w, 1e-30) / 1e-3)


def dbm_to_watt(p_dbm: float) -> float:
    return 1e-3 * 10.0 ** (p_dbm / 10.0)


class RFSource(Instrument):
    """Frequency in Hz, power in W (converted to dBm only on the wire)."""

    role = "rf"
    frequency_range = Range(1e5, 50e9, "Hz")
    power_range = Range(1e-12, 1.0, "W")
    MODULATIONS = ("fm", "am", "pulse")

    frequency = quantity(float, "Hz")
    power = quantity(float, "W")
    output = quantity(bool, "")

    @abstractmethod
    def set_modulation(self, kind: str, enabled: bool, **settings: float) -> None:
        """kind: 'fm' (deviation Hz, rate Hz), 'am' (depth 0..1, rate Hz), 'pulse' (external gate)."""

    def make_safe(self) -> None:
        self.output = False
