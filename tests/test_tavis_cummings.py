"""The Tavis-Cummings quantum check of radiation damping (sim_backend.quantum.tavis_cummings),
against closed forms (the one-excitation vacuum Rabi oscillation at sqrt(N) g; one spin's Purcell
decay), an independent full tensor-product calculation (the collective basis is exact), the
resonator numbers of the classical simulation (4 g^2 N / kappa = 2 / T_rd) and the classical
tanh/sech trajectory the quantum decay approaches as N grows."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.linalg import expm

from sim_backend.pulsed.cavity import Cavity
from sim_backend.quantum.tavis_cummings import (TavisCummings, classical_jz, collective_decay_rate,
                                                half_recovery_time, single_spin_coupling)

G_N = 2 * math.pi * 1e6  # collective coupling g sqrt(N), rad/s, the same for every N
BAD = 40.0  # kappa / (g sqrt(N)): the bad-cavity limit (corrections ~ 4 (g sqrt(N) / kappa)^2)


def model(n: int, kappa_ratio: float = BAD) -> tuple[TavisCummings, float]:
    g = G_N / math.sqrt(n)
    kappa = kappa_ratio * G_N
    return TavisCummings(n, g, kappa), 2 / collective_decay_rate(g, n, kappa)


@pytest.mark.parametrize("n", [1, 2, 4, 8])
def test_small_tip_exchanges_one_excitation_at_the_collective_vacuum_rabi_frequency(n):
    theta = 0.02
    tc = TavisCummings(n, G_N / math.sqrt(n))
    t = np.linspace(0, 6 * math.pi / G_N, 241)
    r = tc.evolve(theta, t)
    # one spin excitation, amplitude^2 N sin^2(theta/2) cos^2(N-1)(theta/2), swapped with the photon:
    # <n> = |c1|^2 sin^2(g sqrt(N) t) (the splitting 2 g sqrt(N)); two-excitation terms ~ theta^4
    c1 = n * math.sin(theta / 2) ** 2 * math.cos(theta / 2) ** (2 * n - 2)
    assert np.max(np.abs(r["photons"] - c1 * np.sin(G_N * t) ** 2)) < 2e-3 * c1
    assert r["purity"] == pytest.approx(np.ones(len(t)), abs=1e-9)


def test_one_spin_is_jaynes_cummings_at_any_tip():
    g, theta = 2 * math.pi * 3e6, 2.0
    t = np.linspace(0, 1e-6, 101)
    r = TavisCummings(1, g).evolve(theta, t)
    assert r["photons"] == pytest.approx(math.sin(theta / 2) ** 2 * np.sin(g * t) ** 2, abs=1e-9)


def full_space(n: int, g: float, kappa: float, theta: float, times: np.ndarray) -> np.ndarray:
    """<J_z>/J in the full 2^N x Fock(0..N) space with individual spin operators (the reference
    for the collective-basis reduction)."""
    sm = np.array([[0.0, 0.0], [1.0, 0.0]])  # |up> = (1, 0), |down> = (0, 1): J- takes up to down
    sz = np.diag([0.5, -0.5])
    nf = n + 1
    a = np.diag(np.sqrt(np.arange(1, nf)), 1)

    def op(single: np.ndarray, k: int) -> np.ndarray:
        mats = [np.eye(2)] * n
        mats[k] = single
        out = np.eye(1)
        for m in mats:
            out = np.kron(out, m)
        return np.kron(out, np.eye(nf))

    big_a = np.kron(np.eye(2 ** n), a)
    jm = sum(op(sm, k) for k in range(n))
    jz = sum(op(sz, k) for k in range(n))
    h = g * (big_a @ jm.T + big_a.T @ jm)
    one = np.array([math.sin(theta / 2), math.cos(theta / 2)])  # tipped from |down>
    psi = np.eye(1).ravel()
    for _ in range(n):
        psi = np.kron(psi, one)
    psi = np.kron(psi, np.eye(nf)[0])
    dim = len(psi)
    eye = np.eye(dim)
    ada = big_a.T @ big_a
    lv = -1j * (np.kron(h, eye) - np.kron(eye, h.T)) + kappa * (
        np.kron(big_a, big_a) - 0.5 * np.kron(ada, eye) - 0.5 * np.kron(eye, ada.T))
    rho = np.outer(psi, psi).ravel()
    step = expm(lv * (times[1] - times[0]))  # evenly spaced times from 0
    out = []
    for _ in times:
        out.append(np.real(np.trace(jz @ rho.reshape(dim, dim))) / (n / 2))
        rho = step @ rho
    return np.array(out)


@pytest.mark.slow
def test_collective_basis_matches_the_full_tensor_product_space():
    n, g, kappa, theta = 3, 1.0, 2.5, 2.2
    t = np.linspace(0, 3.0, 7)
    reduced = TavisCummings(n, g, kappa).evolve(theta, t)["jz"]
    assert reduced == pytest.approx(full_space(n, g, kappa, theta, t), abs=1e-8)


def test_collective_rate_is_the_bloembergen_pound_rate_of_the_same_resonator():
    """4 g^2 N / kappa from the vacuum field equals 2 / T_rd = mu0 gamma eta Q M0 of the classical
    resonator (sim_backend.pulsed.cavity) built from the same numbers."""
    gamma = 2.6752218744e8  # 1H, rad/s/T (CODATA 2018)
    f_c, q, v_c, v_s, n = 400e6, 300.0, 2e-6, 1.2e-6, 3.0e19  # spins fully polarised
    m0 = n * gamma * 1.054571817e-34 / (2 * v_s)
    cav = Cavity(f_c, q, v_s / v_c, m0)
    classical = gamma * cav.drive / (cav.kappa / 2)  # 1 / T_rd of the eliminated resonator
    g = single_spin_coupling(gamma, f_c, v_c)
    assert collective_decay_rate(g, 1, cav.kappa) * n == pytest.approx(2 * classical, rel=1e-9)
    mu0 = 1.25663706212e-6  # CODATA 2018
    assert classical == pytest.approx(mu0 * gamma * (v_s / v_c) * q * m0 / 2, rel=1e-9)


def test_one_inverted_spin_decays_at_the_purcell_rate_where_the_classical_one_never_moves():
    tc, t_rd = model(1)
    t = np.linspace(0, 3 * t_rd, 61)
    r = tc.evolve(math.pi, t)
    gamma_1 = 2 / t_rd
    assert r["jz"] == pytest.approx(2 * np.exp(-gamma_1 * t) - 1, abs=0.01)  # bad-cavity: ~1/BAD^2
    assert classical_jz(math.pi, t, t_rd) == pytest.approx(np.ones(len(t)))  # the unstable point


@pytest.mark.slow
def test_quantum_decay_approaches_the_classical_tanh_trajectory_as_n_grows():
    theta = math.radians(120.0)
    deviation = []
    for n in (1, 2, 4, 8):
        tc, t_rd = model(n)
        t = np.linspace(0, 1.5 * t_rd, 301)
        quantum = half_recovery_time(t, tc.evolve(theta, t)["jz"])
        classical = t_rd * math.log(math.tan(theta / 2) / math.tan(math.acos((1 + math.cos(theta)) / 2) / 2))
        assert half_recovery_time(t, classical_jz(theta, t, t_rd)) == pytest.approx(classical, rel=1e-3)
        deviation.append(abs(quantum - classical) / classical)
    # measured 57 %, 37 %, 19 %, 8.0 %: about 0.6 / N, the spin-coherent state's fluctuations
    assert all(a > b for a, b in zip(deviation, deviation[1:]))
    assert deviation[-1] < 0.10


@pytest.mark.slow
def test_fully_inverted_spins_superradiate_from_vacuum_fluctuations():
    for n in (2, 8):
        tc, t_rd = model(n)
        t = np.linspace(0, 4 * t_rd, 9)
        r = tc.evolve(math.pi, t)
        assert r["jz"][0] == pytest.approx(1.0)
        assert r["jz"][-1] < -0.95  # back to the ground state with no pulse
        assert classical_jz(math.pi, t, t_rd)[-1] == pytest.approx(1.0)
