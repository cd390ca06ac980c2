"""The stray field outside a magnet: how far the 0.5 mT (5 G) line reaches.

0.5 mT is the usual limit for pacemakers and the outer line of MR safety zones (e.g. IEC
60601-2-33; the 5 gauss line). Far outside, every magnet is a point dipole to high accuracy
(error ~ (a/r)^4 for cubes), so the search uses the dipole engine: along ``n_directions``
rays from the centre (a Fibonacci set over the sphere), the distance beyond which |B| stays
below the level, by bisection between the magnet's outer radius and where the total dipole
moment's field alone would drop below it tenfold.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from magnets.design import HalbachDesign
from magnets.field import dipole_field
from magnets.sampling import sphere_surface

SAFETY_LEVEL = 0.5e-3  # T


@dataclass(frozen=True)
class StrayField:
    level: float  # T
    farthest: float  # m, largest distance of the level line from the centre
    direction: np.ndarray  # unit vector where it is farthest
    radial: float  # m, largest distance in the mid-plane (z = 0)
    axial: float  # m, along +-z

    def text(self) -> str:
        return (f"stray field: the {self.level * 1e3:.3g} mT line reaches {self.farthest * 1e3:.4g} mm from the "
                f"centre (direction {np.round(self.direction, 2).tolist()}); {self.radial * 1e3:.4g} mm in the "
                f"mid-plane, {self.axial * 1e3:.4g} mm along the axis")


def _reach(arr, u: np.ndarray, level: float, r_lo: float, r_hi: float, samples: int = 64) -> float:
    """Largest r on the ray where |B| >= level (sampled, then bisected on the last crossing)."""
    r = np.linspace(r_lo, r_hi, samples)
    b = np.linalg.norm(dipole_field(r[:, None] * u, arr), axis=1)
    above = np.flatnonzero(b >= level)
    if not len(above):
        return r_lo
    k = above[-1]
    if k == samples - 1:
        return r_hi
    lo, hi = r[k], r[k + 1]
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        if np.linalg.norm(dipole_field(mid * u[None], arr)[0]) >= level:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def stray_field(design: HalbachDesign, level: float = SAFETY_LEVEL, n_directions: int = 200) -> StrayField:
    """Where the ``level`` line (T) lies outside the design."""
    arr = design.layout()
    outer = float(np.max(np.linalg.norm(arr.positions, axis=1) + 0.5 * np.linalg.norm(arr.dims, axis=1)))
    moment = float(np.sum(arr.br * arr.volumes))  # B_r V summed (T m^3): every moment aligned, the worst case
    r_hi = max(outer * 1.5, (2 * moment / (4 * np.pi * level / 10)) ** (1 / 3))
    dirs = np.vstack([sphere_surface(1.0, n_directions),
                      [[np.cos(t), np.sin(t), 0.0] for t in np.linspace(0, 2 * np.pi, 72, endpoint=False)],
                      [[0, 0, 1.0], [0, 0, -1.0]]])
    reach = np.array([_reach(arr, u, level, outer, r_hi) for u in dirs])
    k = int(np.argmax(reach))
    mid = reach[n_directions:n_directions + 72].max()
    return StrayField(level, float(reach[k]), dirs[k], float(mid), float(reach[-2:].max()))
