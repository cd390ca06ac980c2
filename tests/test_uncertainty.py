"""The one covariance helper against the closed forms of a weighted straight-line fit
(Press et al., Numerical Recipes 3rd ed., section 15.2), and the fits that use it."""
from __future__ import annotations

import math

import numpy as np
import pytest

from analysis.kittel import fit_damping
from analysis.uncertainty import covariance, propagate, standard_errors

X = np.array([0.0, 1.0, 2.0, 3.0, 4.0, 5.0])
Y = np.array([0.1, 1.9, 4.2, 5.8, 8.1, 9.9])  # about 2 x with scatter


def line_closed_form(x: np.ndarray, y: np.ndarray, sigma: float) -> tuple[float, float, float]:
    """var(a), var(b), cov(a, b) of y = a + b x for equal errors sigma (NR eq. 15.2.9)."""
    s, sx, sxx = len(x) / sigma**2, x.sum() / sigma**2, (x * x).sum() / sigma**2
    delta = s * sxx - sx**2
    return sxx / delta, s / delta, -sx / delta


def residuals(design: np.ndarray, y: np.ndarray) -> np.ndarray:
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    return y - design @ coef


def test_unit_weights_take_the_noise_from_the_scatter():
    design = np.column_stack([np.ones_like(X), X])
    r = residuals(design, Y)
    s2 = r @ r / (len(X) - 2)
    va, vb, cab = line_closed_form(X, Y, math.sqrt(s2))
    cov = covariance(design, r)
    assert cov == pytest.approx(np.array([[va, cab], [cab, vb]]), rel=1e-12)
    assert standard_errors(cov) == pytest.approx([math.sqrt(va), math.sqrt(vb)], rel=1e-12)


@pytest.mark.parametrize("sigma", [1.0, 0.05])
def test_known_errors_are_kept_unless_the_scatter_is_larger(sigma):
    design = np.column_stack([np.ones_like(X), X]) / sigma
    r = residuals(design, Y / sigma)
    chi2_red = r @ r / (len(X) - 2)
    va, vb, _ = line_closed_form(X, Y, sigma)
    cov = covariance(design, r, known_errors=True)
    scale = max(1.0, chi2_red)
    assert (chi2_red < 1) == (sigma == 1.0)  # one case each side of 1
    assert standard_errors(cov) == pytest.approx([math.sqrt(va * scale), math.sqrt(vb * scale)], rel=1e-12)


def test_propagation_and_singular_designs():
    cov = np.array([[4.0, 1.0], [1.0, 9.0]])
    assert propagate(cov, np.array([1.0, 1.0])) == pytest.approx(math.sqrt(4 + 9 + 2))
    assert propagate(cov, np.array([[1.0, 0.0], [0.0, 2.0]])) == pytest.approx([2.0, 6.0])
    design = np.column_stack([np.ones(4), np.ones(4)])  # two parameters the data cannot separate
    assert np.isnan(covariance(design, np.ones(4))).all()


def test_damping_fit_without_stated_errors_uses_the_scatter():
    """Without per-point errors the slope error is the straight-line one from the scatter, not
    an error of '1 T per point' (what a fixed unit weight gave before)."""
    f = np.array([5e9, 8e9, 11e9, 14e9, 17e9])
    width = 1e-3 + 0.2e-12 * f + np.array([2e-6, -3e-6, 1e-6, 2.5e-6, -2e-6])
    d = fit_damping(f, width, None, 2.0)
    design = np.column_stack([np.ones_like(f), f])
    r = residuals(design, width)
    _, vb, _ = line_closed_form(f, width, math.sqrt(r @ r / (len(f) - 2)))
    assert d.slope_error == pytest.approx(math.sqrt(vb), rel=1e-9)
