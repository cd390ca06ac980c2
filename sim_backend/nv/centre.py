"""The NV centre's ground-state spin: S = 1, its transition frequencies and the sample's constants.

H/h = D(T) Sz^2 + gamma_e (B_par Sz + B_perp Sx) + A_par m_I Sz (secular hyperfine with the
nitrogen nucleus). Constants: D = 2.870 GHz at room temperature with dD/dT = -74.2 kHz/K
(Acosta et al., Phys. Rev. Lett. 104, 070801 (2010)); gamma_e = 28.025 GHz/T (g = 2.003);
A_par(14N) = -2.16 MHz, A_par(15N) = +3.03 MHz (Felton et al., Phys. Rev. B 79, 075203 (2009)).
Optical pumping into m_s = 0 and m_s = +-1 about 30 % darker: Doherty et al., Phys. Rep. 528,
1 (2013).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

GAMMA_E = 28.025e9  # Hz/T
D_ROOM = 2.870e9  # Hz at T_ROOM
T_ROOM = 300.0  # K
DD_DT = -74.2e3  # Hz/K
#: nitrogen isotope -> (A_par in Hz, nuclear m_I values)
NITROGEN = {"14N": (-2.16e6, (-1.0, 0.0, 1.0)), "15N": (3.03e6, (-0.5, 0.5)), "none": (0.0, (0.0,))}
#: gyromagnetic ratios / 2 pi of the bath nuclei (Hz/T): 1H 42.577 MHz/T, 13C 10.705 MHz/T.
NUCLEAR_GAMMA = {"1H": 42.577478e6, "13C": 10.7084e6}


@dataclass
class NvSample:
    """An NV ensemble (or single centre) in diamond, SI units. The field is the world magnet's
    (or ``static_field``) at ``field_angle`` (deg) from the NV axis."""

    nitrogen: str = "14N"
    field_angle: float = 0.0
    static_field: float | None = None
    count_rate: float = 2.0e6  # photons/s detected from m_s = 0 with the laser on
    dark_count_rate: float = 200.0  # photons/s with the laser off
    contrast: float = 0.30  # m_s = +-1 fluorescence is (1 - contrast) of m_s = 0
    pump_rate: float = 4.0e6  # 1/s: optical pumping into m_s = 0 (and dephasing) with the laser on
    rabi_per_sqrt_watt: float = 40e6  # Hz nutation frequency per sqrt(W) of microwave power
    t1: float = 5e-3
    t2_star: float = 1.5e-6  # Gaussian free-induction decay exp(-(t/T2*)^2)
    t2: float = 60e-6  # exp(-t/T2) of refocused coherence
    bath_1h_rms: float = 0.0  # T rms of the 1H sample's field along the NV axis
    bath_13c_rms: float = 0.0  # T rms of the 13C bath's field along the NV axis
    quantiles: int = 96  # quasi-static detuning values per hyperfine line
    bath_draws: int = 4  # bath realisations per detuning value

    def __post_init__(self) -> None:
        if self.nitrogen not in NITROGEN:
            raise ValueError(f"nitrogen {self.nitrogen!r}: use one of {', '.join(NITROGEN)}")
        if not (0 < self.contrast < 1 and self.t2_star > 0 and self.t2 > 0 and self.t1 > 0):
            raise ValueError("need 0 < contrast < 1 and positive T1, T2*, T2")

    def zero_field_splitting(self, temperature: float) -> float:
        return D_ROOM + DD_DT * (temperature - T_ROOM)


def transition_frequencies(field: float, angle_deg: float, d: float, gamma: float = GAMMA_E) -> tuple[float, float]:
    """(f(0 <-> -1), f(0 <-> +1)) in Hz: exact eigenvalues of the 3x3 spin Hamiltonian."""
    th = math.radians(angle_deg)
    bz, bx = gamma * field * math.cos(th), gamma * field * math.sin(th)
    s = 1 / math.sqrt(2)
    h = np.array([[d + bz, s * bx, 0.0], [s * bx, 0.0, s * bx], [0.0, s * bx, d - bz]])
    vals, vecs = np.linalg.eigh(h)
    i0 = int(np.argmax(np.abs(vecs[1])))  # the level most like m_s = 0
    ip = int(np.argmax(np.abs(vecs[0]) * (np.arange(3) != i0)))
    im = ({0, 1, 2} - {i0, ip}).pop()
    return float(vals[im] - vals[i0]), float(vals[ip] - vals[i0])
