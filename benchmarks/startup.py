"""Start-up time of the `spinbench` commands users type first: `spinbench --help` and `spinbench list`.

    python benchmarks/startup.py

Each is run as a fresh process through the installed entry point, as a user runs it. Baseline,
interleaved: a fresh interpreter printing the help of an empty argparse parser (the least any
Python CLI pays). The children run with the bytecode cache on (PYTHONDONTWRITEBYTECODE removed
from their environment) after one untimed warm-up each, as an installed package runs (pip
compiles the .pyc files at install): without a cache, compiling ~150 modules' source costs
more than the import itself. Reported: CPU time of the child (user + system, from ``os.wait4``: the
machine is shared, wall time is noise) and wall time; median and range over the repeats.

Target: <= 0.25 s for each command (CPU time). Exits 1 when one is missed.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import numpy as np

REPEATS = 7
TARGET = 0.25


CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run(argv: list[str]) -> tuple[float, float]:
    """(CPU seconds of the child, wall seconds)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=CHILD_ENV)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}): {err.strip()}")
    return usage.ru_utime + usage.ru_stime, wall


def main() -> int:
    print("path measured: `spinbench --help` and `spinbench list` as fresh processes (the installed entry point); "
          "baseline: a bare Python printing an empty argparse help; CPU time of the child; bytecode cache on")
    exe = shutil.which("spinbench") or sys.exit("spinbench is not on PATH (pip install -e .)")
    cases = {
        "baseline (python + argparse)": [sys.executable, "-c", "import argparse; argparse.ArgumentParser().print_help()"],
        "spinbench --help": [exe, "--help"],
        "spinbench list": [exe, "list"],
    }
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
    for argv in cases.values():  # warm-up: writes the bytecode cache an installed package has
        run(argv)
    for _ in range(REPEATS):  # interleaved
        for name, argv in cases.items():
            times[name].append(run(argv))
    ok = True
    base = float(np.median([c for c, _ in times["baseline (python + argparse)"]]))
    for name, ts in times.items():
        cpu = [c for c, _ in ts]
        wall = [w for _, w in ts]
        med = float(np.median(cpu))
        line = (f"{name:30s}: median {med:.3f} s CPU (range {min(cpu):.3f}-{max(cpu):.3f}), "
                f"wall median {np.median(wall):.3f} s")
        if name.startswith("spinbench"):
            hit = med <= TARGET
            ok &= hit
            line += f"; {med / base:.1f}x baseline; target <= {TARGET} s {'ok' if hit else 'MISSED'}"
        print(line)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
