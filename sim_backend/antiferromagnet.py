"""A simulated two-sublattice antiferromagnet: resonance frequencies from the equations of motion.

Energy per sublattice moment, in field units (tesla, mu0 H):
    E = H_E m1.m2 - (H_A / 2) [(m1.z)^2 + (m2.z)^2] - H.(m1 + m2),
H_A > 0 an easy axis z, H_A < 0 an easy plane xy (hard axis z). Each sublattice precesses in
its effective field, dm_i/dt = -gamma m_i x H_eff,i with H_eff,i = -dE/dm_i (Landau-Lifshitz;
the two-sublattice model of C. Kittel, Phys. Rev. 82, 565 (1951), F. Keffer and C. Kittel,
Phys. Rev. 85, 329 (1952), T. Nagamiya, Prog. Theor. Phys. 6, 342 (1951)).

The simulation does not use the closed-form branches: it finds the equilibrium (minimum energy
from several starts, so the spin-flop phase appears by itself) and the normal modes as the
eigenvalues of the linearised equations of motion. ``analysis.afmr`` has the closed forms a
measurement is fitted with.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from sim_backend.constants import H, MU_B


# polar angles measured from an oblique axis: the states met here (along or perpendicular to x, y,
# z) stay away from the parametrisation's poles, where the minimiser would stall
_FRAME = np.linalg.qr(np.array([[1.0, 0.3, 0.7], [0.2, 1.0, -0.5], [0.6, -0.4, 1.0]]))[0]


def _unit(theta: float, phi: float) -> np.ndarray:
    return _FRAME @ np.array([math.sin(theta) * math.cos(phi), math.sin(theta) * math.sin(phi), math.cos(theta)])


@dataclass
class Antiferromagnet:
    """Exchange field ``h_e`` (T), uniaxial anisotropy field ``h_a`` (T, signed), g factor."""

    h_e: float
    h_a: float
    g: float = 2.0

    def __post_init__(self) -> None:
        if not (self.h_e > 0 and self.g > 0 and abs(self.h_a) < 2 * self.h_e):
            raise ValueError(f"antiferromagnet: need H_E > 0, g > 0, |H_A| < 2 H_E (got {self.h_e}, {self.h_a}, {self.g})")

    @property
    def gamma(self) -> float:
        """Gyromagnetic ratio g mu_B / h (Hz/T)."""
        return self.g * MU_B / H

    def energy(self, m1: np.ndarray, m2: np.ndarray, h: np.ndarray) -> float:
        return float(self.h_e * m1 @ m2 - 0.5 * self.h_a * (m1[2] ** 2 + m2[2] ** 2) - h @ (m1 + m2))

    def equilibrium(self, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Sublattice directions at the energy minimum for the applied field ``h`` (T, 3-vector)."""
        h = np.asarray(h, float)

        def e(p):
            return self.energy(_unit(p[0], p[1]), _unit(p[2], p[3]), h)

        best = None
        for start in ([0.1, 0.2, math.pi - 0.1, 0.3], [1.2, 0.1, 1.9, math.pi - 0.1],
                      [math.pi / 2, 0.4, math.pi / 2, math.pi + 0.5], [0.3, 0.0, 0.35, math.pi],
                      [2.0, 1.0, 1.1, 4.0], [0.8, 2.5, 2.3, 5.5]):
            r = minimize(e, start, method="BFGS", options={"gtol": 1e-13})
            if best is None or r.fun < best.fun - 1e-12:
                best = r
        p = best.x
        return _unit(p[0], p[1]), _unit(p[2], p[3])

    def _torque(self, s: np.ndarray, h: np.ndarray) -> np.ndarray:
        m1, m2 = s[:3], s[3:]
        z = np.array([0.0, 0.0, 1.0])
        h1 = h - self.h_e * m2 + self.h_a * m1[2] * z
        h2 = h - self.h_e * m1 + self.h_a * m2[2] * z
        return -np.concatenate([np.cross(m1, h1), np.cross(m2, h2)])  # per unit gamma (rad/s/T)

    def frequencies(self, h: np.ndarray) -> np.ndarray:
        """Resonance frequencies (Hz, ascending, zero modes left out) at the applied field ``h``."""
        h = np.asarray(h, float)
        m1, m2 = self.equilibrium(h)
        s0 = np.concatenate([m1, m2])
        eps = 1e-6
        jac = np.empty((6, 6))
        for k in range(6):  # the torque is quadratic in s: central differences are exact
            d = np.zeros(6)
            d[k] = eps
            jac[:, k] = (self._torque(s0 + d, h) - self._torque(s0 - d, h)) / (2 * eps)
        w = np.linalg.eigvals(jac)
        # zero modes (lengths of m_i, the free rotation about the axis in the flopped phase) come
        # out at ~sqrt(minimiser tolerance), far below any resonance
        om = np.abs(w.imag[w.imag > 1e-4 * (self.h_e + abs(h).max())])
        return np.sort(om) * self.gamma  # f = (gamma_rad / 2 pi) x rate per unit gamma

    def field_map(self, fields: np.ndarray, direction=(0.0, 0.0, 1.0)) -> list[tuple[float, float]]:
        """(field T, frequency Hz) of every mode at each field magnitude along ``direction``."""
        u = np.asarray(direction, float) / np.linalg.norm(direction)
        return [(float(b), float(f)) for b in fields for f in self.frequencies(b * u)]
