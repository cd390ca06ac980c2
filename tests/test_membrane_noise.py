"""Thermal force noise of the simulated membrane, measured through the lock-in zoom spectrum."""
from __future__ import annotations

import math

import pytest

from sequences.experiments.membrane_noise import MembraneThermalSpectrum
from sim_backend.constants import KB
from sim_backend.membrane import MembraneMode
from membrane_helpers import membrane_lab, run

SEED_FORCE_NOISE = 4e-15  # N/sqrt(Hz) at 300 K (the seed membrane, docs/references.md)


def thermal_limit(mode: MembraneMode, temperature: float) -> float:
    """sqrt(4 kB T k / (w0 Q)), written here from Saulson 1990, not taken from the simulator."""
    w0 = 2 * math.pi * mode.f0
    k = mode.m_eff * w0**2
    return math.sqrt(4 * KB * temperature * k / (w0 * mode.q))


def measure(seed: int, temperature: float, mode: MembraneMode | None = None, **settings):
    lab = membrane_lab(seed, temperature=temperature, mode=mode)
    mode = lab.world.membrane.mode
    info, data = run(lab, MembraneThermalSpectrum(center_frequency=mode.f0 + 0.8, **settings))
    return info.results, mode, data


@pytest.fixture(scope="module")
def room_and_cold():
    # 800 s of data each: the fitted force noise scatters by ~2 % (1 sigma) between seeds.
    warm, mode, data = measure(11, 300.0, records=40, sample_rate=50.0, fit_span=12.0)
    cold, _, _ = measure(11, 4.0, records=40, sample_rate=50.0, fit_span=12.0)
    return warm, cold, mode, data


@pytest.mark.slow
def test_seed_like_membrane_at_300K_reaches_the_thermal_limit_and_4fN(room_and_cold, tmp_path):
    warm, _, mode, data = room_and_cold
    assert (mode.q, mode.f0, mode.m_eff) == pytest.approx((1e6, 1.0e6, 150e-12), rel=0.01)  # seed-like
    assert warm["force_noise"].value == pytest.approx(thermal_limit(mode, 300.0), rel=0.10)
    assert warm["force_noise"].value == pytest.approx(SEED_FORCE_NOISE, rel=0.10)
    assert warm["q"].value == pytest.approx(mode.q, rel=0.10)
    assert warm["spring_constant"].value == pytest.approx(mode.m_eff * (2 * math.pi * mode.f0) ** 2, rel=0.10)
    assert abs(warm["f0"].value - mode.f0) < 0.1
    # The interferometer floor (40 nV/sqrt(Hz) at 4.05e6 V/m) is seen for what it is.
    assert warm["displacement_floor"].value == pytest.approx(40e-9 / (0.5 * 4 * math.pi / 1550e-9), rel=0.15)
    path = MembraneThermalSpectrum().plot(data, warm, tmp_path / "psd.png")
    assert path.stat().st_size > 10_000


@pytest.mark.slow
def test_cooling_to_4K_lowers_the_force_noise_as_sqrt_T(room_and_cold):
    warm, cold, mode, _ = room_and_cold
    assert cold["temperature"].value == pytest.approx(4.0, abs=0.01)
    assert cold["force_noise"].value == pytest.approx(thermal_limit(mode, 4.0), rel=0.10)
    ratio = cold["force_noise"].value / warm["force_noise"].value
    assert ratio == pytest.approx(math.sqrt(4.0 / 300.0), rel=0.12)


@pytest.mark.slow
def test_a_different_membrane_is_measured_not_assumed():
    mode = MembraneMode(f0=412_345.6, q=2.5e6, m_eff=40e-12)
    results, _, _ = measure(12, 295.0, mode=mode, records=12, record_length=60.0, sample_rate=20.0,
                            fit_span=5.0)
    assert results["force_noise"].value == pytest.approx(thermal_limit(mode, 295.0), rel=0.10)
    assert results["effective_mass"].value == pytest.approx(mode.m_eff, rel=0.12)
    assert results["q"].value == pytest.approx(mode.q, rel=0.12)


@pytest.mark.parametrize("offset, warned", [(0.0, False), (33.0, True)])
def test_psd_warns_when_the_fitted_f0_is_far_off_the_centre_frequency(offset, warned):
    lab = membrane_lab(3)
    f0 = lab.world.membrane.mode.f0
    info, _ = run(lab, MembraneThermalSpectrum(center_frequency=f0 + offset, records=3, record_length=5.0,
                                               sample_rate=100.0, fit_span=20.0, settle=0.5))
    warning = info.results.get("warning", "")
    assert bool(warning) is warned
    if warned:
        assert "cut by the band edge" in warning and f"{info.results['f0'].value:.10g}" in warning
