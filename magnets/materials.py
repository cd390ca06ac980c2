"""Permanent-magnet and holder materials: remanence, its temperature coefficients, density, CTE.

Values are typical catalogue numbers for design and drift estimates, not a datasheet for
your batch: measure B_r and alpha of the magnets you buy when the absolute field matters.

Sources (docs/references.md, "Magnet materials"):
- alpha(B_r) of sintered NdFeB -0.09 ... -0.12 %/K, typ. -0.11 to -0.12 (N48SH measured
  -0.119 %/K over 20-150 degC): advancedmagnets.com, LIGO 40m wiki, sourcemagnets.com.
- SmCo5 -0.04 ... -0.05 %/K (LIGO wiki -0.043, magnesy.pl -0.05); Sm2Co17 -0.03 ... -0.035 %/K;
  hard ferrite -0.19 ... -0.20 %/K (magnesy.pl, sourcemagnets.com).
- B_r per grade: the usual MMPA-0100-style grade table ranges (e.g. N42 1.29-1.32 T); we take
  the mid value [recalled; check your supplier's datasheet].
- Densities: NdFeB 7.5, SmCo 8.4, ferrite ~5 g/cm^3 (manufacturers' datasheets).
- Magnet CTE ~ +3 ppm/K effective for NdFeB (it is anisotropic: about +5 parallel and -1
  perpendicular to the easy axis) [recalled]; SmCo ~ +10, ferrite ~ +12 ppm/K [recalled].
- Holder CTEs: aluminium 23, brass 19, titanium 8.6, Invar 1.3, PEEK 47, PLA 68 ppm/K
  (with a +3 ppm/K magnet these give ring drifts of -60/-48/-17/+5/-132/-195 ppm/K); PETG 60 and ABS 90 ppm/K [recalled].
"""
from __future__ import annotations

from dataclasses import dataclass

#: Reference temperature of catalogue B_r values (20 degC).
T_CATALOGUE = 293.15


@dataclass(frozen=True)
class Material:
    """A hard magnetic material. ``alpha`` and ``beta`` are the reversible coefficients of
    remanence, B_r(T) = B_r(T0) [1 + alpha (T - T0) + beta (T - T0)^2], in 1/K and 1/K^2."""

    name: str
    br: float  # T at t_ref
    alpha: float  # 1/K
    density: float  # kg/m^3
    cte: float = 3e-6  # 1/K, linear thermal expansion of the magnet body
    beta: float = 0.0  # 1/K^2
    t_ref: float = T_CATALOGUE
    note: str = ""

    def remanence(self, temperature: float) -> float:
        """B_r (T) at ``temperature`` (K)."""
        d = temperature - self.t_ref
        return self.br * (1.0 + self.alpha * d + self.beta * d * d)

    def with_br(self, br: float) -> "Material":
        """The same material with a measured remanence (T) at t_ref."""
        return Material(self.name, float(br), self.alpha, self.density, self.cte, self.beta, self.t_ref, self.note)


@dataclass(frozen=True)
class HolderMaterial:
    """The frame that holds magnets at their positions; it sets how radii grow with temperature."""

    name: str
    cte: float  # 1/K
    note: str = ""


def _ndfeb(grade: str, br: float, alpha: float = -0.0012) -> Material:
    return Material(grade, br, alpha, 7500.0, 3e-6, note="sintered NdFeB")


MATERIALS: dict[str, Material] = {
    "N35": _ndfeb("N35", 1.195),
    "N38": _ndfeb("N38", 1.24),
    "N40": _ndfeb("N40", 1.275),
    "N42": _ndfeb("N42", 1.305),
    "N45": _ndfeb("N45", 1.34),
    "N48": _ndfeb("N48", 1.395),
    "N50": _ndfeb("N50", 1.425),
    "N52": _ndfeb("N52", 1.455),
    "N42SH": _ndfeb("N42SH", 1.305, -0.0011),
    "N48SH": _ndfeb("N48SH", 1.39, -0.00119),
    "SmCo5": Material("SmCo5", 0.95, -0.00045, 8400.0, 10e-6, note="SmCo 1:5"),
    "Sm2Co17": Material("Sm2Co17", 1.08, -0.00035, 8400.0, 10e-6, note="SmCo 2:17"),
    "ferrite": Material("ferrite", 0.39, -0.0020, 4900.0, 12e-6, note="hard ferrite Y30-class"),
}
MATERIALS["NdFeB"] = MATERIALS["N42"]

#: Half the catalogue spread of alpha (1/K) quoted above: what a catalogue coefficient is
#: worth until the batch is measured (NdFeB -0.09 ... -0.12 %/K; SmCo +-0.005 %/K; ferrite
#: -0.19 ... -0.20 %/K). Keyed by the note that names the family.
ALPHA_TOLERANCE = {"sintered NdFeB": 1.5e-4, "SmCo 1:5": 5e-5, "SmCo 2:17": 5e-5, "hard ferrite Y30-class": 5e-5}
MATERIALS["SmCo"] = MATERIALS["Sm2Co17"]

HOLDERS: dict[str, HolderMaterial] = {
    "aluminium": HolderMaterial("aluminium", 23e-6),
    "brass": HolderMaterial("brass", 19e-6),
    "titanium": HolderMaterial("titanium", 8.6e-6),
    "invar": HolderMaterial("invar", 1.3e-6),
    "peek": HolderMaterial("PEEK", 47e-6),
    "pla": HolderMaterial("PLA", 68e-6, "3D-printed"),
    "petg": HolderMaterial("PETG", 60e-6, "3D-printed"),
    "abs": HolderMaterial("ABS", 90e-6, "3D-printed"),
    "none": HolderMaterial("none (magnets glued together)", 3e-6),
}
HOLDERS["aluminum"] = HOLDERS["aluminium"]


def material(name: str | Material) -> Material:
    """Look a material up by name (case-insensitive); a :class:`Material` passes through."""
    if isinstance(name, Material):
        return name
    for key, value in MATERIALS.items():
        if key.lower() == str(name).strip().lower():
            return value
    raise ValueError(f"unknown magnet material {name!r}; known: {sorted(MATERIALS)}")


def holder(name: str | HolderMaterial) -> HolderMaterial:
    """Look a holder material up by name (case-insensitive)."""
    if isinstance(name, HolderMaterial):
        return name
    value = HOLDERS.get(str(name).strip().lower())
    if value is None:
        raise ValueError(f"unknown holder material {name!r}; known: {sorted(HOLDERS)}")
    return value
