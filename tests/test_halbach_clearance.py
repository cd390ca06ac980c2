"""Buildable geometry: exact clearance of turned magnets.

The references here are independent of magnets.clearance: ring bounds come from 2-D polygon
clipping (Sutherland-Hodgman intersection area) and vertex-edge distances of the magnets'
footprints, box distances from scipy's bounded least squares, cylinder distances from a
constrained minimisation. The issue's numbers: 16 x 12 mm cubes need r >= ~37.9 mm (not
30.75 mm), 44 need ~117.8 mm (not 84.1 mm).
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import lsq_linear, minimize
from scipy.spatial.transform import Rotation

from magnets.clearance import BuildRules, Solids, pair_clearance
from magnets.design import Cuboid, Cylinder, HalbachDesign, Ring, ShimMagnet, stack
from magnets.design_io import DesignFileError, load_design
from magnets.optimise import homogenise


# ------------------------------------------------------------- independent 2-D reference

def footprint(ring: Ring, radius: float, j: int) -> np.ndarray:
    """Corners (counter-clockwise) of magnet j's rectangle in the xy plane."""
    a, b = ring.shape.size[0] / 2, ring.shape.size[1] / 2
    th = ring.theta0 + 2 * math.pi * j / ring.n
    al = (ring.k + 1) * th + ring.phase
    c, s = math.cos(al), math.sin(al)
    local = np.array([[-a, -b], [a, -b], [a, b], [-a, b]])
    return radius * np.array([math.cos(th), math.sin(th)]) + local @ np.array([[c, s], [-s, c]])


def clip_area(p: np.ndarray, q: np.ndarray) -> float:
    """Area of the intersection of convex polygons p and q (Sutherland-Hodgman, shoelace)."""
    out = list(p)
    for k in range(len(q)):
        e0, e1 = q[k], q[(k + 1) % len(q)]
        inside = lambda x: (e1[0] - e0[0]) * (x[1] - e0[1]) - (e1[1] - e0[1]) * (x[0] - e0[0]) >= 0  # noqa: E731
        pts, out = out, []
        for i in range(len(pts)):
            cur, prev = pts[i], pts[i - 1]
            if inside(cur):
                if not inside(prev):
                    out.append(_cross(prev, cur, e0, e1))
                out.append(cur)
            elif inside(prev):
                out.append(_cross(prev, cur, e0, e1))
        if not out:
            return 0.0
    x, y = np.array(out).T
    return 0.5 * abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


def _cross(p1, p2, e0, e1):
    d, e = p2 - p1, e1 - e0
    den = d[0] * e[1] - d[1] * e[0]
    if den == 0:  # the side runs along the clipping line: its end is on it
        return p2
    t = ((e0[0] - p1[0]) * e[1] - (e0[1] - p1[1]) * e[0]) / den
    return p1 + t * d


def polygon_gap(p: np.ndarray, q: np.ndarray) -> float:
    """Distance of two disjoint convex polygons: the smallest vertex-to-edge distance."""
    def point_seg(x, a, b):
        t = np.clip(np.dot(x - a, b - a) / np.dot(b - a, b - a), 0, 1)
        return np.linalg.norm(x - a - t * (b - a))
    return min(min(point_seg(x, b[k], b[(k + 1) % 4]) for x in a for k in range(4)) for a, b in ((p, q), (q, p)))


def reference_bound(ring: Ring, gap: float = 0.0) -> float:
    """Smallest radius where no two footprints (neighbours and next-neighbours) intersect
    (gap 0: intersection area <= 1e-18 m^2, i.e. depth below ~1 nm) or come closer than gap."""
    def ok(r):
        for j in range(ring.n):
            for step in (1, 2):
                p, q = footprint(ring, r, j), footprint(ring, r, (j + step) % ring.n)
                if clip_area(p, q) > 1e-18 or (gap > 0 and polygon_gap(p, q) < gap):
                    return False
        return True
    lo, hi = 0.5 * ring.shape.size[0] / math.sin(math.pi / ring.n), 2.0
    while hi - lo > 1e-10:
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if ok(mid) else (mid, hi)
    return hi


CUBE12 = Cuboid.cube(0.012)
CASES = [
    (16, CUBE12, 1, 0.0, 0.0),  # the issue's ring: ~37.9 mm
    (44, CUBE12, 1, 0.0, 0.0),  # ~117.8 mm
    (12, Cuboid((0.010, 0.006, 0.02)), 1, 0.3, 0.0),  # bars, turned ring
    (8, Cuboid.cube(0.01), 2, 0.0, 0.7),  # quadrupole, rotated phase
    (20, Cuboid((0.005, 0.015, 0.01)), 1, 0.1, 1.0),
]


@pytest.mark.parametrize("n, shape, k, theta0, phase", CASES)
def test_ring_minimum_radius_is_the_exact_bound(n, shape, k, theta0, phase):
    ring = Ring(n, 1.0, shape, k=k, theta0=theta0, phase=phase)
    exact = reference_bound(ring)
    assert ring.min_radius() == pytest.approx(exact, rel=2e-7, abs=2e-9)
    # accepted just above, refused just below: the Ring itself and the design checker
    Ring(n, exact * (1 + 1e-5), shape, k=k, theta0=theta0, phase=phase)
    with pytest.raises(ValueError, match="magnets overlap; use radius >="):
        Ring(n, exact * (1 - 1e-5), shape, k=k, theta0=theta0, phase=phase)
    ok = HalbachDesign([Ring(n, exact * (1 + 1e-5), shape, k=k, theta0=theta0, phase=phase)])
    assert ok.clearance_problems() == []


def test_issue_numbers_and_the_old_bound():
    assert Ring(16, 1.0, CUBE12).min_radius() * 1e3 == pytest.approx(37.85, abs=0.01)
    assert Ring(44, 1.0, CUBE12).min_radius() * 1e3 == pytest.approx(117.73, abs=0.01)
    with pytest.raises(ValueError, match="overlap"):  # the 16-cube ring at 31 mm the issue saw accepted
        Ring(16, 0.031, CUBE12)


@pytest.mark.parametrize("n, shape, k, theta0, phase", CASES[:3])
def test_ring_bound_with_a_minimum_gap(n, shape, k, theta0, phase):
    ring = Ring(n, 1.0, shape, k=k, theta0=theta0, phase=phase)
    gap = 0.5e-3
    exact = reference_bound(ring, gap)
    assert ring.min_radius(gap) == pytest.approx(exact, rel=2e-7)
    rules = BuildRules(min_gap=gap)
    at = lambda r: HalbachDesign([Ring(n, r, shape, k=k, theta0=theta0, phase=phase)], build=rules)  # noqa: E731
    assert at(exact * (1 + 1e-5)).clearance_problems() == []
    assert "min_gap 0.5 mm" in at(exact * (1 - 1e-5)).clearance_problems()[0]


def test_cylinder_ring_bound_is_the_chord():
    """Upright cylinders touch when the chord 2 r sin(pi/n) equals the diameter (+ gap)."""
    for n, d, gap in ((16, 0.010, 0.0), (9, 0.008, 0.3e-3)):
        assert Ring(n, 1.0, Cylinder(d, 0.01)).min_radius(gap) == pytest.approx((d + gap) / (2 * math.sin(math.pi / n)),
                                                                                rel=1e-9)


def random_solids(rng, m, kinds):
    rot = Rotation.random(m, random_state=rng.integers(1 << 30)).as_matrix()
    dims = rng.uniform(0.003, 0.012, (m, 3))
    dims[kinds != 0, 2] = 0
    return Solids(rng.normal(size=(m, 3)) * 0.008, rot, kinds, dims)


def test_box_distances_match_bounded_least_squares():
    """Distance of rotated boxes = min |cA + RA u - cB - RB v| over |u| <= hA, |v| <= hB:
    scipy's bounded least squares solves that independently."""
    rng = np.random.default_rng(3)
    s = random_solids(rng, 120, np.zeros(120, int))
    i, j = np.arange(60), np.arange(60, 120)
    ours = pair_clearance(s, i, j)
    for k in range(60):
        a, b = i[k], j[k]
        h = np.concatenate([s.dims[a], s.dims[b]]) / 2
        res = lsq_linear(np.hstack([s.rotations[a], -s.rotations[b]]), s.centres[b] - s.centres[a], bounds=(-h, h),
                         tol=1e-14, method="bvls")
        ref = np.linalg.norm(res.fun)
        if ref > 1e-9:
            assert ours[k] == pytest.approx(ref, abs=1e-10)
        else:
            assert ours[k] < 1e-9
    assert np.any(ours < 0) and np.any(ours > 0)


@pytest.mark.slow
def test_cylinder_distances_match_a_constrained_minimisation():
    rng = np.random.default_rng(5)
    kinds = np.array([1, 2, 0, 1, 2, 1] * 5)
    s = random_solids(rng, 30, kinds)
    s = Solids(s.centres * 2.5, s.rotations, s.kinds, s.dims)  # mostly apart
    i, j = np.arange(0, 30, 2), np.arange(1, 30, 2)
    ours = pair_clearance(s, i, j)

    def point(k, x):  # x: 3 body coordinates, kept inside by constraints
        return s.centres[k] + s.rotations[k] @ x

    checked = 0
    for n, (a, b) in enumerate(zip(i, j)):
        cons = []
        for off, k in ((0, a), (3, b)):
            d = s.dims[k]
            if s.kinds[k] == 0:
                cons += [{"type": "ineq", "fun": lambda x, o=off, q=q, h=d[q] / 2: h - abs(x[o + q])} for q in range(3)]
            else:
                ax, rad = (2, (0, 1)) if s.kinds[k] == 1 else (0, (1, 2))
                cons.append({"type": "ineq", "fun": lambda x, o=off, ax=ax, h=d[1] / 2: h - abs(x[o + ax])})
                cons.append({"type": "ineq", "fun": lambda x, o=off, rad=rad, r=d[0] / 2:
                             r * r - x[o + rad[0]] ** 2 - x[o + rad[1]] ** 2})
        f = lambda x: np.sum((point(a, x[:3]) - point(b, x[3:])) ** 2)  # noqa: E731
        best = min((minimize(f, x0, constraints=cons, method="SLSQP", options={"ftol": 1e-16, "maxiter": 500})
                    for x0 in (np.zeros(6), rng.normal(size=6) * 1e-3)), key=lambda r: r.fun)
        ref = math.sqrt(max(best.fun, 0))
        if ref > 1e-6:
            assert ours[n] == pytest.approx(ref, abs=2e-8)
            checked += 1
        elif ref < 1e-9:
            assert ours[n] < 1e-7
    assert checked >= 8


def test_shims_inside_ring_magnets_and_walls_are_refused(tmp_path):
    path = tmp_path / "shim.toml"
    path.write_text("""
[[ring]]
n = 16
radius = "45 mm"
magnet = { shape = "cube", size = "12 mm" }
[[shim]]
position = ["45 mm", 0, 0]
magnet = { shape = "cube", size = "3 mm" }
""")
    with pytest.raises(DesignFileError, match=r"ring0 magnet 0 and shim0 magnet 0 overlap by 7\.5 mm"):
        load_design(path)
    # holder walls: the turned cubes' corners reach 45 - 6 sqrt2 = 36.51 mm from the axis
    ring = [Ring(16, 0.045, CUBE12)]
    inner = 0.045 - 0.006 * math.sqrt(2)
    assert HalbachDesign(ring, build=BuildRules(bore_radius=inner - 1e-6)).clearance_problems() == []
    assert "cross the bore" in HalbachDesign(ring, build=BuildRules(bore_radius=inner + 1e-6)).clearance_problems()[0]
    outer = 0.045 + 0.006 * math.sqrt(2)
    assert HalbachDesign(ring, build=BuildRules(outer_radius=outer + 1e-6)).clearance_problems() == []
    assert "outer wall" in HalbachDesign(ring, build=BuildRules(outer_radius=outer - 1e-6)).clearance_problems()[0]
    assert "end wall" in HalbachDesign(ring, build=BuildRules(half_length=0.0059)).clearance_problems()[0]
    tilted = ShimMagnet((0.0, 0.0, 0.03), (1, 1, 1), Cylinder(0.004, 0.01, "axial"))
    assert "covers the axis" in HalbachDesign([], [tilted]).clearance_problems()[0]


def test_design_file_build_table(tmp_path):
    path = tmp_path / "gap.toml"
    path.write_text("""
[build]
min_gap = "0.5 mm"
bore_diameter = "60 mm"
[[ring]]
n = 16
radius = "38 mm"
magnet = { shape = "cube", size = "12 mm" }
""")
    with pytest.raises(DesignFileError) as err:
        load_design(path)
    text = str(err.value)
    assert "use radius >= 39.1" in text and "cross the bore" in text
    path.write_text("[build]\nmin_gap = \"1 T\"\nwidth = 3\n[[ring]]\nn = 16\nradius = \"45 mm\"\n"
                    "magnet = { shape = \"cube\", size = \"12 mm\" }\n")
    with pytest.raises(DesignFileError) as err:
        load_design(path)
    assert "build.min_gap" in str(err.value) and "unknown key(s) ['width']" in str(err.value)


@pytest.mark.slow
def test_optimised_radii_are_always_buildable():
    """The issue's failure: --optimise put 44-cube rings at 99.7-114.9 mm. Radii now start at
    the exact bound (with the gap), and any clash scores >= 1e7 ppm."""
    ring = Ring(44, 0.125, CUBE12)
    rules = BuildRules(min_gap=0.5e-3)
    design = HalbachDesign(stack(ring, 2, 0.06) + [Ring(44, 0.13, CUBE12)], build=rules)
    r = homogenise(design, 0.04, vary=("z", "radius"), method="global", max_evaluations=300, n_points=80,
                   radius_span=0.3)
    assert r.design.clearance_problems() == []
    bound = ring.min_radius(0.5e-3)
    assert min(x.radius for x in r.design.rings) >= bound * (1 - 1e-12)


def read_dxf_entities(text: str) -> list[dict[int, list[str]]]:
    """Entities of a DXF file, read from the format's group-code pairs (code line, value line)."""
    lines = text.splitlines()
    pairs = [(int(lines[k]), lines[k + 1]) for k in range(0, len(lines) - 1, 2)]
    out, current, in_entities = [], None, False
    for code, value in pairs:
        if code == 2 and value == "ENTITIES":
            in_entities = True
        if code == 0:
            if current is not None:
                out.append(current)
            current = {0: [value]} if in_entities and value not in ("ENDSEC", "EOF") else None
        elif current is not None:
            current.setdefault(code, []).append(value)
    return out


def test_dxf_ring_layers_hold_every_magnet_outline(tmp_path):
    from magnets.dxf import write_ring_layers

    design = HalbachDesign([Ring(16, 0.045, CUBE12, z=-0.01), Ring(16, 0.045, CUBE12, z=0.01),
                            Ring(8, 0.08, Cylinder(0.01, 0.01), z=0.01)])
    paths = write_ring_layers(design, tmp_path)
    assert [p.name for p in paths] == ["layer_z-10.00mm.dxf", "layer_z+10.00mm.dxf"]
    ents = read_dxf_entities(paths[1].read_text())
    lines = [e for e in ents if e[0] == ["LINE"] and e[8] == ["MAGNETS"]]
    circles = [e for e in ents if e[0] == ["CIRCLE"]]
    assert len(lines) == 16 * 4 and len(circles) == 8
    ends = {(round(float(e[10][0]), 4), round(float(e[20][0]), 4)) for e in lines}
    for j in range(16):  # corners of cube j: centre 45 mm at theta, turned by 2 theta
        th = 2 * math.pi * j / 16
        c, s = math.cos(2 * th), math.sin(2 * th)
        for sx, sy in ((1, 1), (-1, 1), (-1, -1), (1, -1)):
            x = 45 * math.cos(th) + 6 * (sx * c - sy * s)
            y = 45 * math.sin(th) + 6 * (sx * s + sy * c)
            assert (round(x, 4), round(y, 4)) in ends
    assert all(float(e[40][0]) == pytest.approx(5.0) for e in circles)
