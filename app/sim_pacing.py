"""Run the in-process simulated lab at a chosen multiple of real time (``spinbench run --sim
--speed S``), so a simulated run takes wall time like a real one: long enough to watch, and to
exercise what happens when a signal arrives while the field ramps (the simulated clock
otherwise jumps through a ramp at once).

The pacer is one more process in the world's clock: it limits every step to ``chunk x speed``
simulated seconds and sleeps ``dt / speed`` of wall time per step. Ramps, settling waits and
the safe-state ramp are all paced alike. (The GUI paces per point instead:
``app.gui.pacing``.)
"""
from __future__ import annotations

import time
from typing import Any


class WallClockPacer:
    """Clock process holding simulated time to ``speed`` x wall time."""

    def __init__(self, speed: float, chunk: float = 0.02):
        if not speed > 0:
            raise ValueError(f"--speed must be > 0 (simulated seconds per wall second), got {speed!r}")
        self.speed, self.chunk = float(speed), float(chunk)

    def max_step(self) -> float:
        return self.chunk * self.speed

    def advance(self, t0: float, dt: float) -> None:
        time.sleep(dt / self.speed)


def pace_world(world: Any, speed: float) -> WallClockPacer:
    """Pace a SimulatedWorld's clock at ``speed``; returns the pacer."""
    pacer = WallClockPacer(speed)
    world.clock.add(pacer)
    return pacer
