"""Halbach designs: magnet shapes, rings (any multipole order), stacks, nested rings, shims.

A design is a list of :class:`Ring` plus optional :class:`ShimMagnet`; :meth:`HalbachDesign.layout`
flattens it into a :class:`MagnetArray` (positions, orientations, remanence, volumes) that both
field engines consume. Magnetisation is along each magnet's body x axis; a ring magnet at
azimuth theta is turned by alpha = (k + 1) theta + phase about z (Halbach's rule; k = 1 dipole,
k = 2 quadrupole). With phase = 0 the k = 1 field at the centre points along +x.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Sequence

import numpy as np

from magnets.clearance import TOLERANCE, BuildRules, Solids, axis_clearances, close_pairs, wall_clearances
from magnets.ring_bounds import ring_min_radius, ring_solids, rotation_z
from magnets.materials import HOLDERS, HolderMaterial, Material, holder as _holder, material as _material


@dataclass(frozen=True)
class Cuboid:
    """A block; ``size`` = (along the magnetisation, across it in-plane, along z) in m."""

    size: tuple[float, float, float]

    def __post_init__(self) -> None:
        if len(self.size) != 3 or not all(s > 0 and math.isfinite(s) for s in self.size):
            raise ValueError(f"cuboid size {self.size!r} must be three positive lengths in m")

    @classmethod
    def cube(cls, edge: float) -> "Cuboid":
        return cls((edge, edge, edge))

    @property
    def volume(self) -> float:
        return self.size[0] * self.size[1] * self.size[2]

    @property
    def extent_xy(self) -> float:
        """Smallest in-plane width: neighbours closer than this certainly overlap."""
        return min(self.size[0], self.size[1])

    @property
    def half_diagonal_xy(self) -> float:
        return 0.5 * math.hypot(self.size[0], self.size[1])

    @property
    def height(self) -> float:
        return self.size[2]


@dataclass(frozen=True)
class Cylinder:
    """A cylinder with its axis along z; ``magnetisation`` 'diametric' (across the axis, the usual
    choice in rings) or 'axial' (then the axis lies along the magnetisation, in-plane)."""

    diameter: float
    height: float
    magnetisation: str = "diametric"

    def __post_init__(self) -> None:
        if not (self.diameter > 0 and self.height > 0):
            raise ValueError(f"cylinder diameter {self.diameter} m and height {self.height} m must be > 0")
        if self.magnetisation not in ("diametric", "axial"):
            raise ValueError(f"cylinder magnetisation {self.magnetisation!r}; use 'diametric' or 'axial'")

    @property
    def volume(self) -> float:
        return math.pi * self.diameter**2 / 4 * self.height

    @property
    def extent_xy(self) -> float:
        return self.diameter if self.magnetisation == "diametric" else min(self.diameter, self.height)

    @property
    def half_diagonal_xy(self) -> float:
        return 0.5 * (self.diameter if self.magnetisation == "diametric" else math.hypot(self.diameter, self.height))

    @property
    def height_z(self) -> float:
        return self.height if self.magnetisation == "diametric" else self.diameter


Shape = Cuboid | Cylinder


def _z_extent(shape: Shape) -> float:
    return shape.size[2] if isinstance(shape, Cuboid) else shape.height_z


@dataclass(frozen=True)
class Ring:
    """N identical magnets on a circle of ``radius`` at height ``z``, Halbach order ``k``."""

    n: int
    radius: float
    shape: Shape
    material: Material = field(default_factory=lambda: _material("N42"))
    z: float = 0.0
    k: int = 1
    phase: float = 0.0  # rad; +pi gives a counter-oriented ring
    theta0: float = 0.0  # rad, azimuth of the first magnet

    def __post_init__(self) -> None:
        object.__setattr__(self, "material", _material(self.material))
        if int(self.n) != self.n or self.n < 2:
            raise ValueError(f"ring n = {self.n!r}: a ring needs a whole number >= 2 of magnets")
        if int(self.k) != self.k or self.k < 1:
            raise ValueError(f"ring k = {self.k!r}: multipole order must be 1 (dipole), 2 (quadrupole), ...")
        if not (self.radius > 0 and math.isfinite(self.radius)):
            raise ValueError(f"ring radius {self.radius!r} m must be positive")
        problem = self.fit_problem()
        if problem:
            raise ValueError(problem)

    def min_radius(self, min_gap: float = 0.0) -> float:
        """Smallest radius at which no two magnets of the ring come closer than ``min_gap`` (m)
        and the bore stays open: exact for the turned magnets (each is rotated by (k+1) theta,
        so neighbours meet corner-on somewhere in the ring), see :mod:`magnets.clearance`."""
        dims, kind = _shape_row(self.shape)
        return ring_min_radius(self.n, tuple(float(d) for d in dims), kind, self.k, self.phase, self.theta0,
                               float(min_gap))

    def fit_problem(self) -> str:
        if self.radius < self.min_radius() * (1 - 1e-9):
            return (f"ring of {self.n} magnets ({_describe(self.shape)}) at radius {self.radius * 1e3:.4g} mm: "
                    f"magnets overlap; use radius >= {self.min_radius() * 1e3:.4g} mm or fewer magnets")
        return ""

    def rotated(self, angle: float) -> "Ring":
        """The same ring turned rigidly by ``angle`` (rad) about z: magnets at theta + angle,
        magnetisations turned with them, i.e. phase - k angle. Nested rings turned against each
        other give a variable field (the field of a k = 1 ring turns with it)."""
        return replace(self, theta0=self.theta0 + angle, phase=self.phase - self.k * angle)

    def solids(self) -> Solids:
        """The ring's magnets as solids (for clearance tests)."""
        dims, kind = _shape_row(self.shape)
        return ring_solids(self.n, tuple(dims), kind, self.k, self.phase, self.theta0, self.radius, self.z)

    def azimuths(self) -> np.ndarray:
        return self.theta0 + 2 * np.pi * np.arange(self.n) / self.n

    def orientations(self) -> np.ndarray:
        """alpha_j = (k + 1) theta_j + phase: the angle of each magnetisation in the xy plane."""
        return (self.k + 1) * self.azimuths() + self.phase

    @property
    def height(self) -> float:
        return _z_extent(self.shape)


def _describe(shape: Shape) -> str:
    if isinstance(shape, Cuboid):
        return " x ".join(f"{v * 1e3:.3g}" for v in shape.size) + " mm blocks"
    return f"{shape.diameter * 1e3:.3g} x {shape.height * 1e3:.3g} mm cylinders"


@dataclass(frozen=True)
class ShimMagnet:
    """A single magnet at ``position`` (m) magnetised along ``direction`` (need not be unit)."""

    position: tuple[float, float, float]
    direction: tuple[float, float, float]
    shape: Shape
    material: Material = field(default_factory=lambda: _material("N42"))

    def __post_init__(self) -> None:
        object.__setattr__(self, "material", _material(self.material))
        if np.linalg.norm(self.direction) == 0:
            raise ValueError("shim magnet direction must be a non-zero vector")


@dataclass
class MagnetArray:
    """A flat list of magnets: everything the field engines and force code need (SI)."""

    positions: np.ndarray  # (M, 3) m
    rotations: np.ndarray  # (M, 3, 3) body -> lab; body x is the magnetisation
    br: np.ndarray  # (M,) T
    volumes: np.ndarray  # (M,) m^3
    dims: np.ndarray  # (M, 3): cuboid (a, b, c); cylinder (d, h, 0)
    kinds: np.ndarray  # (M,) 0 cuboid, 1 diametric cylinder, 2 axial cylinder
    groups: np.ndarray  # (M,) index into group_names
    group_names: list[str]
    densities: np.ndarray  # (M,) kg/m^3

    @property
    def directions(self) -> np.ndarray:
        return self.rotations[:, :, 0]

    @property
    def moments(self) -> np.ndarray:
        """Dipole moments (A m^2): m = B_r V / mu0 along the magnetisation."""
        from magnets.constants import MU0

        return self.directions * (self.br * self.volumes / MU0)[:, None]

    def __len__(self) -> int:
        return len(self.br)

    def solids(self) -> Solids:
        """The magnets as convex solids for the clearance tests of :mod:`magnets.clearance`."""
        return Solids(self.positions, self.rotations, self.kinds, self.dims)

    def labels(self) -> list[str]:
        """'ring2 magnet 5', 'shim0 magnet 0': a name for every magnet, for messages."""
        count: dict[int, int] = {}
        out = []
        for g in self.groups:
            out.append(f"{self.group_names[g]} magnet {count.get(g, 0)}")
            count[g] = count.get(g, 0) + 1
        return out

    @property
    def mass(self) -> float:
        return float(np.sum(self.densities * self.volumes))

    def select(self, mask: np.ndarray) -> "MagnetArray":
        mask = np.asarray(mask)
        return MagnetArray(self.positions[mask], self.rotations[mask], self.br[mask], self.volumes[mask],
                           self.dims[mask], self.kinds[mask], self.groups[mask], self.group_names,
                           self.densities[mask])

    @staticmethod
    def concatenate(parts: Sequence["MagnetArray"]) -> "MagnetArray":
        names: list[str] = []
        groups = []
        for p in parts:
            groups.append(p.groups + len(names))
            names += p.group_names
        cat = np.concatenate
        return MagnetArray(cat([p.positions for p in parts]), cat([p.rotations for p in parts]),
                           cat([p.br for p in parts]), cat([p.volumes for p in parts]),
                           cat([p.dims for p in parts]), cat([p.kinds for p in parts]), cat(groups), names,
                           cat([p.densities for p in parts]))


def rotation_to(direction: Sequence[float]) -> np.ndarray:
    """A rotation taking body x onto ``direction`` (azimuth about z, then elevation)."""
    u = np.asarray(direction, float) / np.linalg.norm(direction)
    phi, elev = math.atan2(u[1], u[0]), math.asin(max(-1.0, min(1.0, u[2])))
    ce, se = math.cos(elev), math.sin(elev)
    ry = np.array([[ce, 0, -se], [0, 1, 0], [se, 0, ce]])
    return rotation_z(np.array([phi]))[0] @ ry


def _shape_row(shape: Shape) -> tuple[tuple[float, float, float], int]:
    if isinstance(shape, Cuboid):
        return shape.size, 0
    return (shape.diameter, shape.height, 0.0), 1 if shape.magnetisation == "diametric" else 2


@dataclass
class HalbachDesign:
    """Rings + shims in a holder. ``reference_temperature`` is where positions are as given."""

    rings: list[Ring]
    shims: list[ShimMagnet] = field(default_factory=list)
    holder: HolderMaterial = field(default_factory=lambda: HOLDERS["aluminium"])
    reference_temperature: float = 293.15
    name: str = "halbach"
    #: minimum gap between magnets and the holder's walls; every design check and optimiser obeys it
    build: BuildRules = field(default_factory=BuildRules)

    def __post_init__(self) -> None:
        self.rings = list(self.rings)
        self.shims = list(self.shims)
        self.holder = _holder(self.holder)
        if not self.rings and not self.shims:
            raise ValueError("a design needs at least one ring or shim magnet")

    @property
    def n_magnets(self) -> int:
        return sum(r.n for r in self.rings) + len(self.shims)

    @property
    def mass(self) -> float:
        """Magnet mass in kg (holder excluded)."""
        return sum(r.n * r.shape.volume * r.material.density for r in self.rings) + sum(
            s.shape.volume * s.material.density for s in self.shims)

    def replace_ring(self, index: int, **changes: float) -> "HalbachDesign":
        rings = list(self.rings)
        rings[index] = replace(rings[index], **changes)
        return replace(self, rings=rings)

    def clearance_problems(self, limit: int = 10) -> list[str]:
        """Every pair of magnets (rings and shims) closer than ``build.min_gap`` (or overlapping)
        and every magnet outside the holder's walls, by the exact tests of
        :mod:`magnets.clearance`; at most ``limit`` messages plus a count of the rest."""
        arr = self.layout()
        s, gap = arr.solids(), self.build.min_gap
        i, j, c = close_pairs(s, gap)
        bad = c < gap - TOLERANCE
        names = arr.labels()
        found = []
        same = bad & (arr.groups[i] == arr.groups[j]) & (arr.groups[i] < len(self.rings))
        for g in np.unique(arr.groups[i[same]]):  # one message per ring that is too small
            ring, worst = self.rings[g], c[same & (arr.groups[i] == g)].min()
            found.append(f"ring{g}: {np.sum(same & (arr.groups[i] == g))} pairs of its magnets "
                         + (f"overlap (by up to {-worst * 1e3:.4g} mm)" if worst < 0 else
                            f"are only {worst * 1e3:.4g} mm apart (min_gap {gap * 1e3:.4g} mm)")
                         + f" at radius {ring.radius * 1e3:.5g} mm; use radius >= {ring.min_radius(gap) * 1e3:.5g} mm")
        bad &= ~same
        for a, b, d in sorted(zip(i[bad], j[bad], c[bad]), key=lambda t: t[2]):
            what = f"overlap by {-d * 1e3:.4g} mm" if d < 0 else f"are {d * 1e3:.4g} mm apart"
            found.append(f"{names[a]} and {names[b]} {what}" + (f" (min_gap {gap * 1e3:.4g} mm)" if gap > 0 else ""))
        axis = axis_clearances(s)
        for k in np.flatnonzero(axis <= 0):
            found.append(f"{names[k]} covers the axis: the bore is closed")
        for clear, wall in wall_clearances(s, self.build):
            for g in np.unique(arr.groups[clear < gap - TOLERANCE]):  # one message per ring or shim
                hit = (clear < gap - TOLERANCE) & (arr.groups == g)
                worst = clear[hit].min()
                found.append(f"{arr.group_names[g]}: {hit.sum()} magnet(s) "
                             + (f"cross the {wall} (by up to {-worst * 1e3:.4g} mm)" if worst < 0 else
                                f"come within {worst * 1e3:.4g} mm of the {wall} (min_gap {gap * 1e3:.4g} mm)"))
        if len(found) > limit:
            found = found[:limit] + [f"... and {len(found) - limit} more clearance problems"]
        return found

    def overlap_problems(self) -> list[str]:
        """Alias of :meth:`clearance_problems` (the design checker's name)."""
        return self.clearance_problems()

    def min_clearance(self, within: float = 0.01) -> float:
        """Smallest signed clearance (m) between two magnets (negative: overlap); inf when no
        two magnets come within ``within`` (m) of each other."""
        _, _, c = close_pairs(self.layout().solids(), 0.0, report=within)
        return float(c.min()) if len(c) else math.inf

    def clearance_violation(self) -> float:
        """How far (m, summed) the design is from buildable: sum of (min_gap - clearance) over
        every pair and wall that breaks the rule; 0 when buildable (optimiser penalty)."""
        s, gap = self.layout().solids(), self.build.min_gap
        _, _, c = close_pairs(s, gap)
        total = float(np.sum(np.maximum(gap - c, 0.0)))
        total += float(np.sum(np.maximum(-axis_clearances(s), 0.0)))
        for clear, _ in wall_clearances(s, self.build):
            total += float(np.sum(np.maximum(gap - clear, 0.0)))
        return total

    def free_radius(self) -> tuple[float, str]:
        """Radius (m) of the largest sphere about the centre that no magnet's bounding volume enters,
        and which part limits it. A ring's bound is its annulus (radius -+ the in-plane
        half-diagonal, z -+ half the height); a shim's is a sphere of its half-diagonal."""
        best, who = math.inf, "nothing"
        for i, r in enumerate(self.rings):
            d = math.hypot(max(r.radius - r.shape.half_diagonal_xy, 0.0), max(abs(r.z) - r.height / 2, 0.0))
            if d < best:
                best, who = d, f"ring {i}"
        for j, s in enumerate(self.shims):
            half = math.hypot(s.shape.half_diagonal_xy, _z_extent(s.shape) / 2)
            d = max(float(np.linalg.norm(s.position)) - half, 0.0)
            if d < best:
                best, who = d, f"shim {j}"
        return best, who

    def dsv_problem(self, dsv: float) -> str:
        """Why a DSV of diameter ``dsv`` (m) cannot be used on this design ('' if it can)."""
        if not (dsv > 0 and math.isfinite(dsv)):
            return f"DSV diameter {dsv!r} m must be > 0 (e.g. 10 mm)"
        free, who = self.free_radius()
        if dsv / 2 > free:
            return (f"DSV diameter {dsv * 1e3:.4g} mm does not fit in the bore: {who} comes within "
                    f"{free * 1e3:.4g} mm of the centre, so the DSV diameter must be <= {2 * free * 1e3:.4g} mm")
        return ""

    def layout(self, temperature: float | None = None, *, expansion: bool = True) -> MagnetArray:
        """All magnets at ``temperature`` (K; default the reference temperature): remanence from
        each material's B_r(T), positions scaled by the holder's expansion and magnet sizes by
        the magnets' own (``expansion=False`` keeps sizes and positions as at the reference)."""
        t = self.reference_temperature if temperature is None else float(temperature)
        grow = 1.0 + self.holder.cte * (t - self.reference_temperature) * expansion
        parts = []
        for i, ring in enumerate(self.rings):
            th, al = ring.azimuths(), ring.orientations()
            pos = np.column_stack([ring.radius * np.cos(th), ring.radius * np.sin(th), np.full(ring.n, ring.z)])
            rot = rotation_z(al)
            parts.append(self._part(pos * grow, rot, ring.shape, ring.material, t, f"ring{i}", expansion))
        for j, shim in enumerate(self.shims):
            pos = np.asarray(shim.position, float)[None, :]
            parts.append(self._part(pos * grow, rotation_to(shim.direction)[None], shim.shape, shim.material,
                                    t, f"shim{j}", expansion))
        return MagnetArray.concatenate(parts)

    def _part(self, pos: np.ndarray, rot: np.ndarray, shape: Shape, mat: Material, t: float,
              name: str, expansion: bool) -> MagnetArray:
        m = len(pos)
        dims, kind = _shape_row(shape)
        scale = 1.0 + mat.cte * (t - self.reference_temperature) * expansion
        return MagnetArray(pos, rot, np.full(m, mat.remanence(t)), np.full(m, shape.volume * scale**3),
                           np.tile(np.asarray(dims) * scale, (m, 1)), np.full(m, kind),
                           np.zeros(m, int), [name], np.full(m, mat.density))


def stack(template: Ring, count: int, spacing: float, z_centre: float = 0.0) -> list[Ring]:
    """``count`` copies of ``template`` whose centres are ``spacing`` apart in z, centred on z_centre."""
    if count < 1:
        raise ValueError(f"stack count {count} must be >= 1")
    if count > 1 and spacing < template.height * (1 - 1e-9):
        raise ValueError(f"stack spacing {spacing * 1e3:.4g} mm is less than the magnet height "
                         f"{template.height * 1e3:.4g} mm: rings would overlap")
    return [replace(template, z=z_centre + (i - (count - 1) / 2) * spacing) for i in range(count)]


def nested(template: Ring, radii: Sequence[float], counts: Sequence[int] | None = None) -> list[Ring]:
    """Concentric rings in one plane (radial layers of a thick Halbach cylinder)."""
    counts = counts or [template.n] * len(radii)
    return [replace(template, radius=r, n=n) for r, n in zip(radii, counts)]
