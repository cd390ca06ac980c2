"""Kittel fit: its covariance against the scatter of fits over 200 noise seeds, and the warnings
for a poor model (large reduced chi-square) and for g and Meff that the frequencies cannot tell
apart (|corr| > 0.99). Data: the in-plane Kittel closed form (Kittel 1948) plus Gaussian noise."""
from __future__ import annotations

import numpy as np
import pytest

from analysis.constants import H, MU_B
from analysis.kittel import fit_kittel, kittel_warnings

G, MEFF = 2.02, 0.175  # YIG-like film


def _b_res(f: np.ndarray) -> np.ndarray:
    x = f * H / (G * MU_B)
    return -MEFF / 2 + np.sqrt(MEFF**2 / 4 + x * x)


def _fits(f: np.ndarray, noise: float, seeds: int = 200, errors: bool = False):
    for seed in range(seeds):
        b = _b_res(f) + np.random.default_rng(seed).normal(0, noise, f.size)
        yield fit_kittel(f, b, np.full(f.size, noise) if errors else None, geometry="in-plane", g0=2.0, bfield0=0.2)


def test_reported_correlation_and_errors_match_the_scatter_over_seeds():
    f = np.linspace(3e9, 9e9, 12)
    fits = list(_fits(f, 0.2e-3))
    g = np.array([k.g for k in fits])
    m = np.array([k.bfield for k in fits])
    empirical = np.corrcoef(g, m)[0, 1]
    reported = np.median([k.g_field_correlation for k in fits])
    assert reported == pytest.approx(empirical, abs=0.05)
    for values, truth, key in ((g, G, "g"), (m, MEFF, "bfield")):
        covered = np.mean([abs(v - truth) < k.errors[key] for v, k in zip(values, fits)])
        assert 0.60 <= covered <= 0.76


def test_narrow_frequency_range_warns_of_correlation_wide_range_does_not():
    narrow = next(_fits(np.linspace(9.0e9, 9.6e9, 8), 0.05e-3, seeds=1))
    assert abs(narrow.g_field_correlation) > 0.99
    assert any("correlated" in w and "mu0_meff" in w for w in kittel_warnings(narrow))
    wide = next(_fits(np.linspace(2e9, 40e9, 12), 0.05e-3, seeds=1))
    assert abs(wide.g_field_correlation) < 0.99
    assert kittel_warnings(wide) == []


def test_too_small_stated_errors_warn_of_large_reduced_chi_square():
    f = np.linspace(2e9, 40e9, 12)
    b = _b_res(f) + np.random.default_rng(7).normal(0, 0.5e-3, f.size)
    fit = fit_kittel(f, b, np.full(f.size, 0.1e-3), geometry="in-plane")  # errors stated 5x too small
    assert fit.reduced_chi2 > 10
    assert any("reduced chi-square" in w for w in kittel_warnings(fit))
    honest = fit_kittel(f, b, np.full(f.size, 0.5e-3), geometry="in-plane")
    assert not any("reduced chi-square" in w for w in kittel_warnings(honest))


def test_sphere_has_no_correlation_to_warn_about():
    f = np.linspace(2e9, 10e9, 6)
    fit = fit_kittel(f, f * H / (G * MU_B), geometry="sphere")
    assert np.isnan(fit.g_field_correlation) and kittel_warnings(fit) == []
