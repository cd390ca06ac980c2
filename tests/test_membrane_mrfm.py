"""Force-detected ESR and 1D MRFM imaging on the simulated membrane."""
from __future__ import annotations

import math

import numpy as np
import pytest

from analysis.membrane_plots import force_spectrum_figure
from sequences.experiment import FitValue
from sequences.experiments.mrfm_esr import ForceDetectedEsr
from sequences.experiments.mrfm_imaging import MrfmImaging1D
from sim_backend.constants import G_E, HBAR, KB, MU_B
from sim_backend.membrane import SpinSample, phantom_sample
from sim_backend.membrane.bloch import Protocol, packet_harmonics
from sim_backend.membrane.spins import brillouin_moment, electron
from membrane_helpers import membrane_lab, run

H = 6.62607015e-34
B_RES = H * 9.5e9 / (G_E * MU_B)  # field at which the film's electrons resonate at 9.5 GHz


def thin_film() -> SpinSample:
    return SpinSample.film(thickness=10e-9, density=2e27, area=4e-10, t1=300e-9, t2=100e-9)


@pytest.mark.parametrize("protocol, settings", [
    ("cyclic_saturation", {}),
    ("field_modulation", {"coil_amplitude": 0.05e-3}),
])
@pytest.mark.slow
def test_force_detected_esr_finds_the_resonance_within_a_tenth_of_the_linewidth(protocol, settings, tmp_path):
    sample = thin_film()
    lab = membrane_lab(21, sample=sample)
    f0 = lab.world.membrane.mode.f0
    exp = ForceDetectedEsr(field_start=B_RES - 1e-3, field_stop=B_RES + 1e-3, points=41, power=0.3e-3,
                           protocol=protocol, membrane_frequency=f0 + 0.1, average=0.5, **settings)
    info, data = run(lab, exp)
    fwhm = 2 / (sample.species.gamma * sample.t2)  # intrinsic line, 114 uT
    assert abs(info.results["resonance_field"].value - B_RES) < fwhm / 10
    assert info.results["g_factor"].value == pytest.approx(G_E, abs=2e-4)
    assert "warning" not in info.results and info.results["model"] in ("lorentzian", "gaussian")
    # Saturation-broadened line convolved with the 10 nm film's 0.2 mT slice: wider than intrinsic.
    assert fwhm < info.results["linewidth_fwhm"].value < 5 * fwhm
    assert lab.world.is_safe() and not lab.world.microwave.output
    assert exp.plot(data, info.results, tmp_path / "esr.png").stat().st_size > 10_000


def finite_results(results: dict) -> None:
    for name, value in results.items():
        if isinstance(value, FitValue):
            assert math.isfinite(value.value), f"{name} is {value.value}"


@pytest.mark.slow
def test_esr_of_the_default_film_in_the_documented_window_gives_its_profile_width(tmp_path):
    # The phantom is a 2 um film in 2e4 T/m: its spectrum is a 40 mT wide plateau (with the two
    # depletions as dips), which no single line fits; the half-maximum crossings measure it.
    lab = membrane_lab(25, sample=phantom_sample())
    k, q = lab.world.membrane.mode.spring_constant, lab.world.membrane.mode.q
    exp = ForceDetectedEsr(field_start=0.305, field_stop=0.373, points=69, spring_constant=k, quality_factor=q)
    assert (exp.field_start, exp.field_stop, exp.points) == (ForceDetectedEsr().field_start,
                                                             ForceDetectedEsr().field_stop, ForceDetectedEsr().points)
    info, data = run(lab, exp)
    r = info.results
    assert "warning" not in r and r["model"] == "half maximum"
    assert r["linewidth_fwhm"].value == pytest.approx(2e-6 * 2e4, rel=0.05)
    assert abs(r["resonance_field"].value - B_RES) < 0.5e-3
    assert r["peak_force"].value == pytest.approx(k * r["peak_amplitude"].value / q, rel=1e-9)
    finite_results(r)
    exp.plot(data, r, tmp_path / "film.png")


@pytest.mark.parametrize("window, why", [
    ((B_RES - 1e-3, B_RES + 1e-3), "not contained"),  # the old documented 2 mT window, inside the plateau
    ((B_RES + 10e-3, B_RES + 35e-3), "not contained"),  # the low end inside the plateau
    ((B_RES - 60e-3, B_RES - 40e-3), "noise"),  # nowhere near the film
])
def test_esr_refuses_a_centre_or_width_it_cannot_measure(window, why):
    lab = membrane_lab(26, sample=phantom_sample())
    exp = ForceDetectedEsr(field_start=window[0], field_stop=window[1], points=21, average=0.5)
    info, data = run(lab, exp)
    r = info.results
    assert why in r["warning"]
    assert not {"resonance_field", "g_factor", "linewidth_fwhm", "model"} & set(r)
    assert "peak_force" not in r and "spring_constant" in r["note"]  # k and Q not given
    finite_results(r)
    fig = force_spectrum_figure(*ForceDetectedEsr.signal(data)[:2], None, r, info.status)
    assert fig.axes[0].get_title() == "force-detected ESR \u2014 completed"
    assert any(why in t.get_text().replace("\n", " ") for t in fig.axes[0].texts)


def test_spin_force_comes_only_from_the_resonant_slice():
    lab = membrane_lab(22, sample=thin_film())
    system, world = lab.world.membrane, lab.world
    world.microwave.frequency, world.microwave.power, world.microwave.output = 9.5e9, 0.3e-3, True
    world.microwave.modulation["am"] = {"enabled": True, "depth": 1.0, "rate": system.mode.f0}
    world.magnet.set_field(B_RES)
    world.clock.sleep(world.magnet.time_to_target())
    on = abs(system.force_tones()[0][1])
    world.magnet.set_field(B_RES + 10e-3)  # the slice is now 500 nm away from the 10 nm film
    world.clock.sleep(world.magnet.time_to_target())
    assert not system.force_tones() or abs(system.force_tones()[0][1]) < 1e-3 * on
    assert 1e-14 < on < 1e-12  # tens to hundreds of fN for 8e9 spins in 2e4 T/m


def test_spin_physics_against_closed_forms():
    # Curie-Brillouin moment of S = 1/2: (g muB / 2) tanh(g muB B / 2 kB T) (Kittel, Solid State Physics).
    b, t = 0.34, 4.0
    expected = G_E * MU_B / 2 * math.tanh(G_E * MU_B * b / (2 * KB * t))
    assert brillouin_moment(electron(), b, t) == pytest.approx(expected, rel=1e-9)
    # cw saturation: Mz/M0 = (1 + dw^2 T2^2) / (1 + dw^2 T2^2 + g^2 B1^2 T1 T2) (Bloch 1946).
    gamma, t1, t2, b1 = G_E * MU_B / HBAR, 1e-6, 1e-7, 2e-5
    d = np.linspace(-3e-4, 3e-4, 9)
    r = packet_harmonics(d, gamma, t1, t2, Protocol(rate=1e6, b1=b1), harmonics=1, n_steps=256)
    dw = gamma * d
    bloch = (1 + (dw * t2) ** 2) / (1 + (dw * t2) ** 2 + (gamma * b1) ** 2 * t1 * t2)
    assert np.allclose(r[0].real, bloch, rtol=1e-4)
    assert np.allclose(np.abs(r[1]), 0, atol=1e-12)  # nothing is modulated


def image(lab, **settings):
    f0 = lab.world.membrane.mode.f0
    exp = MrfmImaging1D(membrane_frequency=f0, **settings)
    return exp, *run(lab, exp)


@pytest.mark.slow
def test_1d_image_resolves_two_depleted_regions_500nm_apart(tmp_path):
    lab = membrane_lab(23, sample=phantom_sample())
    exp, info, data = image(lab)
    r = info.results
    assert np.allclose(np.diff(data["slice_z"]), -170e-9, rtol=0.02)  # ~170 nm slice steps
    assert r["resolved"] and r["dip_ratio"].value < 0.5
    assert r["z1"].value == pytest.approx(-250e-9, abs=60e-9)
    assert r["z2"].value == pytest.approx(250e-9, abs=60e-9)
    assert r["separation"].value == pytest.approx(500e-9, rel=0.2)
    assert exp.plot(data, r, tmp_path / "profile.png").stat().st_size > 10_000


@pytest.mark.slow
def test_frequency_tracking_keeps_a_drifting_membrane_on_resonance():
    drift = 0.03  # Hz/s: ~2 Hz (two linewidths) during an untracked scan, ~4.5 Hz with tracking
    lab = membrane_lab(24, sample=phantom_sample())
    lab.world.membrane.mode.f0_drift_rate = drift
    _, info, data = image(lab, track_frequency=True)
    mode = lab.world.membrane.mode
    true_f0 = mode.f0 + drift * np.asarray(data["time"])
    assert np.max(np.abs(np.asarray(data["reference"]) - true_f0)) < 0.6  # within ~half a linewidth
    assert info.results["resolved"]
    plateau = lambda d: np.abs(np.asarray(d["x"]) + 1j * np.asarray(d["y"]))  # noqa: E731
    tracked = plateau(data)
    assert tracked[12:15].mean() > 0.9 * tracked[4:7].mean()  # film plateau before vs after

    lab2 = membrane_lab(24, sample=phantom_sample())
    lab2.world.membrane.mode.f0_drift_rate = drift
    _, _, fixed = image(lab2)
    untracked = plateau(fixed)
    assert untracked[12:15].mean() < 0.75 * untracked[4:7].mean()  # walked off resonance


@pytest.mark.slow
def test_an_unknown_membrane_frequency_is_measured_then_used():
    """The membrane is 2.6 Hz (2.6 linewidths) above its nominal f0, and no experiment is told:
    a driven sweep around the nominal value finds it, and force-detected ESR run at the measured
    f0 sees the line five times stronger than at the nominal one (where the drive is off the
    mode)."""
    from sequences.experiments.membrane_resonator import MembraneDrivenSweep
    from sim_backend.membrane import MembraneMode

    nominal = MembraneMode().f0
    true_f0 = nominal + 2.6

    def lab():
        return membrane_lab(31, mode=MembraneMode(f0=true_f0), sample=thin_film())

    info, _ = run(lab(), MembraneDrivenSweep(freq_start=nominal - 6, freq_stop=nominal + 6, points=49))
    f0 = info.results["f0"].value
    assert f0 == pytest.approx(true_f0, abs=0.05)  # a twentieth of the 1 Hz linewidth

    def esr(membrane_frequency):
        exp = ForceDetectedEsr(field_start=B_RES - 1e-3, field_stop=B_RES + 1e-3, points=41, power=0.3e-3,
                               membrane_frequency=membrane_frequency, average=0.5)
        return run(lab(), exp)[0].results

    measured, assumed = esr(f0), esr(nominal)
    fwhm = 2 / (thin_film().species.gamma * thin_film().t2)
    assert abs(measured["resonance_field"].value - B_RES) < fwhm / 10
    assert measured["peak_amplitude"].value > 3 * assumed["peak_amplitude"].value
