"""Periodic steady state of spin packets under a modulation protocol, from the Bloch equations.

A packet sits at a static field offset d = B_local - B_res (T). In the frame rotating with the
instantaneous microwave phase its effective field over one modulation period (phase th) is

    B_eff(th) = ( B1 (1 + depth cos th), 0, d + Bm cos th - (2 pi dev / gamma) cos th )

(AM depth, field-modulation amplitude Bm from the coil, FM peak deviation dev). The Bloch
equations dM/dt = gamma M x B_eff - (Mx, My)/T2 - (Mz - 1)/T1 (M normalised to equilibrium) are
integrated over one period by Strang splitting: exact relaxation for h/2, the exact rotation
(Rodrigues) about B_eff for h, relaxation for h/2. The period map is affine, M -> Phi M + c, so
the periodic steady state M0 = (1 - Phi)^-1 c is solved directly instead of waiting for it.
All protocols come out of the same equations: field or frequency modulation and cyclic
saturation (rate-equation regime, T2 short) and cyclic adiabatic inversion (spin locking along
B_eff when (gamma B1)^2 >> gamma dB/dt, Sidles et al. 1995), including the loss of the locked
magnetisation to relaxation (T1rho) that limits steady-state inversion.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Protocol:
    """What the hardware does to the spins over one modulation period (all peak values)."""

    rate: float  # modulation frequency, Hz
    b1: float  # carrier microwave field, T
    field_amplitude: float = 0.0  # coil field modulation, T
    fm_deviation: float = 0.0  # microwave FM deviation, Hz
    am_depth: float = 0.0  # microwave AM depth, 0..1

    def sweep_amplitude(self, gamma: float) -> float:
        """Peak excursion of the resonance offset in T."""
        return abs(self.field_amplitude - 2 * math.pi * self.fm_deviation / gamma)


def steps_per_period(protocol: Protocol, gamma: float, t2: float) -> int:
    """Enough steps that the offset moves by at most 1/16 of the narrowest relevant width per step
    (adiabatic following needs the B_eff direction resolved through each passage)."""
    width = max(protocol.b1 * (1 - protocol.am_depth), 1.0 / (gamma * t2), 1e-12)
    sweep = protocol.sweep_amplitude(gamma)
    n = math.ceil(32 * math.pi * sweep / width)
    return int(min(4096, max(128, n)))


def packet_harmonics(offsets: np.ndarray, gamma: float, t1: float, t2: float, protocol: Protocol,
                     harmonics: int = 3, n_steps: int | None = None) -> np.ndarray:
    """Fourier coefficients of Mz(th)/M_eq for each offset: Mz(th) = M_eq (r_0 + sum_n Re[r_n
    e^{i n th}]), th = 2 pi rate t. Shape (harmonics + 1, P); row 0 is the mean r_0."""
    d = np.asarray(offsets, dtype=float)
    p = d.size
    n = n_steps or steps_per_period(protocol, gamma, t2)
    h = 1.0 / (protocol.rate * n)
    e1 = math.exp(-h / (2 * t1))
    e2 = math.exp(-h / (2 * t2))
    sweep_field = protocol.field_amplitude - 2 * math.pi * protocol.fm_deviation / gamma
    # state[v, comp, packet]: v = 0 the affine response from M = 0 (carries the T1 recovery),
    # v = 1..3 the linear response to unit x, y, z (columns of Phi).
    s = np.zeros((4, 3, p))
    s[1, 0, :] = 1.0
    s[2, 1, :] = 1.0
    s[3, 2, :] = 1.0
    recover = np.array([1.0, 0.0, 0.0, 0.0])[:, None] * (1 - e1)
    ks = np.arange(0, harmonics + 1)
    acc = np.zeros((harmonics + 1, 4, p), dtype=complex)

    def relax() -> None:
        s[:, 0, :] *= e2
        s[:, 1, :] *= e2
        s[:, 2, :] = s[:, 2, :] * e1 + recover

    for k in range(n):
        th = 2 * math.pi * (k + 0.5) / n
        c = math.cos(th)
        bx = gamma * protocol.b1 * (1 + protocol.am_depth * c)
        bz = gamma * (d + sweep_field * c)
        w = np.sqrt(bx * bx + bz * bz)
        safe = np.where(w > 0, w, 1.0)
        nx, nz = bx / safe, bz / safe
        ang = w * h
        ca, sa = np.cos(ang), np.sin(ang)
        relax()
        mx, my, mz = s[:, 0, :], s[:, 1, :], s[:, 2, :]
        dot = nx * mx + nz * mz
        # Rodrigues rotation by -ang about n (precession dM/dt = gamma M x B).
        cx, cy, cz = -nz * my, nz * mx - nx * mz, nx * my
        new_x = mx * ca - cx * sa + nx * dot * (1 - ca)
        new_y = my * ca - cy * sa
        new_z = mz * ca - cz * sa + nz * dot * (1 - ca)
        s[:, 0, :], s[:, 1, :], s[:, 2, :] = new_x, new_y, new_z
        relax()
        t_end = 2 * math.pi * (k + 1) / n
        acc += s[None, :, 2, :] * np.exp(-1j * ks * t_end)[:, None, None]
    c0 = s[0].T  # (p, 3)
    phi = np.transpose(s[1:], (2, 1, 0))  # (p, 3 rows, 3 cols): column j = response to unit j
    m0 = np.linalg.solve(np.eye(3)[None, :, :] - phi, c0[:, :, None])[:, :, 0]  # (p, 3)
    total = acc[:, 0, :] + np.einsum("hjp,pj->hp", acc[:, 1:, :], m0)
    total *= 2.0 / n
    total[0] *= 0.5
    return total


def offset_grid(protocol: Protocol, gamma: float, t1: float, t2: float, max_points: int = 3000) -> np.ndarray:
    """Static offsets (T) where a packet's modulated Mz is not negligible: the swept range plus
    40 saturation-broadened half widths and a few B1 on each side."""
    hom = 1.0 / (gamma * t2)
    b1_max = protocol.b1 * (1 + protocol.am_depth)
    sat = hom * math.sqrt(1 + (gamma * b1_max) ** 2 * t1 * t2)
    span = protocol.sweep_amplitude(gamma) + 40 * sat + 5 * b1_max
    spacing = min(sat, hom + b1_max) / 3
    npts = int(min(max_points, max(41, 2 * math.ceil(span / spacing) + 1)))
    return np.linspace(-span, span, npts)
