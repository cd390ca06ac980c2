"""HDF5 run-file writer on the path `spinbench run` takes, against plain h5py doing the same work.

    python benchmarks/hdf5_writer.py

Per point (the path every cw experiment takes): a plan yields esr-sweep ``Point`` rows; the run
engine passes each to ``HDF5Writer.point`` (through ``app.runner.run_experiment``, as the CLI
does, progress bar attached; no analysis or plot). Baseline: the same plan consumed by a plain
loop that buffers tuples and appends 65,536-row blocks with h5py (what a competent user writes),
with the same lab snapshot and safe state. Blocks (digitizer records): ``HDF5Writer.block`` in
65,536-row blocks against one bulk h5py write of the same 1M rows.

Targets: >= 1,000,000 points/s through the engine, the per-point path >= 0.8 of the plain loop
(the writer is not the bottleneck), blocks >= 0.8 of bulk. Ratios use CPU time
(``time.process_time``, every thread of the process): the machine is shared, wall time is noise.
Interleaved in one process, repeated; median and range. Exits 1 when a target is missed.
"""
from __future__ import annotations

import io
import operator
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import h5py
import numpy as np

from app.engine import RunEngine, RunInfo
from app.progress import ProgressBar
from app.runner import run_experiment
from app.simlab import build_sim_lab
from app.storage import HDF5Writer
from sequences.experiment import Point
from sequences.experiments import EsrFieldSweep

N = 400_000            # points per run through the engine
N_BLOCKED = 1_000_000  # rows for the block path (steady state needs more than page-cache-sized writes)
BLOCK = 65536
REPEATS = 5
POOL = 10_000          # distinct rows the plan cycles through (keeps memory flat)


class Replay(EsrFieldSweep):
    """esr-sweep's columns and metadata; the plan yields prepared rows and touches nothing, so
    only the engine, the writer and h5py are measured."""

    name = "esr-sweep"

    def __init__(self, rows: list[Point], n: int):
        super().__init__()
        self._rows, self._n = rows, n

    def total_points(self) -> int:
        return self._n

    def plan(self, lab: Any) -> Iterator[Point]:
        rows, m = self._rows, len(self._rows)
        for i in range(self._n):
            yield rows[i % m]


def cpu(fn: Callable[[], Any]) -> float:
    t0 = time.process_time()
    fn()
    return time.process_time() - t0


def through_engine(out: Path, exp: Replay) -> float:
    lab = build_sim_lab()
    engine = RunEngine(lab)
    engine.analyse = False  # the fit is benchmarks/fit_large.py's
    t = cpu(lambda: run_experiment(exp, lab, out, engine=engine, subscribers=[ProgressBar(io.StringIO())],
                                   plot=False))
    lab.close()
    return t


def plain_loop(path: Path, exp: Replay) -> float:
    lab = build_sim_lab()
    names = [c.name for c in exp.columns()]
    get = operator.itemgetter(*names)

    def work() -> None:
        snapshot = lab.snapshot()
        with h5py.File(path, "w", libver="latest") as f:
            f.attrs["instruments"] = repr(snapshot)
            sets = [f.create_dataset(f"data/{n}", shape=(0,), maxshape=(None,), chunks=(BLOCK,), dtype="f8")
                    for n in names]
            buf: list[tuple] = []
            n0 = 0

            def write() -> int:
                arr = np.array(buf)
                for j, ds in enumerate(sets):
                    ds.resize(n0 + len(arr), axis=0)
                    ds[n0:] = arr[:, j]
                buf.clear()
                return n0 + len(arr)

            for msg in exp.plan(lab):
                buf.append(get(msg.data))
                if len(buf) == BLOCK:
                    n0 = write()
            if buf:
                write()
        lab.make_safe()

    t = cpu(work)
    lab.close()
    return t


def bulk(path: Path, arr: np.ndarray, names: list[str]) -> float:
    def work() -> None:
        with h5py.File(path, "w", libver="latest") as f:
            for j, name in enumerate(names):
                f.create_dataset(f"data/{name}", data=np.ascontiguousarray(arr[:, j]), dtype="float64")
    return cpu(work)


def blocked(path: Path, arr: np.ndarray, exp: EsrFieldSweep) -> float:
    names = [c.name for c in exp.columns()]
    cols = {name: np.ascontiguousarray(arr[:, j]) for j, name in enumerate(names)}

    def work() -> None:
        writer = HDF5Writer(path, max_lag=0.5)
        info = RunInfo(exp, exp.columns(), len(arr), {}, "now")
        writer.start(info)
        for i in range(0, len(arr), BLOCK):
            writer.block(i, {k: v[i:i + BLOCK] for k, v in cols.items()})
        info.status = "completed"
        writer.end(info)
    return cpu(work)


def summary(ts: list[float]) -> str:
    return f"median {np.median(ts):.3f} s CPU (range {min(ts):.3f}-{max(ts):.3f})"


def main() -> int:
    print("path measured: spinbench run's per-point stream (plan -> RunEngine -> HDF5Writer.point -> h5py), "
          "and HDF5Writer.block; baselines: plain h5py loops doing the same work; CPU time")
    exp0 = EsrFieldSweep()
    names = [c.name for c in exp0.columns()]
    rng = np.random.default_rng(0)
    pool = [Point(dict(zip(names, r.tolist()))) for r in rng.standard_normal((POOL, len(names)))]
    exp = Replay(pool, N)
    big = rng.standard_normal((N_BLOCKED, len(names)))
    t_eng, t_plain, t_bulk, t_blk = [], [], [], []
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(REPEATS):  # interleaved: the load of other processes hits both alike
            t_plain.append(plain_loop(Path(tmp) / f"plain{i}.h5", exp))
            t_eng.append(through_engine(Path(tmp) / f"engine{i}", exp))
            t_bulk.append(bulk(Path(tmp) / f"bulk{i}.h5", big, names))
            t_blk.append(blocked(Path(tmp) / f"block{i}.h5", big, exp0))
            for f in Path(tmp).rglob("*.h5"):
                f.unlink()
    rate = N / float(np.median(t_eng))
    r_points = float(np.median(t_plain)) / float(np.median(t_eng))
    r_blocks = float(np.median(t_bulk)) / float(np.median(t_blk))
    print(f"load average {load:.1f} before, {os.getloadavg()[0]:.1f} after")
    print(f"plain h5py loop over the plan, {N:,} points : {summary(t_plain)}")
    print(f"run engine + HDF5Writer.point, {N:,} points: {summary(t_eng)}")
    print(f"bulk h5py write, {N_BLOCKED:,} rows          : {summary(t_bulk)}")
    print(f"HDF5Writer.block, {BLOCK:,}-row blocks     : {summary(t_blk)}")
    ok = [rate >= 1e6, r_points >= 0.8, r_blocks >= 0.8]
    print(f"points/s through the engine = {rate:,.0f}  (target >= 1,000,000) {'ok' if ok[0] else 'MISSED'}")
    print(f"ratio engine path / plain loop = {r_points:.2f}  (target >= 0.8) {'ok' if ok[1] else 'MISSED'}")
    print(f"ratio writer blocks / bulk = {r_blocks:.2f}  (target >= 0.8) {'ok' if ok[2] else 'MISSED'}")
    return 0 if all(ok) else 1


if __name__ == "__main__":
    sys.exit(main())
