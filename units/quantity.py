"""The one quantity parser of spinbench: '320mT' -> 0.32 (T), for the CLI, the GUI, TOML files
and pulse-sequence expressions alike.

A quantity is a number, an optional SI prefix and one of the units the application speaks.
Which unit a *bare* number is in is never guessed: a caller names it (``bare=``) or gets SI. The house
rule is that a bare number is in the quantity's display unit — the unit ``spinbench list`` and
the GUI show next to it (``field_start=335`` is 335 mT) — and, where a quantity declares no
display unit, in its SI unit. Factors are exact rationals, so '335mT' is the float nearest to
0.335 and sequence timing can stay exact.
"""
from __future__ import annotations

import functools
import re
from fractions import Fraction

PREFIXES: dict[str, Fraction] = {
    "p": Fraction(1, 10**12), "n": Fraction(1, 10**9), "u": Fraction(1, 10**6), "µ": Fraction(1, 10**6),
    "μ": Fraction(1, 10**6), "m": Fraction(1, 10**3), "c": Fraction(1, 10**2), "": Fraction(1),
    "k": Fraction(10**3), "M": Fraction(10**6), "G": Fraction(10**9), "T": Fraction(10**12)}

#: unit symbol -> (SI unit, exact factor to it)
UNITS: dict[str, tuple[str, Fraction]] = {
    "T": ("T", Fraction(1)), "G": ("T", Fraction(1, 10**4)), "Oe": ("T", Fraction(1, 10**4)),  # Oe as mu0 H
    "Hz": ("Hz", Fraction(1)), "s": ("s", Fraction(1)), "min": ("s", Fraction(60)), "W": ("W", Fraction(1)),
    "K": ("K", Fraction(1)), "V": ("V", Fraction(1)), "A": ("A", Fraction(1)), "m": ("m", Fraction(1)),
    "N": ("N", Fraction(1)), "deg": ("deg", Fraction(1)), "rad": ("rad", Fraction(1)),
    "T/s": ("T/s", Fraction(1)), "G/s": ("T/s", Fraction(1, 10**4)), "T/A": ("T/A", Fraction(1)),
    "T/V": ("T/V", Fraction(1)), "G/V": ("T/V", Fraction(1, 10**4)), "T/m": ("T/m", Fraction(1)),
    "K/s": ("K/s", Fraction(1)), "K/min": ("K/s", Fraction(1, 60)), "T/min": ("T/s", Fraction(1, 60)),
    "G/min": ("T/s", Fraction(1, 600_000)), "J/m^3": ("J/m^3", Fraction(1)),
    "erg/cm^3": ("J/m^3", Fraction(1, 10)), "N/m": ("N/m", Fraction(1)), "A/m": ("A/m", Fraction(1)),
    "T/K": ("T/K", Fraction(1)), "1/K": ("1/K", Fraction(1)), "Hz/T": ("Hz/T", Fraction(1)),
    "dB": ("dB", Fraction(1)),
    "dB/oct": ("dB/oct", Fraction(1)), "%": ("", Fraction(1, 100)), "ppm": ("", Fraction(1, 10**6)),
    "": ("", Fraction(1)),
}
#: Units that take no SI prefix (a 'ms' is never a milli-second of '%').
_NO_PREFIX = {"%", "ppm", "min", "K/min", "T/min", "G/min", "dB", "dB/oct", "deg", "rad", "1/K", "Hz/T", ""}
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_PATTERN = re.compile(rf"^\s*({_NUMBER})\s*(\S*?)\s*$")


class UnitError(ValueError):
    """A quantity that cannot be read; the message names it and lists what is accepted."""


@functools.lru_cache(maxsize=1024)
def unit_scale(symbol: str, expected: str) -> Fraction:
    """Exact factor from ``symbol`` (with an SI prefix, e.g. 'us', 'mT') to the SI unit
    ``expected``; raises KeyError if ``symbol`` is not a unit of ``expected``. Cached: `spinbench
    list` asks for a few dozen distinct pairs some 800 times."""
    if symbol in UNITS and UNITS[symbol][0] == expected:
        return UNITS[symbol][1]
    for unit in sorted(UNITS, key=len, reverse=True):
        prefix = symbol[: -len(unit)] if unit and symbol.endswith(unit) else None
        if prefix and prefix in PREFIXES and unit not in _NO_PREFIX and UNITS[unit][0] == expected:
            return PREFIXES[prefix] * UNITS[unit][1]
    raise KeyError(symbol)


def _si_of(symbol: str) -> str | None:
    """The SI unit ``symbol`` belongs to (for the error message), or None."""
    for base in {b for b, _ in UNITS.values()}:
        try:
            unit_scale(symbol, base)
            return base
        except KeyError:
            pass
    return None


def parse_quantity(text: str | float | int, unit: str, *, bare: str | None = None, name: str = "value") -> float:
    """Parse ``text`` into the SI unit ``unit`` ('T', 'Hz', 's', 'W', '' ...).

    A bare number (no unit written) is in ``bare``: by the house rule the quantity's display
    unit; left out, the SI unit ``unit``. A Python number (not text) is already SI. Power also
    accepts dBm.
    """
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return float(text)
    m = _PATTERN.match(str(text))
    if not m:
        raise UnitError(f"{name}: cannot read {text!r} as a number with a unit (e.g. '320mT', '9.5GHz', "
                        f"'10ms'); expected {accepted(unit)}")
    number, symbol = Fraction(m.group(1)), m.group(2) or (unit if bare is None else bare)
    if symbol.lower() == "dbm":
        if unit != "W":
            raise UnitError(f"{name}: dBm is a power; expected {accepted(unit)}")
        return 1e-3 * 10 ** (float(number) / 10)
    try:
        return float(number * unit_scale(symbol, unit))
    except KeyError:
        pass
    other = _si_of(symbol)
    if other is not None:
        raise UnitError(f"{name}: {text!r} is in {other or 'no unit'}, expected {accepted(unit)}")
    raise UnitError(f"{name}: unknown unit {symbol!r} in {text!r}; expected {accepted(unit)}")


def parse_quantity_list(text: str, unit: str, *, bare: str | None = None, name: str = "value") -> list[float]:
    """'5, 100, 200K' -> [5.0, 100.0, 200.0] (K): comma- or semicolon-separated quantities, each
    read by :func:`parse_quantity` (a bare item is in ``bare``). Every bad item is reported."""
    items = [s.strip() for s in str(text).replace(";", ",").split(",") if s.strip()]
    if not items:
        raise UnitError(f"{name} is empty; give a comma-separated list, e.g. '5, 100, 300' ({accepted(unit)})")
    values, problems = [], []
    for item in items:
        try:
            values.append(parse_quantity(item, unit, bare=bare, name=name))
        except UnitError as exc:
            problems.append(str(exc))
    if problems:
        raise UnitError("; ".join(problems))
    return values


def accepted(unit: str) -> str:
    """What a quantity in SI ``unit`` may be written with, for error messages."""
    symbols = [u for u, (base, _) in UNITS.items() if base == unit and u]
    extra = ["dBm"] if unit == "W" else []
    prefixed = any(u not in _NO_PREFIX for u in symbols)
    return (f"{unit or 'a plain number'} (units: {', '.join(symbols + extra) or 'none'}"
            + (", with SI prefixes p n u m k M G" if prefixed else "") + ")")
