"""Errors raised by drivers: every message names the instrument and what was wrong."""
from __future__ import annotations


class InstrumentError(RuntimeError):
    """An instrument did not do what it was asked (timeout, garbled reply, error queue entry)."""

    def __init__(self, instrument: str, message: str, *, address: str = "", command: str = ""):
        self.instrument = instrument
        self.address = address
        self.command = command
        self.detail = message
        where = f"{instrument}" + (f" at {address}" if address else "")
        what = f" (command {command!r})" if command else ""
        super().__init__(f"{where}: {message}{what}")


class LimitError(ValueError):
    """A setpoint outside an instrument's or the lab's safe range; raised before anything is sent."""

    def __init__(self, quantity: str, value: float, low: float, high: float, unit: str, who: str = ""):
        self.quantity, self.value, self.low, self.high, self.unit = quantity, value, low, high, unit
        prefix = f"{who}: " if who else ""
        super().__init__(
            f"{prefix}{quantity} = {value:g} {unit} is outside the allowed range "
            f"[{low:g}, {high:g}] {unit}"
        )


class ConfigError(ValueError):
    """A lab configuration or parameter that cannot be used; the message lists what is accepted."""


class RunAborted(Exception):
    """Raised inside a plan when the user (or an interlock) aborts the run."""
