"""The closed-form cuboid field (magnets.cuboid_field) against independent references: magpylib's
cuboid field (a separate implementation of the same analytic result), the point dipole far away
(a cube has no quadrupole moment), Ampere's flux closure (div B = 0), and the field inside."""
from __future__ import annotations

import numpy as np
import pytest

from magnets.cuboid_field import CHUNK_PAIRS, cuboid_field_z


def _magpylib_z(p: np.ndarray, half: np.ndarray, j: np.ndarray) -> np.ndarray:
    import magpylib

    zero = np.zeros_like(j)
    return np.asarray(magpylib.func.cuboid_field("B", p, 2 * half, np.column_stack([zero, zero, j])))


@pytest.mark.parametrize("where", ["near", "inside", "far", "edge-extension"])
def test_matches_magpylib_everywhere(where):
    rng = np.random.default_rng(7)
    n = CHUNK_PAIRS + 123  # more than one block
    half = rng.uniform(0.002, 0.01, (n, 3))
    j = rng.uniform(-1.5, 1.5, n)
    if where == "near":
        p = rng.uniform(-0.03, 0.03, (n, 3))
    elif where == "inside":
        p = rng.uniform(-0.99, 0.99, (n, 3)) * half
    elif where == "far":
        q = rng.normal(size=(n, 3))
        p = q / np.linalg.norm(q, axis=1)[:, None] * rng.uniform(0.05, 0.5, n)[:, None]
    else:  # on the line continuing an edge (U = V = 0 for one corner column)
        p = np.column_stack([half[:, 0], -half[:, 1], rng.uniform(0.02, 0.1, n) * rng.choice([-1, 1], n)])
    got, ref = cuboid_field_z(p, half, j), _magpylib_z(p, half, j)
    assert np.all(np.isfinite(got))
    err = np.linalg.norm(got - ref, axis=1) / np.linalg.norm(ref, axis=1)
    assert np.max(err) < 1e-7


def test_cube_far_away_is_a_point_dipole():
    """At r = 50-200 edges a cube's field is its dipole's to 0.25 (a/r)^4 (no quadrupole)."""
    rng = np.random.default_rng(3)
    n = 2000
    a = 0.01
    q = rng.normal(size=(n, 3))
    p = q / np.linalg.norm(q, axis=1)[:, None] * rng.uniform(50 * a, 200 * a, n)[:, None]
    j = np.full(n, 1.3)
    got = cuboid_field_z(p, np.full((n, 3), a / 2), j)
    m = np.array([0.0, 0.0, 1.3 * a**3 / (4 * np.pi)])
    r = np.linalg.norm(p, axis=1)[:, None]
    dip = 3 * p * (p @ m)[:, None] / r**5 - m / r**3
    assert np.max(np.linalg.norm(got - dip, axis=1) / np.linalg.norm(dip, axis=1)) < 1e-5


def test_field_is_divergence_free_and_polarised_inside():
    """div B = 0 by central differences outside and inside; at the centre of a long bar B -> J."""
    rng = np.random.default_rng(5)
    half = np.array([0.004, 0.006, 0.008])
    h = 1e-6
    for p in np.vstack([rng.uniform(-0.02, 0.02, (50, 3)), rng.uniform(-0.9, 0.9, (50, 3)) * half]):
        if np.any(np.abs(np.abs(p) - half) < 1e-4):
            continue  # too close to a face for the difference step
        pts = np.vstack([p + h * e for e in np.eye(3)] + [p - h * e for e in np.eye(3)])
        b = cuboid_field_z(pts, np.tile(half, (6, 1)), np.ones(6))
        div = sum((b[i, i] - b[3 + i, i]) / (2 * h) for i in range(3))
        assert abs(div) < 1e-6 * np.max(np.abs(b)) / h
    bar = cuboid_field_z(np.zeros((1, 3)), np.array([[0.001, 0.001, 1.0]]), np.array([1.2]))[0]
    assert bar[2] == pytest.approx(1.2, rel=1e-5) and abs(bar[0]) < 1e-12 and abs(bar[1]) < 1e-12


# --- on the surface: faces give the limit from just off them, edges and corners 0 (magpylib's convention)

_HALF = np.array([0.005, 0.003, 0.002])
_J = 1.2


def _ours(p) -> np.ndarray:
    p = np.atleast_2d(np.asarray(p, float))
    return cuboid_field_z(p, np.tile(_HALF, (len(p), 1)), np.full(len(p), _J))


def _limit(p, normal, eps: float = 1e-9) -> np.ndarray:
    """Mean of the field just outside and just inside a face along ``normal`` (continuous parts)."""
    return 0.5 * (_ours(p + eps * normal) + _ours(p - eps * normal))


def test_pole_face_matches_magpylib_and_the_limit_from_off_the_face():
    """On z = +-c, np.sign(z - c) = 0 once made Bz = 0 at the face centre (magpylib: 0.4137 T)."""
    a, b, c = _HALF
    pts = np.array([[0, 0, c], [0.3 * a, -0.6 * b, -c], [-0.9 * a, 0.7 * b, c],
                    [2 * a, 0.5 * b, c], [-1.5 * a, -3 * b, -c]])  # the last two: the face's plane, outside it
    got = _ours(pts)
    ref = _magpylib_z(pts, np.tile(_HALF, (len(pts), 1)), np.full(len(pts), _J))
    assert got[0, 2] == pytest.approx(0.41374432, rel=1e-7)  # magpylib 6.3 at the face centre
    assert np.allclose(got, ref, rtol=1e-9, atol=1e-12)
    for p, g in zip(pts, got):  # B is continuous across a pole face (normal B, and tangential B as J is normal)
        assert np.allclose(g, _limit(p, np.array([0, 0, np.sign(p[2])])), rtol=0, atol=1e-6)


def test_side_face_is_the_limit_from_outside():
    """On x = +-a or y = +-b the tangential Bz jumps by J; the face takes the outside value (magpylib's
    choice depends on the octant), Bx and By are continuous and match magpylib."""
    a, b, c = _HALF
    pts = np.array([[a, 0.2 * b, 0.5 * c], [-0.4 * a, -b, -0.3 * c], [a, 0, 0], [-a, -0.8 * b, 0.9 * c]])
    got = _ours(pts)
    ref = _magpylib_z(pts, np.tile(_HALF, (len(pts), 1)), np.full(len(pts), _J))
    assert np.allclose(got[:, :2], ref[:, :2], rtol=1e-9, atol=1e-12)
    for p, g in zip(pts, got):
        normal = np.where(np.isclose(np.abs(p), _HALF, rtol=1e-12) & (np.arange(3) < 2), np.sign(p), 0.0)
        outside = _ours(p + 1e-10 * normal)[0]
        inside = _ours(p - 1e-10 * normal)[0]
        assert np.allclose(g, outside, rtol=0, atol=1e-6)
        assert inside[2] - outside[2] == pytest.approx(_J, abs=1e-6)


def test_edges_and_corners_give_zero_like_magpylib():
    """All 12 edges (at three points each, ends excluded) and 8 corners: B = 0 and finite, as magpylib."""
    rng = np.random.default_rng(11)
    signs = np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)], float)
    pts = [signs * _HALF]
    for axis in range(3):
        for s in signs[signs[:, axis] > 0]:
            p = np.tile(s * _HALF, (3, 1))
            p[:, axis] = rng.uniform(-0.95, 0.95, 3) * _HALF[axis]
            pts.append(p)
    pts = np.vstack(pts)
    assert len(pts) == 8 + 12 * 3
    got = _ours(pts)
    ref = _magpylib_z(pts, np.tile(_HALF, (len(pts), 1)), np.full(len(pts), _J))
    assert np.all(got == 0.0) and np.all(ref == 0.0)
    # rounding a few ulps off an edge (as a rotated frame does) stays finite as well
    near = pts * (1 + rng.choice([-1, 1], pts.shape) * 4e-16)
    assert np.all(np.isfinite(_ours(near)))


def test_plane_map_through_magnets_is_finite_and_matches_magpylib(tmp_path):
    """plot_plane_map's field (magnets.plots._map_field, exact engine) on grids that hit magnet faces,
    edges, corners and centres exactly (binary sizes and steps): finite everywhere, and magpylib's
    value at every point not on a magnet's surface (there the two conventions may differ by J)."""
    import magpylib

    from magnets.design import Cuboid, HalbachDesign, Ring
    from magnets.plots import _map_field, plot_plane_map
    from magnets.sampling import plane

    design = HalbachDesign([Ring(8, 2**-5, Cuboid.cube(2**-6))])
    arr = design.layout()
    for offset in (0.0, 2**-7):  # through the magnets' middle, and along their top faces
        pts, _, _ = plane("xy", 2**-4, 65, offset=offset)
        with np.errstate(all="raise"):  # a user's map warns about nothing, magnet centres included
            got = _map_field(pts, arr, "exact")
        assert np.all(np.isfinite(got))
        ref = np.zeros_like(pts)
        on_surface = np.zeros(len(pts), bool)
        for k in range(len(arr)):
            local = (pts - arr.positions[k]) @ arr.rotations[k]
            pol = np.tile([arr.br[k], 0.0, 0.0], (len(pts), 1))
            with np.errstate(invalid="ignore"):  # magpylib's own 0 * inf near edges
                ref += np.asarray(magpylib.func.cuboid_field("B", local, np.tile(arr.dims[k], (len(pts), 1)), pol)) \
                    @ arr.rotations[k].T
            q = np.abs(local) / (arr.dims[k] / 2)
            on_surface |= (np.abs(q.max(axis=1) - 1) < 1e-9)
        ok = ~on_surface
        assert on_surface.sum() > 50 and ok.sum() > 3000
        err = np.linalg.norm(got[ok] - ref[ok], axis=1) / np.linalg.norm(ref[ok], axis=1)
        assert np.max(err) < 1e-5
    assert plot_plane_map(design, "xy", 2**-4, 0.01, tmp_path / "map.png", engine="exact", n=65).exists()
