"""S = 1/2 centres with an anisotropic g-tensor: a single crystal at any orientation, and a
powder (random orientations).

Physics (standard spin-Hamiltonian results, derived here, not taken from any code):
H = muB B.g.S with a symmetric g. For B0 along the unit vector n (crystal frame) the effective
g is |g n| and the line sits at B_res = h f / (muB |g n|). The spin is quantised along
u = g n / |g n|; a linear microwave field along b drives the transition with probability
proportional to |g b|^2 - ((g b).u)^2 (the part of g b perpendicular to u). Field-swept spectra
with a linewidth fixed in field units carry an extra 1/|g n| (the frequency-to-field Jacobian,
the Aasa-Vanngard factor). The powder spectrum is the orientation average: here a dense
Fibonacci grid of B0 directions, the B1 average over the plane perpendicular to B0 taken exactly
(mean of two perpendicular directions of a quadratic form), binned on a fine field grid and
convolved with a Voigt line.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.signal import fftconvolve

from sim_backend.constants import H, MU_B
from sim_backend.orientation import LAB_B0, LAB_B1, Orientable
from sim_backend.samples import voigt_absorption


def g_matrix(principal: tuple[float, float, float], axes: np.ndarray | None = None) -> np.ndarray:
    """Symmetric g in the crystal frame; ``axes`` columns are the principal directions."""
    u = np.eye(3) if axes is None else np.asarray(axes, float)
    return u @ np.diag(principal) @ u.T


def transition_weight(g: np.ndarray, n: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Relative transition probability / |g n| for B0 along rows of ``n`` and B1 along rows of ``b``."""
    gn = n @ g.T
    geff = np.linalg.norm(gn, axis=-1)
    u = gn / geff[..., None]
    gb = b @ g.T
    perp = np.sum(gb * gb, axis=-1) - np.sum(gb * u, axis=-1) ** 2
    return perp / geff


def fibonacci_hemisphere(n: int) -> np.ndarray:
    """Nearly uniform unit vectors on the upper hemisphere (inversion makes it sufficient)."""
    i = np.arange(n) + 0.5
    z = 1.0 - i / n
    phi = np.pi * (3.0 - np.sqrt(5.0)) * i
    r = np.sqrt(1.0 - z * z)
    return np.column_stack([r * np.cos(phi), r * np.sin(phi), z])


@dataclass(eq=False)
class GTensorCentre(Orientable):
    """S = 1/2 centre with principal g-values ``g`` along ``axes`` (columns, crystal frame).

    ``powder=True`` averages over all orientations (the mount then does not matter). Linewidths
    are in field units: ``lorentz_hwhm`` (homogeneous) and ``gauss_sigma`` (unresolved strain or
    hyperfine). Intensity: Curie law and sqrt(P) / (1 + P/P_half)^(b/2) saturation.
    """

    g: tuple[float, float, float] = (2.0020, 2.0060, 2.0250)
    axes: np.ndarray = field(default_factory=lambda: np.eye(3))
    lorentz_hwhm: float = 0.04e-3
    gauss_sigma: float = 0.10e-3
    powder: bool = False
    n_orientations: int = 200_000
    n_spins: float = 1e16
    p_half: float = 0.2
    saturation_b: float = 3.0
    mount: np.ndarray = field(default_factory=lambda: np.eye(3))

    def __post_init__(self) -> None:
        self._table_key: tuple | None = None
        self._table: tuple[float, float, np.ndarray] | None = None
        self._line_key: tuple | None = None
        self._line: tuple[float, float] = (0.0, 0.0)

    # --- helpers the tests and the goniometer use ---------------------------------------
    def tensor(self) -> np.ndarray:
        return g_matrix(self.g, self.axes)

    def g_effective(self) -> float:
        """|g n| for the present orientation (single crystal)."""
        n = self.orientation.T @ LAB_B0
        return float(np.linalg.norm(self.tensor() @ n))

    def power_factor(self, power: float) -> float:
        return float(np.sqrt(max(power, 0.0)) / (1.0 + power / self.p_half) ** (self.saturation_b / 2))

    # --- Sample protocol ----------------------------------------------------------------------
    def absorption(self, field: np.ndarray, frequency: float, power: float, temperature: float) -> np.ndarray:
        field = np.asarray(field, float)
        scale = self.n_spins / 1e16 * 300.0 / max(temperature, 1e-3) * self.power_factor(power)
        if self.powder:
            return scale * self._powder_shape(np.abs(field), frequency)
        key = (frequency, getattr(self, "_version", 0))
        if key != self._line_key:  # orientation-dependent constants, cached until something changes
            g = self.tensor()
            rot = self.orientation
            n, b = rot.T @ LAB_B0, rot.T @ LAB_B1
            self._line = (float(transition_weight(g, n[None], b[None])[0]),
                          H * frequency / (MU_B * np.linalg.norm(g @ n)))
            self._line_key = key
        weight, b_res = self._line
        return scale * weight * voigt_absorption(np.abs(field), b_res, self.lorentz_hwhm, self.gauss_sigma)

    # --- powder -------------------------------------------------------------------------------
    def _powder_shape(self, field: np.ndarray, frequency: float) -> np.ndarray:
        key = (frequency, tuple(self.g), self.axes.tobytes(), self.lorentz_hwhm, self.gauss_sigma,
               self.n_orientations)
        if key != self._table_key:
            self._table = self._powder_table(frequency)
            self._table_key = key
        b0, step, values = self._table
        return np.interp(field, b0 + step * np.arange(len(values)), values, left=0.0, right=0.0)

    def _powder_table(self, frequency: float) -> tuple[float, float, np.ndarray]:
        g = self.tensor()
        n = fibonacci_hemisphere(self.n_orientations)
        ref = np.where(np.abs(n[:, :1]) < 0.9, np.array([[1.0, 0, 0]]), np.array([[0, 1.0, 0]]))
        b1 = np.cross(n, ref)
        b1 /= np.linalg.norm(b1, axis=1)[:, None]
        b2 = np.cross(n, b1)
        weight = 0.5 * (transition_weight(g, n, b1) + transition_weight(g, n, b2))
        b_res = H * frequency / (MU_B * np.linalg.norm(n @ g.T, axis=1))
        width = max(self.lorentz_hwhm, self.gauss_sigma, 1e-7)
        step = min(self.lorentz_hwhm if self.lorentz_hwhm > 0 else np.inf,
                   self.gauss_sigma if self.gauss_sigma > 0 else np.inf, width) / 25
        margin = 60 * width
        lo, hi = b_res.min() - margin, b_res.max() + margin
        nbin = int(np.ceil((hi - lo) / step)) + 1
        # Linear (cloud-in-cell) binning keeps the pattern's edges where they belong.
        pos = (b_res - lo) / step
        i0 = np.floor(pos).astype(int)
        frac = pos - i0
        hist = np.bincount(i0, weights=weight * (1 - frac), minlength=nbin + 1)
        hist += np.bincount(i0 + 1, weights=weight * frac, minlength=nbin + 1)
        hist = hist[:nbin] / len(n)
        half = nbin // 2  # odd kernel, zero offset in the middle: 'same' output is not shifted
        offsets = step * (np.arange(2 * half + 1) - half)
        kernel = voigt_absorption(offsets, 0.0, self.lorentz_hwhm, self.gauss_sigma)
        spectrum = fftconvolve(hist, kernel, mode="same")
        return lo, step, np.clip(spectrum, 0.0, None)
