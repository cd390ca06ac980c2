"""Photon-shot-noise-limited magnetic sensitivity of NV magnetometry (T/sqrt(Hz)).

* cw-ODMR (Dreau et al., Phys. Rev. B 84, 195204 (2011), Eq. 1):
  eta = P_F * dnu / (gamma_e * C * sqrt(R)), P_F = 4 / (3 sqrt 3) for a Lorentzian line of FWHM
  dnu, ODMR contrast C (dip depth) and detected count rate R; for a hyperfine multiplet the
  same definition, sqrt(R) / (gamma |dR/df|max), is evaluated on the fitted spectrum.
* pulsed (Taylor et al., Nat. Phys. 4, 810 (2008), Eqs. 1-3): readout fidelity
  C = 1 / sqrt(1 + 2 (a0 + a1) / (a0 - a1)^2) from the mean photons per readout a0 (m_s = 0) and
  a1 (m_s = +-1); Ramsey (dc): eta = 1 / (2 pi gamma_e C sqrt(T2*)); Hahn echo (ac):
  eta = 1 / (4 gamma_e C sqrt(T2)), both without readout overhead.
"""
from __future__ import annotations

import math

import numpy as np

P_LORENTZ = 4 / (3 * math.sqrt(3))


def cw_odmr_sensitivity(fwhm: float, contrast: float, count_rate: float, gamma: float) -> float:
    return P_LORENTZ * fwhm / (gamma * contrast * math.sqrt(count_rate))


def slope_sensitivity(f: np.ndarray, rate: np.ndarray, gamma: float) -> float:
    """The definition behind the cw formula for any line shape: sqrt(R) / (gamma |dR/df|) at the
    steepest point of the (noiseless, fitted) count-rate spectrum ``rate`` (1/s) on grid ``f`` (Hz)."""
    slope = np.gradient(rate, f)
    k = int(np.argmax(np.abs(slope)))
    return float(math.sqrt(rate[k]) / (gamma * abs(slope[k])))


def readout_fidelity(a0: float, a1: float) -> float:
    """Taylor et al.'s C: 1 for a noiseless single-shot readout, ~ (a0 - a1) / sqrt(2 (a0 + a1)) when small."""
    return 1 / math.sqrt(1 + 2 * (a0 + a1) / (a0 - a1) ** 2)


def ramsey_sensitivity(a0: float, a1: float, t2_star: float, gamma: float) -> float:
    return 1 / (2 * math.pi * gamma * readout_fidelity(a0, a1) * math.sqrt(t2_star))


def echo_sensitivity(a0: float, a1: float, t2: float, gamma: float) -> float:
    return 1 / (4 * gamma * readout_fidelity(a0, a1) * math.sqrt(t2))
