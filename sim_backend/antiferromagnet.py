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
from scipy.interpolate import PchipInterpolator
from scipy.optimize import brentq, minimize

from sim_backend.constants import H, MU_B


# polar angles measured from an oblique axis: the states met here (along or perpendicular to x, y,
# z) stay away from the parametrisation's poles, where the minimiser would stall
_FRAME = np.linalg.qr(np.array([[1.0, 0.3, 0.7], [0.2, 1.0, -0.5], [0.6, -0.4, 1.0]]))[0]


def _unit(theta: float, phi: float) -> np.ndarray:
    return _FRAME @ np.array([math.sin(theta) * math.cos(phi), math.sin(theta) * math.sin(phi), math.cos(theta)])


def _unit_derivatives(theta: float, phi: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The unit vector and its derivatives by theta and phi (for the energy's gradient)."""
    st, ct, sp, cp = math.sin(theta), math.cos(theta), math.sin(phi), math.cos(phi)
    return (_FRAME @ np.array([st * cp, st * sp, ct]), _FRAME @ np.array([ct * cp, ct * sp, -st]),
            _FRAME @ np.array([-st * sp, st * cp, 0.0]))


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

        z = np.array([0.0, 0.0, 1.0])

        def e(p):
            m1, m1t, m1p = _unit_derivatives(p[0], p[1])
            m2, m2t, m2p = _unit_derivatives(p[2], p[3])
            g1 = self.h_e * m2 - self.h_a * m1[2] * z - h  # dE/dm1
            g2 = self.h_e * m1 - self.h_a * m2[2] * z - h
            return self.energy(m1, m2, h), np.array([g1 @ m1t, g1 @ m1p, g2 @ m2t, g2 @ m2p])

        best = None
        for start in ([0.1, 0.2, math.pi - 0.1, 0.3], [1.2, 0.1, 1.9, math.pi - 0.1],
                      [math.pi / 2, 0.4, math.pi / 2, math.pi + 0.5], [0.3, 0.0, 0.35, math.pi],
                      [2.0, 1.0, 1.1, 4.0], [0.8, 2.5, 2.3, 5.5]):
            r = minimize(e, start, jac=True, method="BFGS", options={"gtol": 1e-13})
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


def _brillouin(s: float, x: float) -> float:
    """B_S(x) = a coth(a x) - b coth(b x), a = (2S+1)/2S, b = 1/2S; its series below x = 1e-3
    (there the two coth terms cancel to round-off): (S+1)/(3S) x - (a^4 - b^4) x^3 / 45."""
    a, b = (2 * s + 1) / (2 * s), 1 / (2 * s)
    if x < 1e-3:
        return (s + 1) / (3 * s) * x - (a ** 4 - b ** 4) * x ** 3 / 45
    return a / math.tanh(a * x) - b / math.tanh(b * x)


def sublattice_magnetisation(temperature: float, neel_temperature: float, spin: float = 2.5) -> float:
    """Reduced sublattice magnetisation m(T) of the mean-field (molecular-field) antiferromagnet:
    the root m > 0 of m = B_S(3S/(S+1) m T_N/T) below T_N, 0 at and above it (spin S; e.g.
    J. S. Smart, *Effective Field Theories of Magnetism*, Saunders 1966, ch. 4; the same equation
    as the ferromagnet's with T_C -> T_N). m ~ sqrt(10/3 (S+1)^2/((S+1)^2+S^2) (1 - T/T_N)) near
    T_N and 1 - m exponentially small as T -> 0."""
    if not spin > 0:
        raise ValueError(f"antiferromagnet: spin must be > 0, got {spin}")
    if not math.isfinite(neel_temperature):
        return 1.0
    t = temperature / neel_temperature
    if t >= 1:
        return 0.0
    if t <= 0:
        return 1.0
    c = 3 * spin / (spin + 1) / t
    return float(brentq(lambda m: _brillouin(spin, c * m) - m, 1e-12, 1.0, xtol=1e-15, rtol=1e-15))


@dataclass
class AntiferromagnetSample:
    """The antiferromagnet as a cw sample: each normal mode a Lorentzian line in frequency.

    ``h_e``, ``h_a`` (T) at T = 0, ``g``; ``frequency_hwhm`` (Hz) the modes' half width;
    ``field_direction``: the applied field in the crystal frame (easy axis z); temperature:
    H_E(T) = H_E m(T) (the molecular field follows the sublattice magnetisation), H_A(T) =
    H_A m(T)^anisotropy_exponent (Callen-Callen: K ~ m^3 for a uniaxial single-ion anisotropy,
    so H_A = 2K/M ~ m^2; H. B. Callen and E. Callen, J. Phys. Chem. Solids 27, 1271 (1966)),
    m(T) the mean-field Brillouin magnetisation of spin ``spin`` (:func:`sublattice_magnetisation`).
    The modes come from :class:`Antiferromagnet` (equilibrium + linearised equations of motion)
    on a field grid up to ``max_field``, piecewise cubic between grid points within one magnetic phase,
    the phase boundary (spin flop) located by bisection; a table per temperature (0.1 K bins)."""

    h_e: float = 4.0
    h_a: float = 0.4
    g: float = 2.0
    frequency_hwhm: float = 0.3e9
    amplitude: float = 1000.0
    field_direction: tuple[float, float, float] = (0.0, 0.0, 1.0)
    neel_temperature: float = math.inf
    anisotropy_exponent: float = 2.0
    spin: float = 2.5
    max_field: float = 4.0
    grid_step: float = 0.1

    def __post_init__(self) -> None:
        Antiferromagnet(self.h_e, self.h_a, self.g)  # the same checks
        if not self.spin > 0:
            raise ValueError(f"antiferromagnet sample: need spin > 0, got {self.spin}")
        if not (self.frequency_hwhm > 0 and self.max_field > 0 and self.grid_step > 0
                and np.linalg.norm(self.field_direction) > 0):
            raise ValueError("antiferromagnet sample: need frequency_hwhm > 0, max_field > 0, grid_step > 0 "
                             "and a non-zero field_direction")
        self._tables: dict[float, list[tuple[np.ndarray, np.ndarray]]] = {}
        self._splines: dict[float, list] = {}

    def model(self, temperature: float) -> Antiferromagnet:
        m = sublattice_magnetisation(temperature, self.neel_temperature, self.spin)
        if m <= 0:
            raise ValueError(f"antiferromagnet sample: {temperature} K is above T_N = {self.neel_temperature} K")
        return Antiferromagnet(self.h_e * m, self.h_a * m ** self.anisotropy_exponent, self.g)

    def _table(self, temperature: float) -> list[tuple[np.ndarray, np.ndarray]]:
        """Segments (fields, frequencies (modes x fields)) of constant mode count."""
        key = round(temperature, 1) if math.isfinite(self.neel_temperature) else 0.0
        if key in self._tables:
            return self._tables[key]
        afm = self.model(key)
        u = np.asarray(self.field_direction, float) / np.linalg.norm(self.field_direction)

        def modes(b: float) -> np.ndarray:
            return afm.frequencies(b * u)

        grid = np.linspace(0.0, self.max_field, max(2, int(round(self.max_field / self.grid_step)) + 1))
        values = [modes(b) for b in grid]
        segments = []
        fields, freqs = [grid[0]], [values[0]]
        for i in range(1, len(grid)):
            if len(values[i]) == len(values[i - 1]):
                fields.append(grid[i])
                freqs.append(values[i])
                continue
            lo, hi, v_lo, v_hi = grid[i - 1], grid[i], values[i - 1], values[i]
            while hi - lo > 1e-6 * self.max_field:  # the phase boundary, by bisection
                mid = 0.5 * (lo + hi)
                v = modes(mid)
                if len(v) == len(v_lo):
                    lo, v_lo = mid, v
                else:
                    hi, v_hi = mid, v
            fields.append(lo)
            freqs.append(v_lo)
            segments.append((np.array(fields), np.array(freqs).T))
            fields, freqs = [hi, grid[i]], [v_hi, values[i]]
        segments.append((np.array(fields), np.array(freqs).T))
        segments = [self._refine(f, v, modes) for f, v in segments]
        self._tables[key] = segments
        return segments

    def _refine(self, fields: np.ndarray, freqs: np.ndarray, modes) -> tuple[np.ndarray, np.ndarray]:
        """Halve grid intervals until the straight line between points is within 1 % of the line
        width of the modes at the midpoint (the spin-flop branch curves sharply near H_sf)."""
        tol = 0.01 * self.frequency_hwhm
        pts = {float(b): v for b, v in zip(fields, freqs.T)}
        todo = list(zip(fields[:-1], fields[1:]))
        while todo:
            a, b = todo.pop()
            if b - a < 1e-4 * self.grid_step:
                continue
            mid = 0.5 * (a + b)
            v = modes(mid)
            pts[mid] = v
            if len(v) != len(pts[a]) or np.max(np.abs(v - 0.5 * (pts[a] + pts[b]))) > tol:
                todo += [(a, mid), (mid, b)]
        order = sorted(pts)
        return np.array(order), np.array([pts[b] for b in order]).T

    def _interpolators(self, temperature: float) -> list[PchipInterpolator]:
        """Per segment, piecewise-cubic (monotone, so no overshoot where sorted modes cross)
        interpolation of the table: straight lines between points put the concave spin-flop
        branch up to 0.5 MHz low (~0.015 mT, a bias the branch fit saw); this stays within 76 kHz of the closed-form branches (tests/test_afmr_lab.py), the modes' own difference from the closed form."""
        key = round(temperature, 1) if math.isfinite(self.neel_temperature) else 0.0
        if key not in self._splines:
            self._splines[key] = [PchipInterpolator(f, v, axis=1) if len(f) > 1 else
                                  (lambda x, v=v: np.repeat(v[:, :1], np.size(x), axis=1))
                                  for f, v in self._table(temperature)]
        return self._splines[key]

    def mode_frequencies(self, field: np.ndarray, temperature: float) -> list[tuple[np.ndarray, np.ndarray]]:
        """(mask, frequencies (modes x selected fields)) per phase segment, for |field| values."""
        b = np.abs(np.asarray(field, float))
        if b.size and b.max() > self.max_field * (1 + 1e-9):
            raise ValueError(f"antiferromagnet sample: field {b.max():.4g} T beyond its table (max_field "
                             f"{self.max_field} T); raise max_field")
        out = []
        segments = self._table(temperature)
        for k, (fields, freqs) in enumerate(segments):
            last = k == len(segments) - 1
            mask = (b >= fields[0]) & ((b <= fields[-1]) if last else (b < fields[-1]))
            if mask.any():
                out.append((mask, self._interpolators(temperature)[k](b[mask])))
        return out

    def absorption(self, field: np.ndarray, frequency: float, power: float, temperature: float) -> np.ndarray:
        b = np.asarray(field, float)
        total = np.zeros(b.shape)
        flat = total.reshape(-1)
        w = self.frequency_hwhm
        for mask, freqs in self.mode_frequencies(b.reshape(-1), temperature):
            flat[mask] = np.sum(w * w / ((frequency - freqs) ** 2 + w * w), axis=0)
        return self.amplitude * math.sqrt(max(power, 0.0)) * total

    def set_stage_rotation(self, rotation: np.ndarray) -> None:
        """Not on the goniometer: the field direction is set by ``field_direction``."""
