"""NV analysis closed forms against independent references computed in the test."""
from __future__ import annotations

import math

import numpy as np
import pytest

from analysis.nv_odmr import lorentz_dips
from analysis.nv_sensitivity import cw_odmr_sensitivity, readout_fidelity, slope_sensitivity


def test_dreau_formula_equals_the_slope_definition_for_one_lorentzian():
    """sqrt(R)/(gamma |dR/df|max) on a finely sampled single Lorentzian dip (numerical derivative)
    equals 4/(3 sqrt 3) dnu/(gamma C sqrt R) when the dip is shallow (R barely changes)."""
    f = np.linspace(-20e6, 20e6, 400_001)
    rate = lorentz_dips(f, 1e6, 0.001, 0.0, 0.0, 1e6, 1)
    assert slope_sensitivity(f, rate, 28e9) == pytest.approx(cw_odmr_sensitivity(1e6, 0.001, 1e6, 28e9), rel=1e-3)


def test_readout_fidelity_limits():
    # many photons and full contrast: approaches 1; weak readout: (a0 - a1)/sqrt(2 (a0 + a1))
    assert readout_fidelity(1e6, 0.0) == pytest.approx(1.0, abs=1e-5)
    assert readout_fidelity(0.03, 0.021) == pytest.approx(0.009 / math.sqrt(2 * 0.051), rel=1e-3)
