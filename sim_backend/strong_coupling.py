"""A dense spin ensemble strongly coupled to the cavity, seen in transmission (cw).

Input-output theory of one cavity mode (frequency f_c, energy decay rate kappa) coupled with the
collective strength g sqrt(N) to a homogeneously broadened spin line (f_s(B) = g_e mu_B B / h,
width gamma_s), in the linear (low-power) regime:

    S21(f, B) = (kappa / 2) / (kappa / 2 - i (f - f_c) + (g sqrt(N))^2 / (gamma_s / 2 - i (f - f_s(B)))),

all in Hz (kappa, gamma_s full widths at half maximum; g sqrt(N) the coupling, so the avoided
crossing at f_s = f_c splits by 2 g sqrt(N) when g sqrt(N) > kappa / 4, gamma_s / 4)
(D. I. Schuster et al., Phys. Rev. Lett. 105, 140501 (2010); E. Abe et al., Appl. Phys. Lett.
98, 251108 (2011); Y. Tabuchi et al., Phys. Rev. Lett. 113, 083603 (2014); the cavity
susceptibility: D. F. Walls and G. J. Milburn, Quantum Optics, ch. 7). Normalised so the empty
cavity transmits 1 on resonance.

The simulated bridge detects the transmitted power on a square-law detector, P |S21|^2; the
field modulation and the lock-in then give its field derivative like any cw line. The spins'
g and Lorentzian half width come from the configured ``Paramagnet``; inhomogeneous (Gaussian)
broadening is not modelled here (it changes the physics: I. Diniz et al., Phys. Rev. A 84,
063810 (2011)), nor the temperature dependence of the spin polarisation in g sqrt(N) (the
coupling is taken as configured), nor saturation.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from sim_backend.constants import H, MU_B


@dataclass
class CoupledCavity:
    """The cavity (``frequency`` Hz, ``kappa`` Hz FWHM) and the spins' collective ``coupling``
    g sqrt(N) (Hz); ``gain``: detector volts for the empty cavity's full transmission at 1 mW."""

    frequency: float = 9.5e9
    kappa: float = 3.0e6
    coupling: float = 15e6
    gain: float = 2e-5

    def __post_init__(self) -> None:
        if not (self.frequency > 0 and self.kappa > 0 and self.coupling >= 0 and self.gain > 0):
            raise ValueError(f"strong coupling: need frequency > 0, kappa > 0, coupling >= 0, gain > 0 "
                             f"(got {self.frequency}, {self.kappa}, {self.coupling}, {self.gain})")

    def response(self, f: float) -> float:
        """Detector scale (the world's ``resonator`` role): flat, the cavity is in the sample term."""
        return self.gain


@dataclass
class CoupledSpinLine:
    """The world's ``sample``: transmitted power through the cavity holding ``spins`` (a
    ``Paramagnet``: its g and Lorentzian half width set f_s(B) and gamma_s)."""

    spins: Any
    cavity: CoupledCavity

    def spin_linewidth(self) -> float:
        """gamma_s (Hz FWHM) from the spins' Lorentzian field half width."""
        return 2 * self.spins.lorentz_hwhm * self.spins.g * MU_B / H

    def s21(self, field: np.ndarray, frequency: float) -> np.ndarray:
        c = self.cavity
        f_s = self.spins.g * MU_B * np.asarray(field, float) / H
        spin = c.coupling ** 2 / (self.spin_linewidth() / 2 - 1j * (frequency - f_s))
        return (c.kappa / 2) / (c.kappa / 2 - 1j * (frequency - c.frequency) + spin)

    def absorption(self, field: np.ndarray, frequency: float, power: float, temperature: float) -> np.ndarray:
        """Detected transmitted power, in units of the empty cavity's at 1 mW."""
        return (max(power, 0.0) / 1e-3) * np.abs(self.s21(field, frequency)) ** 2

    def set_stage_rotation(self, rotation: np.ndarray) -> None:
        """An isotropic line: rotating the sample changes nothing."""


def use_strong_coupling(world: Any, cavity: CoupledCavity) -> CoupledSpinLine:
    """Put the world's paramagnet into ``cavity`` (replaces ``world.resonator`` and wraps
    ``world.sample``)."""
    spins = world.sample
    if not hasattr(spins, "lorentz_hwhm") or getattr(spins, "gauss_sigma", 0.0) > 0:
        raise ValueError("strong coupling needs a paramagnet with a Lorentzian line only (gauss_sigma = 0)")
    line = CoupledSpinLine(spins, cavity)
    world.resonator = cavity
    world.sample = line
    return line


__all__ = ["CoupledCavity", "CoupledSpinLine", "use_strong_coupling"]
