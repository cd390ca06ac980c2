"""Resonator characterisation on the simulated membrane: driven sweep, ringdown, readout chain."""
from __future__ import annotations

import math

import numpy as np
import pytest

from drivers.errors import InstrumentError
from analysis.membrane_plots import driven_sweep_figure
from analysis.resonator_fits import averaged_thermal_variance
from sequences.experiment import ParameterError
from sequences.experiments import EXPERIMENTS
from sequences.experiments.membrane_resonator import MembraneDrivenSweep, MembraneRingdown
from sequences.experiments.membrane_readout import prepare_readout
from sequences.experiments.mrfm_esr import ForceDetectedEsr
from sim_backend.constants import KB
from membrane_helpers import membrane_lab, run


@pytest.mark.slow
def test_sweep_and_ringdown_recover_f0_within_1ppm_and_q_within_5_percent(tmp_path):
    lab = membrane_lab(seed=3)
    mode = lab.world.membrane.mode
    # The sweep window is not centred on f0 and the ringdown drive is 0.4 Hz off: both must find it.
    info_sweep, sweep = run(lab, MembraneDrivenSweep(freq_start=mode.f0 - 3.3, freq_stop=mode.f0 + 4.7, points=33))
    info_s = info_sweep.results
    info_r, ring = run(lab, MembraneRingdown(drive_frequency=mode.f0 + 0.4, record_time=1.5))
    for results in (info_s, info_r.results):
        assert abs(results["f0"].value - mode.f0) / mode.f0 < 1e-6
        assert results["q"].value == pytest.approx(mode.q, rel=0.05)
    assert info_r.results["ringdown_time"].value == pytest.approx(mode.ringdown_time, rel=0.05)
    assert MembraneDrivenSweep().plot(sweep, info_s, tmp_path / "sweep.png").stat().st_size > 10_000
    # The phase falls through -180 degrees across the resonance: drawn unwrapped, without a jump.
    fig = driven_sweep_figure(sweep, info_s)
    amplitude_axes, phase_axes = fig.axes
    measured, fitted = (np.asarray(line.get_ydata()) for line in phase_axes.lines[:2])
    assert np.ptp(measured) > 150 and np.max(np.abs(np.diff(measured))) < 60
    assert np.max(np.abs(np.diff(fitted))) < 10
    assert abs(np.interp(0.0, phase_axes.lines[1].get_xdata(), fitted) - measured[np.argmin(
        np.abs(phase_axes.lines[0].get_xdata()))]) < 30  # fit and data on the same branch
    assert amplitude_axes.get_title() == "membrane driven sweep \u2014 completed"
    assert MembraneRingdown().plot(ring, info_r.results, tmp_path / "ring.png").stat().st_size > 10_000
    assert not lab.piezo.output  # the run ended safe


@pytest.mark.slow
def test_ringdown_error_bars_match_the_scatter_over_seeds():
    # Thermal motion stays correlated for a ringdown time, so treating the lock-in samples as
    # independent gave error bars up to 5x too small (the default seed read 5 sigma off).
    q_pulls, f_pulls, rel_errors, limits = [], [], [], []
    for seed in range(24):
        lab = membrane_lab(seed)
        mode = lab.world.membrane.mode
        info, _ = run(lab, MembraneRingdown(drive_frequency=mode.f0 + 0.4))
        r = info.results
        q_pulls.append((r["q"].value - mode.q) / r["q"].error)
        f_pulls.append((r["f0"].value - mode.f0) / r["f0"].error)
        rel_errors.append(r["q"].error / r["q"].value)
        # Thermal limit of a ringdown: sigma_Q / Q = 2 sqrt(kB T / k) / A (A: initial amplitude).
        x_th = math.sqrt(KB * lab.world.thermal.temperature / mode.spring_constant)
        limits.append(2 * x_th / r["initial_amplitude"].value)
    for pulls in (np.array(q_pulls), np.array(f_pulls)):
        assert abs(pulls.mean()) < 3 / math.sqrt(pulls.size)  # no bias beyond the noise
        assert 0.6 < pulls.std(ddof=1) < 1.6
        assert np.max(np.abs(pulls)) < 4
    assert np.median(np.array(rel_errors) / np.array(limits)) == pytest.approx(1.0, rel=0.25)


@pytest.mark.slow
def test_averaged_thermal_noise_is_quieter_off_resonance_as_the_sweep_weights_assume():
    # A sweep point averages the thermal motion for T in a frame turning at f0 - f: 3 Hz off
    # resonance it is ~7x quieter than on it. The sweep fit weights its points by this.
    lab = membrane_lab(seed=8)
    mode = lab.world.membrane.mode
    x2 = KB * lab.world.thermal.temperature / mode.spring_constant
    for detuning in (0.0, 3.0):
        readout = prepare_readout(lab, mode.f0 + detuning, 1e-3, 24, 1.0)
        z = []
        for _ in range(120):
            lab.sleep(1.5)  # ~5 ringdown times: independent points, as in the sweep
            z.append(readout.average(lab, 0.3, 0.01))
        predicted = 2 * x2 * averaged_thermal_variance(detuning, mode.ringdown_time, 0.3)
        assert np.mean(np.abs(z) ** 2) == pytest.approx(predicted, rel=0.2)


def test_driven_response_on_resonance_is_q_force_over_k_lagging_90_degrees():
    lab = membrane_lab(seed=4)
    system = lab.world.membrane
    mode, piezo = system.mode, system.piezo
    sensor, li = lab.displacement, lab.displacement.demodulator
    m_per_v = sensor.calibrate_fringe()
    sensor.lock_working_point()
    li.time_constant, li.filter_slope, li.reference_frequency = 1e-3, 24, mode.f0
    lab.piezo.frequency, lab.piezo.amplitude, lab.piezo.output = mode.f0, 0.5, True
    lab.sleep(12 * mode.ringdown_time)
    z = np.mean([math.sqrt(2) * complex(*li.read_xy()) * m_per_v for _ in range(50) if not lab.sleep(0.01)])
    force = 0.5 * piezo.force_per_volt
    assert abs(z) == pytest.approx(mode.q * force / mode.spring_constant, rel=0.02)
    lag = math.degrees(np.angle(z)) - piezo.phase_deg
    assert lag == pytest.approx(-90.0, abs=2.0)


def locked_readout(seed: int):
    """A membrane lab with its interferometer calibrated and locked and its lock-in at f0 (1 ms):
    (lab, mode, sensor, lock-in, metres per volt)."""
    lab = membrane_lab(seed=seed)
    mode = lab.world.membrane.mode
    sensor, li = lab.displacement, lab.displacement.demodulator
    m_per_v = sensor.calibrate_fringe()
    sensor.lock_working_point()
    li.time_constant, li.reference_frequency = 1e-3, mode.f0
    return lab, mode, sensor, li, m_per_v


def test_raw_record_demodulated_in_software_matches_the_lockin():
    lab, mode, sensor, li, m_per_v = locked_readout(5)
    lab.piezo.frequency, lab.piezo.amplitude, lab.piezo.output = mode.f0, 1.0, True
    lab.sleep(10 * mode.ringdown_time)
    before = math.sqrt(2) * abs(complex(*li.read_xy())) * m_per_v
    sensor.sample_rate = 10e6
    t0 = lab.clock.now()
    x = sensor.acquire(200_000)  # 20 ms of raw displacement samples
    t = t0 + np.arange(x.size) / sensor.sample_rate
    digital = 2 * abs(np.mean((x - x.mean()) * np.exp(-2j * np.pi * mode.f0 * t)))
    assert digital == pytest.approx(before, rel=0.02)
    after = math.sqrt(2) * abs(complex(*li.read_xy())) * m_per_v
    assert after == pytest.approx(before, rel=0.02)  # the demodulator kept running during the record


@pytest.mark.slow
def test_thermal_motion_obeys_equipartition_through_the_readout():
    lab, mode, sensor, li, m_per_v = locked_readout(6)
    samples = []
    for _ in range(600):  # 3 ringdown times apart: nearly independent
        lab.sleep(3 * mode.ringdown_time)
        samples.append(abs(math.sqrt(2) * complex(*li.read_xy()) * m_per_v) ** 2)
    mean_x2 = np.mean(samples) / 2  # <x^2> = <|a|^2> / 2
    assert mean_x2 == pytest.approx(KB * lab.world.thermal.temperature / mode.spring_constant, rel=0.12)


def test_bad_input_is_refused_before_any_instrument_is_touched():
    with pytest.raises(ParameterError, match="freq_start"):
        MembraneDrivenSweep(freq_start=2e6, freq_stop=1e6)
    with pytest.raises(ParameterError, match="drive_amplitude"):
        MembraneRingdown(drive_amplitude=50.0)
    lab = membrane_lab(seed=7)
    log_len = len(lab.world.command_log)
    from app.engine import RunEngine

    with pytest.raises(ParameterError, match="max RF power"):
        RunEngine(lab).run(ForceDetectedEsr(power=0.5))
    del lab.instruments["piezo"]
    with pytest.raises(ParameterError, match="'piezo'"):
        RunEngine(lab).run(MembraneRingdown())
    assert len(lab.world.command_log) == log_len
    with pytest.raises(InstrumentError, match="calibrate_fringe"):
        lab.displacement.acquire(10)
    lab.displacement.calibrate_fringe()
    with pytest.raises(ValueError, match="n_samples"):
        lab.displacement.acquire(0)


def test_membrane_experiments_are_registered():
    for name in ("membrane-sweep", "membrane-ringdown", "membrane-psd", "mrfm-esr", "mrfm-image"):
        assert name in EXPERIMENTS
