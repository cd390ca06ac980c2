"""Simulated ESR samples: what the microwave field sees at a given static field."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
from scipy.special import wofz

from sim_backend.constants import H, MU_B


class Sample(Protocol):
    """Anything the simulated resonator can hold.

    ``absorption`` returns the microwave power absorbed, in arbitrary but fixed units, at the
    static fields ``field`` (T, array) for a source at ``frequency`` (Hz) and ``power`` (W), with
    the sample at ``temperature`` (K). ``dispersion`` is optional (zero if absent).
    """

    def absorption(self, field: np.ndarray, frequency: float, power: float, temperature: float) -> np.ndarray: ...


def voigt_absorption(b: np.ndarray, b0: float, hwhm_lorentz: float, sigma_gauss: float) -> np.ndarray:
    """Area-normalised absorption (1/T) of a Lorentzian (HWHM) convolved with a Gaussian (sigma)."""
    b = np.asarray(b, dtype=float)
    if sigma_gauss <= 0:
        return (hwhm_lorentz / np.pi) / ((b - b0) ** 2 + hwhm_lorentz**2)
    z = ((b - b0) + 1j * max(hwhm_lorentz, 1e-12)) / (sigma_gauss * np.sqrt(2))
    return np.real(wofz(z)) / (sigma_gauss * np.sqrt(2 * np.pi))


@dataclass
class Paramagnet:
    """An S = 1/2 centre with isotropic g.

    Linewidths are field widths: ``lorentz_hwhm`` (homogeneous, T2-limited) and ``gauss_sigma``
    (inhomogeneous, unresolved hyperfine/strain). Intensity follows the Curie law (1/T) and
    saturates with microwave power as sqrt(P) / (1 + P/P_half)^(b/2) (Portis 1953).
    """

    g: float = 2.0036
    lorentz_hwhm: float = 0.15e-3
    gauss_sigma: float = 0.0
    n_spins: float = 1e16
    p_half: float = 0.2
    saturation_b: float = 3.0

    def resonance_field(self, frequency: float) -> float:
        return H * frequency / (self.g * MU_B)

    def power_factor(self, power: float) -> float:
        return float(np.sqrt(max(power, 0.0)) / (1.0 + power / self.p_half) ** (self.saturation_b / 2))

    def absorption(self, field: np.ndarray, frequency: float, power: float, temperature: float) -> np.ndarray:
        shape = voigt_absorption(field, self.resonance_field(frequency), self.lorentz_hwhm, self.gauss_sigma)
        curie = self.n_spins / 1e16 * 300.0 / max(temperature, 1e-3)
        return curie * self.power_factor(power) * shape
