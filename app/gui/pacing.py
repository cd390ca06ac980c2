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
Half the time is not enough on its own: each time the GUI thread leaves Python for Qt (a paint,
a setData) it must win the GIL back, and a worker that is computing makes it wait a switch
interval each time (about 41 instead of 150 frames/s in the full window). :class:`FrameGate`
gives the frame priority: the plot closes the gate when it has new data to draw and opens it
when the paint is done, and the pacer does not start the next point while it is closed.
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
                 max_duty: float = 1.0, wall: Callable[[], float] = time.monotonic,
                 gate: "FrameGate | None" = None):
        if not 0 < max_duty <= 1:
            raise ValueError(f"max_duty {max_duty} must be in (0, 1]")
        self.clock = clock
        self.abort_event = abort_event
        self.speed = float(speed)
        self.max_wait = float(max_wait)
        self.max_duty = float(max_duty)
        self.wall = wall
        self.gate = gate
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
        if self.gate is not None and not self.abort_event.is_set():
            self.gate.wait()
        self._sim_last = sim_now
        self._wall_last = self.wall()


class FrameGate:
    """Closed while the GUI draws a frame; a simulated run's worker waits at it between points.

    ``wait`` gives up after ``max_hold`` seconds, so a frame that never paints (a hidden plot)
    slows the run down but never stops it. Thread-safe (a :class:`threading.Event`)."""

    def __init__(self, max_hold: float = 0.05):
        self.max_hold = float(max_hold)
        self._open = threading.Event()
        self._open.set()

    def close(self) -> None:
        self._open.clear()

    def open(self) -> None:
        self._open.set()

    @property
    def is_open(self) -> bool:
        return self._open.is_set()

    def wait(self) -> bool:
        """Wait until the frame is drawn (at most ``max_hold``); True if the gate was open."""
        return self._open.wait(self.max_hold)


#: Share of wall time a simulated run's worker may compute while the GUI shows it.
GUI_MAX_DUTY = 0.5


def paced_subscribers(lab: Any, speed: float, max_duty: float = GUI_MAX_DUTY,
                      gate: FrameGate | None = None) -> list[RealTimePacer]:
    """A pacer for a simulated lab (one with a ``world``), none for real hardware."""
    if getattr(lab, "world", None) is None:
        return []
    return [RealTimePacer(lab.clock, lab.abort_event, speed, max_duty=max_duty, gate=gate)]
