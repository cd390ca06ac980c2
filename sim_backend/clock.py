"""Simulated time: instruments that wait advance the world instead of sleeping."""
from __future__ import annotations

import math
import threading
from typing import Protocol


class Process(Protocol):
    """Something in the simulated world that evolves with time.

    A process may also define ``horizon() -> float``: how far back its state remembers its
    inputs (a low-pass filter forgets after some tens of time constants). During a long sleep
    such a process is only integrated over the last ``horizon`` of it, which is exact to
    exp(-horizon/tau) and makes long ramps cheap.
    """

    def max_step(self) -> float:
        """Largest time step (s) this process can integrate accurately right now."""

    def advance(self, t0: float, dt: float) -> None:
        """Evolve from t0 to t0 + dt."""


class SimClock:
    """A monotonic simulated clock. ``sleep`` advances the world in steps no larger than
    every active process allows, calling processes in registration order so that a
    detector sees the field the magnet reached in the same step."""

    #: Waits on this clock are simulated time (``drivers.lab.is_simulated``).
    simulated = True

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
            # Processes that forget: skipped until their horizon before the end of the sleep.
            wake = {id(p): end - p.horizon() for p in self._processes if hasattr(p, "horizon")}
            while self._now < end - 1e-15:
                t0 = self._now
                active = [p for p in self._processes if wake.get(id(p), -math.inf) <= t0 + 1e-15]
                step = end - t0
                for p in active:
                    step = min(step, p.max_step())
                for w in wake.values():
                    if w > t0 + 1e-15:
                        step = min(step, w - t0)
                for p in active:
                    p.advance(t0, step)
                self._now = t0 + step
