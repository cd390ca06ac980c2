"""A text progress bar for CLI runs (an engine subscriber), with ETA from wall time.

The bar counts the points *saved in the run file* (the writer reports each flush through
``saved``), so whatever it last showed is on disk even if the process is killed outright.
"""
from __future__ import annotations

import sys
import threading
import time
from typing import Any, TextIO

from units.durations import format_duration


class ProgressBar:
    def __init__(self, stream: TextIO | None = None, width: int = 32, min_interval: float = 0.1):
        self.stream = stream or sys.stderr
        self.width = width
        self.min_interval = min_interval
        self.total = 0
        self._last = 0.0
        self._t0 = 0.0
        self._label = ""
        self._lock = threading.Lock()

    def start(self, run: Any) -> None:
        self.total = max(1, run.total_points)
        self._t0 = time.monotonic()
        self._label = run.experiment.name
        self._draw(0, force=True)

    def saved(self, points: int) -> None:
        """The run file now holds ``points`` rows (called by the HDF5 writer after a flush)."""
        now = time.monotonic()
        if now - self._last >= self.min_interval:
            self._last = now
            self._draw(points)

    def making_safe(self, run: Any) -> None:
        self._write("\nmaking the lab safe (RF off, modulation off, field ramped to zero) ...\n")

    def safe_step(self, text: str) -> None:
        """A long step of the safe state begins (the field ramp, with how long it takes)."""
        self._write(f"  {text}\n")

    def end(self, run: Any) -> None:
        self._draw(run.points, force=True)
        self._write(f"\n{self._label}: {run.status}" + (f" ({run.error})" if run.error else "") + "\n")

    def _draw(self, done: int, force: bool = False) -> None:
        frac = min(1.0, done / self.total)
        filled = int(round(frac * self.width))
        elapsed = time.monotonic() - self._t0
        eta = elapsed / done * (self.total - done) if done else float("nan")
        self._write(f"\r{self._label} [{'#' * filled}{'.' * (self.width - filled)}] "
                    f"{done}/{self.total} {frac:4.0%} ETA {format_duration(eta)}")

    def _write(self, text: str) -> None:
        with self._lock:
            try:
                self.stream.write(text)
                self.stream.flush()
            except (OSError, ValueError):  # terminal gone (SIGHUP): the run goes on safely
                pass
