"""A ferromagnetic film or crystal whose microwave absorption comes from the linearised
Landau-Lifshitz-Gilbert equation (macrospin), at any orientation.

Physics, derived here (Kittel 1948, Smit & Beljers 1955; Gilbert 2004 for the equation itself):
energy density E(m) = -mu0 Ms H.m + mu0 Ms/2 m.A.m with the field-unit tensor
A = Ms N - (2 K / (mu0 Ms)) c c^T (demagnetising tensor N, uniaxial anisotropy K along c;
K > 0 is an easy axis). The equilibrium obeys H - A m = lambda m, so m = (A + lambda)^-1 H with
|m| = 1: a scalar secular equation in lambda, solved by Newton's method in A's eigenbasis (the
largest root is the energy minimum). Linearising dm/dt = -gamma mu0 m x H_eff + alpha m x dm/dt
about m0 in a transverse basis (e1, e2 = m0 x e1) with time dependence exp(i w t) gives
chi = Ms gamma mu0 [gamma mu0 (lambda + A_perp) + i w (alpha 1 + J)]^-1, J = [[0, -1], [1, 0]].
The absorbed power for a linear microwave field h is proportional to w |h|^2 chi''_hh
(chi = chi' - i chi'').

Inhomogeneous broadening: a distribution of the local field along B0 (Lorentzian, half width
``inhomogeneous_hwhm``, or Gaussian with that sigma), integrated by quadrature. Ms(T) follows a
Bloch law and K(T) the Callen-Callen power law K0 (Ms(T)/Ms0)^n unless laws are given.

Evaluation is cached: chi_hh(B) is tabulated lazily on a fine field grid (spacing a fraction
of the linewidth) for the present frequency, temperature and orientation, then interpolated.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from sim_backend.constants import HBAR, MU0, MU_B
from sim_backend.orientation import LAB_B0, LAB_B1, Orientable

FILM = (0.0, 0.0, 1.0)
SPHERE = (1 / 3, 1 / 3, 1 / 3)
_CHUNK = 256


def cauchy_nodes(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Offsets (in half widths) and weights integrating over a unit Lorentzian distribution:
    Gauss-Legendre in the CDF variable u, offset = tan(pi u / 2)."""
    u, w = np.polynomial.legendre.leggauss(n)
    return np.tan(np.pi * u / 2), w / 2


def gauss_nodes(n: int) -> tuple[np.ndarray, np.ndarray]:
    x, w = np.polynomial.hermite_e.hermegauss(n)
    return x, w / np.sqrt(2 * np.pi)


@dataclass(eq=False)
class Ferromagnet(Orientable):
    """Macrospin ferromagnet. Sample frame: film normal / crystal c axis along z.

    ``demag``: diagonal demagnetising factors in the sample frame (FILM or SPHERE or any
    ellipsoid). ``anisotropy_axis``: uniaxial axis in the sample frame.
    """

    g: float = 2.1
    ms0: float = 8.0e5  # A/m at T = 0
    bloch_temperature: float = np.inf  # Ms(T) = Ms0 (1 - (T/Tb)^1.5)
    k0: float = 0.0  # J/m^3 at T = 0, > 0 easy axis
    callen_exponent: float = 3.0
    anisotropy_axis: tuple[float, float, float] = (0.0, 0.0, 1.0)
    demag: tuple[float, float, float] = FILM
    alpha: float = 0.007
    inhomogeneous_hwhm: float = 0.15e-3  # T
    inhomogeneous_shape: str = "lorentzian"
    quadrature_nodes: int = 40
    amplitude: float = 1.0
    detection_phase: float = 0.0  # rad; mixes dispersion into the detected signal
    mount: np.ndarray = field(default_factory=lambda: np.eye(3))
    ms_law: Callable[[float], float] | None = None
    k_law: Callable[[float], float] | None = None

    def __post_init__(self) -> None:
        if self.inhomogeneous_shape not in ("lorentzian", "gaussian"):
            raise ValueError(f"inhomogeneous_shape {self.inhomogeneous_shape!r}: use 'lorentzian' or 'gaussian'")
        self._key: tuple | None = None
        self._chunks: dict[int, np.ndarray] = {}
        self._step = 1e-6

    # --- material laws ------------------------------------------------------------------------
    def saturation_magnetisation(self, temperature: float) -> float:
        if self.ms_law is not None:
            return float(self.ms_law(temperature))
        return float(self.ms0 * max(1e-6, 1.0 - (temperature / self.bloch_temperature) ** 1.5))

    def anisotropy_constant(self, temperature: float) -> float:
        if self.k_law is not None:
            return float(self.k_law(temperature))
        return float(self.k0 * (self.saturation_magnetisation(temperature) / self.ms0) ** self.callen_exponent)

    def gamma(self) -> float:
        """Gyromagnetic ratio in rad s^-1 T^-1."""
        return self.g * MU_B / HBAR

    # --- linear response ----------------------------------------------------------------------
    def susceptibility(self, b_applied: np.ndarray, frequency: float, temperature: float) -> np.ndarray:
        """chi_hh (complex, chi' - i chi'') seen by the microwave field, no inhomogeneity."""
        ms = self.saturation_magnetisation(temperature)
        k = self.anisotropy_constant(temperature)
        rot = self.orientation
        c = rot @ (np.asarray(self.anisotropy_axis, float) / np.linalg.norm(self.anisotropy_axis))
        a_lab = ms * (rot @ np.diag(self.demag) @ rot.T) - (2 * k / (MU0 * ms)) * np.outer(c, c)
        a, vec = np.linalg.eigh(a_lab)
        v0, hrf = vec.T @ LAB_B0, vec.T @ LAB_B1
        h = np.asarray(b_applied, float)[..., None] / MU0 * v0  # applied field in A's eigenbasis
        m, lam = _equilibrium(h, a)
        e1, e2 = _transverse(m)
        k11 = lam + np.sum(a * e1 * e1, -1)
        k22 = lam + np.sum(a * e2 * e2, -1)
        k12 = np.sum(a * e1 * e2, -1)
        gm = self.gamma() * MU0
        w = 2 * np.pi * frequency
        m11, m22 = gm * k11 + 1j * w * self.alpha, gm * k22 + 1j * w * self.alpha
        m12, m21 = gm * k12 - 1j * w, gm * k12 + 1j * w
        h1, h2 = e1 @ hrf, e2 @ hrf
        det = m11 * m22 - m12 * m21
        return ms * gm * (m22 * h1 * h1 - (m12 + m21) * h1 * h2 + m11 * h2 * h2) / det

    def broadened_susceptibility(self, b_applied: np.ndarray, frequency: float, temperature: float) -> np.ndarray:
        b = np.asarray(b_applied, float)
        w = self.inhomogeneous_hwhm
        if w <= 0:
            return self.susceptibility(b, frequency, temperature)
        x, wt = (cauchy_nodes if self.inhomogeneous_shape == "lorentzian" else gauss_nodes)(self.quadrature_nodes)
        chi = self.susceptibility(b[:, None] + w * x[None, :], frequency, temperature)
        return chi @ wt

    def signal_density(self, b_applied: np.ndarray, frequency: float, temperature: float) -> np.ndarray:
        """Detected absorption per watt: cos(phase) chi'' + sin(phase) chi', times w.

        The factor 1e3 puts a default film at ~mV of detector signal per mW with the default
        line gain (the Sample protocol's units are arbitrary but fixed)."""
        chi = self.broadened_susceptibility(b_applied, frequency, temperature)
        det = -np.imag(chi * np.exp(-1j * self.detection_phase))
        return self.amplitude * 1e3 * (frequency / 1e10) * det

    # --- Sample protocol --------------------------------------------------------------------
    def absorption(self, field: np.ndarray, frequency: float, power: float, temperature: float) -> np.ndarray:
        """Linear response: proportional to the power at the sample."""
        field = np.asarray(field, float)
        self._prepare(frequency, temperature)
        pos = field / self._step
        idx = np.floor(pos).astype(np.int64)
        frac = pos - idx
        out = np.empty(field.shape)
        chunk_of = np.floor_divide(idx, _CHUNK)
        for ch in np.unique(chunk_of):
            table = self._chunk(int(ch), frequency, temperature)
            sel = chunk_of == ch
            j = idx[sel] - ch * _CHUNK
            out[sel] = table[j] * (1 - frac[sel]) + table[j + 1] * frac[sel]
        return power * out

    def _prepare(self, frequency: float, temperature: float) -> None:
        key = (frequency, round(temperature, 2), getattr(self, "_version", 0))
        if key != self._key:
            self._key = key
            self._chunks = {}
            hwhm = self.alpha * frequency / (self.gamma() / (2 * np.pi)) + self.inhomogeneous_hwhm
            self._step = max(hwhm / 60, 2e-7)

    def _chunk(self, index: int, frequency: float, temperature: float) -> np.ndarray:
        table = self._chunks.get(index)
        if table is None:
            fields = (index * _CHUNK + np.arange(_CHUNK + 1)) * self._step
            table = self.signal_density(fields, frequency, round(temperature, 2))
            self._chunks[index] = table
        return table


def _equilibrium(h: np.ndarray, a: np.ndarray, iterations: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """Solve H - A m = lambda m, |m| = 1 (largest lambda) in A's eigenbasis, vectorised.

    phi(lambda) = 1/|(A + lambda)^-1 H| - 1 is convex and increasing for lambda > -a_min, so
    Newton from the upper bound |H| - a_min converges monotonically. If |H| is too small to
    saturate along a degenerate direction (the 'hard case') m gets the missing component along
    the softest axis.
    """
    hnorm = np.linalg.norm(h, axis=-1)
    lam = hnorm - a[0]
    floor = -a[0] + 1e-9 * (np.abs(a).max() + hnorm + 1.0)
    for _ in range(iterations):
        d = a + lam[..., None]
        s = np.sum(h * h / (d * d), -1)
        ds = np.sum(h * h / (d * d * d), -1)
        step = (s ** -0.5 - 1.0) / np.maximum(s ** -1.5 * ds, 1e-300)
        new = np.maximum(lam - step, floor)
        if np.all(np.abs(new - lam) <= 1e-12 * (np.abs(lam) + 1.0)):
            lam = new
            break
        lam = new
    m = h / (a + lam[..., None])
    norm2 = np.sum(m * m, -1)
    short = norm2 < 1.0 - 1e-9
    if np.any(short):
        m[short, 0] += np.sqrt(1.0 - norm2[short])
    m /= np.linalg.norm(m, axis=-1)[..., None]
    return m, lam


def _transverse(m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Right-handed transverse basis (e1, e2 = m x e1) perpendicular to each m."""
    ref = np.zeros_like(m)
    np.put_along_axis(ref, np.argmin(np.abs(m), axis=-1)[..., None], 1.0, axis=-1)
    e1 = np.cross(m, ref)
    e1 /= np.linalg.norm(e1, axis=-1)[..., None]
    return e1, np.cross(m, e1)
