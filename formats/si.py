"""Vendor units to SI, at the reader's edge: 'G' -> ('T', 1e-4), 'mW' -> ('W', 1e-3) ...

Only the units spectrometer files write. An unknown unit is kept as written with factor 1 (the
axis then says what it is, unconverted), never guessed."""
from __future__ import annotations

_BASE = {"T": "T", "G": "T", "Oe": "T", "s": "s", "Hz": "Hz", "W": "W", "V": "V", "A": "A", "K": "K",
         "m": "m", "deg": "deg", "rad": "rad"}
_FACTOR = {"G": 1e-4, "Oe": 1e-4}
_PREFIX = {"p": 1e-12, "n": 1e-9, "u": 1e-6, "µ": 1e-6, "μ": 1e-6, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9}
_ALIASES = {"°": "deg", "degree": "deg", "degrees": "deg", "gauss": "G", "tesla": "T", "sec": "s",
            "°C": "degC", "C": "degC"}


def si_unit(unit: str) -> tuple[str, float]:
    """(SI unit, factor) so that value_SI = factor * value for a value written in ``unit``."""
    u = _ALIASES.get(unit.strip(), unit.strip())
    if u in _BASE:
        return _BASE[u], _FACTOR.get(u, 1.0)
    if len(u) > 1 and u[0] in _PREFIX and u[1:] in _BASE:
        return _BASE[u[1:]], _PREFIX[u[0]] * _FACTOR.get(u[1:], 1.0)
    return u, 1.0


def to_si(value: float, unit: str) -> tuple[float, str]:
    """``value`` in ``unit`` -> (value in SI, SI unit); degrees Celsius become kelvin."""
    base, factor = si_unit(unit)
    if base == "degC":
        return value + 273.15, "K"
    return value * factor, base
