"""Sample orientation in the simulated spectrometer.

Lab frame: the static field B0 is along +z, the microwave field B1 along +x, and a goniometer
turns the sample about +y (right-handed, positive angle). A sample's orientation is the rotation
taking vectors in the sample (crystal/film) frame to the lab frame:
``orientation = stage @ mount`` where ``mount`` is how the sample sits on the holder and
``stage`` is the goniometer's rotation (identity without one).
"""
from __future__ import annotations

import numpy as np

LAB_B0 = np.array([0.0, 0.0, 1.0])
LAB_B1 = np.array([1.0, 0.0, 0.0])
GONIOMETER_AXIS = np.array([0.0, 1.0, 0.0])


def axis_rotation(axis: np.ndarray | str, degrees: float) -> np.ndarray:
    """Right-handed rotation by ``degrees`` about ``axis`` (a vector or 'x', 'y', 'z')."""
    if isinstance(axis, str):
        axis = {"x": np.array([1.0, 0, 0]), "y": np.array([0, 1.0, 0]), "z": np.array([0, 0, 1.0])}[axis]
    u = np.asarray(axis, float)
    u = u / np.linalg.norm(u)
    t = np.deg2rad(degrees)
    k = np.array([[0, -u[2], u[1]], [u[2], 0, -u[0]], [-u[1], u[0], 0]])
    return np.eye(3) + np.sin(t) * k + (1 - np.cos(t)) * (k @ k)


def euler_zyz(alpha: float, beta: float, gamma: float) -> np.ndarray:
    """Active ZYZ rotation (degrees): R = Rz(alpha) Ry(beta) Rz(gamma)."""
    return axis_rotation("z", alpha) @ axis_rotation("y", beta) @ axis_rotation("z", gamma)


def frame_from_axes(x: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Rotation whose columns are the lab directions of the sample's x, y, z axes (x made
    orthogonal to z)."""
    z = np.asarray(z, float) / np.linalg.norm(z)
    x = np.asarray(x, float) - np.dot(x, z) * z
    x = x / np.linalg.norm(x)
    return np.column_stack([x, np.cross(z, x), z])


class Orientable:
    """Mixin: a sample with a ``mount`` rotation and a goniometer ``stage`` rotation.

    Subclasses call :meth:`_orientation_changed` hooks through ``_version`` to invalidate caches.
    """

    mount: np.ndarray
    _stage: np.ndarray | None = None

    @property
    def orientation(self) -> np.ndarray:
        stage = self._stage if self._stage is not None else np.eye(3)
        return stage @ np.asarray(self.mount, float)

    def set_stage_rotation(self, rotation: np.ndarray) -> None:
        """Called by a simulated goniometer: the stage's rotation (3x3) in the lab frame."""
        self._stage = np.asarray(rotation, float)
        self._bump()

    def _bump(self) -> None:
        object.__setattr__(self, "_version", getattr(self, "_version", 0) + 1)

    def __setattr__(self, name: str, value: object) -> None:
        object.__setattr__(self, name, value)
        if not name.startswith("_"):
            self._bump()
