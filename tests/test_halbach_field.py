"""Field engines, sampling and design validation of the magnets library."""
from __future__ import annotations

import math

import numpy as np
import pytest

from magnets.constants import gamma_bar
from magnets.design import Cuboid, Cylinder, HalbachDesign, Ring, ShimMagnet, stack
from magnets.field import dipole_field, dipole_field_plain, exact_field, field, gradient_tensor
from magnets.materials import holder, material
from magnets.sampling import homogeneity, larmor, plane, sphere_surface, sphere_volume

CUBE = Cuboid.cube(0.012)
PAIR = HalbachDesign(stack(Ring(16, 0.045, CUBE, "N42"), 2, 2 * 0.045 / math.sqrt(6)))


def test_fast_kernel_equals_plain_broadcast_sum():
    pts = sphere_volume(0.02, 500, seed=4)
    fast, plain = dipole_field(pts, PAIR), dipole_field_plain(pts, PAIR)
    assert np.max(np.abs(fast - plain)) < 1e-12 * np.max(np.abs(plain))
    # chunking must not change the result
    assert np.array_equal(dipole_field(pts, PAIR, chunk_pairs=97), dipole_field(pts, PAIR, chunk_pairs=97))
    assert np.max(np.abs(dipole_field(pts, PAIR, chunk_pairs=97) - fast)) < 1e-15 * np.max(np.abs(fast)) * 10


def test_dipole_model_error_against_exact_cubes_falls_as_a_over_r_to_the_4():
    """Pointwise |B| error of point dipoles vs magpylib cubes: bounded by ~0.25 (a/r)^4 times the
    field (docs/references.md); checked for ring radii 45 and 90 mm over a 10 mm DSV."""
    pts = sphere_surface(0.005, 200)
    errs = []
    for r in (0.045, 0.09):
        d = HalbachDesign([Ring(16, r, CUBE, "N42")])
        bd, be = np.linalg.norm(dipole_field(pts, d), axis=1), np.linalg.norm(exact_field(pts, d), axis=1)
        err = np.max(np.abs(bd - be) / be)
        assert err < 0.25 * (0.012 / (r - 0.005)) ** 4
        errs.append(err)
    assert 8 < errs[0] / errs[1] < 32  # doubling r: 16x smaller, give or take the DSV offset


@pytest.mark.slow
def test_cylinder_magnets_approach_their_dipole_far_away():
    """A cylinder (unlike a cube) has a quadrupole moment, so the dipole error falls as (a/r)^2:
    doubling the ring radius cuts it about 4x."""
    for shape in (Cylinder(0.01, 0.01), Cylinder(0.008, 0.02, "axial")):
        errs = []
        for r in (0.06, 0.12):
            d = HalbachDesign([Ring(8, r, shape, "N42")])
            b_exact = np.linalg.norm(exact_field(np.zeros((1, 3)), d))
            errs.append(abs(b_exact / np.linalg.norm(dipole_field(np.zeros((1, 3)), d)) - 1))
        assert errs[1] < 1e-2 and 3 < errs[0] / errs[1] < 5
    # an axially magnetised rod lying along x: a bar magnet, stronger on its axis than across it
    rod = HalbachDesign([], [ShimMagnet((0, 0, 0), (1, 0, 0), Cylinder(0.01, 0.02, "axial"))])
    along, across = exact_field(np.array([[0.03, 0, 0], [0, 0.03, 0]]), rod)
    assert along[0] > 0 > across[0] and along[0] > 1.5 * abs(across[0])


def test_field_in_bore_is_divergence_and_curl_free():
    """Maxwell in the empty bore: the gradient tensor is symmetric and traceless (both engines)."""
    for engine in ("dipole", "exact"):
        g = gradient_tensor(np.array([0.003, -0.002, 0.004]), PAIR, engine)
        scale = np.abs(g).max()
        assert abs(np.trace(g)) < 1e-5 * scale
        assert np.abs(g - g.T).max() < 1e-5 * scale


def test_homogeneity_surface_sampling_bounds_the_volume():
    """Field components are harmonic, so the DSV extremes lie on its surface."""
    surf = homogeneity(dipole_field(sphere_surface(0.01, 2000), PAIR))
    vol = homogeneity(dipole_field(sphere_volume(0.01, 5000, seed=1), PAIR))
    assert surf.ppm_pp >= vol.ppm_pp * 0.99
    assert surf.ppm_pp < vol.ppm_pp * 1.2
    assert surf.ppm_rms > 0 and surf.n_points == 2000


def test_larmor_map_and_species():
    b = dipole_field(np.zeros((1, 3)), PAIR)
    f = larmor(b, "1H")[0]
    assert f == pytest.approx(42.577478518e6 * np.linalg.norm(b), rel=1e-12)
    assert gamma_bar("electron") == pytest.approx(28.024951e9, rel=1e-7)
    assert gamma_bar(2.0036) > gamma_bar("electron")
    with pytest.raises(ValueError, match="unknown species"):
        gamma_bar("31Q")
    pts, u, v = plane("xz", 0.01, 11)
    assert pts.shape == (121, 3) and np.all(pts[:, 1] == 0) and len(u) == 11


def test_field_direction_follows_phase_and_counter_ring_cancels():
    ring = Ring(16, 0.045, CUBE, "N42")
    b = dipole_field(np.zeros((1, 3)), HalbachDesign([ring]))[0]
    assert b[0] > 0 and abs(b[1]) < 1e-12
    rotated = dipole_field(np.zeros((1, 3)), HalbachDesign([Ring(16, 0.045, CUBE, "N42", phase=math.pi / 2)]))[0]
    assert rotated == pytest.approx([0, -b[0], 0], abs=1e-12)  # field points along -phase
    both = HalbachDesign([ring, Ring(16, 0.045, CUBE, "N42", phase=math.pi, z=0.02)])
    assert abs(dipole_field(np.array([[0, 0, 0.01]]), both)[0, 0]) < 1e-12


def test_bad_designs_are_refused_with_what_would_work():
    with pytest.raises(ValueError, match=r"overlap; use radius >= \d"):
        Ring(16, 0.02, CUBE, "N42")
    with pytest.raises(ValueError, match="unknown magnet material 'N99'"):
        Ring(16, 0.045, CUBE, "N99")
    with pytest.raises(ValueError, match="multipole order"):
        Ring(16, 0.045, CUBE, "N42", k=0)
    with pytest.raises(ValueError, match="less than the magnet height"):
        stack(Ring(16, 0.045, CUBE, "N42"), 2, 0.005)
    with pytest.raises(ValueError, match="unknown field engine"):
        field(np.zeros((1, 3)), PAIR, "fem")
    with pytest.raises(ValueError, match="shape"):
        dipole_field(np.zeros(4), PAIR)
    with pytest.raises(ValueError, match="unknown holder"):
        holder("cardboard")
    assert HalbachDesign([Ring(16, 0.045, CUBE), Ring(16, 0.045, CUBE, z=0.005)]).overlap_problems()


def test_mass_and_count():
    assert PAIR.n_magnets == 32
    assert PAIR.mass == pytest.approx(32 * 0.012**3 * 7500)  # 12.96 g per cube
    assert material("SmCo").alpha > material("N42").alpha > material("ferrite").alpha


def test_fast_exact_field_matches_exact_where_maps_need_it():
    """Maps of large designs use magpylib shapes only for pairs closer than 20 cube edges (1000
    sizes for other shapes), dipoles beyond: the cube's dipole error, 0.25 (a/r)^4, is then
    < 2e-6 of that magnet's field."""
    from magnets.field import fast_exact_field

    design = HalbachDesign([Ring(100, 0.32, Cuboid.cube(0.012), z=z) for z in (-0.02, 0.0, 0.02)]
                           + [Ring(8, 0.06, Cylinder(0.01, 0.01))])
    rng = np.random.default_rng(7)
    pts = np.column_stack([rng.uniform(-0.29, 0.29, 40), np.zeros(40), rng.uniform(-0.05, 0.05, 40)])
    exact, fast = exact_field(pts, design), fast_exact_field(pts, design)
    assert np.max(np.linalg.norm(exact - fast, axis=1) / np.linalg.norm(exact, axis=1)) < 1e-6
    assert np.max(np.linalg.norm(exact - dipole_field(pts, design), axis=1) / np.linalg.norm(exact, axis=1)) > 1e-4


def test_nested_rings_turned_against_each_other_give_a_variable_field():
    """A k = 1 ring turned rigidly by phi turns its centre field by phi, so an inner ring B1
    and an outer ring B2 turned by phi give |B| = sqrt(B1^2 + B2^2 + 2 B1 B2 cos phi); every
    angle stays buildable (the rings are apart radially)."""
    inner, outer = Ring(12, 0.03, Cuboid.cube(0.008)), Ring(24, 0.06, Cuboid.cube(0.01))
    b1 = np.linalg.norm(exact_field(np.zeros((1, 3)), HalbachDesign([inner]))[0])
    b2 = np.linalg.norm(exact_field(np.zeros((1, 3)), HalbachDesign([outer]))[0])
    for phi in (0.0, 0.7, math.pi / 2, 2.0, math.pi):
        design = HalbachDesign([inner, outer.rotated(phi)])
        b = np.linalg.norm(exact_field(np.zeros((1, 3)), design)[0])
        assert b == pytest.approx(math.sqrt(b1**2 + b2**2 + 2 * b1 * b2 * math.cos(phi)), rel=1e-9)
        assert design.clearance_problems() == []
    # a rigid turn keeps every magnet's orientation relative to the ring: same magnets, moved
    moved = HalbachDesign([outer.rotated(0.3)]).layout()
    rz = np.array([[math.cos(0.3), -math.sin(0.3), 0], [math.sin(0.3), math.cos(0.3), 0], [0, 0, 1]])
    base = HalbachDesign([outer]).layout()
    assert np.allclose(moved.positions, base.positions @ rz.T) and np.allclose(moved.rotations, rz @ base.rotations)
