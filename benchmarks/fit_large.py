"""The esr-sweep analysis of a 1e5-point sweep, on the path `spinbench run` and `spinbench show` take.

    python benchmarks/fit_large.py

Measured: ``EsrFieldSweep.analyse(RunData)``, the call the run engine makes after a run (and
`show` on a file without results): apparent derivative fits (Lorentzian, Gaussian), the
modulation-aware fits of both, the modulation-amplitude check. Data: a first-derivative
Lorentzian (closed form written here, 0.17 mT peak-to-peak at 338.77 mT) plus Gaussian noise,
1e5 points over 10 mT, 30 uT modulation.

Baseline, interleaved: one ``scipy.optimize.curve_fit`` of the derivative Lorentzian to the
same points (what a user fitting the line by hand writes; the analysis does five fits, so the
ratio is context, not a target). Targets: <= 1 s CPU (``time.process_time``: the machine is
shared) and <= 50 MB transient (``tracemalloc`` peak: numpy reports its buffers to it).
Repeated; median and range. Exits 1 when a target is missed.
"""
from __future__ import annotations

import os
import sys
import time
import tracemalloc
from typing import Any, Callable

import numpy as np
from scipy.optimize import curve_fit

from sequences.experiment import RunData
from sequences.experiments import EsrFieldSweep

N = 100_000
REPEATS = 3
B0, DBPP, APP, NOISE = 0.33877, 0.173e-3, 5e-4, 2e-5


def derivative_lorentzian(b: np.ndarray, b0: float, dbpp: float, app: float, offset: float) -> np.ndarray:
    """dL/dB of a Lorentzian, scaled to peak-to-peak ``app`` (extrema at b0 -/+ dbpp/2)."""
    gamma = np.sqrt(3) / 2 * dbpp
    x = (b - b0) / gamma
    return app * (-2 * x / (1 + x * x) ** 2) / (3 * np.sqrt(3) / 4) + offset


def sweep() -> tuple[EsrFieldSweep, RunData]:
    exp = EsrFieldSweep(points=N, mod_amplitude=30e-6)
    b = np.linspace(exp.field_start, exp.field_stop, N)
    x = derivative_lorentzian(b, B0, DBPP, APP, 0.0) + np.random.default_rng(0).normal(0, NOISE, N)
    cols = {"scan": np.zeros(N), "index": np.arange(N, dtype=float), "field_set": b, "field": b.copy(), "x": x,
            "y": np.zeros(N), "time": np.arange(N) * 0.07, "temperature": np.full(N, np.nan),
            "overload": np.zeros(N)}
    return exp, RunData(cols, dict(exp.values))


WALL: list[float] = []


def measured(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """(CPU seconds, transient MB, result); the wall seconds go to WALL."""
    tracemalloc.start()
    w0, t0 = time.perf_counter(), time.process_time()
    out = fn()
    t = time.process_time() - t0
    WALL.append(time.perf_counter() - w0)
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return t, peak, out


def main() -> int:
    print("path measured: EsrFieldSweep.analyse on a 1e5-point run (what spinbench run/show call after a run); "
          "baseline: one scipy curve_fit of the derivative Lorentzian; CPU time, tracemalloc peak")
    load = os.getloadavg()[0]
    exp, run = sweep()
    b, x = run["field"], run["x"]
    t_an, m_an, t_bl, m_bl, wall_an = [], [], [], [], []
    results: dict[str, Any] = {}
    for _ in range(REPEATS):
        t, m, _ = measured(lambda: curve_fit(derivative_lorentzian, b, x, p0=[B0 + 2e-5, 1.2 * DBPP, APP, 0.0]))
        t_bl.append(t)
        m_bl.append(m)
        WALL.clear()
        t, m, results = measured(lambda: exp.analyse(run))
        wall_an.append(WALL[-1])
        t_an.append(t)
        m_an.append(m)
    rb = results["resonance_field"]
    print(f"analysis: B0 = {rb.value * 1e3:.5f} mT (true {B0 * 1e3:.5f}), "
          f"dBpp apparent = {results['linewidth_pp_apparent'].value * 1e6:.1f} uT (true {DBPP * 1e6:.1f})")
    print(f"baseline curve_fit : median {np.median(t_bl):.3f} s CPU (range {min(t_bl):.3f}-{max(t_bl):.3f}), "
          f"{np.median(m_bl):.1f} MB transient")
    print(f"esr-sweep analyse  : median {np.median(t_an):.3f} s CPU (range {min(t_an):.3f}-{max(t_an):.3f}), "
          f"{np.median(m_an):.1f} MB transient; wall median {np.median(wall_an):.3f} s (load average "
          f"{load:.1f} before, {os.getloadavg()[0]:.1f} after)")
    t, m = float(np.median(t_an)), float(np.median(m_an))
    ok = [t <= 1.0, m <= 50.0]
    print(f"ratio analyse/curve_fit = {t / float(np.median(t_bl)):.1f} (five fits against one; context)")
    print(f"CPU time = {t:.2f} s  (target <= 1 s) {'ok' if ok[0] else 'MISSED'}")
    print(f"transient memory = {m:.1f} MB  (target <= 50 MB) {'ok' if ok[1] else 'MISSED'}")
    return 0 if all(ok) else 1


if __name__ == "__main__":
    sys.exit(main())
