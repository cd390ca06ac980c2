"""The simulated lock-in's output filter, advanced in closed form, against independent references:
scipy.signal.lsim of the same RC cascade (held and ramped inputs), the equivalent noise
bandwidths of 6..24 dB/oct filters from the SR830 manual (Stanford Research Systems, SR830
manual rev. 2.5, p. 3-22: 1/(4T), 1/(8T), 3/(32T), 5/(64T)), and a field ramp followed by a
finely sampled lsim of the demodulated line."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import signal as sps

from sim_backend.lockin_physics import LockinPhysics
from sim_backend.rc_cascade import CascadeStep, erlang_cdf
from sim_backend.world import SimulatedWorld


def cascade_lsim(poles: int, tc: float, t: np.ndarray, u: np.ndarray, x0: np.ndarray) -> np.ndarray:
    """Every stage's state at t[-1] for input u(t) (lsim interpolates u linearly), from x0."""
    a = (np.diag(-np.ones(poles)) + np.diag(np.ones(poles - 1), -1)) / tc
    b = np.zeros((poles, 1))
    b[0, 0] = 1.0 / tc
    _, _, x = sps.lsim((a, b, np.eye(poles), np.zeros((poles, 1))), u, t, X0=x0)
    return np.reshape(x, (len(t), poles))[-1]


@pytest.mark.parametrize("poles", [1, 2, 3, 4])
@pytest.mark.parametrize("x", [1e-3, 0.25, 1.0, 7.0, 60.0])
def test_held_and_ramped_input_match_lsim(poles, x):
    tc = 0.01
    h = x * tc
    t = np.linspace(0.0, h, 201)  # lsim is exact for piecewise-linear input
    x0 = np.array([0.3, -0.2, 0.5, 0.1][:poles])
    step = CascadeStep.build(x, poles)
    for u0, u1 in ((0.7, 0.7), (0.7, -1.3), (0.0, 2.0)):
        got = step.apply([complex(v) for v in x0], complex(u0), complex(u1))
        want = cascade_lsim(poles, tc, t, u0 + (u1 - u0) * t / h, x0)
        assert np.allclose(np.real(got), want, rtol=1e-7, atol=1e-9), (u0, u1)


def test_erlang_cdf_against_the_gamma_function():
    from scipy.special import gammainc

    for k in range(1, 10):
        for x in (1e-9, 1e-3, 0.5, 3.0, k + 0.9, k + 1.1, 40.0, 800.0):
            assert erlang_cdf(k, x) == pytest.approx(gammainc(k, x), rel=1e-12, abs=1e-300)


@pytest.mark.parametrize("poles,enbw_t", [(1, 1 / 4), (2, 1 / 8), (3, 3 / 32), (4, 5 / 64)])
def test_noise_after_the_filter_is_the_input_density_times_the_enbw(poles, enbw_t):
    """X and Y each carry e_n^2 * ENBW (SR830 manual), so |z|^2 averages 2 e_n^2 ENBW."""
    tc, e_n, n = 0.01, 20e-9, 6000
    li = LockinPhysics(signal=_Still(), noise_density=e_n, time_constant=tc, poles=poles,
                       rng=np.random.default_rng(4))
    z = np.empty(n, complex)
    for i in range(n):  # 30 tc apart: independent draws of the stationary output
        li.advance(0.0, 30 * tc)
        z[i] = li.output
    power = np.mean(np.abs(z) ** 2)
    assert power == pytest.approx(2 * e_n**2 * enbw_t / tc, rel=5 / math.sqrt(n))


@pytest.mark.parametrize("poles", [1, 4])
def test_noise_of_two_short_steps_equals_one_long_step(poles):
    """The increment covariance composes: C(2h) = M C(h) M^T + C(h) (M the memory matrix)."""
    one, two = CascadeStep.build(0.3, poles), CascadeStep.build(0.6, poles)
    m = np.zeros((poles, poles))
    for k in range(poles):
        for j in range(k + 1):
            m[k, j] = one.memory[k - j]
    c1 = np.array(one.noise_root) @ np.array(one.noise_root).T
    c2 = np.array(two.noise_root) @ np.array(two.noise_root).T
    assert np.allclose(m @ c1 @ m.T + c1, c2, rtol=1e-9, atol=1e-15)


class _Still:
    def varies_for(self) -> float:
        return 0.0

    def ahead(self, seconds: np.ndarray) -> np.ndarray:
        return np.zeros(len(seconds), complex)


def test_a_field_ramp_is_followed_through_one_clock_step():
    """A 1.2 mT ramp across the line in one clock step (no noise) ends where a finely sampled
    lsim of the demodulated line ends."""
    world = SimulatedWorld(seed=1, lockin_noise=0.0)
    li, magnet = world.lockin, world.magnet
    li.time_constant, li.poles = 0.01, 2
    world.microwave.output, world.modulation_amplitude_v = True, 0.05
    b_res = world.sample.resonance_field(world.microwave.frequency)
    magnet.ramp_rate = 0.01  # 120 ms across the line: 12 quarter-tc segments
    magnet.set_field(b_res - 0.6e-3)
    world.clock.sleep(magnet.time_to_target() + 1.0)
    start = np.array(li.stages[:2].real)
    b_start = magnet.true_field
    magnet.set_field(b_res + 0.6e-3)
    ramp = magnet.time_to_target()
    world.clock.sleep(ramp + 0.004)
    # Reference: the same physics, written from the model's definition, sampled every 2 us.
    t = np.linspace(0.0, ramp + 0.004, 20001)
    fields = b_start + np.minimum(t, ramp) * (1.2e-3 / ramp)
    theta = (np.arange(200) + 0.5) * (2 * np.pi / 200)  # first Fourier coefficient, own quadrature
    bm = world.modulation_amplitude
    samples = world.detected_absorption((fields[:, None] + bm * np.cos(theta)).ravel()).reshape(len(t), 200)
    u = 2 * np.mean(samples * np.cos(theta), axis=1)
    want = cascade_lsim(2, 0.01, t, u / math.sqrt(2), start)
    assert np.allclose(li.stages[:2].real, want, rtol=2e-4, atol=1e-3 * np.max(np.abs(u)))
    assert np.max(np.abs(want - start)) > 0.1 * np.max(np.abs(u))  # the ramp moved the output
