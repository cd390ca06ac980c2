"""The simulated 'built' magnet behind examples/halbach_map_simulated.csv (docs/halbach.md shows
the same recipe): known per-ring errors, random per-magnet scatter, a registration offset and
probe noise. The tests recover these numbers from the map; they are never given to the fit."""
from __future__ import annotations

import numpy as np

from magnets.design_io import load_design
from magnets.field import exact_field
from magnets.sampling import sphere_volume
from magnets.tolerance import Errors, apply_errors

RING_BR = np.array([0.012, -0.008, 0.004, -0.015])  # relative B_r error per ring
RING_ANGLE = np.deg2rad([0.5, -0.3, 0.8, -0.2])  # magnetisation angle error per ring
SCATTER_BR, SCATTER_ANGLE = 0.003, np.deg2rad(0.2)  # per magnet, one sigma
SHIFT = np.array([0.3e-3, -0.2e-3, 0.5e-3])  # magnet centre in the probe's coordinates (m)
NOISE = 3e-6  # T, per component
MAP_RADIUS, MAP_POINTS = 0.012, 400


def built_magnet(design_path, scatter: bool = True):
    """(design, the array as built); ``scatter=False``: the per-ring errors and the shift only."""
    spec = load_design(design_path)
    arr = spec.design.layout()
    rng = np.random.default_rng(14)
    m = len(arr)
    errors = Errors(RING_BR[arr.groups] + rng.normal(0, SCATTER_BR, m) * scatter,
                    RING_ANGLE[arr.groups] + rng.normal(0, SCATTER_ANGLE, m) * scatter, np.zeros(m),
                    np.tile(SHIFT, (m, 1)))
    return spec, apply_errors(arr, errors)


def simulated_map(design_path, scatter: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(points in probe coordinates (m), measured B (T) with noise)."""
    _, built = built_magnet(design_path, scatter)
    pts = sphere_volume(MAP_RADIUS, MAP_POINTS, seed=15)
    b = exact_field(pts, built) + np.random.default_rng(16).normal(0, NOISE, (len(pts), 3))
    return pts, b
