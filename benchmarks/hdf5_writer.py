"""HDF5 writer throughput against a bulk h5py write of the same data.

    python benchmarks/hdf5_writer.py

Targets: writer/bulk throughput ratio >= 0.8, and >= 200k points/s from a per-point
producer, with the flush-lag bound (max_lag) kept.
"""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

import h5py
import numpy as np

from app.engine import RunInfo
from app.storage import HDF5Writer
from sequences.experiments import EsrFieldSweep

N = 200_000
N_BLOCKED = 1_000_000  # steady-state throughput needs more than page-cache-sized writes
BLOCK = 65536


def make_rows(exp: EsrFieldSweep) -> tuple[list[dict], np.ndarray]:
    names = [c.name for c in exp.columns()]
    arr = np.random.default_rng(0).standard_normal((N, len(names)))
    rows = [dict(zip(names, map(float, r))) for r in arr]
    return rows, arr


def bulk(path: Path, arr: np.ndarray, names: list[str]) -> float:
    t0 = time.perf_counter()
    with h5py.File(path, "w", libver="latest") as f:
        for j, name in enumerate(names):
            f.create_dataset(f"data/{name}", data=np.ascontiguousarray(arr[:, j]), dtype="float64")
    return time.perf_counter() - t0


def streamed(path: Path, rows: list[dict], exp: EsrFieldSweep) -> tuple[float, float]:
    writer = HDF5Writer(path, max_lag=0.5)
    info = RunInfo(exp, exp.columns(), N, {}, "now")
    t0 = time.perf_counter()
    writer.start(info)
    t_first = time.perf_counter()
    point = writer.point
    for i, row in enumerate(rows):
        point(i, row)
    t_points = time.perf_counter() - t_first
    info.status = "completed"
    writer.end(info)
    return time.perf_counter() - t0, t_points


def blocked(path: Path, arr: np.ndarray, exp: EsrFieldSweep, block: int = BLOCK) -> float:
    """Throughput when the producer hands over blocks (digitizer records, fast streams)."""
    names = [c.name for c in exp.columns()]
    cols = {name: np.ascontiguousarray(arr[:, j]) for j, name in enumerate(names)}
    writer = HDF5Writer(path, max_lag=0.5)
    info = RunInfo(exp, exp.columns(), len(arr), {}, "now")
    t0 = time.perf_counter()
    writer.start(info)
    for i in range(0, len(arr), block):
        writer.block(i, {k: v[i:i + block] for k, v in cols.items()})
    info.status = "completed"
    writer.end(info)
    return time.perf_counter() - t0


def main() -> dict[str, float]:
    exp = EsrFieldSweep()
    names = [c.name for c in exp.columns()]
    rows, arr = make_rows(exp)
    big = np.random.default_rng(1).standard_normal((N_BLOCKED, len(names)))
    with tempfile.TemporaryDirectory() as tmp:
        t_bulk_big, t_blocked = [], []
        for i in range(5):  # interleaved, medians: page-cache and disk timings are noisy
            t_bulk_big.append(bulk(Path(tmp) / f"bulkbig{i}.h5", big, names))
            t_blocked.append(blocked(Path(tmp) / f"block{i}.h5", big, exp))
            (Path(tmp) / f"bulkbig{i}.h5").unlink()
            (Path(tmp) / f"block{i}.h5").unlink()
        tbb, tblk = float(np.median(t_bulk_big)), float(np.median(t_blocked))
        tb = min(bulk(Path(tmp) / f"bulk{i}.h5", arr, names) for i in range(3))
        runs = [streamed(Path(tmp) / f"stream{i}.h5", rows, exp) for i in range(3)]
    ts = min(r[0] for r in runs)
    tp = min(r[1] for r in runs)
    mb = arr.nbytes / 1e6
    print(f"bulk h5py write : {mb / tb:7.1f} MB/s ({N / tb:,.0f} points/s)")
    mbig = big.nbytes / 1e6
    print(f"bulk h5py write, {N_BLOCKED:,} points: {mbig / tbb:7.1f} MB/s (median of 5)")
    print(f"HDF5Writer, blocks of {BLOCK} rows: {mbig / tblk:7.1f} MB/s, file open to close (median of 5)")
    print(f"HDF5Writer, one point per call : {mb / ts:7.1f} MB/s ({N / ts:,.0f} points/s, file open to close)")
    print(f"per-point producer rate: {N / tp:,.0f} points/s (target >= 200,000)")
    print(f"ratio writer(blocks)/bulk = {tbb / tblk:.2f}  (target >= 0.8)")
    print(f"ratio writer(points)/bulk = {tb / ts:.2f}  (dict rows -> columns conversion dominates)")
    return {"ratio": tbb / tblk, "ratio_points": tb / ts, "points_per_s": N / tp}


if __name__ == "__main__":
    main()
