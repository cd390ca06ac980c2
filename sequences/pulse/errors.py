"""Validation findings: every rule a sequence breaks, with the nearest value that would pass."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence as Seq

from drivers.errors import ConfigError

#: Rule ids, in the order the validator checks them (docs/sequences.md explains each).
RULES = (
    "parameter",        # a parameter without a value, or a value of the wrong kind
    "negative",         # negative duration or delay
    "zero-length",      # a pulse or receiver gate shorter than one clock tick (it would vanish)
    "outside-block",    # an event that runs past the end of its block
    "overlap",          # two events on the same channel at once
    "granularity",      # loop bodies must be whole clock ticks (warning: durations off the tick grid)
    "min-instruction",  # an interval between output changes shorter than the target's minimum
    "channel",          # a TTL channel the target has no flag bit for
    "registers",        # more distinct phases/amplitudes/offsets than the target can select
    "shape",            # a shaped (non-rectangular) envelope on a target that plays only hard pulses
    "max-pulse-length", # a continuous transmit longer than the lab's max_pulse_length
    "duty-cycle",       # transmit time / shot time above the lab's max_rf_duty_cycle
    "rx-during-tx",     # receiver gate open while transmitting
    "ring-down",        # receiver opened before the ring-down time after a pulse
    "dead-time",        # transmit started before the T/R dead time after the receiver closed
    "loop",             # loop count out of range, nesting too deep, loop structure the target cannot run
    "wait",             # trigger wait where the target cannot wait
    "memory",           # more instructions (or samples) than the target holds
    "max-delay",        # an interval longer than the target's longest delay (delay field x LONG_DELAY)
    "empty",            # nothing to run
    "channel-delay",    # an edge advanced by its channel's delay before a trigger wait (warning: program lead time)
)


@dataclass(frozen=True)
class Violation:
    """One broken rule. ``value`` and ``nearest`` are SI numbers (or None) in ``unit``."""

    element: str
    rule: str
    message: str
    value: Any = None
    nearest: Any = None
    unit: str = ""
    severity: str = "error"  # "error" blocks compilation; "warning" is information

    def __str__(self) -> str:
        near = ""
        if self.nearest is not None:
            near = f"; nearest valid: {_fmt(self.nearest, self.unit)}"
        tag = "" if self.severity == "error" else " (warning)"
        return f"[{self.rule}]{tag} {self.element}: {self.message}{near}"


def _fmt(value: Any, unit: str) -> str:
    if isinstance(value, float) and unit == "s":
        return format_seconds(value)
    if isinstance(value, float):
        return f"{value:.6g} {unit}".strip()
    return f"{value} {unit}".strip()


def format_seconds(value: float) -> str:
    a = abs(value)
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9)):
        if a >= scale:
            return f"{value / scale:.6g} {unit}"
    return f"{value / 1e-12:.6g} ps" if a else "0 s"


class SequenceError(ConfigError):
    """A sequence that breaks one or more rules; ``violations`` holds every one of them."""

    def __init__(self, violations: Seq[Violation], name: str = "sequence"):
        self.violations = list(violations)
        errors = [v for v in self.violations if v.severity == "error"]
        lines = "\n  ".join(str(v) for v in errors)
        super().__init__(f"{name}: {len(errors)} problem(s) found before anything was sent:\n  {lines}")
