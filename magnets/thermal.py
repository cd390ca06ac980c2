"""How a design's field moves with temperature, and passive compensation that cancels it.

B0(T) comes from re-laying out the design at T: every magnet's B_r(T) from its material, its
size from its own expansion and its position from the holder's (a ring's centre field goes as
V/r^3, so the holder adds about -3 (cte_holder - cte_magnet) per K; Blümler & Soltner 2023).

Passive compensation: a counter-oriented ring of a material with a different alpha. With the
contributions B_g of each group at the centre, the first-order drift is sum_g c_g B_g; we
solve for the compensator ring's radius (or magnet count) that makes it zero.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np

from magnets.constants import gamma_bar
from magnets.design import HalbachDesign
from magnets.field import field

CENTRE = np.zeros((1, 3))


def b0(design: HalbachDesign, temperature: float | None = None, point: np.ndarray = CENTRE,
       engine: str = "dipole", *, expansion: bool = True, direction: np.ndarray | None = None) -> float:
    """``|B|`` (T) at ``point`` (default the centre) with the design at ``temperature`` (K); with a
    ``direction`` the signed component along it instead (keeps its sign if the field flips)."""
    b = field(point, design.layout(temperature, expansion=expansion), engine)[0]
    if direction is None:
        return float(np.linalg.norm(b))
    return float(np.dot(b, direction) / np.linalg.norm(direction))


def b0_curve(design: HalbachDesign, temperatures: Sequence[float], engine: str = "dipole") -> np.ndarray:
    """B0 (T) at the centre for each temperature (K)."""
    return np.array([b0(design, t, engine=engine) for t in temperatures])


@dataclass(frozen=True)
class Drift:
    """First-order temperature coefficient of B0 at ``temperature``."""

    temperature: float  # K
    b0: float  # T
    db_dt: float  # T/K, everything included
    db_dt_material: float  # T/K, remanence only (no expansion)

    @property
    def ppm_per_k(self) -> float:
        return self.db_dt / self.b0 * 1e6

    @property
    def expansion_ppm_per_k(self) -> float:
        """The holder and magnet expansion's share of the drift."""
        return (self.db_dt - self.db_dt_material) / self.b0 * 1e6

    def hz_per_k(self, species: str | float = "1H") -> float:
        """Drift of the resonance frequency (Hz/K) for a species or g factor."""
        return gamma_bar(species) * self.db_dt

    def __str__(self) -> str:
        return (f"dB0/dT = {self.db_dt * 1e6:.4g} uT/K ({self.ppm_per_k:.4g} ppm/K, of which expansion "
                f"{self.expansion_ppm_per_k:.3g} ppm/K)")


def drift(design: HalbachDesign, temperature: float | None = None, engine: str = "dipole",
          step: float = 0.5, point: np.ndarray = CENTRE, direction: np.ndarray | None = None) -> Drift:
    """dB0/dT by a central difference of +-``step`` K around ``temperature`` (K), of ``|B|`` or of
    the component along ``direction``."""
    t = design.reference_temperature if temperature is None else float(temperature)
    kw = dict(point=point, engine=engine, direction=direction)
    hi, lo = b0(design, t + step, **kw), b0(design, t - step, **kw)
    him, lom = b0(design, t + step, expansion=False, **kw), b0(design, t - step, expansion=False, **kw)
    return Drift(t, b0(design, t, **kw), (hi - lo) / (2 * step), (him - lom) / (2 * step))


@dataclass(frozen=True)
class DriftRange:
    """dB0/dT with what the catalogue alphas leave open: each group's field at the centre times
    its material's alpha tolerance (:data:`magnets.materials.ALPHA_TOLERANCE`), summed (worst
    case) and in quadrature (independent batches). dB0/dT is linear in every alpha."""

    ppm_per_k: float
    worst_ppm_per_k: float
    rss_ppm_per_k: float
    shares: dict[str, float]  # group -> its ppm/K per unit alpha tolerance

    def __str__(self) -> str:
        return (f"{self.ppm_per_k:.3g} ppm/K +- {self.worst_ppm_per_k:.3g} ppm/K worst case "
                f"(+- {self.rss_ppm_per_k:.3g} rss) from the catalogue alpha tolerances")


def drift_range(design: HalbachDesign, engine: str = "dipole", tolerances: dict[str, float] | None = None) -> DriftRange:
    """The drift and its range from the materials' alpha tolerances (by material note, or by
    material name in ``tolerances``)."""
    from magnets.materials import ALPHA_TOLERANCE

    arr = design.layout()
    b = field(CENTRE, arr, engine)[0]
    b0 = float(np.linalg.norm(b))
    mats = [r.material for r in design.rings] + [s.material for s in design.shims]
    shares = {}
    for g, (name, mat) in enumerate(zip(arr.group_names, mats)):
        part = field(CENTRE, arr.select(arr.groups == g), engine)[0] @ b / b0
        tol = (tolerances or {}).get(mat.name, ALPHA_TOLERANCE.get(mat.note, 0.0))
        shares[name] = abs(part) / b0 * tol * 1e6
    vals = np.array(list(shares.values()))
    return DriftRange(drift(design, engine=engine).ppm_per_k, float(vals.sum()), float(np.sqrt(np.sum(vals**2))),
                      shares)


@dataclass(frozen=True)
class Compensation:
    """A solved passive compensation: the new design and its drift before/after."""

    design: HalbachDesign
    ring: int
    vary: str
    value: float  # the solved radius (m) or magnet count
    drift_before: Drift  # the design without the compensator
    drift_after: Drift

    @property
    def field_fraction(self) -> float:
        """B0 with the compensator over B0 without it (the price of compensation)."""
        return self.drift_after.b0 / self.drift_before.b0

    @property
    def improvement(self) -> float:
        return abs(self.drift_before.db_dt) / max(abs(self.drift_after.db_dt), 1e-300)


def solve_compensation(design: HalbachDesign, ring: int, vary: str = "radius",
                       bounds: tuple[float, float] | None = None, engine: str = "dipole") -> Compensation:
    """Choose ring ``ring`` (the compensator: counter-oriented, a material of different alpha)
    so that dB0/dT = 0 at the design's reference temperature.

    vary='radius' solves the radius continuously (first-order drift cancels exactly);
    vary='count' picks the whole number of magnets with the smallest ``|dB0/dT|``.
    """
    from scipy.optimize import brentq
    if not 0 <= ring < len(design.rings):
        raise ValueError(f"compensator ring index {ring} outside 0..{len(design.rings) - 1}")
    others = replace(design, rings=[r for i, r in enumerate(design.rings) if i != ring])
    before = drift(others, engine=engine)
    comp = design.rings[ring]
    b_main = field(CENTRE, others, engine)[0]
    b_comp = field(CENTRE, design.layout().select(design.layout().groups == ring), engine)[0]
    if np.dot(b_main, b_comp) >= 0:
        raise ValueError(f"ring {ring} adds to the main field: a compensator must be counter-oriented "
                         f"(add pi to its phase) so that its drift subtracts")
    if vary == "radius":
        lo, hi = bounds or (comp.min_radius(design.build.min_gap), 20 * max(r.radius for r in design.rings))
        f = lambda r: drift(design.replace_ring(ring, radius=r), engine=engine, direction=b_main).db_dt  # noqa: E731
        flo, fhi = f(lo), f(hi)
        if flo * fhi > 0:
            raise ValueError(
                f"no compensator radius in [{lo * 1e3:.4g}, {hi * 1e3:.4g}] mm cancels the drift "
                f"(dB0/dT from {flo * 1e6:.4g} to {fhi * 1e6:.4g} uT/K): use a material with a larger "
                f"|alpha| for the compensator, more or larger magnets, or wider bounds")
        value = brentq(f, lo, hi, xtol=1e-9, rtol=1e-12)
        solved = design.replace_ring(ring, radius=value)
    elif vary == "count":
        lo, hi = bounds or (2, 4 * comp.n)
        best = None
        for n in range(int(lo), int(hi) + 1):
            try:
                cand = design.replace_ring(ring, n=n)
            except ValueError:
                continue
            if cand.clearance_problems(limit=1):
                continue
            d = abs(drift(cand, engine=engine, direction=b_main).db_dt)
            if best is None or d < best[0]:
                best = (d, n, cand)
        if best is None:
            raise ValueError(f"no magnet count in [{lo}, {hi}] fits ring {ring} at radius {comp.radius * 1e3:.4g} mm")
        value, solved = float(best[1]), best[2]
    else:
        raise ValueError(f"vary={vary!r}; use 'radius' or 'count'")
    clash = solved.clearance_problems()
    if clash:  # the solved radius is exact: a compensator that collides cannot be moved to fit
        raise ValueError(f"the compensator radius that cancels the drift ({value * 1e3:.4g} mm) cannot be built: "
                         + "; ".join(clash) + "; move the compensator ring in z or change its magnets"
                         if vary == "radius" else "; ".join(clash))
    after = drift(solved, engine=engine, direction=b_main)
    if after.b0 <= 0:
        raise ValueError(f"the solved compensator (ring {ring} at {value:.4g}) reverses the field; "
                         f"use a weaker compensator (fewer or smaller magnets)")
    return Compensation(solved, ring, vary, float(value), before, after)


def required_stability(linewidth_hz: float, drift_hz_per_k: float) -> float:
    """Temperature stability (K) that keeps the line within ``linewidth_hz``."""
    if drift_hz_per_k == 0:
        return math.inf
    return abs(linewidth_hz / drift_hz_per_k)
