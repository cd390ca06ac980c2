"""Scaling of app.compute on a Dask LocalCluster: 2 worker processes against 1.

    python benchmarks/compute_scaling.py [--backend dask|pool]

Workloads (the issue's): a 200-design tolerance Monte Carlo of the 2674-magnet stack of
benchmarks/halbach.py (exact fields, our closed form magnets.field.exact_field, as the design
report uses, 200 DSV points, ~100 ms per trial; the two-ring example's trials are too small to be
worth distributing) and
a 64-point simulated esr-sweep grid (8 modulation amplitudes x 8 time constants, 41 field
points each). Each runs through ``Compute.map`` on a cluster of 1 worker process and on one of
2 (127.0.0.1, dashboard off), both open at once, after warm-up tasks, alternated for
``--rounds`` rounds (median and range of the paired ratios).

Reported: wall time and speedup; the CPU seconds the tasks themselves used (measured inside each
task with ``time.process_time``), so a loaded machine shows as tasks that got less than their
core; and the serialisation cost per task (pickle size and time of the task and its result,
which Dask pays on every hop). Target: speedup >= 1.7 for both; exits 1 on a miss.
"""
from __future__ import annotations

import argparse
import os
import pickle
import statistics
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
    """200 perturbed copies of the 2674-magnet stack of ``benchmarks/halbach.py`` (the kind of
    design worth distributing: ~100 ms per trial; the two-ring example's 4-6 ms trials take 1 s
    for all 200 on one core, less than a cluster's start-up)."""
    import runpy
    import tomllib

    large = runpy.run_path(str(ROOT / "benchmarks" / "halbach.py"))["LARGE_DESIGN"]
    design = load_design(tomllib.loads(large)).design
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


def measure(name: str, fn: Callable, items: list, backend: str, rounds: int) -> float:
    """Both clusters open at once, the 1- and 2-worker runs alternated for ``rounds`` rounds; the
    speedup is the median of the paired per-round ratios (the machine's load drifts between
    seconds: a ratio of runs far apart would measure the load)."""
    walls: dict[int, list[float]] = {1: [], 2: []}
    cpus: dict[int, list[float]] = {1: [], 2: []}
    results: dict[int, list] = {}
    computes = {w: cluster(w, backend) for w in (1, 2)}
    try:
        for w, compute in computes.items():
            compute.map(_sleep_warm, range(2 * w))
        for _ in range(rounds):
            for w, compute in computes.items():
                t0 = time.perf_counter()
                out = compute.map(Timed(fn), items)
                walls[w].append(time.perf_counter() - t0)
                cpus[w].append(sum(c for _, c in out))
                results[w] = [r for r, _ in out]
    finally:
        for compute in computes.values():
            client = compute._client
            compute.close()
            if client is not None:
                client.close()
                compute._own_cluster.close()
    same = all(np.array_equal(np.asarray(list(_numbers(a))), np.asarray(list(_numbers(b))), equal_nan=True)
               for a, b in zip(results[1], results[2]))
    size, secs = serialisation(fn, items, results[1][0])
    ratios = [a / b for a, b in zip(walls[1], walls[2])]
    speedup = statistics.median(ratios)
    print(f"{name}: {len(items)} tasks, {rounds} interleaved rounds")
    for w in (1, 2):
        wall, cpu = statistics.median(walls[w]), statistics.median(cpus[w])
        print(f"  {w} worker{'s' if w > 1 else ' '}: wall median {wall:7.2f} s (range {min(walls[w]):.2f}-"
              f"{max(walls[w]):.2f}), task CPU {cpu:7.2f} s ({cpu / wall:.2f} cores busy)")
    print(f"  speedup median {speedup:.2f}x (range {min(ratios):.2f}-{max(ratios):.2f}, target {TARGET}); "
          f"results identical 1 vs 2 workers: {same}")
    per_task_cpu = statistics.median(cpus[1]) / len(items)
    print(f"  serialisation per task: {size / 1024:.1f} KiB, {secs * 1e3:.2f} ms pickle+unpickle "
          f"({secs / per_task_cpu * 100:.2f} % of a task's CPU)")
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
    ap.add_argument("--rounds", type=int, default=3, help="interleaved 1-/2-worker rounds (default 3)")
    args = ap.parse_args(argv)
    import logging

    import warnings

    warnings.filterwarnings("ignore", message="Port 8787 is already in use")  # Dask's HTTP server
    if args.backend == "dask":  # cluster start/stop chatter (and the closing comms' tracebacks)
        import distributed.nanny  # noqa: F401  (its loggers exist once imported)

        for name in list(logging.root.manager.loggerDict):
            if name.startswith("distributed"):
                logging.getLogger(name).setLevel(logging.CRITICAL)
    print(f"measures: app.compute.Compute.map, the path of `spinbench halbach --tolerance` and `spinbench sweep`, "
          f"backend {args.backend}, 2 workers vs 1; {os.cpu_count()} CPU cores, load average {os.getloadavg()[0]:.1f}")
    ok = True
    for name, make in (("tolerance Monte Carlo", tolerance_tasks), ("esr-sweep grid", sweep_tasks)):
        fn, items = make()
        speedup = measure(name, fn, items, args.backend, args.rounds)
        if speedup < TARGET:
            print(f"  MISS: {speedup:.2f}x < {TARGET}x")
            ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
