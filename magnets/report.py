"""A design's numbers in one place: B0, homogeneity, Larmor frequencies, magnets, mass, drift.

Fields are computed with the chosen engine (``exact`` shapes by default: reports should
not carry the point-dipole error) on a Fibonacci set of DSV-surface points; the drift is the
material + holder coefficient of :func:`magnets.thermal.drift`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from magnets.constants import gamma_bar
from magnets.design import HalbachDesign
from magnets.field import field as compute_field, gradient_tensor
from magnets.sampling import Homogeneity, homogeneity, sphere_surface
from magnets.thermal import Drift, drift


@dataclass
class DesignReport:
    name: str
    engine: str
    n_magnets: int
    mass: float  # kg
    b0_vector: np.ndarray  # T at the centre
    dsv: float  # m
    homogeneity: Homogeneity | None  # None for pure gradient (k >= 2) designs
    gradient: float  # T/m, |dB/dx| at the centre (the quadrupole gradient)
    drift: Drift
    species: list[str | float]
    rings: list[str] = field(default_factory=list)
    dipole_error_ppm: float | None = None  # centre |B|, dipole vs exact

    @property
    def b0(self) -> float:
        return float(np.linalg.norm(self.b0_vector))

    def larmor(self, species: str | float) -> float:
        return gamma_bar(species) * self.b0

    def text(self) -> str:
        """The human-readable report (what ``spinbench halbach`` prints)."""
        out = [f"Halbach design '{self.name}' ({self.engine} fields)",
               f"  magnets            {self.n_magnets}   mass {self.mass * 1e3:.1f} g (magnets only, no holder)"]
        out += [f"    {r}" for r in self.rings]
        bx, by, bz = self.b0_vector * 1e3
        out.append(f"  B0 (centre)        {self.b0 * 1e3:.5g} mT   (Bx {bx:.4g}, By {by:.4g}, Bz {bz:.4g} mT)")
        if self.gradient > 1e-3:
            out.append(f"  gradient (centre)  {self.gradient:.5g} T/m")
        if self.homogeneity is not None:
            h = self.homogeneity
            out.append(f"  homogeneity        {h.ppm_pp:.4g} ppm p-p, {h.ppm_rms:.4g} ppm rms over a "
                       f"{self.dsv * 1e3:.3g} mm DSV ({h.n_points} surface points)")
        for sp in self.species:
            f0 = self.larmor(sp)
            spread = f"   line width from inhomogeneity {f0 * self.homogeneity.ppm_pp * 1e-6:.4g} Hz p-p" \
                if self.homogeneity is not None else ""
            out.append(f"  f_Larmor {str(sp):9s} {_hz(f0)}{spread}")
        d = self.drift
        out.append(f"  drift              {d.ppm_per_k:.4g} ppm/K = {d.db_dt * 1e6:.4g} uT/K "
                   f"(holder + magnet expansion {d.expansion_ppm_per_k:.3g} ppm/K)")
        for sp in self.species:
            out.append(f"    {str(sp):16s} {_hz(d.hz_per_k(sp))}/K")
        if self.dipole_error_ppm is not None:
            out.append(f"  point-dipole model  {self.dipole_error_ppm:+.4g} ppm off the exact centre field")
        return "\n".join(out)


def _hz(f: float) -> str:
    for unit, scale in (("GHz", 1e9), ("MHz", 1e6), ("kHz", 1e3)):
        if abs(f) >= scale:
            return f"{f / scale:.6g} {unit}"
    return f"{f:.4g} Hz"


def _ring_line(i: int, design: HalbachDesign) -> str:
    r = design.rings[i]
    shape = r.shape
    size = ("cuboid " + "x".join(f"{s * 1e3:.3g}" for s in shape.size) + " mm") if hasattr(shape, "size") \
        else f"cylinder d{shape.diameter * 1e3:.3g} x {shape.height * 1e3:.3g} mm ({shape.magnetisation})"
    orient = ", counter-oriented" if abs(np.cos(r.phase) + 1) < 1e-9 else ""
    return (f"ring {i}: {r.n} x {r.material.name} {size}, r = {r.radius * 1e3:.4g} mm, z = {r.z * 1e3:.4g} mm, "
            f"k = {r.k}{orient}")


def design_report(design: HalbachDesign, dsv: float, species: Sequence[str | float] = ("1H", "electron"),
                  engine: str = "exact", n_points: int = 400, compare_dipole: bool = True) -> DesignReport:
    """Compute the report of ``design`` over a DSV of diameter ``dsv`` (m)."""
    problem = design.dsv_problem(dsv)
    if problem:
        raise ValueError(problem)
    for sp in species:
        gamma_bar(sp)  # validate names before computing anything
    arr = design.layout()
    centre = compute_field(np.zeros((1, 3)), arr, engine)[0]
    grad = float(np.linalg.norm(gradient_tensor(np.zeros(3), arr, engine)[:, 0]))
    pure_gradient = all(r.k >= 2 for r in design.rings) and not design.shims
    hom = None if pure_gradient else homogeneity(compute_field(sphere_surface(dsv / 2, n_points), arr, engine))
    err = None
    if compare_dipole and engine != "dipole" and np.linalg.norm(centre) > 0:
        dip = compute_field(np.zeros((1, 3)), arr, "dipole")[0]
        err = (np.linalg.norm(dip) - np.linalg.norm(centre)) / np.linalg.norm(centre) * 1e6
    return DesignReport(design.name, engine, design.n_magnets, design.mass, centre, dsv, hom, grad,
                        drift(design, engine=engine), list(species),
                        [_ring_line(i, design) for i in range(len(design.rings))], err)
