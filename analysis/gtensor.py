"""Principal g-values from single-crystal rotations (the powder pattern's model and fit live in
``analysis.powder_model`` and ``analysis.powder_fit``).

Single crystal: g_eff^2(n) = n^T (g g^T) n for the B0 direction n in the crystal frame; a
rotation about one axis gives g^2(theta) = A + B cos 2theta + C sin 2theta; three or more
planes give the full tensor (Schonland, Proc. Phys. Soc. 73, 788 (1959)) by linear least
squares, whose eigenvalues are the squared principal g-values.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.uncertainty import covariance, propagate


# --- single crystal ---------------------------------------------------------------------------
#: Goniometer convention (drivers/roles/goniometer.py): B0 along lab z, rotation about lab y.
#: Mount 'a': crystal a along the rotation axis, b along B0 at angle 0 (then c, a cyclically).
MOUNTS = {"a": (0, 1, 2), "b": (1, 2, 0), "c": (2, 0, 1)}


def rotation_directions(theta_deg: np.ndarray, mount: str) -> np.ndarray:
    """Unit B0 directions in the crystal frame (rows) for goniometer angles ``theta_deg``.

    With the sample turned by +theta about lab y, B0 seen from the sample is R_y(-theta) z =
    (-sin theta, 0, cos theta) in mount coordinates (x, y, z); the mount maps crystal axes
    (axis along y, next along z, last along x)."""
    if mount not in MOUNTS:
        raise ValueError(f"unknown mount {mount!r}; use one of {list(MOUNTS)}")
    t = np.deg2rad(np.asarray(theta_deg, float))
    along_y, along_z, along_x = MOUNTS[mount]
    n = np.zeros((len(t), 3))
    n[:, along_x] = -np.sin(t)
    n[:, along_y] = 0.0
    n[:, along_z] = np.cos(t)
    return n


@dataclass
class PlaneFit:
    g_max: float
    g_min: float
    theta_max: float  # degrees
    coefficients: np.ndarray  # A, B, C of g^2 = A + B cos 2t + C sin 2t
    errors: dict[str, float]


#: Goniometer angles closer than this (deg, modulo 180) count as the same orientation of g^2.
ANGLE_TOLERANCE = 1e-3


def distinct_orientations(theta_deg: np.ndarray, tol: float = ANGLE_TOLERANCE) -> int:
    """How many of the angles differ modulo 180 deg (g^2 repeats every 180 deg). Wraps the circle:
    a read-back 179.99999999999662 deg is the same orientation as 0 deg."""
    v = np.sort(np.mod(np.asarray(theta_deg, float), 180.0))
    if len(v) == 0:
        return 0
    gaps = np.r_[np.diff(v), v[0] + 180.0 - v[-1]]
    return max(1, int(np.sum(gaps > tol)))


def fit_rotation_plane(theta_deg: np.ndarray, g_eff: np.ndarray, g_err: np.ndarray | None = None) -> PlaneFit:
    """g^2 = A + B cos 2theta + C sin 2theta by weighted linear least squares; ValueError when the
    angles cannot determine the three coefficients or the result is not a g^2 pattern."""
    t = np.deg2rad(np.asarray(theta_deg, float))
    g_eff = np.asarray(g_eff, float)
    n = distinct_orientations(theta_deg)
    if n < 3:
        raise ValueError(f"a rotation-plane fit needs at least three angles distinct modulo 180 degrees, got {n} "
                         f"({', '.join(f'{a:.6g}' for a in np.asarray(theta_deg, float))} deg)")
    sig = 2 * g_eff * (np.ones_like(g_eff) if g_err is None else np.asarray(g_err, float))
    design = np.column_stack([np.ones_like(t), np.cos(2 * t), np.sin(2 * t)]) / sig[:, None]
    coef, *_ = np.linalg.lstsq(design, g_eff**2 / sig, rcond=None)
    cov = covariance(design, g_eff**2 / sig - design @ coef, known_errors=g_err is not None)
    a, bc, cc = coef
    amp = np.hypot(bc, cc)
    if not a - amp > 0:
        raise ValueError(f"the rotation pattern is not a g^2 curve (A = {a:.4g}, amplitude {amp:.4g}: minimum "
                         f"g^2 <= 0); the line positions are inconsistent")
    gmax, gmin = np.sqrt(a + amp), np.sqrt(a - amp)
    # First-order errors of a +- amp.
    grad_amp = np.array([0.0, bc / amp, cc / amp]) if amp > 0 else np.zeros(3)
    unit_a = np.array([1.0, 0.0, 0.0])
    e_max = propagate(cov, unit_a + grad_amp) / (2 * gmax)
    e_min = propagate(cov, unit_a - grad_amp) / (2 * gmin)
    return PlaneFit(gmax, gmin, float(np.rad2deg(0.5 * np.arctan2(cc, bc))), coef,
                    {"g_max": float(e_max), "g_min": float(e_min)})


@dataclass
class TensorFit:
    principal: np.ndarray  # g-values, descending
    errors: np.ndarray
    axes: np.ndarray  # columns: principal directions in the crystal frame
    tensor_g2: np.ndarray


def fit_g_tensor(directions: np.ndarray, g_eff: np.ndarray, g_err: np.ndarray | None = None) -> TensorFit:
    """Full g^2 tensor from g_eff along many B0 directions (crystal frame), by linear least squares."""
    n = np.asarray(directions, float)
    g_eff = np.asarray(g_eff, float)
    if len(g_eff) < 6:
        raise ValueError(f"the g-tensor has 6 components; need at least 6 orientations, got {len(g_eff)}")
    sig = 2 * g_eff * (np.ones_like(g_eff) if g_err is None else np.asarray(g_err, float))
    x, y, z = n.T
    design = np.column_stack([x * x, y * y, z * z, 2 * x * y, 2 * x * z, 2 * y * z]) / sig[:, None]
    coef, *_ = np.linalg.lstsq(design, g_eff**2 / sig, rcond=None)
    if np.linalg.matrix_rank(design) < 6:
        raise ValueError("the orientations do not determine the tensor (use three non-coplanar rotation planes)")
    cov = covariance(design, g_eff**2 / sig - design @ coef, known_errors=g_err is not None)
    xx, yy, zz, xy, xz, yz = coef
    t = np.array([[xx, xy, xz], [xy, yy, yz], [xz, yz, zz]])
    vals, vecs = np.linalg.eigh(t)
    order = np.argsort(vals)[::-1]
    vals, vecs = vals[order], vecs[:, order]
    errs = []
    for k in range(3):
        v = vecs[:, k]
        w = np.array([v[0] ** 2, v[1] ** 2, v[2] ** 2, 2 * v[0] * v[1], 2 * v[0] * v[2], 2 * v[1] * v[2]])
        errs.append(propagate(cov, w) / (2 * np.sqrt(max(vals[k], 1e-30))))
    return TensorFit(np.sqrt(np.clip(vals, 0, None)), np.array(errs), vecs, t)
