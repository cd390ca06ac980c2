"""Fit of a strongly coupled cavity-spin (or magnon) avoided crossing, measured as a cw
frequency-field map with field modulation (lock-in X against field, one trace per frequency).

Model (input-output theory of one cavity mode and one homogeneous spin line, linear regime;
D. I. Schuster et al., Phys. Rev. Lett. 105, 140501 (2010); E. Abe et al., Appl. Phys. Lett. 98,
251108 (2011); Y. Tabuchi et al., Phys. Rev. Lett. 113, 083603 (2014)), all in Hz:

    S21 = (kappa / 2) / (kappa / 2 - i (f - f_c) + G^2 / (gamma_s / 2 - i (f - g mu_B B / h))),

G = g sqrt(N) the collective coupling (the splitting at the crossing is 2 G), kappa and gamma_s
the cavity and spin full widths at half maximum (energy decay rates / 2 pi). The detector sees
|S21|^2; the lock-in the first (n-th) Fourier component of it under the field modulation
B + Bm cos(wt), computed here by quadrature, times one free amplitude.

Cooperativity C = 4 G^2 / (kappa gamma_s) with the full widths; the same number as
G^2 / (kappa' gamma') written with half widths kappa' = kappa / 2, gamma' = gamma_s / 2, the form
much of the magnon literature uses (check which widths a paper quotes before comparing C).
Strong coupling: G > kappa / 2 and G > gamma_s / 2 (the split modes are resolved).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares

from analysis.constants import H, MU_B
from analysis.uncertainty import covariance, propagate, standard_errors

MU_B_OVER_H = MU_B / H  # Hz/T per unit g
N_PHASE = 48
_THETA = (np.arange(N_PHASE) + 0.5) * (2 * np.pi / N_PHASE)
NAMES = ("cavity_frequency", "kappa", "gamma_s", "coupling", "g", "amplitude")


def transmission(f: np.ndarray, b: np.ndarray, f_c: float, kappa: float, gamma_s: float, coupling: float,
                 g: float) -> np.ndarray:
    """|S21|^2 at frequencies ``f`` (Hz) and fields ``b`` (T), broadcast together."""
    spin = coupling ** 2 / (gamma_s / 2 - 1j * (f - g * MU_B_OVER_H * b))
    s21 = (kappa / 2) / (kappa / 2 - 1j * (f - f_c) + spin)
    return np.abs(s21) ** 2


def modulated_transmission(f: np.ndarray, b: np.ndarray, params: np.ndarray, bm: float,
                           harmonic: int = 1) -> np.ndarray:
    """Peak n-th harmonic of |S21|^2(f, B + Bm cos) per point (the lock-in's view, unit amplitude)."""
    f_c, kappa, gamma_s, coupling, g = params[:5]
    fields = np.asarray(b, float)[:, None] + bm * np.cos(_THETA)[None, :]
    t = transmission(np.asarray(f, float)[:, None], fields, f_c, kappa, gamma_s, coupling, g)
    return t @ ((2.0 / N_PHASE) * np.cos(harmonic * _THETA))


@dataclass
class StrongCouplingFit:
    """Fitted values (Hz for frequencies and widths), 1-sigma errors by name, and the fit rms (V)."""

    cavity_frequency: float
    kappa: float
    gamma_s: float
    coupling: float
    g: float
    amplitude: float
    errors: dict[str, float]
    cooperativity: float
    cooperativity_error: float
    rms: float

    @property
    def strong(self) -> bool:
        """The split modes are resolved: G larger than both half widths."""
        return self.coupling > self.kappa / 2 and self.coupling > self.gamma_s / 2


def _starts(f: np.ndarray, b: np.ndarray, x: np.ndarray) -> list[np.ndarray]:
    """Starting points read off the map itself: where the signal is (its weighted centre in
    frequency and field) and how far in frequency it spreads (~ the coupling)."""
    w = x * x
    f_c = float(np.sum(w * f) / np.sum(w))
    b_s = float(np.sum(w * b) / np.sum(w))
    spread = float(np.sqrt(np.sum(w * (f - f_c) ** 2) / np.sum(w)))
    step = float(np.min(np.diff(np.unique(f)))) if len(np.unique(f)) > 1 else spread / 10
    g = f_c / (MU_B_OVER_H * b_s)
    starts = []
    for c in (0.7, 1.0, 1.5):
        for width in (max(step, spread / 8), max(step, spread / 3)):
            starts.append(np.array([f_c, width, width, c * spread, g]))
    return starts


def fit_avoided_crossing(f: np.ndarray, b: np.ndarray, x: np.ndarray, bm: float,
                         harmonic: int = 1) -> StrongCouplingFit:
    """Fit lock-in X (V) at (frequency Hz, field T) points measured with peak field modulation
    ``bm`` (T) to the coupled cavity-spin model: f_c, kappa, gamma_s, g sqrt(N), g and a scale."""
    f, b, x = (np.asarray(v, float).ravel() for v in (f, b, x))
    if not (f.shape == b.shape == x.shape) or f.size < 12:
        raise ValueError(f"avoided-crossing fit: need at least 12 (frequency, field, signal) points of equal "
                         f"length, got {f.size}, {b.size}, {x.size}")
    if len(np.unique(f)) < 3:
        raise ValueError("avoided-crossing fit: need traces at 3 or more frequencies across the crossing")
    if not bm > 0:
        raise ValueError(f"avoided-crossing fit: the modulation amplitude must be > 0 T, got {bm}")

    def shape(p: np.ndarray) -> np.ndarray:
        q = np.array([p[0], math.exp(p[1]), math.exp(p[2]), math.exp(p[3]), p[4]])
        return modulated_transmission(f, b, q, bm, harmonic)

    def projected(p: np.ndarray) -> np.ndarray:  # the amplitude solved for (variable projection)
        m = shape(p)
        return x - m * (m @ x) / max(m @ m, 1e-300)

    starts = [np.array([s[0], math.log(s[1]), math.log(s[2]), math.log(s[3]), s[4]]) for s in _starts(f, b, x)]
    starts.sort(key=lambda p0: float(np.sum(projected(p0) ** 2)))
    best = None
    for p0 in starts[:2]:  # refine the two starts that already fit best
        scale = np.array([math.exp(p0[1]), 1.0, 1.0, 1.0, 1e-4 * p0[4]])
        sol = least_squares(projected, p0, x_scale=scale, method="lm", max_nfev=2000)
        if best is None or sol.cost < best.cost:
            best = sol
    p = best.x
    m = shape(p)
    amp = float(m @ x / (m @ m))

    def full(q: np.ndarray) -> np.ndarray:
        return x - q[5] * shape(q[:5])

    q0 = np.append(p, amp)
    sol = least_squares(full, q0, x_scale=np.array([math.exp(p[1]), 1, 1, 1, 1e-4 * p[4], abs(amp)]), method="lm")
    q = sol.x
    values = np.array([q[0], math.exp(q[1]), math.exp(q[2]), math.exp(q[3]), q[4], q[5]])
    to_values = np.diag([1.0, values[1], values[2], values[3], 1.0, 1.0])  # d(value)/d(parameter)
    cov = to_values @ covariance(sol.jac, sol.fun) @ to_values.T
    err = standard_errors(cov)
    f_c, kappa, gamma_s, coupling, g, amplitude = values
    coop = 4 * coupling ** 2 / (kappa * gamma_s)
    grad = np.array([0.0, -coop / kappa, -coop / gamma_s, 2 * coop / coupling, 0.0, 0.0])
    return StrongCouplingFit(float(f_c), float(kappa), float(gamma_s), float(coupling), float(g), float(amplitude),
                             dict(zip(NAMES, map(float, err))), float(coop), float(propagate(cov, grad)),
                             float(np.sqrt(np.mean(sol.fun ** 2))))


__all__ = ["transmission", "modulated_transmission", "fit_avoided_crossing", "StrongCouplingFit"]
