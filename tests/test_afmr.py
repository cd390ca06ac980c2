"""Antiferromagnetic resonance: the closed-form branches (analysis.afmr) against the normal modes of
the simulated two-sublattice antiferromagnet (equilibrium by energy minimisation, modes from the
linearised equations of motion: sim_backend.antiferromagnet), and the map fit recovering H_E,
H_A and g from a noisy simulated map with missing branches."""
from __future__ import annotations

import numpy as np
import pytest

from analysis.afmr import easy_axis_branches, easy_plane_branches, fit_easy_axis_map, spin_flop_field
from sim_backend.antiferromagnet import Antiferromagnet

# a strongly anisotropic layered antiferromagnet (H_A / H_E = 0.2; chosen, not one material): with
# MnF2's 0.015 (F. M. Johnson and A. H. Nethercot, Phys. Rev. 114, 705 (1959)) H_E and H_A are
# separated only by the 2e-4 curvature of the spin-flop branch, below what 0.3 GHz noise resolves
MAP = dict(h_e=10.0, h_a=2.0, g=2.02)


@pytest.mark.parametrize("h_e, h_a", [(10.0, 0.5), (53.0, 0.78), (5.0, 1.2)])
def test_easy_axis_branches_match_the_simulated_normal_modes(h_e, h_a):
    afm = Antiferromagnet(h_e, h_a, 2.0)
    hsf = spin_flop_field(h_e, h_a)
    for h in (0.0, 0.4 * hsf, 0.9 * hsf, 1.2 * hsf, 2.5 * hsf):
        sim = np.sort(afm.frequencies(np.array([0.0, 0.0, h])) / afm.gamma)
        ref = easy_axis_branches(np.array([h]), h_e, h_a)[:, 0]
        ref = np.sort(ref[~np.isnan(ref)])
        if h == 0.0:
            ref = np.array([ref[0], ref[0]])  # degenerate at zero field
        assert sim == pytest.approx(ref, rel=1e-6, abs=1e-6 * h_e)


def test_easy_plane_branches_match_the_simulated_normal_modes():
    afm = Antiferromagnet(10.0, -0.5, 2.0)  # easy plane xy, hard-axis field 0.5 T
    for h in (1.0, 3.0, 8.0):
        sim = np.sort(afm.frequencies(np.array([h, 0.0, 0.0])) / afm.gamma)
        ref = np.sort(easy_plane_branches(np.array([h]), 10.0, 0.5)[:, 0])
        assert sim == pytest.approx(ref, rel=1e-6)


def test_map_fit_recovers_exchange_anisotropy_and_g_with_missing_branches():
    afm = Antiferromagnet(**MAP)
    rng = np.random.default_rng(3)
    points = np.array(afm.field_map(np.arange(0.0, 12.01, 0.4)))
    h, f = points[:, 0], points[:, 1]
    keep = (f < 300e9) & (f > 20e9)  # the source's band: most of the upper branch and the soft end missing
    keep &= rng.random(len(f)) > 0.25  # and a quarter of the rest not found
    h, f = h[keep], f[keep] + rng.normal(0, 0.3e9, keep.sum())
    fit = fit_easy_axis_map(h, f)
    assert fit.h_e == pytest.approx(MAP["h_e"], rel=0.01)
    assert fit.h_a == pytest.approx(MAP["h_a"], rel=0.01)
    assert fit.g == pytest.approx(MAP["g"], rel=0.01)
    true_sf = spin_flop_field(MAP["h_e"], MAP["h_a"])
    assert abs(fit.spin_flop - true_sf) < 3 * fit.spin_flop_error + 1e-3
    assert fit.rms_hz == pytest.approx(0.3e9, rel=0.4)  # the residuals are the noise


def test_fit_refuses_too_few_points():
    with pytest.raises(ValueError, match="at least 4"):
        fit_easy_axis_map(np.array([1.0, 2.0]), np.array([1e11, 2e11]))
