"""How served instruments share one SimulatedWorld, and how its clock follows the wall clock.

Design (why the world's time is wall time here): drivers reached over the wire wait in real
time, exactly as with hardware — a lab built from a TOML file uses the wall clock, and a
served instrument cannot know what the client's clock is. So the world's simulated time is
pinned to wall time (times ``time_scale``), and it is advanced *lazily*: every command, before
it is executed, first brings the world up to "now" under the world lock.

This is exact, not an approximation, because the world's inputs change only when a command
changes them: between two commands every process integrates with constant inputs, which is
what :meth:`SimClock.sleep` does anyway. A query that follows a setpoint therefore sees the
magnet ramped, the lock-in filter settled and the sample warmed by exactly the wall time that
passed, and a driver's settling wait (its own clock) is what advances the world.

One refinement keeps a long idle gap cheap: the lock-in filter forgets its state after a few
tens of time constants, so a gap longer than ``FORGET_TAU`` time constants is integrated in
64 coarse steps with the filter slowed down, and only the last ``FORGET_TAU`` time constants
at the real time constant (the residual memory of the coarse part is below e^-40 x 40^3).
A sync therefore costs at most ~400 steps (~25 ms) however long the gap. Nothing can
observe the filter in between: every observation is a command, and a command syncs first.
"""
from __future__ import annotations

import math
import threading
import time
from typing import Any

FORGET_TAU = 40.0


class WorldLink:
    def __init__(self, world: Any, *, time_scale: float = 1.0):
        if not time_scale > 0:
            raise ValueError(f"time_scale must be > 0, got {time_scale!r}")
        self.world = world
        self.time_scale = float(time_scale)
        #: Held while a command runs: one command at a time acts on the world.
        self.lock = threading.RLock()
        #: Instruments that sample the world at their own times (the SR830's data buffer):
        #: objects with ``next_sample_time()`` and ``sample()``.
        self.samplers: list[Any] = []
        self._wall0 = time.monotonic()
        self._world0 = world.clock.now()

    def world_time_now(self) -> float:
        return self._world0 + (time.monotonic() - self._wall0) * self.time_scale

    def sync(self) -> None:
        """Advance the world to the present wall time (call with ``lock`` held)."""
        with self.lock:
            clock = self.world.clock
            gap = self.world_time_now() - clock.now()
            if gap <= 0:
                return
            if any(s.next_sample_time() < math.inf for s in self.samplers):
                self._sync_sampling(clock, clock.now() + gap)
                return
            lockin = getattr(self.world, "lockin", None)
            tau = getattr(lockin, "time_constant", None)
            if tau is not None:
                coarse = gap - FORGET_TAU * tau
                if coarse > 8 * tau:  # 64 coarse steps instead of 8 per time constant
                    lockin.time_constant = coarse / 8.0
                    try:
                        clock.sleep(coarse)
                    finally:
                        lockin.time_constant = tau
                    gap -= coarse
            clock.sleep(max(0.0, gap))

    def _sync_sampling(self, clock: Any, target: float) -> None:
        """Advance to ``target`` stopping at every sample time (no coarse steps: each sample
        must see the filter as it is at its instant)."""
        while True:
            due = min(s.next_sample_time() for s in self.samplers)
            if due > target:
                break
            clock.sleep(max(0.0, due - clock.now()))
            for s in self.samplers:
                if s.next_sample_time() <= clock.now() + 1e-12:
                    s.sample()
        clock.sleep(max(0.0, target - clock.now()))
