"""Helpers for the reliability tests: `spinbench run` as a subprocess, watched through its
output (never through sleeps), signalled by process id."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: A hang guard only: every wait below ends on the child's output long before this.
HANG_GUARD = 90.0
#: Small in-process sweep paced at 4x real time: ~0.8 s ramp to the start field, ~1 s sweep,
#: ~0.9 s safe-state ramp (SIM_LIMITS allow 0.1 T/s).
SIM_ARGS = ["--sim", "--speed", "4", "--set", "points=60", "--set", "ramp_rate=100mT/s"]
#: The same over the wire: the served world follows the wall clock; 300 mT/s ramps (~1.1 s),
#: 40 points of 3 ms x 10 settling (~1.5 s with the wire round trips).
WIRE_SETS = ["--set", "points=40", "--set", "ramp_rate=300mT/s", "--set", "time_constant=3ms",
             "--set", "settle_tc=10"]
PROGRESS = re.compile(r"(\d+)/(\d+) ")


class Child:
    """A `spinbench` subprocess whose stderr and stdout are collected as they come."""

    def __init__(self, args: list[str], cwd: Path, env: dict[str, str] | None = None):
        self.proc = subprocess.Popen([sys.executable, "-m", "app.cli", *args], cwd=cwd,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})
        self.err = ""
        self.out = ""
        self._cond = threading.Condition()
        self._pumps = [threading.Thread(target=self._pump, args=(stream, attr), daemon=True)
                       for stream, attr in ((self.proc.stderr, "err"), (self.proc.stdout, "out"))]
        for pump in self._pumps:
            pump.start()

    def _pump(self, stream, attr: str) -> None:
        while chunk := stream.read1(4096):
            with self._cond:
                setattr(self, attr, getattr(self, attr) + chunk.decode(errors="replace"))
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def wait_for(self, pattern: str, count: int = 1) -> None:
        """Block until ``pattern`` has appeared ``count`` times on stderr."""
        deadline = time.monotonic() + HANG_GUARD
        with self._cond:
            while len(re.findall(pattern, self.err)) < count:
                if self.proc.poll() is not None and not self._cond.wait(0.2):
                    raise AssertionError(f"exited before {pattern!r}:\n{self.err}\n{self.out}")
                if time.monotonic() > deadline:
                    raise AssertionError(f"no {pattern!r} on stderr:\n{self.err}")
                self._cond.wait(0.2)

    def wait_for_saved(self, points: int) -> None:
        """Until the progress bar shows at least ``points`` saved."""
        deadline = time.monotonic() + HANG_GUARD
        with self._cond:
            while self.shown() < points:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"progress never reached {points}:\n{self.err}\n{self.out}")
                self._cond.wait(0.2)

    def shown(self) -> int:
        """The largest saved-point count the progress bar printed."""
        return max((int(m.group(1)) for m in PROGRESS.finditer(self.err)), default=0)

    def send(self, sig: int) -> None:
        os.kill(self.proc.pid, sig)

    def finish(self) -> int:
        rc = self.proc.wait(HANG_GUARD)
        for pump in self._pumps:  # drain what is left
            pump.join(HANG_GUARD)
        return rc
