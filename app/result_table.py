"""An HDF5 table of task results written row by row as they arrive (sweeps, re-analysis).

Why row by row: an interrupted sweep keeps every point it computed. The table has ``n`` rows
from the start (NaN until a row arrives, ``done`` says which arrived); a column appears the
first time a result names it. Read it back with :func:`read_table` or any HDF5 tool.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import h5py
import numpy as np

from sequences.experiment import FitValue


class ResultTable:
    def __init__(self, path: str | Path, n: int, inputs: Mapping[str, np.ndarray], attrs: Mapping[str, Any] = {}):
        self.path = Path(path)
        self.n = n
        self._file = h5py.File(self.path, "w")
        self._rows = self._file.create_group("rows")
        for k, v in attrs.items():
            self._file.attrs[k] = v
        self._rows.create_dataset("done", data=np.zeros(n, dtype=bool))
        for name, values in inputs.items():
            values = np.asarray(values)
            if values.dtype.kind in "UO":
                values = values.astype(object).astype(h5py.string_dtype())
            self._rows.create_dataset(name, data=values)
        self._file.attrs["inputs"] = list(inputs)
        self._file.flush()

    def write(self, i: int, results: Mapping[str, float | str]) -> None:
        """Row ``i`` (numbers; text for a few label columns such as the analysis kind)."""
        for name, value in results.items():
            if name not in self._rows:
                text = isinstance(value, str)
                self._rows.create_dataset(name, data=np.array([""] * self.n, dtype=object).astype(h5py.string_dtype())
                                          if text else np.full(self.n, np.nan))
            self._rows[name][i] = value
        self._rows["done"][i] = True
        self._file.flush()

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> "ResultTable":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def flatten_results(results: dict[str, Any]) -> dict[str, float]:
    """Numeric results as table columns: a FitValue gives ``name`` and ``name_error``."""
    out: dict[str, float] = {}
    for name, value in results.items():
        if isinstance(value, FitValue):
            out[name], out[f"{name}_error"] = float(value.value), float(value.error)
        elif isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
            out[name] = float(value)
    return out


def read_table(path: str | Path) -> dict[str, np.ndarray]:
    """Every column of a result table (strings decoded)."""
    with h5py.File(path, "r") as f:
        out = {}
        for k, ds in f["rows"].items():
            v = ds[()]
            out[k] = np.array([x.decode() if isinstance(x, bytes) else str(x) for x in v]) if v.dtype.kind in "OS" else v
        return out


__all__ = ["ResultTable", "read_table", "flatten_results"]
