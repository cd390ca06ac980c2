"""Vendor unit strings to SI at the reader's edge: 'G' -> ('T', 1e-4), 'mW' -> ('W', 1e-3) ...

The factors come from the one quantity library (units/); here only the spellings vendors write
('°', 'gauss', '°C') are mapped onto it. An unknown unit is kept as written with factor 1 (the
axis then says what it is, unconverted), never guessed."""
from __future__ import annotations

from units.quantity import UNITS, unit_scale

_ALIASES = {"°": "deg", "degree": "deg", "degrees": "deg", "gauss": "G", "Gauss": "G", "tesla": "T",
            "sec": "s", "°C": "degC", "C": "degC"}
_BASES = sorted({base for base, _ in UNITS.values()})


def si_unit(unit: str) -> tuple[str, float]:
    """(SI unit, factor) so that value_SI = factor * value for a value written in ``unit``;
    ('degC', 1) for Celsius, which needs an offset (see :func:`to_si`)."""
    u = _ALIASES.get(unit.strip(), unit.strip())
    if u == "degC":
        return u, 1.0
    for base in _BASES:
        try:
            return base, float(unit_scale(u, base))
        except KeyError:
            continue
    return u, 1.0


def to_si(value: float, unit: str) -> tuple[float, str]:
    """``value`` in ``unit`` -> (value in SI, SI unit); degrees Celsius become kelvin."""
    base, factor = si_unit(unit)
    if base == "degC":
        return value + 273.15, "K"
    return value * factor, base
