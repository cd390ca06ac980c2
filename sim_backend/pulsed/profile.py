"""Excitation profiles: where a pulse leaves the magnetisation, against frequency offset and B1 scale.

Runs the Bloch ensemble (:mod:`sim_backend.pulsed.bloch`) over a grid of isochromats, one per
(B1 scale, offset) pair, from +z through piecewise-constant RF segments, without relaxation
(pulses far shorter than T2), so every segment is an exact rotation.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Protocol

import numpy as np

from sim_backend.pulsed.bloch import Ensemble


class RFSegment(Protocol):
    duration: float
    amp: complex
    offset: float


@dataclass
class Profile:
    offsets: np.ndarray  # Hz, isochromat frequency relative to the carrier
    b1_scales: np.ndarray  # B1 relative to nominal
    mxy: np.ndarray  # (scales, offsets) complex, Mx + i My, M0 = 1
    mz: np.ndarray  # (scales, offsets)

    def transverse(self) -> np.ndarray:
        return np.abs(self.mxy)

    def at(self, offset: float, scale_index: int | None = None) -> np.ndarray:
        """|Mxy| at the grid offset nearest ``offset`` for every B1 scale (or one)."""
        j = int(np.argmin(np.abs(self.offsets - offset)))
        col = np.abs(self.mxy[:, j])
        return col if scale_index is None else col[scale_index]


def excitation_profile(segments: Iterable[RFSegment], w1_full: float, offsets: np.ndarray,
                       b1_scales: np.ndarray = np.array([1.0])) -> Profile:
    """Magnetisation after ``segments`` (amplitude 1 = nutation ``w1_full`` rad/s)."""
    offsets = np.asarray(offsets, float)
    scales = np.atleast_1d(np.asarray(b1_scales, float))
    grid_off = np.tile(offsets, len(scales))
    grid_b1 = np.repeat(scales, len(offsets))
    ens = Ensemble(2 * np.pi * grid_off, b1_scale=grid_b1)
    for s in segments:
        if s.amp == 0:
            ens.free(s.duration)
        else:
            ens.apply(ens.rf_map(s.duration, w1_full * abs(s.amp), float(np.angle(s.amp)),
                                 offset=2 * np.pi * s.offset))
    shape = (len(scales), len(offsets))
    m = ens.m.astype(float)
    return Profile(offsets, scales, (m[0] + 1j * m[1]).reshape(shape), m[2].reshape(shape))
