"""Physical constants (CODATA 2018) and gyromagnetic ratios used by the magnet library.

``magnets`` imports nothing else of ours, so it carries its own copy of the few constants it
needs (the same values as ``sim_backend.constants``).
"""
from __future__ import annotations

import math

MU0 = 1.25663706212e-6  # T m / A
H = 6.62607015e-34  # J s
MU_B = 9.2740100783e-24  # J / T
G_E = 2.00231930436  # free-electron g factor (magnitude)

#: gamma / 2 pi in Hz/T. 1H: CODATA 2018 shielded-free proton, 42.577 478 518 MHz/T;
#: electron: g_e mu_B / h = 28.024 951 GHz/T. 2H, 13C, 19F: standard NMR tables [recalled].
GAMMA_BAR: dict[str, float] = {
    "1H": 42.577478518e6,
    "2H": 6.535903e6,
    "13C": 10.7084e6,
    "19F": 40.078e6,
    "electron": G_E * MU_B / H,
}
_ALIASES = {"h": "1H", "proton": "1H", "1h": "1H", "e": "electron", "e-": "electron",
            "electron": "electron", "2h": "2H", "d": "2H", "13c": "13C", "19f": "19F"}


def gamma_bar(species: str | float) -> float:
    """gamma/2pi (Hz/T) of a species name ('1H', 'electron', ...) or of a g factor given as a number.

    A number is read as an electron-like g factor (f = g mu_B B / h), e.g. 2.0036 for DPPH.
    """
    if isinstance(species, (int, float)):
        if not math.isfinite(species) or species <= 0:
            raise ValueError(f"g factor {species!r} must be a positive number")
        return float(species) * MU_B / H
    key = _ALIASES.get(str(species).strip().lower())
    if key is None:
        raise ValueError(f"unknown species {species!r}; use one of {sorted(GAMMA_BAR)} or a g factor number")
    return GAMMA_BAR[key]
