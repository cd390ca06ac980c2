"""Exact clearance between magnets: rotated boxes and cylinders, and the holder's walls.

A magnet is a convex solid: a box (half-extents along its body axes) or a cylinder (radius,
half-height, axis). The *signed clearance* of two solids is their distance when apart and minus
their penetration depth when they overlap, so "buildable with a minimum gap g" is simply
clearance >= g for every pair.

- Box-box: the separating axis theorem (Gottschalk, Lin & Manocha, "OBBTree", SIGGRAPH 1996;
  15 axes: 3 + 3 face normals and 9 edge cross products) decides overlap exactly and gives the
  penetration depth; when apart, the distance is the smallest of the vertex-to-box and
  edge-to-edge distances (closest features of two convex polyhedra), all in closed form
  (segment-segment: Ericson, *Real-Time Collision Detection*, 2005, section 5.1.9).
- Solids that are prisms along the lab z axis (a cylinder with its axis along z against a box or
  cylinder of the same kind): a 2-D distance (circle-circle, rectangle-circle) combined with the
  gap in z, in closed form.
- Anything else (tilted cylinders): the Gilbert-Johnson-Keerthi distance algorithm (IEEE J.
  Robotics Autom. 4 (1988) 193) on support functions, converged to 1e-12 m.

Pure geometry on arrays; imports nothing else of ours.
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np

BOX, CYL_DIAMETRIC, CYL_AXIAL = 0, 1, 2
#: Verdict tolerance (m): clearances this close to the required gap count as meeting it.
TOLERANCE = 1e-9
_GJK_OVERLAP = -1e-9


@dataclass(frozen=True)
class Solids:
    """M convex solids in the lab frame (SI). ``rotations`` map body to lab; body x is the
    magnetisation. ``dims``: box (a, b, c) full edges; cylinder (diameter, height, 0) with its
    axis along body z (kind 1, diametric) or body x (kind 2, axial)."""

    centres: np.ndarray  # (M, 3)
    rotations: np.ndarray  # (M, 3, 3)
    kinds: np.ndarray  # (M,)
    dims: np.ndarray  # (M, 3)

    def __len__(self) -> int:
        return len(self.kinds)

    def bounding_radii(self) -> np.ndarray:
        d = self.dims
        return np.where(self.kinds == BOX, 0.5 * np.linalg.norm(d, axis=1), 0.5 * np.hypot(d[:, 0], d[:, 1]))

    def axes(self) -> np.ndarray:
        """Unit cylinder axes (lab); for boxes body z (unused)."""
        return np.where((self.kinds == CYL_AXIAL)[:, None], self.rotations[:, :, 0], self.rotations[:, :, 2])

    def z_prism(self) -> np.ndarray:
        """True where the solid is a prism along lab z (its cross-section does not depend on z)."""
        return np.abs(self.axes()[:, 2]) > 1 - 1e-12


# ---------------------------------------------------------------------------------- box-box

def _box_sat(ca, ra, ha, cb, rb, hb) -> np.ndarray:
    """Largest separation over the 15 SAT axes, per pair (K,). < 0: overlap, and then minus the
    penetration depth; >= 0: apart by at least this much."""
    d = cb - ca
    axes = [ra[:, :, i] for i in range(3)] + [rb[:, :, i] for i in range(3)]
    axes += [np.cross(ra[:, :, i], rb[:, :, j]) for i in range(3) for j in range(3)]
    best = np.full(len(ca), -np.inf)
    for ax in axes:
        n = np.linalg.norm(ax, axis=1)
        ok = n > 1e-9
        u = ax / np.where(ok, n, 1.0)[:, None]
        proj_a = np.sum(ha * np.abs(np.einsum("kji,kj->ki", ra, u)), axis=1)
        proj_b = np.sum(hb * np.abs(np.einsum("kji,kj->ki", rb, u)), axis=1)
        sep = np.abs(np.einsum("ki,ki->k", d, u)) - proj_a - proj_b
        best = np.where(ok, np.maximum(best, sep), best)
    return best


_CORNERS = np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)], float)
_EDGES = [(i, j) for i, j in combinations(range(8), 2) if np.sum(_CORNERS[i] != _CORNERS[j]) == 1]


def _vertices(c, r, h) -> np.ndarray:
    return c[:, None, :] + np.einsum("kij,kvj->kvi", r, _CORNERS[None] * h[:, None, :])


def _point_box(p, c, r, h) -> np.ndarray:
    """Distance of points p (K, V, 3) to boxes (K,) (0 inside)."""
    local = np.einsum("kji,kvj->kvi", r, p - c[:, None, :])
    return np.linalg.norm(np.maximum(np.abs(local) - h[:, None, :], 0.0), axis=2)


def _segment_segment(p1, q1, p2, q2) -> np.ndarray:
    """Closest distance of segments p1q1 and p2q2 (arrays (..., 3)); Ericson 2005, 5.1.9."""
    d1, d2, r = q1 - p1, q2 - p2, p1 - p2
    a = np.sum(d1 * d1, -1)
    e = np.sum(d2 * d2, -1)
    f = np.sum(d2 * r, -1)
    c = np.sum(d1 * r, -1)
    b = np.sum(d1 * d2, -1)
    denom = a * e - b * b
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.where(denom > 1e-14 * a * e, np.clip((b * f - c * e) / denom, 0, 1), 0.0)
        t = (b * s + f) / e
        s = np.where(t < 0, np.clip(-c / a, 0, 1), np.where(t > 1, np.clip((b - c) / a, 0, 1), s))
    t = np.clip(t, 0, 1)
    return np.linalg.norm(p1 + d1 * s[..., None] - p2 - d2 * t[..., None], axis=-1)


def box_box(ca, ra, ha, cb, rb, hb, upto: float = np.inf) -> np.ndarray:
    """Signed clearance of box pairs (K,): distance if apart, -penetration depth if overlapping.
    Boxes: centres (K, 3), rotations (K, 3, 3), half-extents (K, 3). Pairs whose SAT separation
    is already >= ``upto`` get that separation (a lower bound of their distance) instead."""
    sat = _box_sat(ca, ra, ha, cb, rb, hb)
    out = sat.copy()
    apart = (sat >= 0) & (sat < upto)
    if np.any(apart):
        idx = np.flatnonzero(apart)
        va, vb = _vertices(ca[idx], ra[idx], ha[idx]), _vertices(cb[idx], rb[idx], hb[idx])
        dist = np.minimum(_point_box(va, cb[idx], rb[idx], hb[idx]).min(1), _point_box(vb, ca[idx], ra[idx], ha[idx]).min(1))
        e0, e1 = np.array([e[0] for e in _EDGES]), np.array([e[1] for e in _EDGES])
        pa, qa = va[:, e0][:, :, None, :], va[:, e1][:, :, None, :]
        pb, qb = vb[:, e0][:, None, :, :], vb[:, e1][:, None, :, :]
        dist = np.minimum(dist, _segment_segment(pa, qa, pb, qb).reshape(len(idx), -1).min(1))
        out[idx] = dist
    return out


# ------------------------------------------------------------------------- prisms along z

def _prism_2d(s: Solids, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Signed 2-D clearance in the xy plane of prism pairs where at least one is a cylinder."""
    out = np.empty(len(i))
    ci, cj = s.centres[i, :2], s.centres[j, :2]
    cyl_i, cyl_j = s.kinds[i] != BOX, s.kinds[j] != BOX
    both = cyl_i & cyl_j
    out[both] = np.linalg.norm(ci[both] - cj[both], axis=1) - 0.5 * (s.dims[i[both], 0] + s.dims[j[both], 0])
    one = ~both
    # make 'a' the box and 'b' the cylinder
    box = np.where(cyl_i, j, i)[one]
    cyl = np.where(cyl_i, i, j)[one]
    local = np.einsum("kji,kj->ki", s.rotations[box][:, :2, :2], s.centres[cyl, :2] - s.centres[box, :2])
    half = 0.5 * s.dims[box][:, :2]
    excess = np.abs(local) - half
    outside = np.linalg.norm(np.maximum(excess, 0), axis=1)
    inside = np.minimum(np.max(excess, axis=1), 0.0)  # <= 0: minus the depth of the centre
    out[one] = outside + inside - 0.5 * s.dims[cyl, 0]
    return out


def _half_height_z(s: Solids, i: np.ndarray) -> np.ndarray:
    rz = np.abs(s.rotations[i][:, 2, :])  # |lab z . body axes|
    box = 0.5 * np.sum(rz * s.dims[i], axis=1)
    cyl = 0.5 * s.dims[i, 1] * np.abs(s.axes()[i, 2]) + 0.5 * s.dims[i, 0] * np.sqrt(
        np.clip(1 - s.axes()[i, 2] ** 2, 0, 1))
    return np.where(s.kinds[i] == BOX, box, cyl)


def _combine(s2: np.ndarray, sz: np.ndarray) -> np.ndarray:
    """Signed clearance of two prisms from their xy and z clearances (Minkowski difference of
    prisms is a prism)."""
    return np.where((s2 > 0) & (sz > 0), np.hypot(s2, sz), np.maximum(s2, sz))


# --------------------------------------------------------------------------------- GJK

def _support(s: Solids, k: int, d: np.ndarray) -> np.ndarray:
    c, r, dims = s.centres[k], s.rotations[k], s.dims[k]
    if s.kinds[k] == BOX:
        return c + r @ (0.5 * dims * np.where(r.T @ d >= 0, 1.0, -1.0))
    a = s.axes()[k]
    ad = a @ d
    perp = d - ad * a
    n = np.linalg.norm(perp)
    # within 1e-9 rad of the axis any rim point is as good (support error < 1e-9 r); below that
    # the rounding of perp would tilt the rim out of the face
    rim = 0.5 * dims[0] * perp / n if n > 1e-9 * np.linalg.norm(d) else 0.0
    return c + (0.5 * dims[1] if ad >= 0 else -0.5 * dims[1]) * a + rim


def _closest_on_simplex(pts: list[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Point of the convex hull of <= 4 points nearest the origin, and the smallest subset whose
    hull holds it (enumerating faces; exact for these sizes)."""
    best, best_set = None, None
    for size in range(1, len(pts) + 1):
        for sub in combinations(range(len(pts)), size):
            p = np.array([pts[q] for q in sub])
            if size == 1:
                lam, v = np.ones(1), p[0]
            else:
                e = p[1:] - p[0]
                g = e @ e.T
                if abs(np.linalg.det(g)) <= 1e-12 * max(np.trace(g), 1e-300) ** (size - 1):
                    continue  # degenerate face: its hull is covered by its sub-faces
                mu = np.linalg.solve(g, -e @ p[0])
                lam = np.concatenate([[1 - mu.sum()], mu])
                if np.any(lam < -1e-12):
                    continue
                v = p[0] + mu @ e
            if best is None or v @ v < best @ best - 1e-30:
                best, best_set = v, [pts[q] for q in sub]
    return best, best_set


def gjk_distance(s: Solids, a: int, b: int, max_iter: int = 200) -> float:
    """Distance between solids a and b (0 if they intersect) by GJK on support functions, to
    1e-11 m (curved surfaces converge linearly: a tighter bound costs many iterations)."""
    v = s.centres[a] - s.centres[b]
    if v @ v == 0:
        v = np.array([1.0, 0, 0])
    simplex: list[np.ndarray] = []
    scale = float(np.max(s.dims[[a, b]]))
    for _ in range(max_iter):
        w = _support(s, a, -v) - _support(s, b, v)
        vv = v @ v
        if vv - v @ w <= 2e-11 * np.sqrt(vv) + (1e-12 * scale) ** 2:  # |v| - distance <= 1e-11 m
            return float(np.sqrt(vv))
        simplex.append(w)
        v, simplex = _closest_on_simplex(simplex)
        if v @ v < (1e-12 * scale) ** 2 or len(simplex) == 4:
            return 0.0
    return float(np.linalg.norm(v))


# ------------------------------------------------------------------------- all pairs

def pair_clearance(s: Solids, i: np.ndarray, j: np.ndarray, upto: float = np.inf) -> np.ndarray:
    """Signed clearance (m) of solid pairs (i[k], j[k]): distance apart, or minus the
    penetration depth (for two tilted cylinders that overlap, a small negative number).
    Exact below ``upto``; box pairs further apart may get a lower bound >= ``upto``."""
    i, j = np.asarray(i, int), np.asarray(j, int)
    out = np.empty(len(i))
    boxes = (s.kinds[i] == BOX) & (s.kinds[j] == BOX)
    if np.any(boxes):
        bi, bj = i[boxes], j[boxes]
        out[boxes] = box_box(s.centres[bi], s.rotations[bi], 0.5 * s.dims[bi], s.centres[bj], s.rotations[bj],
                             0.5 * s.dims[bj], upto)
    prism = s.z_prism()
    pz = ~boxes & prism[i] & prism[j]
    if np.any(pz):
        pi_, pj = i[pz], j[pz]
        sz = np.abs(s.centres[pi_, 2] - s.centres[pj, 2]) - _half_height_z(s, pi_) - _half_height_z(s, pj)
        out[pz] = _combine(_prism_2d(s, pi_, pj), sz)
    for k in np.flatnonzero(~boxes & ~pz):
        d = gjk_distance(s, i[k], j[k])
        out[k] = d if d > 0 else _GJK_OVERLAP
    return out


def candidate_pairs(s: Solids, reach: float) -> tuple[np.ndarray, np.ndarray]:
    """Pairs whose bounding spheres come within ``reach`` (m) of each other."""
    from scipy.spatial import cKDTree
    if len(s) < 2:
        return np.zeros(0, int), np.zeros(0, int)
    rad = s.bounding_radii()
    pairs = cKDTree(s.centres).query_pairs(2 * rad.max() + reach, output_type="ndarray")
    if len(pairs) == 0:
        return np.zeros(0, int), np.zeros(0, int)
    i, j = pairs[:, 0], pairs[:, 1]
    near = np.linalg.norm(s.centres[i] - s.centres[j], axis=1) <= rad[i] + rad[j] + reach
    return i[near], j[near]


def close_pairs(s: Solids, min_gap: float, report: float = 0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(i, j, clearance) for every pair closer than max(min_gap, report) + TOLERANCE."""
    reach = max(min_gap, report) + TOLERANCE
    i, j = candidate_pairs(s, reach)
    c = pair_clearance(s, i, j, reach) if len(i) else np.zeros(0)
    keep = c < reach
    return i[keep], j[keep], c[keep]


# ----------------------------------------------------------------------------- walls

@dataclass(frozen=True)
class BuildRules:
    """What a buildable design must keep (m; None = no such wall): ``min_gap`` between any two
    magnets and between a magnet and a wall (glue, holder webs, tolerances); a clear bore of
    radius ``bore_radius`` about the z axis; magnets inside ``outer_radius`` and within
    |z| <= ``half_length``."""

    min_gap: float = 0.0
    bore_radius: float | None = None
    outer_radius: float | None = None
    half_length: float | None = None

    def __post_init__(self) -> None:
        if not (self.min_gap >= 0 and np.isfinite(self.min_gap)):
            raise ValueError(f"min_gap {self.min_gap!r} m must be >= 0")
        for name in ("bore_radius", "outer_radius", "half_length"):
            v = getattr(self, name)
            if v is not None and not (v > 0 and np.isfinite(v)):
                raise ValueError(f"{name} {v!r} m must be > 0")
        if self.bore_radius is not None and self.outer_radius is not None and self.outer_radius <= self.bore_radius:
            raise ValueError(f"outer radius {self.outer_radius * 1e3:.4g} mm must exceed the bore radius "
                             f"{self.bore_radius * 1e3:.4g} mm")


def _radial_min_prisms(s: Solids, k: np.ndarray) -> np.ndarray:
    """Signed distance from the z axis of prisms along z (negative: the axis passes through)."""
    c = s.centres[k]
    local = np.einsum("kji,kj->ki", s.rotations[k][:, :2, :2], -c[:, :2])
    excess = np.abs(local) - 0.5 * s.dims[k][:, :2]
    box = np.linalg.norm(np.maximum(excess, 0), axis=1) + np.minimum(np.max(excess, axis=1), 0.0)
    cyl = np.hypot(c[:, 0], c[:, 1]) - 0.5 * s.dims[k, 0]
    return np.where(s.kinds[k] == BOX, box, cyl)


def _radial_min_general(s: Solids, k: int) -> float:
    """Distance of solid k from the z axis by GJK against a long thin box on the axis."""
    c = s.centres[k]
    far = 10 * (np.abs(c).max() + s.bounding_radii()[k])
    pair = Solids(np.array([c, [0.0, 0.0, c[2]]]), np.array([s.rotations[k], np.eye(3)]),
                  np.array([s.kinds[k], BOX]), np.array([s.dims[k], [1e-15, 1e-15, 2 * far]]))
    d = gjk_distance(pair, 0, 1)
    return d if d > 0 else _GJK_OVERLAP


def axis_clearances(s: Solids) -> np.ndarray:
    """Signed distance of every solid from the z axis (m)."""
    out = np.empty(len(s))
    prism = s.z_prism()
    out[prism] = _radial_min_prisms(s, np.flatnonzero(prism))
    for k in np.flatnonzero(~prism):
        out[k] = _radial_min_general(s, k)
    return out


def _radial_max(s: Solids, k: int) -> float:
    c = s.centres[k]
    a = s.axes()[k]
    if abs(a[2]) > 1 - 1e-12:
        return float(np.hypot(c[0], c[1]) + 0.5 * s.dims[k, 0])
    u = np.cross(a, [1.0, 0, 0] if abs(a[0]) < 0.9 else [0, 1.0, 0])
    u /= np.linalg.norm(u)
    w = np.cross(a, u)
    phi = np.linspace(0, 2 * np.pi, 4097)
    rim = 0.5 * s.dims[k, 0] * (np.cos(phi)[:, None] * u + np.sin(phi)[:, None] * w)
    pts = np.vstack([c + rim + 0.5 * s.dims[k, 1] * a, c + rim - 0.5 * s.dims[k, 1] * a])
    return float(np.hypot(pts[:, 0], pts[:, 1]).max())


def radial_extents(s: Solids) -> np.ndarray:
    """Largest distance of every solid from the z axis (m): box corners exactly; cylinder rims
    exactly when upright, else sampled every 0.09 degrees (error < 1e-6 of the radius)."""
    out = np.empty(len(s))
    box = s.kinds == BOX
    if np.any(box):
        b = np.flatnonzero(box)
        v = _vertices(s.centres[b], s.rotations[b], 0.5 * s.dims[b])
        out[b] = np.hypot(v[..., 0], v[..., 1]).max(axis=1)
    for k in np.flatnonzero(~box):
        out[k] = _radial_max(s, k)
    return out


def wall_clearances(s: Solids, rules: BuildRules) -> list[tuple[np.ndarray, str]]:
    """(signed clearance of every magnet, wall name) for every wall that is set."""
    out = []
    if rules.bore_radius is not None:
        out.append((axis_clearances(s) - rules.bore_radius, "bore"))
    if rules.outer_radius is not None:
        out.append((rules.outer_radius - radial_extents(s), "outer wall"))
    if rules.half_length is not None:
        out.append((rules.half_length - np.abs(s.centres[:, 2]) - _half_height_z(s, np.arange(len(s))), "end wall"))
    return out
