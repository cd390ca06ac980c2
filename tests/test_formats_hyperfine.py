"""Hyperfine multiplets from spectrum files: a nitroxide triplet (14N) and a Mn2+ sextet whose
second-order (Breit-Rabi) shifts are large, generated from the closed-form line positions."""
from __future__ import annotations

import json

import numpy as np
import pytest

from analysis.constants import H, MU_B
from analysis.hyperfine import fit_hyperfine, parse_groups
from app.cli import main
from app.hyperfine_analysis import hyperfine_results
from formats import Axis, Dataset, Ordinate, write_bes3t

F = 9.5e9


def d_lorentz_lines(b: np.ndarray, lines: list[tuple[float, float]], fwhm: float) -> np.ndarray:
    """Sum of first-derivative Lorentzians (closed form, written out here) at (field, weight)."""
    y = np.zeros_like(b)
    for centre, weight in lines:
        x = 2 * (b - centre) / fwhm
        y += weight * (2 / (np.pi * fwhm)) * (-2 * x / (1 + x * x) ** 2) * (2 / fwhm)
    return y


def second_order(g: float, a: float, spin: float) -> list[tuple[float, float]]:
    """Positions to second order, B0 - a m - a^2/(2 B0) (I(I+1) - m^2) (Weil & Bolton, sec. 3.3),
    equal weights."""
    b0 = H * F / (g * MU_B)
    m = np.arange(-spin, spin + 0.5)
    return [(b0 - a * mi - a * a / (2 * b0) * (spin * (spin + 1) - mi * mi), 1 / len(m)) for mi in m]


def nitroxide(g: float, a: float) -> list[tuple[float, float]]:
    return second_order(g, a, 1.0)  # 14N, I = 1: the central line sits 7 uT below B0 for a = 1.55 mT


def manganese(g: float, a: float) -> list[tuple[float, float]]:
    return second_order(g, a, 2.5)  # 55Mn, I = 5/2


@pytest.mark.slow
def test_nitroxide_triplet_through_the_cli(tmp_path, capsys, rng):
    g, a, fwhm = 2.0061, 1.55e-3, 0.18e-3
    b = np.linspace(0.3340, 0.3426, 1501)
    y = d_lorentz_lines(b, nitroxide(g, a), fwhm)
    y += rng.normal(0, 0.01 * np.ptp(y), b.size)
    write_bes3t(tmp_path / "tempo", b * 1e4, y, parameters={"MWFQ": F})
    assert main(["analyse", str(tmp_path / "tempo.DSC"), "--hyperfine", "14N", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    r = out["results"]
    assert abs(r["g_factor"]["value"] - g) < 4 * r["g_factor"]["error"]
    assert abs(r["A(14N)"]["value"] - a) < 4 * r["A(14N)"]["error"] and r["A(14N)"]["unit"] == "T"
    assert r["A(14N)/h"]["value"] == pytest.approx(g * MU_B * a / H, rel=1e-3)  # 43.6 MHz
    assert not out["warnings"]  # the three lines are the multiplet's, not "several lines"


@pytest.mark.slow
def test_manganese_sextet_with_second_order_shifts(rng):
    g, a, fwhm = 2.0010, 9.2e-3, 1.0e-3
    b0 = H * F / (g * MU_B)
    b = np.linspace(b0 - 0.035, b0 + 0.035, 2001)
    y = d_lorentz_lines(b, manganese(g, a), fwhm)
    noise = 0.005 * np.ptp(y)
    y += rng.normal(0, noise, b.size)
    d = Dataset((Axis(b, "field", "T"),), (Ordinate(y),), {"MWFQ": F}, "test")
    r, curve = hyperfine_results(d, y, "55Mn", "lorentzian")  # start values from the detected lines
    assert abs(r["g_factor"].value - g) < 4 * r["g_factor"].error
    assert abs(r["A(55Mn)"].value - a) < 4 * r["A(55Mn)"].error
    assert r["fwhm_loren"].value == pytest.approx(fwhm, rel=0.02)
    assert np.std(y - curve) == pytest.approx(noise, rel=0.1)
    # the second-order shift (up to a^2 / (2 B0) x 8.75 = 1.1 mT) is far above the errors
    assert a * a / (2 * b0) * 35 / 4 > 100 * r["A(55Mn)"].error


def test_bad_nucleus_is_refused(tmp_path, capsys):
    b = np.linspace(0.334, 0.343, 300)
    write_bes3t(tmp_path / "x", b * 1e4, d_lorentz_lines(b, nitroxide(2.006, 1.5e-3), 2e-4), parameters={"MWFQ": F})
    assert main(["analyse", str(tmp_path / "x.DSC"), "--hyperfine", "13Q"]) == 2
    assert "write NUCLEUS or NUCLEUSxN with NUCLEUS one of 1H, 14N" in capsys.readouterr().err


@pytest.mark.slow
def test_hyperfine_errors_cover_the_truth():
    """68 % intervals of g and A over 200 noise draws (nitroxide, Lorentzian lines)."""
    g, a, fwhm = 2.0061, 1.55e-3, 0.18e-3
    b = np.linspace(0.3340, 0.3426, 601)
    clean = d_lorentz_lines(b, nitroxide(g, a), fwhm)
    rng = np.random.default_rng(2024)
    hits_g = hits_a = 0
    for _ in range(200):
        y = clean + rng.normal(0, 0.02 * np.ptp(clean), b.size)
        fit = fit_hyperfine(b, y, F, parse_groups("14N"), b0=H * F / (g * MU_B), couplings=[a], fwhm=fwhm)
        hits_g += abs(fit.g - g) < fit.g_error
        hits_a += abs(fit.couplings_T[0] - a) < fit.couplings_error_T[0]
    assert 0.60 <= hits_g / 200 <= 0.76 and 0.60 <= hits_a / 200 <= 0.76
