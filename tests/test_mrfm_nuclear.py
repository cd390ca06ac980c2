"""Nuclear MRFM (71Ga in GaAs): history-tracked polarisation, cyclic adiabatic inversion, the
RF-frequency imaging experiment and its analysis, against closed forms and the simulated lab."""
from __future__ import annotations

import copy
import math

import numpy as np
import pytest

from analysis.mrfm import gcv_weight, regularised_solve
from analysis.mrfm_nuclear import cai_kernel, fit_film, frequency_slice_matrix
from app.engine import MemoryCollector, RunEngine
from app.labconfig import build_lab, load_config
from app.simconfig import sim_problems
from drivers.errors import InstrumentError
from membrane_helpers import run
from sequences.experiment import ParameterError
from sequences.experiments.mrfm_nuclear import MrfmImagingNuclear
from sim_backend.membrane.bloch import Protocol
from sim_backend.membrane.nuclear import NuclearSample, NuclearSpinForce, following_fundamental

HBAR, KB = 1.054571817e-34, 1.380649e-23
GAMMA = 2 * math.pi * 13.0208e6  # 71Ga, rad/s/T
GAAS = "examples/lab-sim-mrfm-gaas.toml"


def high_t_moment(b: float, t: float, spin: float = 1.5) -> float:
    """Curie law: <mu_z> = gamma^2 hbar^2 I (I + 1) B / (3 kB T) (Abragam ch. I)."""
    return GAMMA**2 * HBAR**2 * spin * (spin + 1) * b / (3 * KB * t)


def semicircle(d: np.ndarray, sweep: float) -> np.ndarray:
    """Fundamental of sign(d - A cos th) (ideal inversion): -(4/pi) sqrt(1 - (d/A)^2) inside."""
    x = np.clip(np.abs(d) / sweep, 0, 1)
    return -(4 / math.pi) * np.sqrt(1 - x * x)


def adiabatic_fundamental(d: np.ndarray, sweep: float, b1: float, n: int = 4000) -> np.ndarray:
    """Reference: 2 <cos th (d - A cos th) / sqrt((d - A cos th)^2 + B1^2)> by the midpoint rule."""
    th = (np.arange(n) + 0.5) * 2 * math.pi / n
    delta = np.asarray(d)[:, None] - sweep * np.cos(th)[None, :]
    return 2 * np.mean(np.cos(th) * delta / np.hypot(delta, b1), axis=1)


def test_thermal_polarisation_pumping_build_up_and_t1_recovery_follow_closed_forms():
    sample = NuclearSample.film(100e-9, dz=10e-9, t1=1000.0, pump_buildup=100.0, pumping_factor=12.0)
    spins = NuclearSpinForce(sample, 5e4)
    m_th = high_t_moment(4.0, 5.0)
    spins.evolve(0.0, None, 4.0, 52e6, 5.0, False)
    assert spins.m[5] == pytest.approx(m_th, rel=1e-4)  # 71Ga at 4 T, 5 K: x ~ 4e-4, Curie law holds
    spins.evolve(100.0, None, 4.0, 52e6, 5.0, True)  # one build-up time with the light on
    assert spins.m[5] == pytest.approx(m_th * (12 - 11 * math.exp(-1)), rel=1e-9)
    spins.evolve(2000.0, None, 4.0, 52e6, 5.0, True)
    assert spins.m[5] == pytest.approx(12 * m_th, rel=1e-8)
    spins.evolve(500.0, None, 4.0, 52e6, 5.0, False)  # light off: T1 back to thermal
    assert spins.m[5] == pytest.approx(m_th * (1 + 11 * math.exp(-0.5)), rel=1e-9)


def test_locked_spins_decay_with_t1rho_and_only_those_in_the_sweep():
    sample = NuclearSample.film(2e-6, dz=10e-9, t1=1e9, t1rho=50.0, linewidth_sigma=0.0)
    spins = NuclearSpinForce(sample, 5e4)
    spins.evolve(0.0, None, 4.0, 52e6, 5.0, False)
    m0 = spins.m.copy()
    f_c = 13.0208e6 * 4.0  # slice at z = 0
    cai = Protocol(rate=1000.0, b1=2.2e-3, fm_deviation=60e3)  # adiabaticity ~14: Landau-Zener loss < 1e-4 in 50 s
    spins.evolve(50.0, cai, 4.0, f_c, 5.0, False)
    sweep_z = 60e3 / 13.0208e6 / 5e4  # slice half width, 92 nm
    z = sample.z
    inside, outside = np.abs(z) < 0.8 * sweep_z, np.abs(z) > 1.2 * sweep_z
    np.testing.assert_allclose(spins.m[inside] / m0[inside], math.exp(-1), rtol=2e-4)
    np.testing.assert_allclose(spins.m[outside & (np.abs(z) < 0.9e-6)], m0[outside & (np.abs(z) < 0.9e-6)])


def test_non_adiabatic_sweeps_lose_the_moment_landau_zener():
    sample = NuclearSample.film(50e-9, dz=5e-9, t1=1e9, t1rho=1e9, linewidth_sigma=0.0)
    spins = NuclearSpinForce(sample, 5e4)
    spins.evolve(0.0, None, 4.0, 52e6, 5.0, False)
    m0 = spins.m[5]
    b1 = 1.2e-3
    cai = Protocol(rate=1000.0, b1=b1, fm_deviation=60e3)
    kappa = (GAMMA * b1) ** 2 / (2 * math.pi * 60e3 * 2 * math.pi * 1000.0)  # at the centre crossing
    p = math.exp(-math.pi * kappa / 2)
    spins.evolve(0.01, cai, 4.0, 13.0208e6 * 4.0 + 13.0208e6 * 5e4 * float(sample.z[5]), 5.0, False)
    assert spins.m[5] / m0 == pytest.approx((1 - 2 * p) ** (2 * 1000 * 0.01), rel=1e-3)


def test_cai_fundamental_is_the_ideal_inversion_semicircle_for_weak_b1():
    sweep = 4.6e-3
    d = np.linspace(-0.9, 0.9, 37) * sweep
    np.testing.assert_allclose(following_fundamental(d, sweep, 1e-6), semicircle(d, sweep), atol=5e-3)
    np.testing.assert_allclose(cai_kernel(sweep, 1e-6, 0.0)(d), semicircle(d, sweep), atol=5e-3)


def test_film_fit_edges_and_dips_are_not_quantised_to_the_slice_step():
    """A film between -100.3 and +99.6 mT of resonance offset (4 um at 5e4 T/m) with dips at
    -10.7 and +15.0 mT, read in 8.45 mT slices (110 kHz / gamma): none of them on the grid."""
    rng = np.random.default_rng(4)
    sweep, gamma_hz, fc = 60e3 / 13.0208e6, 13.0208e6, 52.08e6
    kernel = lambda d: semicircle(d, sweep)  # noqa: E731 - the data's own (ideal) kernel
    freqs = fc + 110e3 * np.arange(-16, 17)
    b = np.arange(-0.15, 0.15, 0.5e-3)
    truth = ((b >= -0.1003) & (b <= 0.0996)).astype(float)
    for c in (-10.7e-3, 15.0e-3):
        truth[np.abs(b - c) < 3.75e-3] = 0.2
    s = frequency_slice_matrix(freqs, b, fc, gamma_hz, kernel) @ truth
    s += 2e-3 * np.abs(s).max() * rng.standard_normal(s.size)
    kmat = frequency_slice_matrix(freqs, b, fc, gamma_hz, cai_kernel(sweep, 1e-6, 0.0))
    fit = fit_film(kmat, b, s, (-0.095, 0.095), (-8.45e-3, 16.9e-3), 4e-3)
    assert fit["lo"] == pytest.approx(-0.1003, abs=0.3e-3)
    assert fit["hi"] == pytest.approx(0.0996, abs=0.3e-3)
    assert fit["b1"] == pytest.approx(-10.7e-3, abs=0.3e-3)
    assert fit["b2"] == pytest.approx(15.0e-3, abs=0.3e-3)
    assert fit["b2_err"] < 0.3e-3 and fit["hi_err"] < 0.3e-3


def test_gcv_tikhonov_recovers_a_blurred_profile():
    rng = np.random.default_rng(2)
    x = np.linspace(-1, 1, 120)
    truth = np.exp(-((x - 0.2) / 0.15) ** 2) + 0.5 * np.exp(-((x + 0.4) / 0.1) ** 2)
    k = np.exp(-0.5 * ((x[::3, None] - x[None, :]) / 0.08) ** 2)
    s = k @ truth + 0.01 * rng.standard_normal(40)
    n, _, alpha = regularised_solve(k, s, None, nonnegative=False)
    assert np.sqrt(np.mean((n - truth) ** 2)) < 0.08
    best, alphas, _ = gcv_weight(k, s, (np.eye(120) - np.eye(120, k=1))[:-1])
    assert alpha == best and alphas[0] < alpha < alphas[-1]  # an interior minimum of GCV, not an end of the grid
    n_pos, _, _ = regularised_solve(k, s, None)  # the non-negative solution with the same weight
    assert n_pos.min() >= 0 and np.sqrt(np.mean((n_pos - truth) ** 2)) < 0.08


def test_nuclear_table_is_validated_and_brings_the_pump_laser():
    assert sim_problems({"nuclear": {"thickness": -1.0}}) == ["[sim.nuclear] thickness = -1.0: must be positive"]
    bad = sim_problems({"nuclear": {"depleted": [[0.0, 1e-7]]}})
    assert len(bad) == 1 and "[centre m, width m > 0, remaining 0..1]" in bad[0]
    assert "laser" in build_lab(load_config(GAAS)).instruments
    plain = copy.deepcopy(load_config(GAAS))
    del plain["sim"]["nuclear"]
    assert "laser" not in build_lab(plain).instruments


def test_a_sweep_too_fast_for_the_rf_field_is_refused():
    with pytest.raises(ParameterError, match="not adiabatic"):
        MrfmImagingNuclear(rf_field=0.3e-3)
    assert MrfmImagingNuclear().check() == []


def gaas_lab(**nuclear):
    config = load_config(GAAS)
    config["sim"]["nuclear"].update(nuclear)
    lab = build_lab(config)
    lab.lockin.time_constant = 0.1  # the idle cw lock-in would bound the clock step
    return lab


def test_a_temperature_never_reached_stops_the_run_with_the_reading():
    """The simulated cryostat starts at 295 K: 5 K is minutes away, not 60 s."""
    engine = RunEngine(gaas_lab())
    with pytest.raises(InstrumentError, match=r"did not reach 5 K within 2 % in 60 s \(last reading [0-9.]+ K\)"):
        engine.run(MrfmImagingNuclear(settle_timeout=60.0), [MemoryCollector()])
    assert engine.state == "failed"


def test_a_scan_inside_the_film_cannot_calibrate_the_gradient_and_says_so():
    """15 slices 110 kHz apart span 1.6 um of the 4 um film: no edge, so no gradient and no depths."""
    exp = MrfmImagingNuclear(points=15, rf_start=52.08e6 - 7 * 110e3, reference_average=0.0, equilibrate=0.0)
    info, _ = run(gaas_lab(), exp)
    assert set(info.results) == {"warning"}
    assert "film's edges" in info.results["warning"] and "not contained" in info.results["warning"]


B1_TRUE = 7e-3 * math.sqrt(0.1)  # [sim.nuclear] b1_per_sqrt_w at the default 0.1 W


@pytest.mark.slow
@pytest.mark.parametrize("gradient", [5e4, 5.5e4])
def test_gaas_scenario_two_depleted_regions_500nm_apart_and_the_pumping_factor(gradient):
    """Thurber, Harrell & Smith 2003: 71Ga at 4 T and 5 K, ~170 nm slices, pumping ~12x thermal,
    two regions of reduced polarisation 500 nm apart resolved. The experiment is told neither the
    tip gradient (the simulated one changes) nor the RF field (its estimate is 8 % high) nor the
    line width (10 % high): the film's 4 um thickness calibrates the gradient."""
    exp = MrfmImagingNuclear(rf_field=1.08 * B1_TRUE, linewidth_sigma=0.165e-3)
    info, _ = run(gaas_lab(gradient=gradient), exp)
    r = info.results
    assert r["resolved"] is True
    assert r["gradient"].value == pytest.approx(gradient, rel=0.01)
    assert r["separation"].value == pytest.approx(500e-9, rel=0.10)
    assert r["separation"].value == pytest.approx(500e-9, abs=5 * r["separation"].error + 5e-9)
    assert r["z1"].value == pytest.approx(-250e-9, abs=10e-9)  # from the film's centre
    # The slices step 110 kHz: 110e3 / (gamma_Hz G) apart, G the simulated gradient.
    assert r["slice_separation"].value == pytest.approx(110e3 / (13.0208e6 * gradient), rel=0.01)
    # B1 only shapes the slice's edges, and the Gaussian dips of the model are not the simulated
    # square regions: the fitted B1 is approximate (2.14 and 1.82 mT at the two gradients).
    assert r["rf_field_fit"].value == pytest.approx(B1_TRUE, rel=0.25)
    # 12x, give or take the moment the slices lose while locked (T1rho) and the 1 - e^-5 build-up.
    assert r["pumping_enhancement"].value == pytest.approx(12.0, rel=0.05)
    assert 0 < r["sensitivity"].value < r["sensitivity_thermal"].value


@pytest.mark.slow
def test_signal_without_pumping_is_the_pumping_factor_smaller():
    pumped, _ = run(gaas_lab(), MrfmImagingNuclear(reference_average=0.0, equilibrate=0.0))
    thermal, _ = run(gaas_lab(), MrfmImagingNuclear(reference_average=0.0, pump_time=0.0, pump_during_scan=False))
    ratio = pumped.results["signal_pumped"].value / thermal.results["signal_pumped"].value
    assert ratio == pytest.approx(12.0, rel=0.05)


def slice_fwhm(z: np.ndarray, s: np.ndarray) -> float:
    s = np.abs(s)
    half = 0.5 * s.max()
    above = np.flatnonzero(s >= half)
    i, j = above[0], above[-1]
    lo = z[i - 1] + (half - s[i - 1]) * (z[i] - z[i - 1]) / (s[i] - s[i - 1])
    hi = z[j] + (half - s[j]) * (z[j + 1] - z[j]) / (s[j + 1] - s[j])
    return hi - lo


@pytest.mark.slow
@pytest.mark.parametrize("gradient", [5e4, 1e5])
def test_slice_width_is_the_cai_linewidth_over_the_gradient(gradient):
    """A 10 nm layer scanned in 10 nm slices: the response's width in z is the FWHM (in T) of the
    adiabatic-following response (B1 = 7e-3 sqrt(0.1) T, sweep 60 kHz / gamma) over G."""
    lab = gaas_lab(thickness=10e-9, gradient=gradient, t1rho=1e7, depleted=[], linewidth_sigma=0.0)
    step = 13.0208e6 * gradient * 10e-9
    exp = MrfmImagingNuclear(frequency_step=step, points=41, rf_start=13.0208e6 * 4.0 - 20 * step,
                             reference_average=0.0, equilibrate=0.0, average=1.0)
    _, data = run(lab, exp)
    img = np.asarray(data["stage"]) == 1
    s = np.hypot(np.asarray(data["x"]), np.asarray(data["y"]))[img]
    slice_z = (np.asarray(data["rf_frequency"])[img] / 13.0208e6 - 4.0) / gradient  # the simulated gradient
    d = np.linspace(-8e-3, 8e-3, 16001)
    line = np.abs(adiabatic_fundamental(d[::10], 60e3 / 13.0208e6, 7e-3 * math.sqrt(0.1)))
    d = d[::10]
    width_t = np.ptp(d[line >= 0.5 * line.max()])
    assert slice_fwhm(slice_z, s) == pytest.approx(width_t / gradient, rel=0.08)


@pytest.mark.slow
def test_simulated_regions_off_the_slice_grid_are_located_not_snapped_to_it():
    """Depleted regions at -213 nm and +301 nm (514 nm apart) while the slices sit every 169 nm
    around the scan's centre (52.08 MHz, 5 nm from the film's): a fit, not the nearest sample."""
    lab = gaas_lab(depleted=[[-213e-9, 150e-9, 0.1], [301e-9, 150e-9, 0.1]])
    info, _ = run(lab, MrfmImagingNuclear(reference_average=0.0))
    r = info.results
    assert r["z1"].value == pytest.approx(-213e-9, abs=10e-9)
    assert r["z2"].value == pytest.approx(301e-9, abs=10e-9)
    assert r["separation"].value == pytest.approx(514e-9, abs=10e-9)
