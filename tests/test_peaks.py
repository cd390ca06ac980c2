"""analysis.peaks against closed forms: a Gaussian absorption's maximum and a Gaussian
derivative's zero crossing at the centre; nothing picked in pure noise."""
from __future__ import annotations

import numpy as np
import pytest

from analysis.peaks import g_of_peak, pick_peaks


def test_absorption_maxima_and_their_widths(rng):
    x = np.linspace(-1.0, 1.0, 1001)
    sigma = 0.03
    y = np.exp(-(x - 0.2) ** 2 / (2 * sigma ** 2)) + 0.5 * np.exp(-(x + 0.4) ** 2 / (2 * sigma ** 2))
    y += rng.normal(0, 0.005, x.size)
    peaks = pick_peaks(x[::-1], y[::-1], "auto")  # order of the points does not matter
    assert [p.shape for p in peaks] == ["absorption", "absorption"]
    assert [p.position for p in peaks] == pytest.approx([0.2, -0.4], abs=0.2 * (x[1] - x[0]))
    fwhm = 2 * np.sqrt(2 * np.log(2)) * sigma  # full width at half prominence
    assert peaks[0].width == pytest.approx(fwhm, rel=0.05)
    assert peaks[0].height == pytest.approx(1.0, abs=0.03)


def test_derivative_line_zero_crossing_and_noise_only(rng):
    x = np.linspace(0.33, 0.35, 401)
    y = -(x - 0.3412) * np.exp(-(x - 0.3412) ** 2 / (2 * 0.4e-3 ** 2)) + rng.normal(0, 1e-6, x.size)
    (p,) = pick_peaks(x, y, "derivative")
    assert p.position == pytest.approx(0.3412, abs=0.1 * (x[1] - x[0]))
    assert p.width == pytest.approx(2 * 0.4e-3, abs=x[1] - x[0])  # extrema at centre +- sigma
    assert pick_peaks(x, rng.normal(0, 1, x.size)) == []
    with pytest.raises(ValueError, match="peak shape 'lorentz'"):
        pick_peaks(x, y, "lorentz")


def test_g_of_a_peak():
    assert g_of_peak(0.3390, 9.5e9) == pytest.approx(6.62607015e-34 * 9.5e9 / (9.2740100783e-24 * 0.3390), rel=1e-9)
    with pytest.raises(ValueError, match="positive field"):
        g_of_peak(-0.1, 9.5e9)
