"""Point rows to columns and columns to chunked HDF5 datasets: the two hot steps of the run-file
writer (:class:`app.storage.HDF5Writer`), measured by ``benchmarks/hdf5_writer.py``."""
from __future__ import annotations

import operator
from itertools import chain
from typing import Any, Callable

import h5py
import numpy as np

from sequences.experiment import Column


def write_rows(ds: h5py.Dataset, n0: int, block: np.ndarray) -> None:
    """Rows n0 .. n0 + len(block) of an appendable dataset. The whole chunks among them go to the
    file as they are (``write_direct_chunk``, HDF5's H5Dwrite_chunk: no selection, no chunk-cache
    copy; 0.038 s against 0.055 s of CPU for 1M rows x 9 columns in 65,536-row blocks, bulk
    contiguous h5py 0.031 s); the rest, and any dataset with a filter or a non-numeric type,
    through h5py's selection write. A chunk written whole is one no earlier write touched."""
    rows = ds.chunks[0] if ds.chunks else 0
    end = n0 + len(block)
    first = -(-n0 // rows) * rows if rows else end  # first chunk boundary at or after n0
    last = first + (end - first) // rows * rows if rows and end > first else first
    if last <= first or ds.dtype.kind not in "biufc" or ds.id.get_create_plist().get_nfilters():
        ds[n0:] = block
        return
    if first > n0:
        ds[n0:first] = block[:first - n0]
    whole = np.ascontiguousarray(block[first - n0:last - n0], dtype=ds.dtype)
    tail = (0,) * (ds.ndim - 1)
    for start in range(first, last, rows):
        ds.id.write_direct_chunk((start, *tail), whole[start - first:start - first + rows])
    if end > last:
        ds[last:end] = block[last - n0:]


class RowTable:
    """Turns a block of point rows (dicts) into one array per column. The float scalar columns
    go through one ``itemgetter`` + ``np.fromiter`` pass (C speed); a row that lacks one of them,
    trace columns and other dtypes take the per-column path, where a missing value is NaN."""

    def __init__(self, columns: list[Column]):
        self.columns_all = columns
        self.fast = [c.name for c in columns if not c.shape and np.dtype(c.dtype) == np.float64]
        self.getter: Callable[[dict[str, Any]], Any] | None = operator.itemgetter(*self.fast) if self.fast else None

    def columns(self, rows: list[dict[str, Any]]) -> dict[str, np.ndarray]:
        n, k = len(rows), len(self.fast)
        out: dict[str, np.ndarray] = {}
        table = None
        if self.getter is not None:
            try:
                values = map(self.getter, rows) if k == 1 else chain.from_iterable(map(self.getter, rows))
                table = np.fromiter(values, np.float64, count=n * k).reshape(n, k)
            except KeyError:  # some row lacks a column: the per-column path fills NaN there
                table = None
        if table is not None:
            out.update((name, table[:, j]) for j, name in enumerate(self.fast))
        for col in self.columns_all:
            name = col.name
            if name in out:
                continue
            if col.shape:
                out[name] = np.asarray([r.get(name, np.nan) for r in rows], dtype=col.dtype)
            else:
                out[name] = np.fromiter((r.get(name, np.nan) for r in rows), dtype=col.dtype, count=n)
        return out
