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
