"""Acceptance: pulsed experiments on the simulated spectrometer recover the simulated T1, T2 and
Rabi frequency within 2 %, and the Hahn echo forms at 2 tau."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

from app.engine import MemoryCollector, RunEngine
from app.simlab import SIM_LIMITS, build_sim_lab
from sequences.experiments import EXPERIMENTS
from sim_backend.pulsed import PulsedSample, add_pulsed
from sim_backend.world import SimulatedWorld

B0 = 0.34  # fixed field (a permanent magnet): the carrier is set on resonance exactly


def run(name: str, sample: PulsedSample | None = None, **settings):
    world = SimulatedWorld(seed=3)
    sample = sample or PulsedSample(static_field=B0)
    add_pulsed(world, sample)
    lab = build_sim_lab(world)
    settings.setdefault("frequency", sample.gamma * B0)
    settings.setdefault("field", 0.0)
    collector = MemoryCollector()
    info = RunEngine(lab).run(EXPERIMENTS[name](**settings), [collector])
    assert info.status == "completed", info.error
    return info, world, sample, collector


def test_nutation_recovers_the_rabi_frequency_and_b1():
    info, world, sample, _ = run("nutation")
    r = info.results
    rabi = sample.rabi_per_sqrt_watt * math.sqrt(0.0625)
    assert r["rabi_frequency"].value == pytest.approx(rabi, rel=0.02)
    assert r["pi_pulse"].value == pytest.approx(1 / (2 * rabi), rel=0.02)
    assert r["b1"].value == pytest.approx(rabi / sample.gamma, rel=0.02)


@pytest.mark.parametrize("mode", ["inversion", "saturation"])
def test_t1_recovery_recovers_t1(mode):
    sample = PulsedSample(static_field=B0, t1=12e-6)
    info, *_ = run("t1", sample, mode=mode, t_rec_start=0.3e-6, t_rec_stop=60e-6, points=14)
    r = info.results
    assert r["T1"].value == pytest.approx(sample.t1, rel=0.02)
    depth = r["recovery_depth"].value  # B/A: ~2 for inversion, ~1 for saturation
    assert depth == pytest.approx(2.0 if mode == "inversion" else 1.0, abs=0.15)


def test_hahn_echo_decay_recovers_t2_and_the_echo_forms_at_two_tau():
    sample = PulsedSample(static_field=B0, t2=1.2e-6)
    info, world, _, collector = run("t2-hahn", sample, tau_start=400e-9, tau_stop=1.8e-6, points=8, averages=2)
    r = info.results
    assert r["T2"].value == pytest.approx(sample.t2, rel=0.02)
    period = 1 / 250e6
    offsets = r["echo_times"] - 2 * r["fit_x"]
    strong = np.exp(-2 * r["fit_x"] / sample.t2) > 0.15  # echoes well above the noise
    assert np.all(np.abs(offsets[strong]) < period), offsets  # refocusing point within one sample of 2 tau
    assert np.all(np.abs(offsets) < 5 * period), offsets


def test_cpmg_train_recovers_t2():
    sample = PulsedSample(static_field=B0, t2=2e-6)
    info, *_ = run("cpmg", sample, tau=800e-9, n_echoes=6, averages=2)
    assert info.results["T2"].value == pytest.approx(sample.t2, rel=0.02)
    # the train decays ~1.2 % slower because the pi pulses park the spins along z (T1 >> T2);
    # the corrected value takes that out
    assert info.results["T2_pulse_corrected"].value == pytest.approx(sample.t2, rel=0.005)


def test_fid_spectrum_finds_the_offset_and_the_linewidth():
    sample = PulsedSample(static_field=B0, linewidth=2e6)
    offset = 1.5e6
    info, _, _, collector = run("fid", sample, frequency=sample.gamma * B0 - offset)  # carrier 1.5 MHz below
    r = info.results
    assert r["peak_offset"].value == pytest.approx(offset, abs=50e3)
    assert r["resonance_frequency"].value == pytest.approx(sample.gamma * B0, abs=50e3)
    # the total width against the Voigt closed form (Olivero & Longbothum 1977) of the sample's
    # Gaussian inhomogeneous FWHM and Lorentzian 1/(pi T2); the split is not reported (time-origin bias)
    fg, fl = sample.linewidth, 1 / (math.pi * sample.t2)
    voigt = 0.5346 * fl + math.sqrt(0.2166 * fl * fl + fg * fg)
    assert r["linewidth"].value == pytest.approx(voigt, rel=0.02)
    assert "gaussian_fwhm" not in r and "lorentzian_fwhm" not in r
    # the plot's legend says which width is which: the spectrum drawn is narrower (dead-time points
    # missing) than the line's FWHM from the envelope fit, and a bare "FWHM" misled the reader
    from analysis.pulsed_plots import spectrum_figure

    run_data = collector.run_data(info)
    trace = np.asarray(run_data["trace_re"])[-1] + 1j * np.asarray(run_data["trace_im"])[-1]
    fig = spectrum_figure(np.arange(len(trace)) / 250e6, trace, r["spectrum_freq"], r["spectrum_real"], r)
    labels = [t.get_text() for t in fig.axes[1].get_legend().get_texts()]
    assert r["spectrum_fwhm"].value < 0.9 * r["linewidth"].value
    spectral = next(t for t in labels if "half-height width of this spectrum" in t)
    assert f"{r['spectrum_fwhm'].value / 1e6:.3f} MHz" in spectral
    line = next(t for t in labels if "line FWHM" in t)
    assert f"{r['linewidth'].value / 1e6:.3f} MHz" in line and "Voigt fit to the FID envelope" in line
    assert not any(t.startswith("peak") and "FWHM" in t for t in labels)


def test_pulsed_run_through_the_electromagnet_sees_its_remanence(tmp_path):
    """Default settings: the experiment ramps the field controller; the line sits where the iron's
    remanence puts it (gamma x 30 uT ~ 0.84 MHz above the carrier), and the spectrum shows it."""
    from drivers.lab import Lab
    from sim_backend.instruments import SimFieldController, SimRFSource

    world = SimulatedWorld(seed=3)
    world.lockin.time_constant = 3.0  # unused here; lets the simulated clock take big steps in ramps
    instruments = {"rf": SimRFSource(world), "field": SimFieldController(world), **add_pulsed(world)}
    lab = Lab(instruments, SIM_LIMITS, world.clock, world=world)  # the default sample, in the electromagnet
    exp = EXPERIMENTS["fid"]()
    collector = MemoryCollector()
    info = RunEngine(lab).run(exp, [collector])
    expected = world.pulsed.sample.gamma * (exp.field + world.magnet.remanence) - exp.frequency
    assert expected == pytest.approx(0.84e6, rel=0.05)
    assert info.results["peak_offset"].value == pytest.approx(expected, abs=50e3)
    assert world.magnet.true_field == 0.0  # and the run ended with the magnet ramped down
    assert not world.microwave.output  # the plan switched the source off; the engine made it safe
    meta = exp.metadata()
    json.dumps(meta)  # storable as it is
    assert meta["sequence"]["name"] == "fid" and "STOP" in meta["program_listing"]
    png = exp.plot(collector.run_data(info), info.results, tmp_path / "fid.png")
    assert png.stat().st_size > 10_000


@pytest.mark.parametrize("name", ["nutation", "t1", "t2-hahn", "cpmg"])
def test_every_pulsed_experiment_plots(name, tmp_path):
    settings = {"points": 6} if name != "cpmg" else {}
    info, world, _, collector = run(name, **settings)
    path = EXPERIMENTS[name]().plot(collector.run_data(info), info.results, tmp_path / f"{name}.png")
    assert path.exists() and path.stat().st_size > 10_000


def test_a_carrier_off_resonance_still_gives_t1_t2_and_the_nutation_frequency():
    """The carrier is set 1.5 MHz below the line (most of its 2 MHz width), as it is when the
    field or gamma is not known exactly: T1, T2 (Hahn and CPMG) come out as on resonance, and the
    nutation is at the effective Rabi frequency sqrt(Rabi^2 + offset^2)."""
    offset = -1.5e6

    def off(name, sample, **settings):
        return run(name, sample, frequency=sample.gamma * B0 + offset, **settings)[0].results

    sample = PulsedSample(static_field=B0)
    rabi = sample.rabi_per_sqrt_watt * math.sqrt(0.0625)
    assert off("nutation", sample)["rabi_frequency"].value == pytest.approx(math.hypot(rabi, offset), rel=0.01)
    sample = PulsedSample(static_field=B0, t1=12e-6)
    r = off("t1", sample, mode="inversion", t_rec_start=0.3e-6, t_rec_stop=60e-6, points=14)
    assert r["T1"].value == pytest.approx(sample.t1, rel=0.02)
    sample = PulsedSample(static_field=B0, t2=1.2e-6)
    r = off("t2-hahn", sample, tau_start=400e-9, tau_stop=1.8e-6, points=8, averages=2)
    assert r["T2"].value == pytest.approx(sample.t2, rel=0.02)
    assert np.all(np.abs(r["echo_times"] - 2 * r["fit_x"]) < 5 / 250e6)  # the echo still forms at 2 tau
    sample = PulsedSample(static_field=B0, t2=2e-6)
    r = off("cpmg", sample, tau=800e-9, n_echoes=6, averages=2)
    assert r["T2_pulse_corrected"].value == pytest.approx(sample.t2, rel=0.02)
