"""Forces and torques on Halbach magnets (values computed with magpylib, docs/references.md: 16 x 12 mm cubes,
r = 45 mm, B_r = 1.3 T), with the point-dipole and the exact magpylib engines."""
from __future__ import annotations

import math

import numpy as np
import pytest

from magnets.design import Cuboid, HalbachDesign, Ring, stack
from magnets.forces import forces_on, group_force, per_magnet, split_force
from magnets.materials import material

N13 = material("N42").with_br(1.3)
RING = HalbachDesign([Ring(16, 0.045, Cuboid.cube(0.012), N13)])


def test_ring_magnet_forces_match_reference_and_the_two_engines_agree():
    f_dip, t_dip = per_magnet(RING, "dipole")
    idx = [0, 2, 4]  # theta = 0, 45, 90 degrees
    f_ex, t_ex = per_magnet(RING, "exact", meshing=64)
    # theta = 0 (radially magnetised): pulled inward with 5.15 N; theta = 90: pushed out with 2.9 N
    assert f_ex[0] == pytest.approx([-5.15, 0, 0], abs=0.06)
    assert f_ex[4] == pytest.approx([0, 2.9, 0], abs=0.06)
    # theta = 45: ~10 N and a 0.19 N m torque that the holder must take
    assert np.linalg.norm(f_ex[2]) == pytest.approx(10.0, abs=0.2)
    assert t_ex[2][2] == pytest.approx(0.19, abs=0.01)
    # point dipoles: same signs; but neighbours 17.6 mm apart are too close for a dipole model
    # (theta = 90: 1.6 vs 2.9 N). Forces need the exact engine; the dipole one converges far out.
    for i in idx:
        assert np.dot(f_dip[i], f_ex[i]) > 0
    wide = HalbachDesign([Ring(16, 0.15, Cuboid.cube(0.012), N13)])
    fw_dip = per_magnet(wide, "dipole")[0][idx]
    fw_ex = np.vstack([forces_on(np.arange(16) == i, wide, "exact", meshing=27)[0] for i in idx])
    assert np.linalg.norm(fw_dip - fw_ex, axis=1).max() < 0.03 * np.linalg.norm(fw_ex, axis=1).min()


def test_internal_forces_sum_to_zero_and_newton_third_law():
    f, t = per_magnet(RING, "dipole")
    assert np.abs(f.sum(axis=0)).max() < 1e-9 * np.abs(f).max()
    # the ring's total internal torque about its own axis vanishes as well (r x F + own torques)
    pos = RING.layout().positions
    total = np.cross(pos, f).sum(axis=0) + t.sum(axis=0)
    assert abs(total[2]) < 1e-9 * np.abs(t).max()
    pair = HalbachDesign(stack(Ring(16, 0.045, Cuboid.cube(0.012), N13), 2, 2 * 0.045 / math.sqrt(6)))
    f01, f10 = group_force(pair, 0, 1), group_force(pair, 1, 0)
    assert f01 == pytest.approx(-f10, rel=1e-9)


def test_ring_halves_attract_along_b0_and_repel_across_and_rings_repel():
    # split plane between magnets (magnets at theta = 11.25 + k 22.5 deg: none on the plane)
    ring = HalbachDesign([Ring(16, 0.045, Cuboid.cube(0.012), N13, theta0=math.pi / 16)])
    along = split_force(ring, (1, 0, 0), "exact", meshing=27)
    across = split_force(ring, (0, 1, 0), "exact", meshing=27)
    assert along.normal_force < -20  # halves split with the normal along B0 attract
    assert across.normal_force > 15  # ... across B0 they repel
    pair = HalbachDesign(stack(Ring(16, 0.045, Cuboid.cube(0.012), N13), 2, 2 * 0.045 / math.sqrt(6)))
    fz = group_force(pair, 1, 0, "exact", meshing=27)[2]
    assert fz == pytest.approx(13.0, rel=0.05)  # the upper ring is pushed up: rings repel


def test_bad_force_requests():
    with pytest.raises(ValueError, match="boolean mask"):
        forces_on(np.ones(3, bool), RING)
    with pytest.raises(ValueError, match="leave some as sources"):
        forces_on(np.ones(16, bool), RING)
    with pytest.raises(ValueError, match="unknown force engine"):
        forces_on(np.arange(16) == 0, RING, "fem")


def test_stray_field_line_of_a_single_magnet_is_the_dipole_closed_form():
    """One cube at the origin magnetised along x: |B| = 2 B_r V / (4 pi r^3) along x and
    B_r V / (4 pi r^3) across it, so the 0.5 mT line lies at (2 B_r V / (4 pi 0.5 mT))^(1/3)
    along x and 2^(-1/3) of that along z."""
    from magnets.design import ShimMagnet
    from magnets.materials import material
    from magnets.stray import stray_field

    cube = Cuboid.cube(0.02)
    s = stray_field(HalbachDesign([], [ShimMagnet((0.0, 0.0, 0.0), (1, 0, 0), cube, "N42")]))
    along = (2 * material("N42").br * cube.volume / (4 * np.pi * 0.5e-3)) ** (1 / 3)
    assert s.farthest == pytest.approx(along, rel=1e-6) and s.radial == pytest.approx(along, rel=1e-6)
    assert s.axial == pytest.approx(along / 2 ** (1 / 3), rel=1e-6)
    assert abs(s.direction[0]) == pytest.approx(1.0)
