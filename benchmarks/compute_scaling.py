"""Scaling of app.compute on a Dask LocalCluster: 2 worker processes against 1.

    python benchmarks/compute_scaling.py [--backend dask|pool]

Workloads (the issue's): a 200-design tolerance Monte Carlo of examples/halbach_ring.toml
(exact magpylib fields, as the design report uses, 200 DSV points; the dipole model's
~1 ms trials are too small to be worth distributing one by one) and a 64-point simulated esr-sweep grid (8 modulation amplitudes
x 8 time constants, 41 field points each). Each runs through ``Compute.map`` on a cluster of 1
worker process, then 2 (127.0.0.1, dashboard off), after a warm-up task per worker.

Reported: wall time and speedup; the CPU seconds the tasks themselves used (measured inside each
task with ``time.process_time``), so a loaded machine shows as tasks that got less than their
core; and the serialisation cost per task (pickle size and time of the task and its result,
which Dask pays on every hop). Target: speedup >= 1.7 for both; exits 1 on a miss.
"""
from __future__ import annotations

import argparse
import os
import pickle
import sys
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from app.compute import Compute
from app.sweep import grid_points, parse_grid, run_point
from magnets.design_io import load_design
from magnets.sampling import sphere_surface
from magnets.tolerance import Tolerances, _Trial

TARGET = 1.7
ROOT = Path(__file__).resolve().parents[1]


class Timed:
    """A task that also returns the CPU seconds it used in its worker."""

    def __init__(self, fn: Callable):
        self.fn = fn

    def __call__(self, item: Any) -> tuple[Any, float]:
        t0 = time.process_time()
        out = self.fn(item)
        return out, time.process_time() - t0


def _sleep_warm(_: int) -> int:
    import app.sweep  # noqa: F401  (imports paid before the clock starts)
    import magnets.tolerance  # noqa: F401

    return os.getpid()


def tolerance_tasks() -> tuple[Callable, list]:
    design = load_design(ROOT / "examples" / "halbach_ring.toml").design
    points = np.vstack([np.zeros((1, 3)), sphere_surface(0.005, 200)])
    tol = Tolerances(0.01, np.deg2rad(1.0), 1e-4)
    return _Trial(design.layout(), tol, points, "exact"), np.random.SeedSequence(1).spawn(200)


def sweep_tasks() -> tuple[Callable, list]:
    axes = parse_grid("esr-sweep", ["mod_amplitude=0.01:0.2:8", "time_constant=1:10:8"])
    return run_point, grid_points("esr-sweep", {"points": 41}, axes, seed=2, out_dir=None)


def serialisation(fn: Callable, items: list, sample_result: Any) -> tuple[float, float]:
    """(bytes, seconds) per task: the task and its input out, the result back, each pickled and
    unpickled once (what a hop to a worker process costs, network aside)."""
    t0 = time.perf_counter()
    size = 0
    for item in items[:20]:
        for obj in ((fn, item), sample_result):
            blob = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
            pickle.loads(blob)
            size += len(blob)
    n = min(20, len(items))
    return size / n, (time.perf_counter() - t0) / n


def cluster(workers: int, backend: str) -> Compute:
    if backend == "pool":
        return Compute(workers=workers)
    from distributed import Client, LocalCluster

    lc = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None, silence_logs=40)
    compute = Compute(client=Client(lc))
    compute._own_cluster = lc  # closed below
    return compute


def measure(name: str, fn: Callable, items: list, backend: str) -> float:
    walls, cpus = {}, {}
    results = {}
    for workers in (1, 2):
        compute = cluster(workers, backend)
        try:
            compute.map(_sleep_warm, range(2 * workers))
            t0 = time.perf_counter()
            out = compute.map(Timed(fn), items)
            walls[workers] = time.perf_counter() - t0
            cpus[workers] = sum(c for _, c in out)
            results[workers] = [r for r, _ in out]
        finally:
            client = compute._client
            compute.close()
            if client is not None:
                client.close()
                compute._own_cluster.close()
    same = all(np.array_equal(np.asarray(list(_numbers(a))), np.asarray(list(_numbers(b))), equal_nan=True)
               for a, b in zip(results[1], results[2]))
    size, secs = serialisation(fn, items, results[1][0])
    speedup = walls[1] / walls[2]
    print(f"{name}: {len(items)} tasks")
    for w in (1, 2):
        print(f"  {w} worker{'s' if w > 1 else ' '}: wall {walls[w]:7.2f} s, task CPU {cpus[w]:7.2f} s "
              f"({cpus[w] / walls[w]:.2f} cores busy)")
    print(f"  speedup {speedup:.2f}x (target {TARGET}); results identical 1 vs 2 workers: {same}")
    print(f"  serialisation per task: {size / 1024:.1f} KiB, {secs * 1e3:.2f} ms pickle+unpickle "
          f"({secs / (cpus[1] / len(items)) * 100:.2f} % of a task's CPU)")
    if not same:
        print("  MISS: results differ between 1 and 2 workers")
        return 0.0
    return speedup


def _numbers(r: Any):
    if isinstance(r, dict):
        yield from (float(v) for v in r.values())
    else:
        yield from (float(v) for v in r)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backend", choices=("dask", "pool"), default="dask")
    args = ap.parse_args(argv)
    print(f"app.compute scaling, backend {args.backend}, {os.cpu_count()} CPU cores, load average "
          f"{os.getloadavg()[0]:.1f}")
    ok = True
    for name, make in (("tolerance Monte Carlo", tolerance_tasks), ("esr-sweep grid", sweep_tasks)):
        fn, items = make()
        speedup = measure(name, fn, items, args.backend)
        if speedup < TARGET:
            print(f"  MISS: {speedup:.2f}x < {TARGET}x")
            ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
