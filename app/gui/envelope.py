"""The min/max envelope of a growing trace, updated only where points were added (Qt-free).

pyqtgraph's peak downsampling reduces the whole trace again at every frame: with 1e5 points and
two traces that is about half of what a live frame costs (benchmarks/live_plot.py). While a
run's data grow, the data already drawn do not change: :class:`PeakEnvelope` keeps, per block of
``block`` points, the block's largest and smallest value at the block's middle x, as pyqtgraph's
"peak" method draws them, and reduces only the blocks completed since the last frame; the last,
incomplete block is drawn point by point. The block is a power of two chosen from the view's
width in pixels (:func:`block_for`), so it changes only when the trace has doubled.
"""
from __future__ import annotations

from typing import Any, Hashable

import numpy as np

#: Envelope blocks per pixel of the view (two points each: ~4 points drawn per pixel).
BLOCKS_PER_PIXEL = 2


def block_for(n: int, width_px: float) -> int:
    """Points per block for ``n`` points across ``width_px`` pixels: a power of two, 1 when the
    trace is short enough to draw point by point."""
    per_block = n / max(1.0, BLOCKS_PER_PIXEL * float(width_px))
    return 1 if per_block < 2 else 1 << int(np.floor(np.log2(per_block)))


class PeakEnvelope:
    """Envelope of one trace; ``key`` names the data it was built from (a different key, a
    different block or fewer points than before rebuilds it)."""

    def __init__(self) -> None:
        self._key: Any = None
        self._block = 0
        self._full = 0  # complete blocks reduced
        self._x = np.empty(0)
        self._y = np.empty(0)

    def update(self, key: Hashable, x: np.ndarray, y: np.ndarray, block: int) -> tuple[np.ndarray, np.ndarray]:
        """(x, y) to draw: the envelope of every complete block, then the remaining points."""
        n = min(len(x), len(y))
        full = n // block
        if key != self._key or block != self._block or full < self._full:
            self._key, self._block, self._full = key, block, 0
        if 2 * full > len(self._x):  # room for the blocks and, after them, the tail
            size = max(2 * full + block, 2 * len(self._x))
            grown_x, grown_y = np.empty(size + block), np.empty(size + block)
            grown_x[:2 * self._full] = self._x[:2 * self._full]
            grown_y[:2 * self._full] = self._y[:2 * self._full]
            self._x, self._y = grown_x, grown_y
        if full > self._full:
            a, b = self._full, full
            seg = np.asarray(y[a * block:b * block], float).reshape(b - a, block)
            mids = np.asarray(x[a * block + block // 2:b * block:block], float)
            self._x[2 * a:2 * b:2] = mids
            self._x[2 * a + 1:2 * b:2] = mids
            self._y[2 * a:2 * b:2] = np.fmax.reduce(seg, axis=1)  # NaN only where a whole block is
            self._y[2 * a + 1:2 * b:2] = np.fmin.reduce(seg, axis=1)
            self._full = full
        tail = n - full * block
        if len(self._x) < 2 * full + tail:
            self._x = np.concatenate([self._x, np.empty(tail)])
            self._y = np.concatenate([self._y, np.empty(tail)])
        self._x[2 * full:2 * full + tail] = x[full * block:n]
        self._y[2 * full:2 * full + tail] = y[full * block:n]
        end = 2 * full + tail
        return self._x[:end].copy(), self._y[:end].copy()  # the plot keeps them; these buffers change
