"""Nuclear spins on the force sensor, with their history: polarisation per voxel that relaxes
(T1), builds up under optical pumping, and decays while locked by cyclic adiabatic inversion.

Unlike the electron model (``spins.py``, periodic steady state), nuclear T1 is minutes to hours
(21 +- 5 min for 69Ga in GaAs at ~5 K and 4.6 T: Thurber, Harrell, Fainchtein & Smith, Appl.
Phys. Lett. 80, 1794 (2002)), longer than an image takes, so each voxel's moment per spin m_j
is integrated in time. Between two clock steps every input is constant and each voxel obeys

    dm_j/dt = -(1 - w_j) (m_j - m_target,j) / tau  -  w_j k_j m_j

(exact exponential solution for any step). Off resonance m relaxes towards the thermal moment
m_th(B, T) (Brillouin, I = 3/2) with T1; with the pump light on towards eta_j m_th with the
build-up time, eta_j = 1 + (eta - 1) e_j, e_j the local pumping efficiency (1, or less in the
sample's depleted regions). Spins whose line lies inside the RF sweep (fraction w_j) are locked
along the effective field and lose their moment with 1/T1rho plus the non-adiabatic loss of
each passage, 2 P_LZ per passage at 2 f_m passages per second, P_LZ = exp(-pi kappa / 2) with
kappa = (gamma B1)^2 / |d Delta/dt| the adiabaticity (Landau-Zener; the adiabatic condition
gamma B1^2 / (dOmega/dt) >> 1 of Abragam, The Principles of Nuclear Magnetism (1961), ch. II).

The force (Sidles et al., Rev. Mod. Phys. 67, 249 (1995)): under a frequency sweep
f(t) = f_c + dev cos(2 pi f_m t) a locked spin's z-moment follows the effective field,
m_z = m Delta / sqrt(Delta^2 + B1^2), Delta = d - A cos(th), A = 2 pi dev / gamma, d its static
offset from 2 pi f_c / gamma; the fundamental r1(d) = 2 <m_z/m cos th> drives the sensor with
F = G sum_j N_j m_j r1(d_j) at f_m. r1 is averaged over the static NMR line (Gaussian sigma).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from sim_backend.membrane.bloch import Protocol
from sim_backend.membrane.spins import GA71, SpinSpecies, brillouin_moment, film_voxels

#: Ga atoms per m^3 in GaAs (zinc blende, a = 5.653 A: 4 / a^3), and the natural abundance of
#: 71Ga, 39.892 % (Harris et al., Pure Appl. Chem. 73, 1795 (2001), table of NMR nuclei).
GA_ATOMS_PER_M3 = 2.21e28
GA71_ABUNDANCE = 0.39892
GA71_DENSITY = GA_ATOMS_PER_M3 * GA71_ABUNDANCE
_THETA = (np.arange(1024) + 0.5) * 2 * math.pi / 1024


def following_fundamental(d: np.ndarray, sweep: float, b1: float) -> np.ndarray:
    """r1(d): first Fourier coefficient of m_z/m of a spin locked along the effective field
    while the offset is swept as d - sweep cos(th) (all in T)."""
    delta = np.asarray(d, float)[..., None] - sweep * np.cos(_THETA)
    mz = delta / np.sqrt(delta * delta + b1 * b1)
    return 2.0 * np.mean(mz * np.cos(_THETA), axis=-1)


@dataclass
class NuclearSample:
    """Nuclear spins along the gradient axis z (m): density (spins/m^3) and local pumping
    efficiency (0..1) per voxel, over ``area`` (m^2)."""

    z: np.ndarray
    density: np.ndarray
    efficiency: np.ndarray
    area: float = 1e-12
    species: SpinSpecies = GA71
    t1: float = 1260.0  # s
    t1rho: float = 600.0  # s, decay of the locked moment under cyclic inversion
    linewidth_sigma: float = 0.15e-3  # T, Gaussian static NMR line (dipolar + quadrupolar)
    pumping_factor: float = 12.0  # pumped equilibrium / thermal, where efficiency = 1
    pump_buildup: float = 120.0  # s, build-up time constant of the pumped polarisation

    def __post_init__(self) -> None:
        self.z = np.asarray(self.z, float)
        self.density = np.asarray(self.density, float)
        self.efficiency = np.asarray(self.efficiency, float)
        if not (self.z.shape == self.density.shape == self.efficiency.shape) or self.z.size < 2:
            raise ValueError("NuclearSample needs z, density and efficiency arrays of equal length (>= 2)")
        for name in ("t1", "t1rho", "pump_buildup", "area"):
            if not getattr(self, name) > 0:
                raise ValueError(f"NuclearSample {name} = {getattr(self, name)!r}: must be > 0")
        if self.pumping_factor < 1:
            raise ValueError(f"NuclearSample pumping_factor = {self.pumping_factor!r}: must be >= 1")
        if self.linewidth_sigma < 0:
            raise ValueError("NuclearSample linewidth_sigma must be >= 0 (T)")

    @classmethod
    def film(cls, thickness: float, *, density: float = GA71_DENSITY, z0: float = 0.0, dz: float = 2e-9,
             depleted: tuple[tuple[float, float, float], ...] = (), margin: float = 50e-9,
             **kwargs) -> "NuclearSample":
        """A film of ``thickness`` centred on z0; ``depleted`` lists (centre, width, remaining
        pumping efficiency) regions where optical pumping raises the polarisation less."""
        z, film, efficiency = film_voxels(thickness, z0, dz, depleted, margin)
        return cls(z, density * film, efficiency, **kwargs)

    def spins_per_voxel(self) -> np.ndarray:
        return self.density * self.area * float(self.z[1] - self.z[0])

    def thermal_moment(self, field_t: float, temperature: float) -> float:
        return brillouin_moment(self.species, field_t, temperature)


@dataclass
class NuclearSpinForce:
    """The history-tracking force source; ``evolve`` advances every voxel, ``tones`` gives the
    force at the modulation rate for the present state (same interface as ``SpinForce``)."""

    sample: NuclearSample
    gradient: float
    #: Bumped whenever the published force changes (the membrane re-reads its inputs then).
    version: int = 0
    #: Relative change of the force that is published (smaller changes wait).
    tolerance: float = 1e-4
    m: np.ndarray | None = field(default=None, repr=False)
    _force: complex = 0j
    _rate: float = 0.0
    _kernels: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.gradient == 0:
            raise ValueError("NuclearSpinForce needs a non-zero field gradient")
        self._spins = self.sample.spins_per_voxel()

    def offsets(self, magnet_field: float, rf_frequency: float) -> np.ndarray:
        """Static offset (T) of each voxel from the RF centre frequency's resonance field."""
        return magnet_field + self.gradient * self.sample.z - 2 * math.pi * rf_frequency / self.sample.species.gamma

    def kernel(self, sweep: float, b1: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(offset grid, r1 averaged over the line, locked fraction) for one sweep and B1."""
        key = (round(sweep, 12), round(b1, 12))
        hit = self._kernels.get(key)
        if hit is None:
            sigma = self.sample.linewidth_sigma
            span = sweep + 10 * b1 + 6 * sigma
            step = max(min(b1, sigma if sigma > 0 else b1, sweep if sweep > 0 else b1) / 20, span / 4000)
            grid = np.arange(-span, span + step / 2, step)
            r1 = following_fundamental(grid, sweep, b1)
            locked = (np.abs(grid) < sweep).astype(float)
            if sigma > step:
                k = np.arange(-int(5 * sigma / step), int(5 * sigma / step) + 1) * step
                g = np.exp(-0.5 * (k / sigma) ** 2)
                g /= g.sum()
                r1 = np.convolve(r1, g, mode="same")
                locked = np.convolve(locked, g, mode="same")
            if len(self._kernels) > 16:
                self._kernels.clear()
            hit = self._kernels[key] = (grid, r1, locked)
        return hit

    def _drive(self, protocol: Protocol | None, magnet_field: float, rf_frequency: float
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, float] | None:
        """(r1, locked fraction, loss rate while locked, rate) per voxel; None without a sweep."""
        if protocol is None or protocol.b1 <= 0 or protocol.rate <= 0 or protocol.fm_deviation <= 0:
            return None
        gamma = self.sample.species.gamma
        sweep = protocol.sweep_amplitude(gamma)
        grid, r1, locked = self.kernel(sweep, protocol.b1)
        d = self.offsets(magnet_field, rf_frequency)
        r = np.interp(d, grid, r1, left=0.0, right=0.0)
        w = np.interp(d, grid, locked, left=0.0, right=0.0)
        # Landau-Zener loss per passage at the crossing speed of each offset inside the sweep.
        ratio = np.clip(np.abs(d) / max(sweep, 1e-300), 0.0, 0.999)
        speed = gamma * sweep * 2 * math.pi * protocol.rate * np.sqrt(1 - ratio**2)  # rad/s^2
        kappa = (gamma * protocol.b1) ** 2 / speed
        p_lz = np.exp(-math.pi * kappa / 2)
        loss = 1 / self.sample.t1rho - 2 * protocol.rate * np.log(np.clip(1 - 2 * p_lz, 1e-12, 1.0))
        return r, w, loss, protocol.rate

    def evolve(self, dt: float, protocol: Protocol | None, magnet_field: float, rf_frequency: float,
               temperature: float, light: bool) -> None:
        """Advance every voxel by ``dt`` with the inputs held (exact)."""
        s = self.sample
        m_th = s.thermal_moment(magnet_field, temperature)
        if self.m is None:  # the sample starts in thermal equilibrium where it is first seen
            self.m = np.full(s.z.shape, m_th)
        if dt > 0:
            if light:
                target, relax = m_th * (1 + (s.pumping_factor - 1) * s.efficiency), 1 / s.pump_buildup
            else:
                target, relax = np.full(s.z.shape, m_th), 1 / s.t1
            drive = self._drive(protocol, magnet_field, rf_frequency)
            if drive is None:
                a, b = np.full(s.z.shape, relax), relax * target
            else:
                _, w, loss, _ = drive
                a = (1 - w) * relax + w * loss
                b = (1 - w) * relax * target
            steady = b / a
            self.m = steady + (self.m - steady) * np.exp(-a * dt)
        self._publish(protocol, magnet_field, rf_frequency)

    def _publish(self, protocol: Protocol | None, magnet_field: float, rf_frequency: float) -> None:
        drive = self._drive(protocol, magnet_field, rf_frequency) if self.m is not None else None
        if drive is None:
            force, rate = 0j, 0.0
        else:
            r, _, _, rate = drive
            force = complex(self.gradient * float(np.dot(self._spins * self.m, r)))
        if rate != self._rate or abs(force - self._force) > self.tolerance * max(abs(force), abs(self._force)):
            self._force, self._rate = force, rate
            self.version += 1

    def tones(self, protocol: Protocol | None, magnet_field: float, mw_frequency: float,
              temperature: float) -> list[tuple[float, complex]]:
        """[(angular frequency, complex peak force N)]: the fundamental of the inversion."""
        self._publish(protocol, magnet_field, mw_frequency)
        if self._rate <= 0 or self._force == 0:
            return []
        return [(2 * math.pi * self._rate, self._force)]

    def total_moment(self) -> float:
        """Sum of the voxels' moments (J/T), for checks."""
        return float(np.dot(self._spins, self.m)) if self.m is not None else 0.0
