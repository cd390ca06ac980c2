"""The simulated lock-in's data buffer (:class:`drivers.roles.lockin.BufferedLockIn` for
:class:`sim_backend.instruments.lockin.SimLockIn`), like the SR830's: 62.5 mHz x 2^i up to 512 Hz,
16383 points, one shot (SR830 manual ch. 5, "Data storage commands").

Each point is the filter output at its own simulated instant: the buffer is a clock process
that makes the world's clock stop at every sample time, so the filter (advanced in closed form
between samples, ``sim_backend.rc_cascade``) and the field ramp are exact there. While it runs
the filter process is not allowed to skip time (a clock process that forgets its input after a
horizon is otherwise integrated only over the end of a long sleep).

``start_delay`` (s, default 0) is a test hook: the first sample is taken that long after the start
command, as by an instrument whose sample clock starts late; a client dating sample 0 at the
command then dates every sample too early. The experiment under test is not told.
"""
from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

RATES = tuple(62.5e-3 * 2**i for i in range(14))
CAPACITY = 16383


class BufferSampler:
    """A clock process sampling ``read()`` (X, Y) every ``interval`` from ``start`` on."""

    def __init__(self, clock: Any, read: Callable[[], tuple[float, float]], capacity: int = CAPACITY):
        self.clock = clock
        self.read = read
        self.capacity = capacity
        self.running = False
        self.t0 = 0.0
        self.interval = 1.0
        self.k = 0
        self.x: list[float] = []
        self.y: list[float] = []
        self._pinned: Any = None
        self.start_delay = 0.0

    def start(self, interval: float, filter_process: Any = None) -> None:
        self.stop()
        self.x.clear()
        self.y.clear()
        self.interval, self.t0, self.k = float(interval), self.clock.now() + self.start_delay, 0
        self.running = True
        if filter_process is not None and hasattr(filter_process, "horizon"):
            filter_process.horizon = lambda: math.inf  # instance override: never skipped while sampling
            self._pinned = filter_process
        if self.start_delay <= 0:
            self._take()  # the first point is taken at the start

    def stop(self) -> None:
        self.running = False
        if self._pinned is not None:
            self._pinned.__dict__.pop("horizon", None)
            self._pinned = None

    def _due(self) -> float:
        return self.t0 + self.k * self.interval

    def _take(self) -> None:
        x, y = self.read()
        self.x.append(x)
        self.y.append(y)
        self.k += 1
        if len(self.x) >= self.capacity:
            self.stop()

    # --- clock process -------------------------------------------------------------------------
    def max_step(self) -> float:
        if not self.running:
            return math.inf
        return max(self._due() - self.clock.now(), 1e-12)

    def advance(self, t0: float, dt: float) -> None:
        while self.running and t0 + dt >= self._due() - 1e-9 * self.interval:
            self._take()

    def arrays(self, start: int, count: int) -> tuple[np.ndarray, np.ndarray]:
        return np.array(self.x[start:start + count]), np.array(self.y[start:start + count])
