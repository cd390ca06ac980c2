"""The simulated NV's spin Hamiltonian against closed forms, and the photon statistics."""
from __future__ import annotations

import math

import numpy as np
import pytest

from sim_backend.nv import NvSample, transition_frequencies
from tests.nv_helpers import nv_bench


def test_lines_on_axis_are_d_minus_plus_gamma_b():
    f_minus, f_plus = transition_frequencies(0.02, 0.0, 2.87e9, 28.025e9)
    assert f_minus == pytest.approx(2.87e9 - 28.025e9 * 0.02, abs=1)
    assert f_plus == pytest.approx(2.87e9 + 28.025e9 * 0.02, abs=1)


def test_lines_off_axis_match_the_cubic_characteristic_polynomial():
    """Eigenvalues E of D Sz^2 + g(Bz Sz + Bx Sx) solve E^3 - 2D E^2 + (D^2 - bz^2 - bx^2) E + D bx^2 = 0
    (the characteristic polynomial written out by hand), transition = E_k - E_0."""
    d, g, b, th = 2.87e9, 28.025e9, 0.03, math.radians(30)
    bz, bx = g * b * math.cos(th), g * b * math.sin(th)
    roots = np.sort(np.roots([1, -2 * d, d * d - bz * bz - bx * bx, d * bx * bx]).real)
    e0 = roots[0]  # m_s = 0-like level is the lowest below the level anti-crossing
    f_minus, f_plus = transition_frequencies(b, 30.0, d, g)
    assert f_minus == pytest.approx(roots[1] - e0, rel=1e-9)
    assert f_plus == pytest.approx(roots[2] - e0, rel=1e-9)


def test_zero_field_splitting_follows_temperature():
    s = NvSample()
    assert s.zero_field_splitting(310.0) - s.zero_field_splitting(300.0) == pytest.approx(-742e3)


def test_cw_counts_are_poisson_at_the_set_rate_and_darker_on_resonance():
    lab = nv_bench(0.01, count_rate=1e6, dark_count_rate=0.0)
    nv = lab.world.nv
    lab.laser.output = True
    lab.rf.power, lab.rf.output = 0.01, True
    lab.rf.frequency = 2.0e9  # far from both lines
    n = np.array([lab.counter.count(1e-3) for _ in range(400)])
    assert n.mean() == pytest.approx(1000, rel=0.01)
    assert n.var() == pytest.approx(1000, rel=0.2)  # Poisson: variance = mean
    lab.rf.frequency = nv.lines()[0]
    on = np.mean([lab.counter.count(1e-3) for _ in range(100)])
    assert on < 0.97 * n.mean()


def test_laser_off_gives_dark_counts_only():
    lab = nv_bench(0.01, dark_count_rate=500.0)
    lab.laser.output = False
    assert lab.counter.count(1.0) == pytest.approx(500, abs=5 * math.sqrt(500))


def test_a_bad_sample_is_refused_with_its_name():
    with pytest.raises(ValueError, match="nitrogen '13N'"):
        NvSample(nitrogen="13N")
