"""Shaped, off-resonant and binomial pulses: LIBRE at 3 T, hyperbolic-secant inversion, AWG
sampling, PulseBlaster refusal; every profile checked against rotation matrices built here.

The reference below is independent of the Bloch ensemble: each piecewise-constant segment is
the matrix exponential (scipy.linalg.expm) of the Bloch generator, in the frame of the
segment's RF frequency, turned back to the water frame by a z rotation of 2 pi f_RF T.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.linalg import expm

from sequences.pulse import Constraints, Sequence, SequenceError, compile_awg, compile_pulseblaster, pulse
from sequences.pulse.adiabatic import design_hsec
from sequences.pulse.segments import ideal_segments, sampled_segments
from sequences.pulse.shapes import ShapeError, parse_shape
from sequences.pulse.water_excitation import design_binomial, design_fat_sat, design_libre
from sim_backend.pulsed.profile import excitation_profile

B0, FLIP, B1_MAX = 3.0, 10.0, 13.5e-6
#: Fat (methylene) 3.4 ppm below water at 3 T; 1H: 42.577478 MHz/T (CODATA 2018).
FAT_HZ = -3.4e-6 * 42.577478e6 * B0
AWG = Constraints.for_awg(1e6, max_pulse_length=1.0, max_rf_duty_cycle=1.0)


def rotation_reference(segments, w1_full: float, offsets_hz: np.ndarray, scale: float) -> np.ndarray:
    """(3, n) magnetisation from +z, segment by segment, by matrix exponentials."""
    amp = np.array([s.amp for s in segments])
    f_rf = np.array([s.offset for s in segments])
    dur = np.array([s.duration for s in segments])
    wx, wy = w1_full * scale * amp.real, w1_full * scale * amp.imag
    c = 2 * math.pi * f_rf * dur
    back = np.zeros((len(dur), 3, 3))  # z rotation from the RF frame back to the water frame
    back[:, 0, 0], back[:, 0, 1], back[:, 1, 0], back[:, 1, 1] = np.cos(c), -np.sin(c), np.sin(c), np.cos(c)
    back[:, 2, 2] = 1.0
    out = np.zeros((3, len(offsets_hz)))
    for j, f in enumerate(offsets_hz):
        wz = 2 * math.pi * (f - f_rf)
        gen = np.zeros((len(dur), 3, 3))  # Omega x, per segment
        gen[:, 0, 1], gen[:, 0, 2], gen[:, 1, 0] = -wz, wy, wz
        gen[:, 1, 2], gen[:, 2, 0], gen[:, 2, 1] = -wx, -wy, wx
        steps = back @ expm(gen * dur[:, None, None])
        m = np.array([0.0, 0.0, 1.0])
        for r in steps:
            m = r @ m
        out[:, j] = m
    return out


def _designs():
    return {"libre": design_libre(B0, FLIP, B1_MAX), "1-1": design_binomial("1-1", B0, FLIP, B1_MAX),
            "1-2-1": design_binomial("1-2-1", B0, FLIP, B1_MAX),
            "1-180-1": design_binomial("1-180-1", B0, FLIP, B1_MAX),
            "fat-sat": design_fat_sat(B0, B1_MAX, duration=8e-3),
            "hsec": design_hsec(20e-3, B1_MAX, B1_MAX)}


DESIGNS = _designs()


def test_libre_design_at_3T_suppresses_fat_over_b1_08_to_12():
    d = DESIGNS["libre"]
    assert d.fat_offset == pytest.approx(FAT_HZ, rel=1e-12)
    scales = np.linspace(0.8, 1.2, 9)
    for segments in (ideal_segments(d.sequence), sampled_segments(compile_awg(d.sequence, AWG))):
        p = excitation_profile(segments, d.w1_max, np.array([0.0, FAT_HZ]), scales)
        water, fat = np.abs(p.mxy[:, 0]), np.abs(p.mxy[:, 1])
        assert np.all(fat < 0.02 * water), fat / water
        # water gets the set flip angle at nominal B1 (the small-tip design, exact to < 1 %)
        assert water[4] == pytest.approx(math.sin(math.radians(FLIP)), rel=0.01)
    assert d.b1_peak <= B1_MAX


@pytest.mark.parametrize("kind", ["1-1", "1-2-1", "1-180-1"])
def test_binomial_pulses_excite_water_not_fat(kind):
    d = DESIGNS[kind]
    p = excitation_profile(ideal_segments(d.sequence), d.w1_max, np.array([0.0, FAT_HZ]))
    water, fat = np.abs(p.mxy[0])
    assert water == pytest.approx(math.sin(math.radians(FLIP)), rel=0.01)
    assert fat < 0.01 * water


def test_fat_sat_saturates_fat_and_spares_water():
    d = DESIGNS["fat-sat"]
    p = excitation_profile(ideal_segments(d.sequence, reference_rate=1e5, oversample=1), d.w1_max,
                           np.array([0.0, FAT_HZ]))
    water, fat = np.abs(p.mxy[0])
    assert fat == pytest.approx(1.0, abs=0.02) and water < 0.05


def test_hsec_inversion_is_adiabatic_over_documented_b1_range():
    """20 ms HS (beta 5.3, mu 5) at 13.5 uT peak: -Mz > 0.98 for B1 x0.8 .. x2.0 within +-200 Hz
    (app.pulse_profile.HSEC_B1_RANGE); below the adiabatic threshold (x0.3) it is not."""
    d = DESIGNS["hsec"]
    segs = ideal_segments(d.sequence, reference_rate=1e5, oversample=2)
    p = excitation_profile(segs, d.w1_max, np.linspace(-200, 200, 5), np.array([0.8, 1.0, 1.5, 2.0]))
    assert np.all(-p.mz > 0.98), -p.mz
    low = excitation_profile(segs, d.w1_max, np.array([0.0]), np.array([0.3]))
    assert -low.mz[0, 0] < 0.9


@pytest.mark.parametrize("name", list(DESIGNS))
def test_profiles_agree_with_rotation_matrices(name):
    d = DESIGNS[name]
    offsets = np.array([-700.0, FAT_HZ, -100.0, 0.0, 250.0])
    rate = 2e4 if name in ("fat-sat", "hsec") else 1e5
    c = Constraints.for_awg(rate, max_pulse_length=1.0, max_rf_duty_cycle=1.0)
    views = {"ideal": ideal_segments(d.sequence, reference_rate=rate, oversample=1),
             "sampled": sampled_segments(compile_awg(d.sequence, c))}
    for view, segs in views.items():
        if name == "hsec" and view == "ideal":
            continue  # the same samples as "sampled" at this rate
        for scale in (0.8, 1.2):
            p = excitation_profile(segs, d.w1_max, offsets, np.array([scale]))
            ref = rotation_reference(segs, d.w1_max, offsets, scale)
            got = np.vstack([p.mxy.real[0], p.mxy.imag[0], p.mz[0]])
            assert np.abs(got - ref).max() < 1e-6, (view, scale, np.abs(got - ref).max())


def test_awg_samples_envelopes_offsets_and_phase_steps_exactly():
    fs = 1e6
    seq = Sequence("shaped", (pulse("100us", "y", amplitude=0.5, offset=2e3, shape="gauss(sigma=0.2)"),
                              pulse("50us", 30.0, offset=-1e3),
                              pulse("80us", "x", shape="chirp(bw=20e3)")))
    rf = compile_awg(seq, Constraints.for_awg(fs, max_pulse_length=1.0, max_rf_duty_cycle=1.0)).rf
    u = (np.arange(100) + 0.5) / 100
    k = np.arange(100)
    first = 0.5 * np.exp(-((u - 0.5) ** 2) / (2 * 0.2**2)) * np.exp(1j * (math.pi / 2 + 2 * math.pi * 2e3 * k / fs))
    assert np.abs(rf[:100] - first).max() < 1e-12
    second = np.exp(1j * (math.radians(30) - 2 * math.pi * 1e3 * np.arange(50) / fs))
    assert np.abs(rf[100:150] - second).max() < 1e-12  # the phase step lands on sample 100
    u = (np.arange(80) + 0.5) / 80
    inst_f = np.diff(np.unwrap(np.angle(rf[150:230]))) * fs / (2 * math.pi)
    assert inst_f[0] == pytest.approx(-10e3 + 20e3 / 80, rel=1e-9)  # linear sweep -bw/2 .. +bw/2
    assert np.allclose(np.diff(inst_f), 20e3 / 79 * (79 / 80), rtol=1e-9)
    assert abs(rf[150 + 40]) == pytest.approx(1.0)


def test_quantisation_error_falls_with_the_sample_rate():
    d = DESIGNS["libre"]
    offsets = np.array([0.0, FAT_HZ, 300.0])
    ideal = excitation_profile(ideal_segments(d.sequence), d.w1_max, offsets).mxy
    errs = []
    for rate in (1e5, 1e6):
        prog = compile_awg(d.sequence, Constraints.for_awg(rate, max_pulse_length=1.0, max_rf_duty_cycle=1.0))
        errs.append(np.abs(excitation_profile(sampled_segments(prog), d.w1_max, offsets).mxy - ideal).max())
    assert errs[1] < errs[0] / 5 and errs[1] < 1e-3


def test_pulseblaster_refuses_shaped_pulses_with_a_clear_message():
    with pytest.raises(SequenceError, match=r"\[shape\].*plays only rectangular pulses.*--target awg"):
        compile_pulseblaster(DESIGNS["fat-sat"].sequence, Constraints(max_pulse_length=1.0, max_rf_duty_cycle=1.0))


def test_shape_specs_round_trip_and_bad_specs_say_what_is_accepted():
    seq = DESIGNS["hsec"].sequence
    assert Sequence.from_json(seq.to_json()) == seq
    assert "shape=hsec(beta=5.3,mu=5)" in seq.to_text()
    with pytest.raises(ShapeError, match="unknown kind 'gaus'; use one of rect, gauss, sinc, hsec, chirp"):
        parse_shape("gaus")
    with pytest.raises(ShapeError, match="gauss has no parameter 'width'"):
        parse_shape("gauss(width=2)")
    with pytest.raises(ShapeError, match="must be a positive number"):
        parse_shape("sinc(lobes=-1)")


@pytest.mark.slow  # three designs profiled on a 121-offset grid and plotted: a few seconds
def test_cli_profile_prints_figures_and_writes_png(tmp_path, capsys):
    from app.cli_sequence import main

    out = tmp_path / "libre.png"
    assert main(["sequence", "profile", "libre", "--set", "b0=3T", "--set", "flip=10", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert out.stat().st_size > 10_000
    assert "binomial-1-180-1" in text and "fat-sat" in text and "AWG quantisation error" in text
    worst = float(text.split("fat/water, B1 x0.8-1.2")[1].split("%")[0])
    assert worst < 2.0


def test_a_design_beyond_b1_max_is_a_one_line_error(capsys):
    import subprocess
    import sys

    with pytest.raises(Exception, match=r"LIBRE \(90 deg at 3 T\) needs B1 = .* above b1_max = 0.1 uT"):
        design_libre(B0, 90.0, 0.1e-6)
    proc = subprocess.run([sys.executable, "-m", "app.cli", "sequence", "profile", "libre", "--set", "flip=90",
                           "--set", "b1_max=0.1uT"], capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "above b1_max = 0.1 uT" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("shape,length", [("sinc(lobes=3)", 2e-3), ("chirp(bw=2000)", 10e-3), ("rect", 1e-3)])
def test_sinc_chirp_rect_profiles_agree_with_rotation_matrices(shape, length):
    seq = Sequence("s", (pulse(length, "y", amplitude=0.3, offset=150.0, shape=shape),))
    w1 = 2 * math.pi * 500.0  # full scale: 500 Hz nutation
    c = Constraints.for_awg(2e4, max_pulse_length=1.0, max_rf_duty_cycle=1.0)
    offsets = np.array([-600.0, 0.0, 150.0, 900.0])
    for segs in (sampled_segments(compile_awg(seq, c)), ideal_segments(seq, reference_rate=2e4, oversample=1)):
        p = excitation_profile(segs, w1, offsets, np.array([0.9]))
        ref = rotation_reference(segs, w1, offsets, 0.9)
        got = np.vstack([p.mxy.real[0], p.mxy.imag[0], p.mz[0]])
        assert np.abs(got - ref).max() < 1e-6
