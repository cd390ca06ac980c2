"""Radiation damping, quantum and classical: N = 1, 2, 4, 8 spins in a bad cavity.

Tavis-Cummings spins tipped by 120 degrees from their ground state, the cavity empty, cavity loss
kappa = 40 g sqrt(N) (g sqrt(N) the same for every N, so the classical time T_rd = 2 / (4 g^2 N /
kappa) is too), against the classical Bloembergen-Pound tanh trajectory; right: from full
inversion, where the classical spins never move. Run from the repository root:

    python examples/tavis_cummings.py docs/figures/tavis-cummings.png
"""
from __future__ import annotations

import math
import sys

import matplotlib

matplotlib.use("Agg")  # files only, no window
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from sim_backend.quantum.tavis_cummings import TavisCummings, classical_jz, collective_decay_rate  # noqa: E402

G_N = 2 * math.pi * 1e6
KAPPA = 40 * G_N


def curves(theta: float, horizon: float, points: int = 201) -> tuple[np.ndarray, dict[int, np.ndarray], float]:
    """Time in units of T_rd, <J_z>/J per N, and T_rd (s)."""
    out = {}
    t_rd = 2 / collective_decay_rate(G_N, 1, KAPPA)  # g^2 N = G_N^2 for every N
    t = np.linspace(0, horizon * t_rd, points)
    for n in (1, 2, 4, 8):
        out[n] = TavisCummings(n, G_N / math.sqrt(n), KAPPA).evolve(theta, t)["jz"]
    return t / t_rd, out, t_rd


def main(path: str = "tavis-cummings.png") -> str:
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    for ax, theta, horizon, title in ((axes[0], math.radians(120), 4.0, "tipped by 120°"),
                                      (axes[1], math.pi, 6.0, "fully inverted")):
        t, jz, t_rd = curves(theta, horizon)
        for n, y in jz.items():
            ax.plot(t, y, label=f"quantum, N = {n}")
        ax.plot(t, classical_jz(theta, t * t_rd, t_rd), "k--", label="classical (tanh)")
        ax.set_xlabel("time / T_rd")
        ax.set_title(title)
    axes[0].set_ylabel("<J_z> / J  (-1: ground state)")
    axes[0].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return path


if __name__ == "__main__":
    print(main(*sys.argv[1:]))
