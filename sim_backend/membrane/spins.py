"""Spins on the membrane in a field gradient, and the force they exert on it.

The sample is a 1D spin-density profile n(z) (spins/m^3) over an area A, sitting in the field
B(z) = B_magnet + G z of the magnet plus a gradient source (micromagnet), G = dBz/dz. A spin's
resonance offset is d = B(z) + e - B_res, with e its inhomogeneous shift (Gaussian, sigma) and
B_res = 2 pi f_mw / gamma. The force on the membrane is F = G sum m_z (Sidles et al. 1995). Only the
modulated part of m_z drives the resonator; for each harmonic n of the modulation rate

    F_n = G * M_eq * integral r_n(d) D(d) dd,   D(d) = A * integral n(z) P_inh(d - B(z) + B_res) dz

where r_n(d) is the Bloch periodic-steady-state response of a packet at offset d
(``bloch.packet_harmonics``) and D(d) the number of spins per unit offset. Spins outside the
resonant slice have r_n ~ 0 and do not contribute. The equilibrium moment per spin M_eq follows
the Brillouin function at the resonance field and the world's temperature, times an optional
hyperpolarisation factor (optical pumping, Thurber, Harrell & Smith 2003).

Quasi-static: spins are taken to be in their periodic steady state at every instant, valid when
T1 is short compared with the time between setting changes (electron spins); nuclear spins with
T1 of minutes would need a history-tracking model.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from sim_backend.constants import G_E, HBAR, KB, MU_B
from sim_backend.membrane.bloch import Protocol, offset_grid, packet_harmonics


@dataclass(frozen=True)
class SpinSpecies:
    name: str
    gamma: float  # rad s^-1 T^-1
    spin: float  # J


def electron(g: float = G_E) -> SpinSpecies:
    return SpinSpecies(f"e (g={g:.5g})", g * MU_B / HBAR, 0.5)


GA71 = SpinSpecies("71Ga", 2 * math.pi * 13.0208e6, 1.5)


def brillouin_moment(species: SpinSpecies, field_t: float, temperature: float) -> float:
    """Thermal-equilibrium moment per spin along the field (J/T): mu B_J(mu B / kB T), mu = hbar gamma J."""
    j = species.spin
    mu = HBAR * species.gamma * j
    x = mu * abs(field_t) / (KB * max(temperature, 1e-6))
    if x < 1e-4:
        return mu * (j + 1) * x / (3 * j)
    a, b = (2 * j + 1) / (2 * j), 1 / (2 * j)
    return mu * (a / math.tanh(a * x) - b / math.tanh(b * x))


def film_voxels(thickness: float, z0: float, dz: float, depleted: tuple[tuple[float, float, float], ...],
                margin: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Voxel centres z (spacing dz) over a film from z0 - thickness/2 to z0 + thickness/2 plus
    ``margin``, the fraction of each voxel inside the film, and the fraction kept by the
    ``depleted`` regions (centre, width, remaining fraction); edges are exact, not snapped to z."""
    half = int(math.ceil((thickness / 2 + margin) / dz))
    z = z0 + dz * np.arange(-half, half + 1)

    def covered(centre: float, width: float) -> np.ndarray:
        lo = np.maximum(z - dz / 2, centre - width / 2)
        hi = np.minimum(z + dz / 2, centre + width / 2)
        return np.clip(hi - lo, 0.0, None) / dz

    kept = np.ones_like(z)
    for centre, width, remaining in depleted:
        kept = kept * (1 - (1 - remaining) * covered(centre, width))
    return z, covered(z0, thickness), kept


@dataclass
class SpinSample:
    """A spin-density profile along the gradient axis z (m), over ``area`` (m^2)."""

    z: np.ndarray
    density: np.ndarray
    area: float = 1e-10
    species: SpinSpecies = field(default_factory=electron)
    t1: float = 300e-9
    t2: float = 200e-9
    inhomogeneous_sigma: float = 0.0  # T, Gaussian distribution of local resonance shifts
    hyperpolarisation: float = 1.0

    def __post_init__(self) -> None:
        self.z = np.asarray(self.z, dtype=float)
        self.density = np.asarray(self.density, dtype=float)
        if self.z.shape != self.density.shape or self.z.ndim != 1 or self.z.size < 2:
            raise ValueError("SpinSample needs 1-D z and density arrays of equal length (>= 2)")
        if np.any(np.diff(self.z) <= 0):
            raise ValueError("SpinSample z must increase strictly and be uniformly spaced")
        if np.any(self.density < 0):
            raise ValueError("SpinSample density must be >= 0 (spins/m^3)")

    @classmethod
    def film(cls, thickness: float, density: float, *, z0: float = 0.0, dz: float = 1e-9,
             depleted: tuple[tuple[float, float, float], ...] = (), margin: float = 50e-9,
             **kwargs) -> "SpinSample":
        """A film from z0 - thickness/2 to z0 + thickness/2; ``depleted`` lists regions
        (centre, width, remaining fraction) where the spin density (or polarisation) is reduced."""
        z, film, kept = film_voxels(thickness, z0, dz, depleted, margin)
        return cls(z, density * film * kept, **kwargs)

    def resonance_field(self, mw_frequency: float) -> float:
        return 2 * math.pi * mw_frequency / self.species.gamma

    def moment_per_spin(self, field_t: float, temperature: float) -> float:
        return self.hyperpolarisation * brillouin_moment(self.species, field_t, temperature)

    def total_spins(self) -> float:
        return float(np.trapezoid(self.density, self.z) * self.area)


class SpinForce:
    """Force tones on the membrane from the sample, for the present hardware state; caches the
    packet responses per protocol and the offset distribution per field."""

    def __init__(self, sample: SpinSample, gradient: float, harmonics: int = 3) -> None:
        self.sample = sample
        self.gradient = gradient
        self.harmonics = harmonics
        self._responses: dict[Protocol, tuple[np.ndarray, np.ndarray]] = {}
        self._profile: tuple[np.ndarray, np.ndarray] | None = None
        self._last: tuple[tuple, list[tuple[float, complex]]] | None = None

    def _offset_profile(self) -> tuple[np.ndarray, np.ndarray]:
        """Spins per unit field offset (before the magnet's offset): u = G z, N(u) on a grid."""
        if self._profile is None:
            s, g = self.sample, abs(self.gradient)
            if g == 0:
                raise ValueError("SpinForce needs a non-zero field gradient")
            u = self.gradient * s.z
            per_t = s.density * s.area / g  # spins per m... per unit u: n A dz / (G dz)
            order = np.argsort(u)
            u, per_t = u[order], per_t[order]
            sigma = s.inhomogeneous_sigma
            du = u[1] - u[0]
            if sigma > du / 2:
                pad = int(math.ceil(5 * sigma / du))
                u = np.concatenate([u[0] - du * np.arange(pad, 0, -1), u, u[-1] + du * np.arange(1, pad + 1)])
                per_t = np.concatenate([np.zeros(pad), per_t, np.zeros(pad)])
                kern_u = du * np.arange(-pad, pad + 1)
                kern = np.exp(-0.5 * (kern_u / sigma) ** 2)
                per_t = np.convolve(per_t, kern / kern.sum(), mode="same")
            self._profile = (u, per_t)
        return self._profile

    def response(self, protocol: Protocol) -> tuple[np.ndarray, np.ndarray]:
        hit = self._responses.get(protocol)
        if hit is None:
            s = self.sample
            grid = offset_grid(protocol, s.species.gamma, s.t1, s.t2)
            r = packet_harmonics(grid, s.species.gamma, s.t1, s.t2, protocol, self.harmonics)
            if len(self._responses) > 32:
                self._responses.clear()
            hit = self._responses[protocol] = (grid, r)
        return hit

    def tones(self, protocol: Protocol | None, magnet_field: float, mw_frequency: float,
              temperature: float) -> list[tuple[float, complex]]:
        """[(angular frequency, complex peak force N)] for harmonics 1..n of the modulation."""
        if protocol is None or protocol.b1 <= 0 or protocol.rate <= 0:
            return []
        key = (protocol, magnet_field, mw_frequency, temperature)
        if self._last is not None and self._last[0] == key:
            return self._last[1]
        out = self._tones(protocol, magnet_field, mw_frequency, temperature)
        self._last = (key, out)
        return out

    def _tones(self, protocol: Protocol, magnet_field: float, mw_frequency: float,
               temperature: float) -> list[tuple[float, complex]]:
        s = self.sample
        b_res = s.resonance_field(mw_frequency)
        grid, r = self.response(protocol)
        u, per_t = self._offset_profile()
        shift = magnet_field - b_res  # offset of a spin at u = G z is u + shift
        lo, hi = max(grid[0], u[0] + shift), min(grid[-1], u[-1] + shift)
        if hi <= lo:
            return []
        # Integrate on a grid that resolves both the packet response and the sample profile.
        step = min(grid[1] - grid[0], u[1] - u[0])
        d = np.linspace(lo, hi, int(min(50_000, max(3, math.ceil((hi - lo) / step) + 1))))
        spins_per_t = np.interp(d - shift, u, per_t)
        if not spins_per_t.any():
            return []
        m_eq = s.moment_per_spin(b_res, temperature)
        resp = np.array([np.interp(d, grid, row.real) + 1j * np.interp(d, grid, row.imag) for row in r[1:]])
        forces = self.gradient * m_eq * np.trapezoid(resp * spins_per_t[None, :], d, axis=1)
        w = 2 * math.pi * protocol.rate
        return [(w * (k + 1), complex(f)) for k, f in enumerate(forces)]
