"""The simulated pulsed spectrometer: closed-form Bloch maps against numerical integration, and
the compiled program's execution coupled to the world (source, clock, receiver)."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from sequences.pulse import Constraints, Sequence, acquire, compile_pulseblaster, delay, get_sequence, loop, pulse
from sim_backend.pulsed import PulsedSample, add_pulsed
from sim_backend.pulsed.bloch import Ensemble

B0 = 0.34


def bloch_ode(m0, t, w1, phase, delta, t1, t2):
    """Reference: dM/dt = Omega x M - relaxation, integrated numerically."""
    omega = np.array([w1 * math.cos(phase), w1 * math.sin(phase), delta])

    def f(_, m):
        return np.cross(omega, m) - np.array([m[0] / t2, m[1] / t2, (m[2] - 1.0) / t1])

    return solve_ivp(f, (0, t), m0, rtol=1e-10, atol=1e-12).y[:, -1]


@pytest.mark.parametrize("w1, phase, dt", [(2 * math.pi * 12.5e6, 0.3, 40e-9), (0.0, 0.0, 300e-9),
                                           (2 * math.pi * 5e6, math.pi / 2, 73e-9)])
def test_closed_form_maps_match_numerical_integration(w1, phase, dt):
    deltas = 2 * math.pi * np.array([-4e6, -0.5e6, 0.0, 1.3e6, 6e6])
    t1, t2 = 2e-6, 1e-6
    ens = Ensemble(deltas, t1=t1, t2=t2)
    start = np.array([[0.3, -0.5, 0.6], [0.0, 0.0, 1.0], [0.7, 0.1, -0.2], [-0.4, 0.4, 0.5], [0.0, 0.9, 0.1]]).T
    ens.m[:] = start
    ens.apply(ens.rf_map(dt, w1, phase) if w1 else ens.free_map(dt))
    for k, d in enumerate(deltas):
        ref = bloch_ode(start[:, k], dt, w1, phase, d, t1, t2)
        tol = 1e-9 if w1 == 0 else 3e-5  # free precession is exact; pulses use fine Strang sub-steps
        assert ens.m[:, k] == pytest.approx(ref, abs=tol)


def test_hard_pulses_rotate_as_the_rotating_frame_says():
    ens = Ensemble(np.zeros(1))
    w1 = 2 * math.pi * 10e6
    ens.apply(ens.rf_map(25e-9, w1, 0.0))  # pi/2 about x: z -> -y
    assert ens.m[:, 0] == pytest.approx([0, -1, 0], abs=1e-12)
    ens.reset()
    ens.apply(ens.rf_map(25e-9, w1, math.pi / 2))  # pi/2 about y: z -> +x
    assert ens.m[:, 0] == pytest.approx([1, 0, 0], abs=1e-12)
    ens.apply(ens.free_map(1e-6, 2 * math.pi * 0.25e6))  # quarter turn at +250 kHz: x -> y (e^{i Delta t})
    assert ens.signal() == pytest.approx(1j, abs=1e-12)


def test_frequency_offset_pulse_excites_off_resonance_spins():
    ens = Ensemble(np.array([2 * math.pi * 8e6]))
    w1 = 2 * math.pi * 2.5e6
    ens.apply(ens.rf_map(100e-9, w1, 0.0))  # carrier pulse: 8 MHz off, barely tips
    assert abs(ens.signal()) < 0.35
    ens.reset()
    ens.apply(ens.rf_map(100e-9, w1, 0.0, offset=2 * math.pi * 8e6))  # RF at their frequency: pi/2
    assert abs(ens.signal()) == pytest.approx(1.0, abs=1e-9)
    assert ens.mz() == pytest.approx(0.0, abs=1e-9)


@pytest.fixture
def spectrometer(world):
    from app.simlab import build_sim_lab

    sample = PulsedSample(static_field=B0, noise_volts=0.0)
    add_pulsed(world, sample)
    lab = build_sim_lab(world)
    lab.rf.frequency = sample.gamma * B0
    lab.rf.power = 0.0625  # 12.5 MHz nutation: pi/2 = 20 ns
    lab.rf.output = True
    lab.digitizer.sample_rate = 250e6
    lab.digitizer.record_length = 32
    return lab, world, sample


def shoot(lab, seq, **values):
    program = compile_pulseblaster(seq, Constraints.from_lab(lab), values)
    lab.pulser.load(program)
    lab.digitizer.arm()
    lab.pulser.start()
    return program, lab.digitizer.fetch()


def test_program_runs_in_simulated_time_and_triggers_the_digitizer(spectrometer):
    lab, world, _ = spectrometer
    t0 = world.clock.now()
    seq = get_sequence("fid").with_cycle(get_sequence("fid").phase_cycle, 3)
    program = compile_pulseblaster(seq, Constraints.from_lab(lab))
    lab.pulser.load(program)
    lab.digitizer.arm()
    lab.pulser.start()
    assert lab.pulser.is_running()
    records = lab.digitizer.fetch()  # waits (on the simulated clock) for the program to end
    assert not lab.pulser.is_running()
    assert world.clock.now() - t0 == pytest.approx(program.duration_ticks() / program.clock_hz, rel=1e-12)
    assert records.shape == (3 * 4, 32)  # averages x CYCLOPS steps, one record each


def test_cyclops_receiver_phases_follow_the_pulse_phases(spectrometer):
    lab, world, sample = spectrometer
    _, records = shoot(lab, get_sequence("fid"))
    first = records[:, 2]
    # each step advances every pulse by 90 deg, so the signal turns by +90 deg
    ratios = first[1:] / first[:-1]
    assert np.angle(ratios) == pytest.approx([math.pi / 2] * 3, abs=1e-6)
    lab.digitizer.phase = 0.5  # the receiver's reference phase turns the records back
    _, turned = shoot(lab, get_sequence("fid"))
    assert np.angle(turned[0, 2] / first[0]) == pytest.approx(-0.5, abs=1e-3)


def test_no_rf_output_no_nutation(spectrometer):
    lab, world, _ = spectrometer
    lab.rf.output = False
    _, records = shoot(lab, get_sequence("fid"))
    assert np.max(np.abs(records)) == 0.0


def test_nutation_scales_with_sqrt_power(spectrometer):
    lab, world, sample = spectrometer
    add_pulsed(world, PulsedSample(static_field=B0, noise_volts=0.0, linewidth=0.05e6))  # off-resonance: 2 Delta/w1
    p = (1 / (4 * 30e-9) / sample.rabi_per_sqrt_watt) ** 2  # 8.33 MHz: 30 ns is a pi/2 pulse
    lab.rf.power = p
    _, r1 = shoot(lab, get_sequence("nutation"), tp=30e-9)
    lab.rf.power = 4 * p  # twice the B1: the same pulse is a pi pulse, no transverse signal
    _, r2 = shoot(lab, get_sequence("nutation"), tp=30e-9)
    assert np.abs(r2[0, :4]).max() < 0.02 * np.abs(r1[0, :4]).max()


def test_spins_relax_between_shots_on_the_world_clock(spectrometer):
    lab, world, sample = spectrometer
    seq = Sequence("sat", (pulse("20ns", name="p1"), delay("80ns"), acquire("128ns"), delay("rep")),
                   {"rep": 1e-6}, averages=2)
    _, fast = shoot(lab, seq, rep=2e-6)  # second shot starts before T1 = 20 us recovery
    assert abs(fast[1, 0]) < 0.2 * abs(fast[0, 0])
    world.clock.sleep(200e-6)  # idle time relaxes the spins back to equilibrium
    _, slow = shoot(lab, seq, rep=200e-6)
    assert abs(slow[0, 0]) == pytest.approx(abs(fast[0, 0]), rel=1e-3)
    assert abs(slow[1, 0]) == pytest.approx(abs(slow[0, 0]), rel=1e-3)


def test_a_trigger_during_a_record_is_ignored(spectrometer):
    lab, world, _ = spectrometer
    lab.digitizer.record_length = 100  # 400 ns, longer than the 200 ns between gates
    seq = Sequence("gates", (pulse("20ns"), delay("80ns"), loop(4, acquire("100ns"), delay("100ns")), delay("10us")))
    _, records = shoot(lab, seq)
    assert records.shape[0] == 2
    assert world.pulsed.receiver.missed_triggers == 2
