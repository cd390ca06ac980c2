"""The modulated-line model (lock-in harmonic of a field-modulated absorption) against direct
numerical integration of its definition, (1/pi) int_0^2pi A(B + Bm cos t) cos(n t) dt with
scipy's adaptive quadrature: the Lorentzian closed form and the Gaussian's bounded quadrature."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import quad

from analysis.modulated_line import modulated_line

B0, DBPP = 1e-4, 3e-4


def by_quadrature(b: np.ndarray, model: str, bm: float, n: int) -> np.ndarray:
    gamma, s = np.sqrt(3) / 2 * DBPP, DBPP / 2
    if model == "lorentzian":
        def absorption(u: float) -> float:
            return 1.0 / (1.0 + (u / gamma) ** 2)
    else:
        def absorption(u: float) -> float:
            return float(np.exp(-u * u / (2 * s * s)))
    return np.array([quad(lambda t: absorption(x - B0 + bm * np.cos(t)) * np.cos(n * t), 0, 2 * np.pi,
                          limit=400, epsabs=1e-13)[0] / np.pi for x in b])


@pytest.mark.parametrize("model", ["lorentzian", "gaussian"])
@pytest.mark.parametrize("bm", [0.0, 1e-5, 3e-4, 2e-3])  # from Bm << dBpp to 7x over-modulated
@pytest.mark.parametrize("n", [1, 2, 3])
def test_modulated_line_matches_the_integral(model, bm, n):
    b = np.linspace(-3e-3, 3e-3, 25)
    got = modulated_line(b, B0, DBPP, 1.0, 0.0, model=model, bm=bm, harmonic=n)
    np.testing.assert_allclose(got, by_quadrature(b, model, bm, n), rtol=0, atol=1e-12)


def test_long_sweep_is_evaluated_in_bounded_blocks():
    """A 1e5-point Gaussian sweep (evaluated in blocks) equals the same points evaluated alone."""
    b = np.linspace(-3e-3, 3e-3, 100_000)
    whole = modulated_line(b, B0, DBPP, 2.0, 0.5, model="gaussian", bm=5e-4, harmonic=1)
    idx = np.array([0, 1, 31_337, 65_535, 65_536, 99_999])
    np.testing.assert_allclose(whole[idx], modulated_line(b[idx], B0, DBPP, 2.0, 0.5, model="gaussian",
                                                           bm=5e-4, harmonic=1), rtol=0, atol=1e-15)


@pytest.mark.parametrize("bm", [1e-5, 3e-4, 2e-3])
@pytest.mark.parametrize("n", [1, 2])
def test_lorentzian_fit_derivatives_match_central_differences(bm, n):
    """The analytic Jacobian the modulated fits use, against central differences of the model."""
    from analysis.modulated_line import line_gradient

    b = np.linspace(-3e-3, 3e-3, 41)
    g = line_gradient("lorentzian", b, B0, DBPP, bm, n)

    def f(b0: float, dbpp: float, m: float) -> np.ndarray:
        return modulated_line(b, b0, dbpp, 1.0, 0.0, model="lorentzian", bm=m, harmonic=n)

    h = 1e-9
    numeric = [(f(B0 + h, DBPP, bm) - f(B0 - h, DBPP, bm)) / (2 * h),
               (f(B0, DBPP + h, bm) - f(B0, DBPP - h, bm)) / (2 * h),
               (f(B0, DBPP, bm + h) - f(B0, DBPP, bm - h)) / (2 * h)]
    for row, fd in zip(g[1:], numeric):
        np.testing.assert_allclose(row, fd, rtol=0, atol=1e-6 * np.max(np.abs(fd)))


@pytest.mark.parametrize("bm", [1e-5, 3e-4, 2e-3])
@pytest.mark.parametrize("n", [1, 2])
def test_gaussian_fit_derivatives_match_central_differences(bm, n):
    """The Gaussian quadrature's analytic derivatives (B0, dBpp and Bm), against central
    differences of the model on the same nodes."""
    from analysis.modulated_line import line_gradient

    b = np.linspace(-3e-3, 3e-3, 41)
    g = line_gradient("gaussian", b, B0, DBPP, bm, n)

    def f(b0: float, dbpp: float, m: float) -> np.ndarray:
        return modulated_line(b, b0, dbpp, 1.0, 0.0, model="gaussian", bm=m, harmonic=n)

    h = 1e-10
    numeric = [(f(B0 + h, DBPP, bm) - f(B0 - h, DBPP, bm)) / (2 * h),
               (f(B0, DBPP + h, bm) - f(B0, DBPP - h, bm)) / (2 * h),
               (f(B0, DBPP, bm + h) - f(B0, DBPP, bm - h)) / (2 * h)]
    for row, fd in zip(g[1:], numeric):
        np.testing.assert_allclose(row, fd, rtol=0, atol=1e-6 * np.max(np.abs(fd)))


@pytest.mark.parametrize("model", ["lorentzian", "gaussian"])
@pytest.mark.parametrize("bm_over_width", [0.05, 1.0, 10.0])
def test_sampled_model_of_a_long_sweep_matches_the_exact_model(model, bm_over_width):
    """The node-sampled model the fits of long sweeps use: its value within 2e-5 of the line's
    peak of the exact one, also at parameters away from those the nodes were laid out for."""
    from analysis.modulated_line import line_gradient
    from analysis.modulated_sampling import SampledLine

    b = np.linspace(-5e-3, 5e-3, 40_000)
    bm = bm_over_width * DBPP
    sampled = SampledLine(model, b, 1, B0, DBPP, bm)
    assert not sampled.exact and len(sampled.nodes) < 2000
    for b0, dbpp, m in [(B0, DBPP, bm), (B0 + 0.3 * DBPP, 0.7 * DBPP, 1.05 * bm)]:
        exact = line_gradient(model, b, b0, dbpp, m, 1)
        approx = sampled(b0, dbpp, m)
        assert np.max(np.abs(approx[0] - exact[0])) < 2e-5 * np.max(np.abs(exact[0]))
        assert np.max(np.abs(approx[1:] - exact[1:])) < 2e-2 * np.max(np.abs(exact[1:]))


def _line(model: str, bm: float, n: int, noise: float, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    b = np.linspace(-5e-3, 5e-3, n)
    y = modulated_line(b, B0, DBPP, 2e-4, 1e-6, model=model, bm=bm, harmonic=1)
    return b, y + np.random.default_rng(seed).normal(0.0, noise, n)


@pytest.mark.parametrize("model", ["lorentzian", "gaussian"])
def test_long_overmodulated_sweep_measures_the_modulation_field(model):
    """A 1e5-point sweep, modulation twice the width, fitted with Bm free from a 20 % wrong
    start: centre, width and Bm within 4 sigma of the truth the data were made with."""
    from analysis.modulated_fit import fit_modulation_amplitude
    from analysis.derivative_lines import LineFit

    bm = 2 * DBPP
    b, y = _line(model, bm, 100_000, 2e-6)
    start = LineFit(model, B0 + 0.1 * DBPP, 1.1 * DBPP, 1.0, 0.0, {}, float("nan"))
    line, bm_fit, bm_err = fit_modulation_amplitude(b, y, start, 0.8 * bm)
    assert abs(bm_fit - bm) < 4 * bm_err < 0.01 * bm
    assert abs(line.b0 - B0) < 4 * line.errors["b0"]
    assert abs(line.dbpp - DBPP) < 4 * line.errors["dbpp"]
    assert line.residual_rms == pytest.approx(2e-6, rel=0.02)


def test_noise_free_long_sweep_is_fitted_on_the_exact_model():
    """Without noise the sampled model is not exact enough (nothing is), so the fit is repeated
    on the exact one: the parameters come out to 1e-9 of the width."""
    from analysis.modulated_fit import fit_modulated

    b, y = _line("lorentzian", 5e-5, 50_000, 0.0)
    line = fit_modulated(b, y, 5e-5, "lorentzian")
    assert abs(line.b0 - B0) < 1e-9 * DBPP and abs(line.dbpp - DBPP) < 1e-9 * DBPP
