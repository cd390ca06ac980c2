"""Unit parsing at the edges (CLI, config, GUI): '320mT' -> 0.32 (T).

A deliberately small parser: an SI number, an optional SI prefix, and one of the units the
application speaks. Anything else is rejected with the list of what is accepted.
"""
from __future__ import annotations

import math
import re

PREFIXES = {"p": 1e-12, "n": 1e-9, "u": 1e-6, "µ": 1e-6, "μ": 1e-6, "m": 1e-3, "c": 1e-2,
            "": 1.0, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}

#: unit symbol -> (SI base unit, factor to base)
UNITS: dict[str, tuple[str, float]] = {
    "T": ("T", 1.0), "G": ("T", 1e-4), "Oe": ("T", 1e-4),  # Oe as mu0 H in vacuum
    "Hz": ("Hz", 1.0), "s": ("s", 1.0), "W": ("W", 1.0), "K": ("K", 1.0), "V": ("V", 1.0),
    "A": ("A", 1.0), "m": ("m", 1.0), "N": ("N", 1.0), "deg": ("deg", 1.0), "rad": ("rad", 1.0),
    "T/s": ("T/s", 1.0), "G/s": ("T/s", 1e-4), "T/A": ("T/A", 1.0), "T/V": ("T/V", 1.0),
    "G/V": ("T/V", 1e-4), "T/m": ("T/m", 1.0), "K/s": ("K/s", 1.0), "K/min": ("K/s", 1 / 60),
    "T/min": ("T/s", 1 / 60), "G/min": ("T/s", 1e-4 / 60), "J/m^3": ("J/m^3", 1.0),
    "erg/cm^3": ("J/m^3", 0.1), "N/m": ("N/m", 1.0), "T/K": ("T/K", 1.0), "1/K": ("1/K", 1.0), "%": ("", 0.01), "ppm": ("", 1e-6), "": ("", 1.0),
}
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_PATTERN = re.compile(rf"^\s*({_NUMBER})\s*(\S*?)\s*$")


class UnitError(ValueError):
    pass


def _split_unit(text: str) -> tuple[float, str]:
    if text in UNITS:
        return 1.0, text
    for unit in sorted(UNITS, key=len, reverse=True):
        if unit and text.endswith(unit) and text[: -len(unit)] in PREFIXES:
            return PREFIXES[text[: -len(unit)]], unit
    if text.lower() == "dbm":
        return 1.0, "dBm"
    raise KeyError(text)


def parse_quantity(text: str | float | int, expected: str, *, name: str = "value") -> float:
    """Parse ``text`` into SI units of ``expected`` ('T', 'Hz', 's', 'W', '' ...).

    A bare number is taken to be in SI units already. Power accepts dBm.
    """
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return float(text)
    m = _PATTERN.match(str(text))
    if not m:
        raise UnitError(f"{name}: cannot read {text!r} as a number with a unit "
                        f"(e.g. '320mT', '9.5GHz', '10ms'); expected unit: {expected or 'none'}")
    number, unit_text = float(m.group(1)), m.group(2)
    if unit_text == "":
        return number
    try:
        factor, unit = _split_unit(unit_text)
    except KeyError:
        raise UnitError(f"{name}: unknown unit {unit_text!r} in {text!r}; expected {accepted(expected)}") from None
    if unit == "dBm":
        if expected != "W":
            raise UnitError(f"{name}: dBm is a power; expected {accepted(expected)}")
        return 1e-3 * 10 ** (number / 10)
    base, to_base = UNITS[unit]
    if base != expected:
        raise UnitError(f"{name}: {text!r} is in {base or 'no unit'}, expected {accepted(expected)}")
    return number * factor * to_base


def accepted(expected: str) -> str:
    units = [u for u, (base, _) in UNITS.items() if base == expected and u]
    extra = ["dBm"] if expected == "W" else []
    return f"{expected or 'a plain number'} (units: {', '.join(units + extra) or 'none'}, with SI prefixes p n u m k M G)"


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
    return value / parse_quantity(f"1{display_unit}", si_unit)
