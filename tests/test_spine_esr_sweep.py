"""The cw-ESR field sweep recovers the simulated sample through the physics of modulation."""
from __future__ import annotations

import numpy as np
import pytest

from app.engine import MemoryCollector, RunEngine
from app.simlab import build_sim_lab
from sequences.experiments import EsrFieldSweep
from sim_backend.samples import Paramagnet
from sim_backend.world import SimulatedWorld

H, MU_B = 6.62607015e-34, 9.2740100783e-24


def sweep(sample: Paramagnet, **settings):
    world = SimulatedWorld(sample, seed=7)
    world.resonator.frequency = settings.get("frequency", 9.5e9)  # the bridge is tuned to the cavity
    lab = build_sim_lab(world)
    b_res = H * settings.get("frequency", 9.5e9) / (sample.g * MU_B)
    settings.setdefault("field_start", b_res - 4e-3)
    settings.setdefault("field_stop", b_res + 4e-3)
    info = RunEngine(lab).run(EsrFieldSweep(**settings), [MemoryCollector()])
    return info, world


def true_dbpp(sample: Paramagnet) -> float:
    return 2 * sample.lorentz_hwhm / np.sqrt(3)


def test_recovers_g_and_linewidth_with_small_modulation():
    sample = Paramagnet(g=2.00512, lorentz_hwhm=0.21e-3, n_spins=3e15)
    info, world = sweep(sample, mod_amplitude=true_dbpp(sample) / 5, points=301, frequency=9.62e9)
    r = info.results
    assert info.status == "completed"
    assert abs(r["g_factor"].value - sample.g) < 2e-4
    assert r["linewidth_pp"].value == pytest.approx(true_dbpp(sample), rel=0.03)
    assert r["model"] == "lorentzian"
    assert world.is_safe()


@pytest.mark.slow
def test_gaussian_line_is_recognised():
    sample = Paramagnet(g=2.0023, lorentz_hwhm=1e-6, gauss_sigma=0.25e-3)
    info, _ = sweep(sample, mod_amplitude=0.1e-3, points=301)
    assert info.results["model"] == "gaussian"
    assert info.results["linewidth_pp"].value == pytest.approx(2 * sample.gauss_sigma, rel=0.03)
    assert abs(info.results["g_factor"].value - sample.g) < 2e-4


@pytest.mark.slow
def test_overmodulation_broadens_the_measured_line():
    sample = Paramagnet(g=2.0036, lorentz_hwhm=0.15e-3)
    small, _ = sweep(sample, mod_amplitude=true_dbpp(sample) / 5, points=301)
    large, _ = sweep(sample, mod_amplitude=3 * true_dbpp(sample), points=301)
    apparent_small = small.results["linewidth_pp_apparent"].value
    apparent_large = large.results["linewidth_pp_apparent"].value
    assert apparent_large > 2.5 * apparent_small  # the physics broadens it, visibly
    # ... and the modulation-aware fit still finds the intrinsic width
    assert large.results["linewidth_pp"].value == pytest.approx(true_dbpp(sample), rel=0.05)


@pytest.mark.slow
def test_curie_law_signal_scales_as_inverse_temperature():
    sample = Paramagnet(g=2.0036, lorentz_hwhm=0.15e-3)
    amps = {}
    for temp in (100.0, 300.0):
        world = SimulatedWorld(sample, seed=3)
        world.thermal.temperature = world.thermal.setpoint = temp
        lab = build_sim_lab(world)
        b = H * 9.5e9 / (sample.g * MU_B)
        info = RunEngine(lab).run(EsrFieldSweep(field_start=b - 3e-3, field_stop=b + 3e-3, points=201),
                                  [MemoryCollector()])
        amps[temp] = info.results["amplitude_pp"].value
    assert amps[100.0] / amps[300.0] == pytest.approx(3.0, rel=0.03)


@pytest.mark.slow
def test_lockin_noise_averages_down_with_time_constant():
    """With no signal, the output scatter falls as 1/sqrt(tau) (ENBW = 1/(8 tau) at 12 dB/oct)."""
    stds = {}
    for tau in (1e-3, 16e-3):
        world = SimulatedWorld(seed=5, lockin_noise=1e-6)
        lab = build_sim_lab(world)
        lab.lockin.time_constant = tau
        lab.lockin.filter_slope = 12
        xs = []
        for _ in range(400):
            lab.sleep(10 * tau)
            xs.append(lab.lockin.read_xy()[0])
        stds[tau] = np.std(xs)
        expected = 1e-6 * np.sqrt(1 / (8 * tau)) / np.sqrt(2)  # per quadrature
        assert stds[tau] == pytest.approx(expected, rel=0.15)
    assert stds[1e-3] / stds[16e-3] == pytest.approx(4.0, rel=0.2)


@pytest.mark.slow
def test_second_harmonic_detects_second_derivative():
    sample = Paramagnet(g=2.0036, lorentz_hwhm=0.15e-3)
    world = SimulatedWorld(sample, seed=2)
    lab = build_sim_lab(world)
    col = MemoryCollector()
    b = H * 9.5e9 / (sample.g * MU_B)
    RunEngine(lab).run(EsrFieldSweep(field_start=b - 2e-3, field_stop=b + 2e-3, points=201, harmonic=2,
                                     mod_amplitude=30e-6), [col])
    x = np.array([r["x"] for r in col.rows])
    fields = np.array([r["field_set"] for r in col.rows])
    centre = np.argmin(abs(fields - b))
    # A second derivative of an absorption peak is a negative extremum at resonance (phase 0).
    assert abs(x[centre]) > 0.8 * np.max(np.abs(x))
    # L'' = (6x^2 - 2)/(1 + x^2)^3: positive side lobes a quarter of the central extremum.
    lobe = np.max(x * -np.sign(x[centre]))
    assert 0.15 < lobe / abs(x[centre]) < 0.35


@pytest.mark.slow
def test_second_harmonic_analysis_recovers_the_line():
    sample = Paramagnet(g=2.0041, lorentz_hwhm=0.18e-3)
    info, _ = sweep(sample, harmonic=2, mod_amplitude=true_dbpp(sample) / 4, points=301)
    r = info.results
    assert "warning" not in r, r.get("warning")
    assert abs(r["g_factor"].value - sample.g) < 2e-4
    assert np.isfinite(r["g_factor"].error) and r["g_factor"].error < 1e-4
    assert r["linewidth_pp"].value == pytest.approx(true_dbpp(sample), rel=0.05)


@pytest.mark.slow
def test_no_line_is_reported_as_such_not_fitted_to_noise():
    """Off the cavity's resonance (9.4 GHz into a 9.5 GHz cavity, Q 3000) nothing is detected."""
    world = SimulatedWorld(Paramagnet(), seed=4)
    lab = build_sim_lab(world)
    info = RunEngine(lab).run(EsrFieldSweep(frequency=9.4e9, field_start=0.3327, field_stop=0.3377, points=201),
                              [MemoryCollector()])
    assert info.status == "completed"
    assert "no line found" in info.results["warning"]
    assert "g_factor" not in info.results


@pytest.mark.slow
def test_lockin_overload_is_flagged_not_fitted():
    sample = Paramagnet()
    world = SimulatedWorld(sample, seed=2)
    lab = build_sim_lab(world)
    notes = []

    class Notes:
        def note(self, text):
            notes.append(text)

    info = RunEngine(lab).run(EsrFieldSweep(sensitivity=1e-6, points=201, field_start=0.3363, field_stop=0.3413),
                              [MemoryCollector(), Notes()])
    assert "overload" in info.results["warning"]
    assert "g_factor" not in info.results
    assert any("lock-in overload" in n for n in notes)


@pytest.mark.slow
def test_the_sweep_is_told_the_labs_coil_calibration_not_the_simulated_coils_truth():
    """The simulated coil is 10 % stronger than the lab's calibration says: the sweep drives
    mod_amplitude / calibration volts, so the sample sees 1.1 x mod_amplitude, and the analysis
    is told only the calibrated amplitude. At Bm = dBpp/4 (the advised regime) g and the
    intrinsic width stay within the usual tolerance whatever the line shape says about Bm."""
    sample = Paramagnet(g=2.00512, lorentz_hwhm=0.21e-3, n_spins=3e15)
    world = SimulatedWorld(sample, seed=7, modulation_t_per_v=1.1e-3)
    world.resonator.frequency = 9.62e9
    lab = build_sim_lab(world, modulation_t_per_v=1.0e-3)
    assert lab.modulation_t_per_v == 1.0e-3
    bm = true_dbpp(sample) / 4
    b_res = H * 9.62e9 / (sample.g * MU_B)
    applied = []

    class Coil:
        def point(self, index, data):
            applied.append(world.modulation_amplitude)

    info = RunEngine(lab).run(EsrFieldSweep(mod_amplitude=bm, points=301, frequency=9.62e9, field_start=b_res - 4e-3,
                                            field_stop=b_res + 4e-3), [MemoryCollector(), Coil()])
    assert applied[0] == pytest.approx(1.1 * bm, rel=1e-9)
    r = info.results
    assert abs(r["g_factor"].value - sample.g) < 2e-4
    assert r["linewidth_pp"].value == pytest.approx(true_dbpp(sample), rel=0.03)


def test_an_overmodulated_line_measures_the_modulation_field_the_calibration_got_wrong():
    """Over-modulated 3x with the coil 10 % stronger than calibrated: fitted with the calibrated
    Bm the intrinsic width would come out ~33 % wide; the line shape measures Bm instead
    (1.1 x mod_amplitude), the intrinsic width is right, and a note names the calibration."""
    sample = Paramagnet(g=2.00512, lorentz_hwhm=0.21e-3, n_spins=3e15)
    world = SimulatedWorld(sample, seed=7, modulation_t_per_v=1.1e-3)
    world.resonator.frequency = 9.62e9
    lab = build_sim_lab(world, modulation_t_per_v=1.0e-3)
    bm = 3 * true_dbpp(sample)
    b_res = H * 9.62e9 / (sample.g * MU_B)
    info = RunEngine(lab).run(EsrFieldSweep(mod_amplitude=bm, points=301, frequency=9.62e9, field_start=b_res - 4e-3,
                                            field_stop=b_res + 4e-3), [MemoryCollector()])
    r = info.results
    assert r["mod_amplitude_measured"].value == pytest.approx(1.1 * bm, rel=0.02)
    assert r["linewidth_pp"].value == pytest.approx(true_dbpp(sample), rel=0.03)
    assert abs(r["g_factor"].value - sample.g) < 2e-4
    assert "modulation_coil" in r["note"]
    # with a right calibration the measured field agrees and nothing is overridden
    world = SimulatedWorld(sample, seed=7)
    world.resonator.frequency = 9.62e9
    info = RunEngine(build_sim_lab(world)).run(
        EsrFieldSweep(mod_amplitude=bm, points=301, frequency=9.62e9, field_start=b_res - 4e-3,
                      field_stop=b_res + 4e-3), [MemoryCollector()])
    assert info.results["mod_amplitude_measured"].value == pytest.approx(bm, rel=0.02)
    assert "note" not in info.results
