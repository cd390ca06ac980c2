"""Quantities as people read them: engineering prefixes, digits that follow the uncertainty,
SI values shown in a display unit (for forms, listings and results)."""
from __future__ import annotations

import math

from units.quantity import unit_scale


def format_quantity(value: float, unit: str, digits: int = 4) -> str:
    """Engineering-notation display: 0.3395 T -> '339.5 mT', 4e-15 N/sqrt(Hz) -> '4 fN/sqrt(Hz)'."""
    if unit == "kg":  # prefixes go on the gram
        value, unit = value * 1e3, "g"
    if unit in ("", "deg", "rad", "%", "dB/oct") or value == 0 or not math.isfinite(value):
        return f"{value:.{digits}g} {unit}".strip()
    exp = int(math.floor(math.log10(abs(value)) / 3) * 3)
    exp = max(-18, min(12, exp))
    symbol = {-18: "a", -15: "f", -12: "p", -9: "n", -6: "u", -3: "m", 0: "", 3: "k", 6: "M", 9: "G",
              12: "T"}[exp]
    return f"{value / 10**exp:.{digits}g} {symbol}{unit}"


def digits_for(value: float, error: float, minimum: int = 4, maximum: int = 12) -> int:
    """Significant digits that show a value down to the second digit of its uncertainty."""
    if not (math.isfinite(value) and math.isfinite(error)) or error <= 0 or value == 0:
        return minimum
    return max(minimum, min(maximum, int(math.floor(math.log10(abs(value))) - math.floor(math.log10(error))) + 2))


def to_display(value: float, si_unit: str, display_unit: str | None) -> float:
    """SI value -> number in ``display_unit`` (for forms and listings)."""
    if not display_unit or display_unit == si_unit:
        return value
    return value / float(unit_scale(display_unit, si_unit))
