"""The modulated-line model (lock-in harmonic of a field-modulated absorption) against direct
numerical integration of its definition, (1/pi) int_0^2pi A(B + Bm cos t) cos(n t) dt with
scipy's adaptive quadrature: the Lorentzian closed form and the Gaussian's bounded quadrature."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import quad

from analysis.peak_to_peak_fit import modulated_line

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
    from analysis.peak_to_peak_fit import _lorentzian_gradient

    b = np.linspace(-3e-3, 3e-3, 41)
    g = _lorentzian_gradient(b, B0, DBPP, bm, n)

    def f(b0: float, dbpp: float, m: float) -> np.ndarray:
        return modulated_line(b, b0, dbpp, 1.0, 0.0, model="lorentzian", bm=m, harmonic=n)

    h = 1e-9
    numeric = [(f(B0 + h, DBPP, bm) - f(B0 - h, DBPP, bm)) / (2 * h),
               (f(B0, DBPP + h, bm) - f(B0, DBPP - h, bm)) / (2 * h),
               (f(B0, DBPP, bm + h) - f(B0, DBPP, bm - h)) / (2 * h)]
    for row, fd in zip(g[1:], numeric):
        np.testing.assert_allclose(row, fd, rtol=0, atol=1e-6 * np.max(np.abs(fd)))
