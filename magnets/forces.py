"""Forces and torques on magnets: what the holder, the glue and an opening mechanism must take.

Two engines, as for fields: analytic point-dipole pair forces (fast, numpy) and magpylib's
``getFT`` on the exact magnet shapes (meshed targets). Torques are about each magnet's centre.
Reference values (magpylib, docs/references.md; 16 x 12 mm N42-class cubes at r = 45 mm):
the theta = 0 magnet is pulled inward with ~5.2 N; halves split with the plane normal along B0
attract (~43 N), split across B0 they repel (~31 N).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from magnets.constants import MU0
from magnets.design import HalbachDesign, MagnetArray
from magnets.field import _as_array, magpylib_objects


def _dipole_pair_forces(tgt: MagnetArray, src: MagnetArray) -> tuple[np.ndarray, np.ndarray]:
    """Force and torque on each target dipole from all source dipoles (no self pairs allowed)."""
    mt, ms = tgt.moments, src.moments
    r = tgt.positions[:, None, :] - src.positions[None, :, :]  # (T, S, 3), source -> target
    d2 = np.einsum("tsi,tsi->ts", r, r)
    if np.any(d2 == 0):
        raise ValueError("a target magnet coincides with a source magnet; pass disjoint sets")
    d = np.sqrt(d2)
    mt_r = np.einsum("ti,tsi->ts", mt, r)
    ms_r = np.einsum("si,tsi->ts", ms, r)
    mt_ms = mt @ ms.T
    c = 3 * MU0 / (4 * np.pi * d**5)
    f = c[..., None] * (ms_r[..., None] * mt[:, None, :] + mt_r[..., None] * ms[None, :, :]
                        + mt_ms[..., None] * r - (5 * ms_r * mt_r / d2)[..., None] * r)
    b = MU0 / (4 * np.pi) * (3 * r * (ms_r / d**5)[..., None] - ms[None, :, :] / (d**3)[..., None])
    return f.sum(axis=1), np.cross(mt, b.sum(axis=1))


def forces_on(targets: np.ndarray, source: HalbachDesign | MagnetArray, engine: str = "dipole",
              meshing: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Force (N) and torque (N m) on the magnets selected by boolean mask ``targets`` from all
    the other magnets. Returns arrays of shape (n_targets, 3)."""
    arr = _as_array(source)
    mask = np.asarray(targets, bool)
    if mask.shape != (len(arr),):
        raise ValueError(f"targets must be a boolean mask of length {len(arr)} (one per magnet)")
    if not mask.any() or mask.all():
        raise ValueError("targets must select some magnets and leave some as sources")
    tgt, src = arr.select(mask), arr.select(~mask)
    if engine == "dipole":
        return _dipole_pair_forces(tgt, src)
    if engine != "exact":
        raise ValueError(f"unknown force engine {engine!r}; use 'dipole' or 'exact'")
    import magpylib as magpy

    f, t = magpy.getFT(magpylib_objects(src), magpylib_objects(tgt), meshing=meshing, squeeze=False)
    return np.asarray(f).sum(axis=0).reshape(-1, 3), np.asarray(t).sum(axis=0).reshape(-1, 3)


def per_magnet(source: HalbachDesign | MagnetArray, engine: str = "dipole",
               meshing: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Force and torque on every magnet from all the others, shape (M, 3) each."""
    arr = _as_array(source)
    if engine == "dipole":
        f, t = np.zeros((len(arr), 3)), np.zeros((len(arr), 3))
        for i in range(len(arr)):  # exclude self pairs one target at a time (M is small)
            m = np.zeros(len(arr), bool)
            m[i] = True
            f[i], t[i] = (a[0] for a in forces_on(m, arr, engine))
        return f, t
    out = [forces_on(np.arange(len(arr)) == i, arr, engine, meshing) for i in range(len(arr))]
    return np.vstack([o[0] for o in out]), np.vstack([o[1] for o in out])


@dataclass(frozen=True)
class SplitForce:
    """Force between two halves of a design split by a plane through the z axis."""

    normal: np.ndarray  # unit normal of the split plane (points into the 'upper' half)
    force: np.ndarray  # N, on the upper half from the lower half
    torque: np.ndarray  # N m, on the upper half about its magnets' centres (summed)
    on_plane: int = 0  # magnets centred on the split plane (counted in the lower half)

    @property
    def normal_force(self) -> float:
        """Along the normal: > 0 the halves repel, < 0 they attract."""
        return float(self.force @ self.normal)


def split_force(source: HalbachDesign | MagnetArray, normal: tuple[float, float, float] = (1.0, 0.0, 0.0),
                engine: str = "dipole", meshing: int = 64) -> SplitForce:
    """Force between the halves on either side of a plane through the axis with ``normal``
    (magnets exactly on the plane count to the lower half). Used for openable magnets."""
    arr = _as_array(source)
    n = np.asarray(normal, float)
    n = n / np.linalg.norm(n)
    height = arr.positions @ n
    upper = height > 1e-12
    f, t = forces_on(upper, arr, engine, meshing)
    return SplitForce(n, f.sum(axis=0), t.sum(axis=0), int(np.sum(np.abs(height) <= 1e-12)))


def group_force(source: HalbachDesign | MagnetArray, on: int, by: int, engine: str = "dipole",
                meshing: int = 64) -> np.ndarray:
    """Force (N) on group ``on`` (ring or shim index in layout order) from group ``by``."""
    arr = _as_array(source)
    both = arr.select((arr.groups == on) | (arr.groups == by))
    return forces_on(both.groups == on, both, engine, meshing)[0].sum(axis=0)
