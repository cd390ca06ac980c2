"""N spins-1/2 and one cavity mode (Tavis-Cummings), lossless or with cavity loss (Lindblad).

A quantum check of the classical radiation damping that ``sim_backend.pulsed.cavity`` integrates
(Bloch-Maxwell). In the frame rotating at the carrier, with the rotating-wave approximation,

    H / hbar = Delta_c a+a + Delta_s J_z + g (a J+ + a+ J-),      L = sqrt(kappa) a,

(M. Tavis and F. W. Cummings, Phys. Rev. 170, 379 (1968); R. H. Dicke, Phys. Rev. 93, 99
(1954)), g the single-spin coupling (rad/s; vacuum Rabi splitting 2 g for one spin), kappa the
cavity's energy decay rate omega_c / Q. The spins' ground state is M = -J (the classical
magnetisation along its equilibrium direction).

Why the collective basis |J = N/2, M> x |n> is exact here: H and L contain the spins only
through the collective J+-, J_z, which commute with J^2 and with every permutation of the spins.
A spin-coherent initial state (each spin in the same state) lies in the symmetric J = N/2
subspace and the evolution never leaves it (individual spin relaxation, which would, is not
modelled). Further, H conserves the excitation number K = a+a + J_z + J and the loss only
lowers it, so from a state with no photons n + (M + J) <= N holds throughout: the Fock space
truncated at those states is exact too, (N + 1)(N + 2) / 2 states (45 for N = 8).

Correspondence to the classical rate (bad cavity, kappa >> g sqrt(N)): eliminating the cavity
gives the collective spin decay D[J-] at Gamma_1 = 4 g^2 / kappa (the Purcell rate), and for a
spin-coherent state tipped by phi from the ground state, mean field (<J+ J-> ~ J^2 sin^2 phi)
gives d phi / dt = -(N Gamma_1 / 2) sin phi: tan(phi / 2) falls as exp(-t / T_rd) with

    2 / T_rd = Gamma_N = 4 g^2 N / kappa     (the collective, superradiant, energy decay rate).

With the vacuum field of a cavity of volume V_c, B_vac = sqrt(mu0 hbar omega_c / (2 V_c)),
g = gamma B_vac / 2 and M0 = N gamma hbar / (2 V_s), eta = V_s / V_c, Q = omega_c / kappa:
4 g^2 N / kappa = mu0 gamma eta Q M0, i.e. T_rd = 2 / (mu0 gamma eta Q M0), the
Bloembergen-Pound time (N. Bloembergen and R. V. Pound, Phys. Rev. 95, 8 (1954)). The quantum
decay departs from it by the spin-coherent state's 1/N fluctuations; from the fully inverted
state, where the classical torque vanishes, only the vacuum fluctuations start the decay
(superradiance: R. Bonifacio, P. Schwendimann and F. Haake, Phys. Rev. A 4, 302 (1971); for a
spin ensemble in a cavity: B. Julsgaard and K. Moelmer, Phys. Rev. A 86, 063810 (2012)).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from sim_backend.constants import HBAR, MU0


@dataclass
class TavisCummings:
    """``n_spins`` spins-1/2, coupling ``g`` (rad/s per spin), cavity energy decay ``kappa``
    (1/s; 0: lossless), detunings from the frame (rad/s)."""

    n_spins: int
    g: float
    kappa: float = 0.0
    delta_c: float = 0.0
    delta_s: float = 0.0

    def __post_init__(self) -> None:
        if not (isinstance(self.n_spins, int) and 1 <= self.n_spins <= 40):
            raise ValueError(f"Tavis-Cummings: n_spins must be a whole number 1 .. 40, got {self.n_spins!r}")
        if not (self.g > 0 and self.kappa >= 0):
            raise ValueError(f"Tavis-Cummings: need g > 0 and kappa >= 0 (got {self.g}, {self.kappa})")
        n = self.n_spins
        # basis: (k, n) with k = M + J spin excitations, n photons, k + n <= N
        self.states = [(k, p) for k in range(n + 1) for p in range(n + 1 - k)]
        self.index = {s: i for i, s in enumerate(self.states)}
        self.dim = len(self.states)
        self.k = np.array([s[0] for s in self.states], float)
        self.n = np.array([s[1] for s in self.states], float)
        j = n / 2
        rows, cols, vals = [], [], []
        a_rows, a_cols, a_vals = [], [], []
        for i, (k, p) in enumerate(self.states):
            if k < n:  # a J+ |k, p> = sqrt(p) sqrt(J(J+1) - M(M+1)) |k+1, p-1>
                m = k - j
                if p > 0:
                    rows.append(self.index[(k + 1, p - 1)])
                    cols.append(i)
                    vals.append(self.g * math.sqrt(p) * math.sqrt(j * (j + 1) - m * (m + 1)))
            if p > 0:
                a_rows.append(self.index[(k, p - 1)])
                a_cols.append(i)
                a_vals.append(math.sqrt(p))
        up = sparse.csr_matrix((vals, (rows, cols)), shape=(self.dim, self.dim))
        diag = sparse.diags(self.delta_c * self.n + self.delta_s * (self.k - j))
        self.hamiltonian = (diag + up + up.T).tocsr()  # rad/s
        self.a = sparse.csr_matrix((a_vals, (a_rows, a_cols)), shape=(self.dim, self.dim))

    @property
    def j(self) -> float:
        return self.n_spins / 2

    def coherent_state(self, theta: float) -> np.ndarray:
        """All spins tipped by ``theta`` (rad) from the ground state, cavity empty: the spin-coherent
        state, amplitudes sqrt(C(N, k)) sin(theta/2)^k cos(theta/2)^(N-k)."""
        psi = np.zeros(self.dim, complex)
        s, c = math.sin(theta / 2), math.cos(theta / 2)
        for k in range(self.n_spins + 1):
            psi[self.index[(k, 0)]] = math.sqrt(math.comb(self.n_spins, k)) * s ** k * c ** (self.n_spins - k)
        return psi

    def liouvillian(self) -> sparse.csr_matrix:
        """d vec(rho) / dt for rho flattened row by row (vec(A rho B) = (A kron B^T) vec(rho))."""
        h, a, eye = self.hamiltonian, self.a, sparse.identity(self.dim, format="csr")
        ada = (a.T @ a).tocsr()
        lv = -1j * (sparse.kron(h, eye) - sparse.kron(eye, h.T))
        if self.kappa:
            lv = lv + self.kappa * (sparse.kron(a, a.conj()) - 0.5 * sparse.kron(ada, eye)
                                    - 0.5 * sparse.kron(eye, ada.T))
        return lv.tocsc()

    def evolve(self, theta: float, times: np.ndarray) -> dict[str, np.ndarray]:
        """Expectation values at ``times`` (s, evenly spaced from 0) from the tipped state:
        ``jz`` (in units of J: -1 ground, +1 inverted), ``photons`` <a+a>, ``jminus`` <J->/J, and
        ``purity`` Tr rho^2."""
        from scipy.sparse.linalg import expm_multiply

        times = np.asarray(times, float)
        if times.ndim != 1 or len(times) < 2 or times[0] != 0 or np.any(np.diff(times) <= 0):
            raise ValueError("Tavis-Cummings: times must be ascending from 0, at least two")
        step = np.diff(times)
        if np.ptp(step) > 1e-9 * step.mean():
            raise ValueError("Tavis-Cummings: times must be evenly spaced")
        psi = self.coherent_state(theta)
        if not self.kappa:  # lossless: the Schroedinger equation, d psi / dt = -i H psi
            psis = expm_multiply(-1j * self.hamiltonian.tocsc(), psi, start=0.0, stop=times[-1], num=len(times),
                                 endpoint=True)
            rhos = np.einsum("ti,tj->tij", psis, psis.conj())
        else:
            rho0 = np.outer(psi, psi.conj()).ravel()
            rhos = expm_multiply(self.liouvillian(), rho0, start=0.0, stop=times[-1], num=len(times),
                                 endpoint=True).reshape(len(times), self.dim, self.dim)
        pop = np.real(np.einsum("tii->ti", rhos))
        jm = self._jminus()
        return {"jz": pop @ (self.k - self.j) / self.j, "photons": pop @ self.n,
                "jminus": np.einsum("ij,tji->t", jm.toarray(), rhos) / self.j,
                "purity": np.real(np.einsum("tij,tji->t", rhos, rhos))}

    def _jminus(self) -> sparse.csr_matrix:
        rows, cols, vals = [], [], []
        j = self.j
        for i, (k, p) in enumerate(self.states):
            if k > 0:
                m = k - j
                rows.append(self.index[(k - 1, p)])
                cols.append(i)
                vals.append(math.sqrt(j * (j + 1) - m * (m - 1)))
        return sparse.csr_matrix((vals, (rows, cols)), shape=(self.dim, self.dim))


def single_spin_coupling(gamma: float, frequency: float, mode_volume: float) -> float:
    """g = gamma B_vac / 2 (rad/s) for a spin-1/2 of gyromagnetic ratio ``gamma`` (rad/s/T) in a
    mode of ``frequency`` (Hz) and magnetic mode volume ``mode_volume`` (m^3), with the rms vacuum
    field B_vac = sqrt(mu0 hbar omega_c / (2 V_c)) (half the zero-point energy is magnetic)."""
    omega = 2 * math.pi * frequency
    return gamma * math.sqrt(MU0 * HBAR * omega / (2 * mode_volume)) / 2


def collective_decay_rate(g: float, n_spins: int, kappa: float) -> float:
    """Gamma_N = 4 g^2 N / kappa (1/s): the bad-cavity collective decay rate, 2 / T_rd."""
    return 4 * g * g * n_spins / kappa


def classical_jz(theta0: float, times: np.ndarray, t_rd: float) -> np.ndarray:
    """Classical radiation damping from a tip ``theta0`` off the ground state, in units of J
    (-1 ground): tan(phi / 2) = tan(theta0 / 2) exp(-t / T_rd) (Bloembergen and Pound 1954)."""
    phi = 2 * np.arctan(math.tan(theta0 / 2) * np.exp(-np.asarray(times, float) / t_rd))
    return -np.cos(phi)


def half_recovery_time(times: np.ndarray, jz: np.ndarray) -> float:
    """When J_z is first half way from its start back to the ground value -1 (linear
    interpolation between samples); NaN if it never gets there."""
    target = (jz[0] - 1) / 2
    below = np.nonzero(jz <= target)[0]
    if len(below) == 0 or below[0] == 0:
        return float("nan")
    i = below[0]
    return float(times[i - 1] + (times[i] - times[i - 1]) * (jz[i - 1] - target) / (jz[i - 1] - jz[i]))


__all__ = ["TavisCummings", "single_spin_coupling", "collective_decay_rate", "classical_jz", "half_recovery_time"]
