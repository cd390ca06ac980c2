"""Where to look at a field (lines, planes, spheres, DSVs) and what to report about it
(mean field, homogeneity in ppm, Larmor frequencies)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from magnets.constants import gamma_bar

_AXES = {"x": 0, "y": 1, "z": 2}


def line(start: np.ndarray, stop: np.ndarray, n: int = 101) -> np.ndarray:
    """n points from start to stop (m), shape (n, 3)."""
    a, b = np.asarray(start, float), np.asarray(stop, float)
    return a + np.linspace(0.0, 1.0, n)[:, None] * (b - a)


def axis_line(axis: str, half_length: float, n: int = 101) -> np.ndarray:
    """A centred line along 'x', 'y' or 'z'."""
    e = np.zeros(3)
    e[_axis(axis)] = half_length
    return line(-e, e, n)


def _axis(name: str) -> int:
    try:
        return _AXES[name]
    except KeyError:
        raise ValueError(f"axis {name!r}; use 'x', 'y' or 'z'") from None


def plane(which: str, half_width: float, n: int = 41, offset: float = 0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A square n x n grid on plane 'xy', 'xz' or 'yz' at ``offset`` along the normal.
    Returns (points (n*n, 3), u, v) with u, v the 1-D coordinates of the grid."""
    if len(which) != 2 or which[0] == which[1]:
        raise ValueError(f"plane {which!r}; use 'xy', 'xz' or 'yz'")
    i, j = _axis(which[0]), _axis(which[1])
    k = 3 - i - j
    u = np.linspace(-half_width, half_width, n)
    uu, vv = np.meshgrid(u, u, indexing="xy")
    pts = np.zeros((n * n, 3))
    pts[:, i], pts[:, j], pts[:, k] = uu.ravel(), vv.ravel(), offset
    return pts, u, u.copy()


def sphere_surface(radius: float, n: int = 400, centre: np.ndarray | None = None) -> np.ndarray:
    """n nearly uniform points on a sphere (Fibonacci lattice). Each field component is harmonic
    in the bore, so its extremes over a DSV lie on the surface: sampling it is enough for p-p."""
    if radius <= 0 or n < 1:
        raise ValueError(f"sphere radius {radius} m must be > 0 and n = {n} >= 1")
    i = np.arange(n) + 0.5
    z = 1 - 2 * i / n
    phi = np.pi * (1 + 5**0.5) * i
    rho = np.sqrt(1 - z * z)
    pts = radius * np.column_stack([rho * np.cos(phi), rho * np.sin(phi), z])
    return pts + (0 if centre is None else np.asarray(centre, float))


def sphere_volume(radius: float, n: int = 1000, seed: int = 0) -> np.ndarray:
    """n points uniformly inside a sphere (fixed seed: reproducible)."""
    rng = np.random.default_rng(seed)
    v = rng.normal(size=(n, 3))
    v /= np.linalg.norm(v, axis=1)[:, None]
    return v * radius * rng.random(n)[:, None] ** (1 / 3)


@dataclass(frozen=True)
class Homogeneity:
    """``|B|`` statistics over a set of points: ppm = (max - min)/mean x 1e6 (the DSV convention)."""

    mean: float
    minimum: float
    maximum: float
    ppm_pp: float
    ppm_rms: float
    n_points: int

    def __str__(self) -> str:
        return f"{self.mean * 1e3:.6g} mT, {self.ppm_pp:.4g} ppm p-p, {self.ppm_rms:.4g} ppm rms"


def homogeneity(b: np.ndarray) -> Homogeneity:
    """Homogeneity of ``|B|`` (the Larmor frequency follows ``|B|``) for fields b of shape (P, 3)."""
    mag = np.linalg.norm(np.asarray(b, float).reshape(-1, 3), axis=1)
    mean = float(mag.mean())
    if mean == 0:
        raise ValueError("field is zero at every point: homogeneity in ppm is undefined")
    return Homogeneity(mean, float(mag.min()), float(mag.max()), float((mag.max() - mag.min()) / mean * 1e6),
                       float(mag.std() / mean * 1e6), len(mag))


def larmor(b: np.ndarray, species: str | float = "1H") -> np.ndarray:
    """Larmor (or ESR) frequency map f = gamma_bar ``|B|`` in Hz for fields b (..., 3)."""
    return gamma_bar(species) * np.linalg.norm(np.asarray(b, float), axis=-1)
