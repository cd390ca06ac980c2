"""Simulated time: instruments that wait advance the world instead of sleeping."""
from __future__ import annotations

import threading
from typing import Protocol


class Process(Protocol):
    """Something in the simulated world that evolves with time."""

    def max_step(self) -> float:
        """Largest time step (s) this process can integrate accurately right now."""

    def advance(self, t0: float, dt: float) -> None:
        """Evolve from t0 to t0 + dt."""


class SimClock:
    """A monotonic simulated clock. ``sleep`` advances the world in steps no larger than
    every registered process allows, calling processes in registration order so that a
    detector sees the field the magnet reached in the same step."""

    def __init__(self) -> None:
        self._now = 0.0
        self._processes: list[Process] = []
        self.lock = threading.RLock()

    def now(self) -> float:
        return self._now

    def add(self, process: Process) -> None:
        self._processes.append(process)

    def sleep(self, seconds: float) -> None:
        if not seconds >= 0:
            raise ValueError(f"cannot sleep a negative or NaN time ({seconds} s)")
        with self.lock:
            end = self._now + seconds
            while self._now < end - 1e-15:
                step = min([end - self._now] + [p.max_step() for p in self._processes])
                t0 = self._now
                for p in self._processes:
                    p.advance(t0, step)
                self._now = t0 + step
