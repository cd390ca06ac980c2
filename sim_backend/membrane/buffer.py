"""The membrane demodulator's data buffer: lock-in output samples at a fixed rate, taken at
their exact instants without stopping the world's clock there.

``MembraneSystem.flush`` integrates each pending interval up to every sample time due in it; a
run of whole sample intervals (the usual case while nothing changes) goes through
``JointPropagator.steps`` in one vectorised call, the same exact discretisation with the same
random numbers as that many 10 ms reads. So a buffered acquisition costs the simulator almost
nothing per sample, where a read every 10 ms costs a clock step, a flush and a bus command each.
"""
from __future__ import annotations

import math

import numpy as np

#: Demodulator streaming rates (Hz) of the simulated HF2LI-class lock-in, and its memory.
MEMBRANE_RATES = tuple(m * 10.0**e for e in range(0, 5) for m in (1.0, 2.0, 5.0)) + (1e5,)
MEMBRANE_CAPACITY = 10_000_000


class DemodBuffer:
    """Samples of the last lock-in stage (complex V) at t0 + k interval, k = 0, 1, ..."""

    def __init__(self, t0: float, interval: float, capacity: int = MEMBRANE_CAPACITY) -> None:
        self.t0, self.interval, self.capacity = float(t0), float(interval), int(capacity)
        self.k = 0
        self.running = True
        self._chunks: list[np.ndarray] = []
        self.count = 0

    def due(self, start: float, end: float) -> tuple[int, int]:
        """(first k, number) of samples due in (start, end] not yet taken (slack 1e-9 interval);
        samples that fell before ``start`` (a raw record skipped them) are stored as NaN."""
        slack = 1e-9 * self.interval
        first = max(self.k, int(math.floor((start + slack - self.t0) / self.interval)) + 1)
        if first > self.k:
            self.take(np.full(first - self.k, complex(math.nan, math.nan)))
        last = int(math.floor((end + slack - self.t0) / self.interval))
        return first, max(0, min(last - first + 1, self.capacity - self.count))

    def time(self, k: int) -> float:
        return self.t0 + k * self.interval

    def take(self, values: np.ndarray | complex) -> None:
        values = np.atleast_1d(np.asarray(values, dtype=complex))[: self.capacity - self.count]
        self._chunks.append(values)
        self.count += values.size
        self.k += values.size
        if self.count >= self.capacity:
            self.running = False

    def values(self, start: int, count: int) -> np.ndarray:
        if len(self._chunks) > 1:
            self._chunks = [np.concatenate(self._chunks)]
        return self._chunks[0][start:start + count] if self._chunks else np.empty(0, complex)
