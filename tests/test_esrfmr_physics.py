"""The simulated ESR/FMR samples (physics: LLG, spin Hamiltonian) agree with the independent
closed forms the analyses fit (Kittel, Gilbert linewidth, resonance condition, powder density)."""
from __future__ import annotations

import numpy as np
import pytest

from analysis.powder_model import powder_density_x
from analysis.kittel import gamma_prime, resonance_field
from sim_backend.ferromagnet import SPHERE, Ferromagnet
from sim_backend.gtensor_sample import GTensorCentre
from sim_backend.orientation import axis_rotation, euler_zyz, frame_from_axes

H, MU_B, MU0 = 6.62607015e-34, 9.2740100783e-24, 1.25663706212e-6
IN_PLANE = frame_from_axes([0, 0, 1], [0, 1, 0])  # film normal along lab y, B0 (lab z) in the plane


def peak_and_fwhm(sample, f: float, b: np.ndarray, temperature: float = 300.0) -> tuple[float, float]:
    a = sample.signal_density(b, f, temperature)
    i = int(np.argmax(a))
    above = b[a >= a[i] / 2]
    return float(b[i]), float(above.max() - above.min())


@pytest.mark.parametrize("f", [5e9, 12e9, 24e9])
def test_llg_film_follows_kittel_and_gilbert_linewidth(f):
    film = Ferromagnet(g=2.08, ms0=7.6e5, alpha=0.008, inhomogeneous_hwhm=0.0, mount=IN_PLANE)
    b = np.linspace(1e-4, 0.9, 300_001)
    b_peak, fwhm = peak_and_fwhm(film, f, b)
    assert b_peak == pytest.approx(float(resonance_field(f, 2.08, MU0 * 7.6e5, "in-plane")), abs=2e-5)
    assert fwhm == pytest.approx(2 * 0.008 * f / gamma_prime(2.08), rel=2e-3)


@pytest.mark.slow
def test_llg_perpendicular_film_and_inhomogeneous_broadening_add():
    film = Ferromagnet(g=2.0, ms0=6e5, alpha=0.01, inhomogeneous_hwhm=0.4e-3)  # normal along B0
    f = 10e9
    b = np.linspace(1.06, 1.16, 20_001)
    b_peak, fwhm = peak_and_fwhm(film, f, b)
    assert b_peak == pytest.approx(float(resonance_field(f, 2.0, MU0 * 6e5, "out-of-plane")), abs=2e-5)
    # Lorentzian (inhomogeneous) convolved with Lorentzian (Gilbert): widths add.
    assert fwhm == pytest.approx(0.8e-3 + 2 * 0.01 * f / gamma_prime(2.0), rel=3e-3)


def test_llg_uniaxial_sphere_easy_axis_and_easy_plane():
    easy_axis = Ferromagnet(g=2.0, ms0=5e5, k0=1e5, demag=SPHERE, alpha=0.005, inhomogeneous_hwhm=0.0)
    easy_plane = Ferromagnet(g=2.0, ms0=5e5, k0=-1e5, demag=SPHERE, alpha=0.005, inhomogeneous_hwhm=0.0,
                             mount=IN_PLANE)
    bk = 2 * 1e5 / 5e5  # mu0 HK = 2K/Ms in T
    b = np.linspace(1e-4, 1.2, 240_001)
    f = 20e9
    assert peak_and_fwhm(easy_axis, f, b)[0] == pytest.approx(float(resonance_field(f, 2.0, bk, "easy-axis")),
                                                               abs=3e-5)
    assert peak_and_fwhm(easy_plane, f, b)[0] == pytest.approx(float(resonance_field(f, 2.0, bk, "easy-plane")),
                                                                abs=3e-5)


@pytest.mark.slow
def test_llg_tilted_film_lies_between_in_plane_and_perpendicular():
    """At intermediate angles the magnetisation lags the field (equilibrium solve)."""
    f = 10e9
    b = np.linspace(1e-3, 1.6, 320_001)
    fields = []
    for angle in (0.0, 45.0, 90.0):
        film = Ferromagnet(g=2.1, ms0=8e5, alpha=0.005, inhomogeneous_hwhm=0.0, mount=IN_PLANE)
        film.set_stage_rotation(axis_rotation("x", angle))  # turn the normal from lab y towards lab z
        fields.append(peak_and_fwhm(film, f, b)[0])
    assert fields[0] == pytest.approx(float(resonance_field(f, 2.1, MU0 * 8e5, "in-plane")), abs=3e-5)
    assert fields[2] == pytest.approx(float(resonance_field(f, 2.1, MU0 * 8e5, "out-of-plane")), abs=3e-5)
    assert fields[0] < fields[1] < fields[2]


def test_magnetisation_and_anisotropy_laws():
    xtal = Ferromagnet(ms0=5.2e5, bloch_temperature=615.0, k0=-3.5e5)
    assert xtal.saturation_magnetisation(300) == pytest.approx(5.2e5 * (1 - (300 / 615) ** 1.5))
    ratio = xtal.anisotropy_constant(300) / xtal.anisotropy_constant(3)
    assert ratio == pytest.approx((xtal.saturation_magnetisation(300) / xtal.saturation_magnetisation(3)) ** 3)


def test_single_crystal_line_sits_at_the_effective_g():
    g = (2.0021, 2.0087, 2.0310)
    xtal = GTensorCentre(g=g, axes=euler_zyz(20, 35, 50), lorentz_hwhm=0.05e-3, gauss_sigma=0.0,
                         mount=euler_zyz(10, 70, -30))
    n = xtal.orientation.T @ np.array([0, 0, 1.0])
    g_eff = np.linalg.norm(xtal.tensor() @ n)
    b = np.linspace(0.330, 0.342, 120_001)
    a = xtal.absorption(b, 9.5e9, 1e-3, 300.0)
    assert b[np.argmax(a)] == pytest.approx(H * 9.5e9 / (MU_B * g_eff), abs=2e-7)
    assert min(g) < g_eff < max(g)


def test_powder_pattern_matches_the_closed_form_density():
    """The simulator's orientation sum and the analysis' elliptic-integral density agree."""
    g = np.array([2.0021, 2.0087, 2.0310])
    powder = GTensorCentre(g=tuple(g), powder=True, lorentz_hwhm=1e-5, gauss_sigma=0.0, n_orientations=200_000)
    f = 9.5e9
    c = H * f / MU_B
    b = np.linspace(c / g.max() + 1e-4, c / g.min() - 1e-4, 400)
    sim = powder.absorption(b, f, 1e-3, 300.0)
    x = (c / b) ** 2
    closed = powder_density_x(x, np.sort(g**2)) * 2 * c * c / b**3
    keep = np.abs(b - c / g[1]) > 2e-4  # away from the middle singularity
    ratio = sim[keep] / closed[keep]
    # Same shape up to the smooth transition-probability weight the analysis neglects.
    assert np.std(ratio) / np.mean(ratio) < 0.02
