"""Built magnets differ from the design: per-magnet remanence, magnetisation angle and position
errors, and the Monte Carlo of what they do to B0 and to the homogeneity.

:func:`apply_errors` is the one way to turn a design's :class:`MagnetArray` into a built one
(the map fit and the simulated measurements use it too). :func:`tolerance_trial` is a pure
function of (array, tolerances, seed): :func:`monte_carlo` maps it over independent seeds with any
``map`` (the built-in one, or a process pool's), so the trials can run anywhere in any order
and give the same answer.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

import numpy as np

from magnets.design import MagnetArray, rotation_z
from magnets.field import field
from magnets.sampling import homogeneity, sphere_surface


@dataclass(frozen=True)
class Errors:
    """Per-magnet deviations from the design (arrays of length M; zeros = as designed).
    ``br``: relative remanence error; ``angle``: rotation of the magnet about lab z (rad; the
    in-plane magnetisation angle of a ring magnet); ``tilt``: rotation about the in-plane axis
    across its magnetisation (rad, out of plane); ``shift``: (M, 3) position error (m)."""

    br: np.ndarray
    angle: np.ndarray
    tilt: np.ndarray
    shift: np.ndarray

    @classmethod
    def none(cls, m: int) -> "Errors":
        return cls(np.zeros(m), np.zeros(m), np.zeros(m), np.zeros((m, 3)))


def _axis_angle(axes: np.ndarray, angles: np.ndarray) -> np.ndarray:
    """Rotation matrices (M, 3, 3) about unit ``axes`` by ``angles`` (Rodrigues)."""
    k = axes / np.maximum(np.linalg.norm(axes, axis=1), 1e-300)[:, None]
    kx = np.zeros((len(k), 3, 3))
    kx[:, 0, 1], kx[:, 0, 2], kx[:, 1, 0] = -k[:, 2], k[:, 1], k[:, 2]
    kx[:, 1, 2], kx[:, 2, 0], kx[:, 2, 1] = -k[:, 0], -k[:, 1], k[:, 0]
    s, c = np.sin(angles)[:, None, None], np.cos(angles)[:, None, None]
    return np.eye(3) + s * kx + (1 - c) * kx @ kx


def apply_errors(arr: MagnetArray, errors: Errors) -> MagnetArray:
    """The array as built: each magnet's remanence scaled, rotated (tilt, then angle about z)
    about its own centre and moved."""
    m = len(arr)
    for name in ("br", "angle", "tilt"):
        if np.shape(getattr(errors, name)) != (m,):
            raise ValueError(f"errors.{name} has shape {np.shape(getattr(errors, name))}, the array has {m} magnets")
    across = np.cross(arr.directions, [0.0, 0.0, 1.0])
    flat = np.linalg.norm(across, axis=1) < 1e-12  # magnetised along z: tilt about body y
    across[flat] = arr.rotations[flat, :, 1]
    rot = rotation_z(errors.angle) @ _axis_angle(across, errors.tilt) @ arr.rotations
    return MagnetArray(arr.positions + errors.shift, rot, arr.br * (1 + errors.br), arr.volumes, arr.dims,
                       arr.kinds, arr.groups, arr.group_names, arr.densities)


@dataclass(frozen=True)
class Tolerances:
    """One-sigma manufacturing spreads: relative B_r, magnetisation angle (rad, each of two
    orthogonal directions), position (m, each axis)."""

    br: float = 0.01
    angle: float = np.deg2rad(1.0)
    position: float = 0.0

    def only(self, name: str) -> "Tolerances":
        return Tolerances(**{k: (getattr(self, k) if k == name else 0.0) for k in ("br", "angle", "position")})


def draw_errors(m: int, tol: Tolerances, seed: int | np.random.SeedSequence) -> Errors:
    rng = np.random.default_rng(seed)
    return Errors(rng.normal(0, tol.br, m), rng.normal(0, tol.angle, m), rng.normal(0, tol.angle, m),
                  rng.normal(0, tol.position, (m, 3)))


def tolerance_trial(arr: MagnetArray, tol: Tolerances, seed: int | np.random.SeedSequence, points: np.ndarray,
                    engine: str = "dipole") -> tuple[float, float]:
    """(|B0| at the first point in T, p-p ppm of |B| over all points) of one randomly built magnet."""
    built = apply_errors(arr, draw_errors(len(arr), tol, seed))
    b = field(points, built, engine)
    return float(np.linalg.norm(b[0])), homogeneity(b[1:]).ppm_pp


class _Trial:
    """A picklable one-argument trial (for process pools)."""

    def __init__(self, arr: MagnetArray, tol: Tolerances, points: np.ndarray, engine: str):
        self.arr, self.tol, self.points, self.engine = arr, tol, points, engine

    def __call__(self, seed: np.random.SeedSequence) -> tuple[float, float]:
        return tolerance_trial(self.arr, self.tol, seed, self.points, self.engine)


@dataclass(frozen=True)
class ToleranceResult:
    tolerances: Tolerances
    dsv: float
    b0: np.ndarray  # T, one per trial
    ppm: np.ndarray  # p-p over the DSV surface, one per trial
    nominal_b0: float
    nominal_ppm: float
    dominant: dict[str, float]  # tolerance name -> median ppm with only that tolerance

    def text(self) -> str:
        q = np.percentile(self.ppm, [5, 50, 95])
        t = self.tolerances
        out = [f"tolerance Monte Carlo ({len(self.ppm)} built magnets; sigma B_r {t.br:.3g}, angle "
               f"{np.rad2deg(t.angle):.3g} deg, position {t.position * 1e3:.3g} mm):",
               f"  B0        {self.b0.mean() * 1e3:.6g} mT +- {self.b0.std() * 1e3:.3g} mT (design "
               f"{self.nominal_b0 * 1e3:.6g} mT)",
               f"  p-p over {self.dsv * 1e3:.3g} mm DSV: median {q[1]:.4g} ppm, 5-95 % {q[0]:.4g}-{q[2]:.4g} ppm "
               f"(design {self.nominal_ppm:.4g} ppm)"]
        if self.dominant:
            worst = max(self.dominant, key=self.dominant.get)
            out.append("  each tolerance alone (median ppm): "
                       + ", ".join(f"{k} {v:.4g}" for k, v in self.dominant.items()) + f"; {worst} dominates")
        return "\n".join(out)


def monte_carlo(arr: MagnetArray, tol: Tolerances, dsv: float, trials: int = 200, seed: int = 0,
                engine: str = "dipole", n_points: int = 200, attribute: bool = True,
                map: Callable[[Callable, Iterable], Iterable] = map) -> ToleranceResult:  # noqa: A002
    """B0 and DSV p-p ppm over ``trials`` independently built magnets; with ``attribute`` the same
    number of trials again with each nonzero tolerance alone, to say which one dominates."""
    if trials < 2:
        raise ValueError(f"trials = {trials}: a distribution needs at least 2")
    points = np.vstack([np.zeros((1, 3)), sphere_surface(dsv / 2, n_points)])
    seeds = np.random.SeedSequence(seed).spawn(trials)
    b0, ppm = np.array(list(map(_Trial(arr, tol, points, engine), seeds))).T
    nominal = field(points, arr, engine)
    dominant = {}
    if attribute:
        names = [k for k in ("br", "angle", "position") if getattr(tol, k) > 0]
        for name in names if len(names) > 1 else []:
            alone = np.array(list(map(_Trial(arr, tol.only(name), points, engine), seeds)))
            dominant[name] = float(np.median(alone[:, 1]))
    return ToleranceResult(tol, dsv, b0, ppm, float(np.linalg.norm(nominal[0])), homogeneity(nominal[1:]).ppm_pp,
                           dominant)
