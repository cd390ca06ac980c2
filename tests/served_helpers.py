"""`spinbench sim-serve` in its own process, for tests of the real drivers over the wire."""
from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: A hang guard only: the server writes its TOML within a few seconds.
START_GUARD = 90.0


def sim_serve(tmp: Path, *extra: str) -> tuple[subprocess.Popen, Path]:
    """Serve the cw lab (TCP only, 300 mT/s ramps, 10 min) until stopped; ``extra`` options are
    appended (a repeated option overrides: ``"--serial", "lockin"``). Returns the process and
    its lab TOML."""
    toml = tmp / "sim-lab.toml"
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "sim-serve", "--config-out", str(toml),
                             "--roles", "rf,lockin,field,gaussmeter,temperature", "--serial", "",
                             "--limit", "max_ramp_rate=300mT/s", "--duration", "600 s", *extra], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + START_GUARD
    while not toml.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"sim-serve did not start: {proc.communicate()}")
        time.sleep(0.05)
    return proc, toml


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM to the server's own PID (it stops cleanly on it)."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
