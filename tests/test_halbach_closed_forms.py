"""Discrete Halbach magnets against the published closed forms (docs/references.md, Halbach magnets).

The field engines are independent code (a vectorised point-dipole sum, and magpylib's analytic
fields of real cuboids); the closed forms are integrals of the ideal continuous magnetisation.
Each test states its tolerance from the known discretisation error.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from magnets.closed_forms import (finite_dipole_cylinder, ideal_dipole_field, ideal_quadrupole_gradient,
                                  optimal_half_spacing, ring_axial_profile, ring_centre_field,
                                  ring_centre_gradient)
from magnets.design import Cuboid, HalbachDesign, MagnetArray, Ring, rotation_z, stack
from magnets.field import dipole_field, exact_field, gradient_tensor
from magnets.materials import material

N42 = material("N42")
RI, RO = 0.020, 0.040
ORIGIN = np.zeros((1, 3))


def thick_cylinder(k: int, n_layers: int, length: float = 0.8, dz: float = 0.005) -> MagnetArray:
    """The annulus RI..RO split into n_layers radial layers (ring radius at each layer's middle),
    each with about square cells (N_j = round(2 pi rho_j / d_rho)), stacked over ``length``.
    Each magnet carries exactly its cell's volume (filling factor 1): cuboids w x w x h with
    h = cell volume / w^2. The turned cells overlap (uniformly magnetised bodies superpose), so
    this is a field model, not a buildable design: it is laid out as a MagnetArray directly
    (a Ring refuses overlapping magnets)."""
    dr = (RO - RI) / n_layers
    parts = []
    zs = -length / 2 + (np.arange(round(length / dz)) + 0.5) * dz
    for j in range(n_layers):
        rho = RI + (j + 0.5) * dr
        n = round(2 * math.pi * rho / dr)
        w = 0.999 * min(dr, 2 * rho * math.sin(math.pi / n))
        h = (2 * math.pi * rho / n) * dr * dz / w**2
        theta = np.tile(2 * np.pi * np.arange(n) / n, len(zs))
        pos = np.column_stack([rho * np.cos(theta), rho * np.sin(theta), np.repeat(zs, n)])
        m = len(theta)
        parts.append(MagnetArray(pos, rotation_z((k + 1) * theta), np.full(m, N42.br), np.full(m, w * w * h),
                                 np.tile([w, w, h], (m, 1)), np.zeros(m, int), np.zeros(m, int), [f"layer{j}"],
                                 np.full(m, N42.density)))
    return MagnetArray.concatenate(parts)


def midpoint_error(f_prime, dr: float) -> float:
    """Leading error (midpoint sum - integral) of the midpoint rule over RI..RO:
    -(dr^2/24) (f'(RO) - f'(RI))."""
    return -dr**2 / 24 * (f_prime(RO) - f_prime(RI))


def test_thick_dipole_cylinder_approaches_br_ln_ro_over_ri():
    """B = B_r ln(ro/ri) is integral dB = B_r d rho / rho over the annulus. Splitting it into
    layers is a midpoint rule whose error is -(d_rho^2/24)(1/ri^2 - 1/ro^2) B_r: -7.0e-4 relative
    with 8 layers (96,480 magnets, 53-97 per ring). The 0.8 m length adds -1.3e-5 (exact
    finite-length formula). Measured: -7.15e-4. Tolerance: the predicted error +-5 % (higher-order
    terms of the rule); and halving d_rho must cut the error about 4x (second order)."""
    ideal = ideal_dipole_field(N42.br, RI, RO)
    errors = {}
    for layers in (4, 8):
        b = float(np.linalg.norm(dipole_field(ORIGIN, thick_cylinder(1, layers))[0]))
        errors[layers] = b / ideal - 1
        finite = finite_dipole_cylinder(N42.br, RI, RO, 0.8) / ideal - 1
        predicted = midpoint_error(lambda r: -1 / r**2, (RO - RI) / layers) / math.log(RO / RI) + finite
        assert errors[layers] == pytest.approx(predicted, rel=0.05), (layers, errors[layers], predicted)
    assert abs(errors[8]) < 1e-3
    assert 3.0 < errors[4] / errors[8] < 5.0


def test_thick_cylinder_exact_shapes_agree_with_point_dipoles():
    """Small cells far from the centre: magpylib's exact cuboids give the same centre field to
    < 1e-5 (the dipole error falls as (a/r)^4 ~ (2.5/20)^4 x 0.06)."""
    design = thick_cylinder(1, 8, length=0.4)
    b_dip = np.linalg.norm(dipole_field(ORIGIN, design)[0])
    b_exact = np.linalg.norm(exact_field(ORIGIN, design)[0])
    assert b_exact == pytest.approx(b_dip, rel=1e-5)
    assert b_exact == pytest.approx(ideal_dipole_field(N42.br, RI, RO), rel=2e-3)


def test_thick_quadrupole_cylinder_gradient_approaches_formula():
    """G = 2 B_r (1/ri - 1/ro) = B_r integral 2/rho^2 d rho. Midpoint error with 8 layers:
    -(d_rho^2/24)(4/ri^3 - 4/ro^3) B_r / G = -2.28e-3; measured -2.27e-3. Tolerance: +-5 % of
    the predicted error. The gradient is a central difference over 10 um (error < 1e-6)."""
    ideal = ideal_quadrupole_gradient(N42.br, RI, RO)
    errors = {}
    for layers in (4, 8):
        g_tensor = gradient_tensor(np.zeros(3), thick_cylinder(2, layers))
        errors[layers] = float(np.linalg.norm(g_tensor[:, 0])) / ideal - 1
        predicted = midpoint_error(lambda r: -4 / r**3, (RO - RI) / layers) / (2 * (1 / RI - 1 / RO))
        assert errors[layers] == pytest.approx(predicted, rel=0.05), (layers, errors[layers], predicted)
        # a pure quadrupole: dBx/dx = -dBy/dy, no z gradients
        assert g_tensor[0, 0] == pytest.approx(-g_tensor[1, 1], rel=1e-9)
        assert abs(g_tensor[2]).max() < 1e-6 * ideal
    assert abs(errors[8]) < 3e-3
    assert 3.0 < errors[4] / errors[8] < 5.0


def test_ring_of_n_cubes_centre_field_and_gradient():
    """B0 = 3 N B_r V/(8 pi r^3) and G = 15 N B_r V/(16 pi r^4) for point dipoles; real cubes
    differ by about -0.064 (a/r)^4 (the cube has no quadrupole moment): 326 ppm at r/a = 3.75."""
    cube = Cuboid.cube(0.012)
    for r in (0.045, 0.09):
        dipole = HalbachDesign([Ring(16, r, cube, N42)])
        b_formula = ring_centre_field(16, N42.br, cube.volume, r)
        assert dipole_field(ORIGIN, dipole)[0] == pytest.approx([b_formula, 0, 0], rel=1e-12, abs=1e-15)
        b_exact = exact_field(ORIGIN, dipole)[0, 0]
        assert (b_exact - b_formula) / b_formula == pytest.approx(-0.064 * (0.012 / r) ** 4, rel=0.1)
        quad = HalbachDesign([Ring(16, r, cube, N42, k=2)])
        g = np.linalg.norm(gradient_tensor(np.zeros(3), quad)[:, 0])
        assert g == pytest.approx(ring_centre_gradient(16, N42.br, cube.volume, r), rel=1e-5)


def test_single_ring_axial_profile_and_optimal_spacing():
    """On axis B(z) = B0 r^5/(r^2+z^2)^(5/2); two rings at z = +-r/sqrt(6) cancel d2B/dz2, which
    we find numerically by minimising the axial curvature of the stacked field."""
    cube, r = Cuboid.cube(0.012), 0.045
    ring = Ring(16, r, cube, N42)
    z = np.linspace(-0.03, 0.03, 13)
    pts = np.column_stack([np.zeros_like(z), np.zeros_like(z), z])
    b = dipole_field(pts, HalbachDesign([ring]))[:, 0]
    b0 = ring_centre_field(16, N42.br, cube.volume, r)
    assert b == pytest.approx(ring_axial_profile(b0, r, z), rel=1e-12)

    def curvature(s: float) -> float:
        d = HalbachDesign(stack(ring, 2, 2 * s))
        h = 1e-3
        bz = dipole_field(np.array([[0, 0, -h], [0, 0, 0], [0, 0, h]]), d)[:, 0]
        return (bz[0] - 2 * bz[1] + bz[2]) / h**2

    from scipy.optimize import brentq

    s_opt = brentq(curvature, 0.012, 0.03)
    assert s_opt == pytest.approx(optimal_half_spacing(r), rel=2e-3)
