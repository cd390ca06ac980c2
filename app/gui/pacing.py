"""Pace a simulated run against the wall clock, so people can watch it (Qt-free).

A simulated lab runs on its own clock (``SimClock``): a 20 s sweep finishes in about 2 s of
wall time, too fast to watch or to pause by hand. :class:`RealTimePacer` is an engine subscriber
that, after each point, waits until the wall time since the previous point is the simulated time
since then divided by ``speed``. Long dead times (the first ramp to the start field) are capped
at ``max_wait`` per point so the first point does not keep the user waiting. The wait is on the
lab's abort event, so an abort wakes it at once; pause happens, as always, at the plan's
checkpoints. Real labs are never paced (their clock is already the wall clock).

A simulated lab computes its physics in Python in the run's worker thread, in the GUI's process:
flat out, it would take the GIL from the GUI thread for most of every frame (benchmarks/live_plot.py:
~15 frames/s instead of ~130). ``max_duty`` caps the share of wall time the worker computes (0.5:
after a point that took 2 ms to simulate it rests 2 ms), so "as fast as possible" stays smooth.
"""
from __future__ import annotations

import threading
import time
from typing import Any, Callable


class RealTimePacer:
    """Engine subscriber: hold a simulated run to ``speed`` x real time (``speed <= 0``: no pacing).

    ``speed`` may be changed while the run goes (read at every point). ``wall`` is the wall clock
    (tests pass a fake one, together with an ``abort_event`` whose ``wait`` advances it).
    """

    def __init__(self, clock: Any, abort_event: threading.Event, speed: float = 1.0, max_wait: float = 0.5,
                 max_duty: float = 1.0, wall: Callable[[], float] = time.monotonic):
        if not 0 < max_duty <= 1:
            raise ValueError(f"max_duty {max_duty} must be in (0, 1]")
        self.clock = clock
        self.abort_event = abort_event
        self.speed = float(speed)
        self.max_wait = float(max_wait)
        self.max_duty = float(max_duty)
        self.wall = wall
        self._sim_last = 0.0
        self._wall_last = 0.0
        self.waited = 0.0  # total seconds spent waiting (for tests and the log)

    def start(self, run: Any) -> None:
        self._sim_last = self.clock.now()
        self._wall_last = self.wall()
        self.waited = 0.0

    def point(self, index: int, data: dict[str, Any]) -> None:
        sim_now, now = self.clock.now(), self.wall()
        busy = now - self._wall_last  # the time this point took to simulate
        delay = busy * (1.0 / self.max_duty - 1.0)
        speed = self.speed
        if speed > 0:
            wanted = min((sim_now - self._sim_last) / speed, self.max_wait)
            delay = max(delay, self._wall_last + wanted - now)
        if delay > 0:
            delay = min(delay, self.max_wait)
            self.abort_event.wait(delay)
            self.waited += delay
        self._sim_last = sim_now
        self._wall_last = self.wall()


#: Share of wall time a simulated run's worker may compute while the GUI shows it.
GUI_MAX_DUTY = 0.5


def paced_subscribers(lab: Any, speed: float, max_duty: float = GUI_MAX_DUTY) -> list[RealTimePacer]:
    """A pacer for a simulated lab (one with a ``world``), none for real hardware."""
    if getattr(lab, "world", None) is None:
        return []
    return [RealTimePacer(lab.clock, lab.abort_event, speed, max_duty=max_duty)]
