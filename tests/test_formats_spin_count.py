"""Baseline, model-free double integral and spin counting against closed forms: Gaussian lines
of known area on polynomial baselines, and a sample/reference pair recorded with different gain,
modulation and power."""
from __future__ import annotations

import json

import numpy as np
import pytest

from analysis.baseline import polynomial_baseline
from analysis.double_integration import double_integral
from app.cli import main
from app.file_analysis import analyse_dataset
from formats import Axis, Dataset, Ordinate, write_bes3t


def gaussian_derivative(b: np.ndarray, b0: float, fwhm: float, area: float) -> np.ndarray:
    """d/dB of area * G(B), G the area-normalised Gaussian of this FWHM (closed form)."""
    s = fwhm / (2 * np.sqrt(2 * np.log(2)))
    return -area * (b - b0) / (s ** 3 * np.sqrt(2 * np.pi)) * np.exp(-0.5 * ((b - b0) / s) ** 2)


def test_double_integral_of_a_known_area_on_a_sloping_baseline(rng):
    b = np.linspace(0.330, 0.350, 2001)
    area, noise = 2.5e-3, 0.02
    clean = gaussian_derivative(b, 0.340, 0.8e-3, area)
    y = clean + 0.3 + 40.0 * (b - 0.34) - 9e3 * (b - 0.34) ** 2 + rng.normal(0, noise, b.size)
    d = Dataset((Axis(b, "field", "T"),), (Ordinate(y, "X"),), {"MWFQ": 9.5e9}, "test")
    out = analyse_dataset(d, baseline=2)
    di = out.results["double_integral_numeric"]
    assert abs(di.value - area) < 4 * di.error and di.error < 0.05 * area
    assert out.results["double_integral"].value == pytest.approx(area, rel=0.05)  # the fit's area agrees
    # without the baseline the offset alone integrates to 0.3 * (0.02 T)^2 / 2 = 6e-5 extra, and more
    raw, _ = double_integral(b, y, noise)
    assert abs(raw - area) > 10 * di.error


def test_baseline_ignores_the_line_region(rng):
    b = np.linspace(-1.0, 1.0, 801)
    line = gaussian_derivative(b, 0.1, 0.05, 1.0)
    base = polynomial_baseline(b, line + 2.0 - b, 1, [(-0.15, 0.35)])
    assert np.allclose(base, 2.0 - b, atol=1e-9)
    with pytest.raises(ValueError, match="needs at least 4 points outside the line regions"):
        polynomial_baseline(b, line, 1, [(-2.0, 2.0)])


def test_double_integral_error_covers_the_truth(rng):
    """68 % interval from the propagated noise: coverage over 200 noise draws."""
    b = np.linspace(0.335, 0.345, 401)
    clean = gaussian_derivative(b, 0.340, 0.6e-3, 1e-3)
    hits = 0
    for _ in range(200):
        di, err = double_integral(b, clean + rng.normal(0, 0.05, b.size), 0.05)
        hits += abs(di - 1e-3) < err
    assert 0.60 <= hits / 200 <= 0.76


def write_spectrum(path, spins: float, gain_db: float, bm_pp: float, power: float, rng) -> None:
    """Signal = k * spins * gain * Bm * sqrt(P) (unsaturated, small modulation), as a BES3T file."""
    b = np.linspace(3350.0, 3450.0, 1001)  # G
    area = 1e-21 * spins * 10 ** (gain_db / 20) * (bm_pp / 1e-4) * np.sqrt(power / 1e-3)
    y = gaussian_derivative(b * 1e-4, 0.3400, 0.7e-3, area) + rng.normal(0, 1e-3 * area / 1e-6, b.size)
    write_bes3t(path, b, y, parameters={"MWFQ": 9.5e9, "RCAG": gain_db, "B0MA": bm_pp, "MWPW": power})


@pytest.mark.slow
def test_spin_count_against_a_reference_with_other_settings(tmp_path, capsys, rng):
    write_spectrum(tmp_path / "ref", 1e15, 60.0, 1e-4, 1e-3, rng)
    write_spectrum(tmp_path / "sample", 3e15, 66.0, 2e-4, 4e-3, rng)
    assert main(["analyse", str(tmp_path / "sample.DSC"), "--json", "--spin-reference", str(tmp_path / "ref.DSC"),
                 "--reference-spins", "1e15"]) == 0
    out = json.loads(capsys.readouterr().out)
    spins = out["results"]["spins"]
    assert abs(spins["value"] - 3e15) < 4 * spins["error"] and spins["error"] < 0.05 * 3e15
    assert not [n for n in out["notes"] if "not normalised" in n and "temperature" not in n]
    assert main(["analyse", str(tmp_path / "sample.DSC"), "--reference-spins", "1e15"]) == 2
    assert "--spin-reference FILE and --reference-spins N go together" in capsys.readouterr().err
