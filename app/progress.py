"""A text progress bar for CLI runs (an engine subscriber), with ETA from wall time."""
from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from app.durations import format_duration


class ProgressBar:
    def __init__(self, stream: TextIO | None = None, width: int = 32, min_interval: float = 0.1):
        self.stream = stream or sys.stderr
        self.width = width
        self.min_interval = min_interval
        self.total = 0
        self._last = 0.0
        self._t0 = 0.0
        self._label = ""

    def start(self, run: Any) -> None:
        self.total = max(1, run.total_points)
        self._t0 = time.monotonic()
        self._label = run.experiment.name
        self._draw(0, force=True)

    def point(self, index: int, data: dict[str, Any]) -> None:
        now = time.monotonic()
        if now - self._last >= self.min_interval:
            self._last = now
            self._draw(index + 1)

    def end(self, run: Any) -> None:
        self._draw(run.points, force=True)
        self.stream.write(f"\n{self._label}: {run.status}"
                          + (f" ({run.error})" if run.error else "") + "\n")
        self.stream.flush()

    def _draw(self, done: int, force: bool = False) -> None:
        frac = min(1.0, done / self.total)
        filled = int(round(frac * self.width))
        elapsed = time.monotonic() - self._t0
        eta = elapsed / done * (self.total - done) if done else float("nan")
        self.stream.write(f"\r{self._label} [{'#' * filled}{'.' * (self.width - filled)}] "
                          f"{done}/{self.total} {frac:4.0%} ETA {format_duration(eta)}")
        self.stream.flush()
