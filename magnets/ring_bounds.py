"""The exact smallest radius of a Halbach ring: where no two of its turned magnets come closer
than the minimum gap and the bore stays open (bisection on the exact clearance test).

Each magnet of a ring at radius r sits at r (cos theta, sin theta) turned by (k + 1) theta +
phase, so every pair moves apart along a fixed direction as r grows: the radii at which a pair
is too close form one interval starting at 0 (the set of translations that make two convex
bodies come within a gap is convex), and the buildable radii are [r_min, inf).
"""
from __future__ import annotations

import functools
import math

import numpy as np

from magnets.clearance import Solids, axis_clearances, close_pairs


def rotation_z(angles: np.ndarray) -> np.ndarray:
    """Rotation matrices (M, 3, 3) about z by ``angles`` (rad)."""
    c, s = np.cos(angles), np.sin(angles)
    r = np.zeros((len(angles), 3, 3))
    r[:, 0, 0], r[:, 0, 1], r[:, 1, 0], r[:, 1, 1], r[:, 2, 2] = c, -s, s, c, 1.0
    return r


def ring_solids(n: int, dims: tuple[float, float, float], kind: int, k: int, phase: float, theta0: float,
                radius: float, z: float) -> Solids:
    """The n magnets of a ring as solids (``dims``/``kind`` as in MagnetArray)."""
    th = theta0 + 2 * np.pi * np.arange(n) / n
    pos = np.column_stack([radius * np.cos(th), radius * np.sin(th), np.full(n, z)])
    return Solids(pos, rotation_z((k + 1) * th + phase), np.full(n, kind), np.tile(dims, (n, 1)))


def _feasible(s: Solids, gap: float) -> bool:
    _, _, c = close_pairs(s, gap)
    return not np.any(c < gap) and bool(np.all(axis_clearances(s) > 0))


@functools.lru_cache(maxsize=512)
def ring_min_radius(n: int, dims: tuple[float, float, float], kind: int, k: int, phase: float, theta0: float,
                    gap: float) -> float:
    """Smallest buildable radius (m) to 1e-13 relative."""
    one = Solids(np.zeros((1, 3)), np.eye(3)[None], np.array([kind]), np.array([dims], float))
    reach = 2 * one.bounding_radii()[0] + gap
    hi = reach / (2 * math.sin(math.pi / n)) + reach

    def ok(r: float) -> bool:
        return _feasible(ring_solids(n, dims, kind, k, phase, theta0, r, 0.0), gap)

    while not ok(hi):
        hi *= 2
    lo = 0.0
    while hi - lo > 1e-13 * hi:
        mid = 0.5 * (lo + hi)
        if ok(mid):
            hi = mid
        else:
            lo = mid
    return hi
