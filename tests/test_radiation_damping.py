"""Radiation damping emerging from the spin-resonator (Bloch-Maxwell) simulation, checked against
the Bloembergen-Pound closed form (tanh/sech return to +z with T_rd = 2 / (mu0 gamma eta Q M0),
Phys. Rev. 95, 8 (1954)) and against an independent integration of the bad-cavity Bloch
equations with a detuned resonator (scipy solve_ivp). The simulation is given only the
resonator (f_c, Q, eta) and the sample (gamma, M0); T_rd is computed here, never passed in."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from sequences.pulse import Constraints, Sequence, acquire, compile_pulseblaster, delay, pulse
from sim_backend.pulsed import PulsedSample, add_pulsed
from sim_backend.pulsed.bloch import Ensemble
from sim_backend.pulsed.cavity import Cavity, CoupledSpins

MU0 = 4e-7 * math.pi
GAMMA_H = 2.6752218744e8  # rad/s/T, 1H (CODATA 2018)


def tipped(theta: float, offsets=(0.0,), **kw) -> Ensemble:
    ens = Ensemble(np.asarray(offsets, float), **kw)
    ens.m[0], ens.m[1], ens.m[2] = math.sin(theta), 0.0, math.cos(theta)
    return ens


def trajectory(cs: CoupledSpins, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mz and M+ of a one-isochromat ensemble at ``times`` (s, ascending)."""
    mz, mp = [], []
    t = 0.0
    for ts in times:
        cs.evolve(ts - t)
        t = ts
        mz.append(cs.ens.mz())
        mp.append(cs.ens.signal())
    return np.array(mz), np.array(mp)


@pytest.mark.parametrize("q, m0", [(100, 3e-3), (400, 1e-2), (1500, 2e-3)])
def test_small_tip_returns_to_z_along_tanh_and_sech(q, m0):
    eta, theta0 = 0.6, math.radians(4.0)
    cs = CoupledSpins(tipped(theta0), Cavity(400e6, q, eta, m0), GAMMA_H)
    t_rd = 2 / (MU0 * GAMMA_H * eta * q * m0)  # the closed form, for the comparison only
    # on tune, tan(theta / 2) = tan(theta0 / 2) exp(-t / T_rd): Mz = tanh((t + t_c) / T_rd),
    # |M+| = sech((t + t_c) / T_rd), t_c = -T_rd ln tan(theta0 / 2) ago M crossed the equator
    t_c = -t_rd * math.log(math.tan(theta0 / 2))
    times = np.linspace(0.02, 4.0, 80) * t_rd
    mz, mp = trajectory(cs, times)
    ref_z = np.tanh((times + t_c) / t_rd)
    ref_xy = 1 / np.cosh((times + t_c) / t_rd)
    assert np.max(np.abs(mz - ref_z)) < 1e-3  # the target is 1 %; measured ~1e-5
    assert np.max(np.abs(np.abs(mp) - ref_xy)) < 1e-3
    assert mz[-1] > math.cos(theta0)  # it went back up: no T1 here, only the resonator


def test_inversion_is_unstable_and_grows_at_one_over_t_rd():
    q, m0, eta = 300, 5e-3, 0.6
    t_rd = 2 / (MU0 * GAMMA_H * eta * q * m0)
    exact = CoupledSpins(tipped(math.pi), Cavity(400e6, q, eta, m0), GAMMA_H)
    exact.evolve(5 * t_rd)
    assert exact.ens.mz() == pytest.approx(-1.0, abs=1e-12)  # an equilibrium, but ...
    theta = math.pi - 1e-4
    cs = CoupledSpins(tipped(theta), Cavity(400e6, q, eta, m0), GAMMA_H)
    mz, mp = trajectory(cs, np.array([2.0, 4.0]) * t_rd)
    rate = math.log(abs(mp[1]) / abs(mp[0])) / (2 * t_rd)
    assert rate * t_rd == pytest.approx(1.0, rel=0.01)  # tiny tilts grow as exp(t / T_rd)
    mz, _ = trajectory(cs, np.array([26.0]) * t_rd)
    assert mz[0] > 0.999  # ... and the spins flip all the way to +z with no pulse


def test_idle_time_near_equilibrium_costs_one_map_not_thousands_of_steps():
    cs = CoupledSpins(tipped(0.0, offsets=np.linspace(-1e3, 1e3, 11)), Cavity(400e6, 300, 0.6, 5e-3), GAMMA_H)
    t_rd = 2 / (MU0 * GAMMA_H * 0.6 * 300 * 5e-3)
    cs.evolve(1e4 * t_rd)
    assert cs.ens.steps == 1 and cs.ens.mz() == pytest.approx(1.0)
    flipped = CoupledSpins(tipped(math.pi - 1e-6), Cavity(400e6, 300, 0.6, 5e-3), GAMMA_H)
    flipped.evolve(25 * t_rd)  # inverted: followed step by step, and it flips
    assert flipped.ens.steps > 1000 and flipped.ens.mz() > 0.999


def bad_cavity_reference(theta0: float, t_end: float, times, lam: float, detune: float):
    """Independent reference: Bloch equations with the resonator eliminated (kappa >> spin rates),
    Omega+ = -i lam M+ / (1 - i 2 Delta_c / kappa) written as lam * (...), for one on-carrier spin."""
    c = lam / (1 - 1j * detune)  # detune = 2 Delta_c / kappa

    def f(_, m):
        om = -1j * c * complex(m[0], m[1])
        omega = np.array([om.real, om.imag, 0.0])
        return np.cross(omega, m)

    sol = solve_ivp(f, (0, t_end), [math.sin(theta0), 0.0, math.cos(theta0)], t_eval=times,
                    rtol=1e-10, atol=1e-12)
    return sol.y


@pytest.mark.parametrize("detune", [0.0, 1.0, 2.5])
def test_detuned_resonator_follows_the_bloch_maxwell_equations(detune):
    f_c, q, eta, m0 = 400e6, 200, 0.6, 8e-3
    kappa = 2 * math.pi * f_c / q
    delta_c = detune * kappa / 2
    lam = MU0 * GAMMA_H * eta * q * m0 / 2
    theta0 = math.radians(150.0)
    times = np.linspace(0.1, 12.0, 40) / lam * (1 + detune**2)
    cs = CoupledSpins(tipped(theta0), Cavity(f_c, q, eta, m0), GAMMA_H, delta_c=delta_c)
    mz, mp = trajectory(cs, times)
    ref = bad_cavity_reference(theta0, times[-1], times, lam, detune)
    assert np.max(np.abs(mz - ref[2])) < 1e-3  # measured ~5e-5 (lambda / kappa ~ 1e-5)
    assert np.max(np.abs(mp - (ref[0] + 1j * ref[1]))) < 1e-3
    # detuning slows the damping by 1 + (2 Delta_c / kappa)^2 and pulls the precession frequency
    if detune:
        turn = np.unwrap(np.angle(mp))
        assert abs(turn[-1] - turn[0]) > 0.5


def test_fid_decays_faster_than_t2_star_with_a_high_q_resonator(world):
    from app.simlab import build_sim_lab

    b0 = 0.34
    seq = Sequence("fid1", (pulse("20ns", name="p1"), delay("60ns"), acquire("256ns")), {}, averages=1)
    ends = {}
    f0 = PulsedSample().gamma * b0  # resonator tuned to the carrier (detuning slows the damping)
    for cav in (None, Cavity(f0, 500, 0.5, 0.7)):  # T_rd ~ 50 ns; the 2 MHz line's FID lasts ~300 ns
        sample = PulsedSample(static_field=b0, noise_volts=0.0, isochromats=201, t2=1e-3, t1=1e-3, cavity=cav)
        add_pulsed(world, sample)
        lab = build_sim_lab(world)
        lab.rf.frequency = sample.gamma * b0
        lab.rf.power = 0.0625  # 12.5 MHz nutation: 20 ns is pi/2
        lab.rf.output = True
        lab.digitizer.sample_rate = 250e6
        lab.digitizer.record_length = 64
        lab.pulser.load(compile_pulseblaster(seq, Constraints.from_lab(lab)))
        lab.digitizer.arm()
        lab.pulser.start()
        rec = np.abs(lab.digitizer.fetch()[0])
        ends[cav is None] = rec[-16:].mean()  # the same receiver scale with and without
        if cav is not None:
            assert world.pulsed.ensemble.mz() > 0.3  # the resonator pulled M back towards +z
    assert ends[False] < 0.3 * ends[True]  # faster than the inhomogeneous (T2*) decay alone
