"""PNG figures of a measured field map: where it was measured and what it shows (|B| in ppm of
its mean, on three projections), and how well the spherical-harmonic expansion fits it."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from magnets.harmonics import HarmonicField
from magnets.plots import _figure, _save


def plot_field_map(points: np.ndarray, magnitude: np.ndarray, expansion: HarmonicField, path: Path,
                   title: str = "measured field map") -> Path:
    """Three projections of the measured points coloured by |B| (ppm of the mean), a colour
    scale limited to the 2nd-98th percentile (a few outliers do not wash it out), and the
    expansion's residual at every point."""
    pts = np.asarray(points) * 1e3
    b = np.asarray(magnitude)
    ppm = (b / b.mean() - 1) * 1e6
    lo, hi = np.percentile(ppm, [2, 98])
    fig = _figure(13, 4.2)
    axes = [fig.add_subplot(1, 4, k + 1) for k in range(4)]
    for ax, (i, j, name) in zip(axes, ((0, 1, "xy"), (0, 2, "xz"), (1, 2, "yz"))):
        sc = ax.scatter(pts[:, i], pts[:, j], c=ppm, cmap="coolwarm", vmin=lo, vmax=hi, s=14)
        ax.set_xlabel(f"{name[0]} (mm)")
        ax.set_ylabel(f"{name[1]} (mm)")
        ax.set_aspect("equal", adjustable="datalim")
    axes[0].set_title(f"{title}: |B| {b.mean() * 1e3:.5g} mT mean")
    fig.colorbar(sc, ax=axes[2], label="|B| - mean (ppm)")
    res = (expansion.magnitude(points) - b) / b.mean() * 1e6
    r = np.linalg.norm(points - expansion.main.centre, axis=1) * 1e3
    axes[3].plot(r, res, ".", ms=4)
    axes[3].axhline(0, color="k", lw=0.5)
    axes[3].set_xlabel("distance from the centre (mm)")
    axes[3].set_ylabel("expansion - measured (ppm)")
    axes[3].set_title(f"order {expansion.main.order} fit: {np.sqrt(np.mean(res**2)):.3g} ppm rms", fontsize=9)
    return _save(fig, path)
