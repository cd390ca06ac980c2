"""HDF5 run files: written as the data arrives, readable while written (SWMR), and after a crash.

Layout (documented in the README)::

    /                 attrs: format, spinbench_version, experiment, title, uuid, status,
                             started, ended, error, points
    /data/<column>    one chunked, extendable dataset per column; attrs: unit
    /metadata         attrs (JSON text): parameters, parameter_units, lab, instruments,
                      limits, experiment_extra, notes (text), sample (name -> text);
                      plus the experiment's own datasets
    /results/<name>   attrs: value, error, unit (fit results) or JSON text

Points are buffered and appended in blocks (h5py manages ~12k single-row appends/s but
~0.9 of bulk speed in blocks, measured: docs/references.md); a background flusher keeps the file at most
``max_lag`` seconds behind the acquisition. A block of point rows becomes columns in one C-level
pass (``itemgetter`` + ``np.fromiter``), so the per-point path stays above 1M points/s
(``benchmarks/hdf5_writer.py``). Chunks are sized from the run's expected points (4 kB to
512 kB per chunk), so a short sweep's file is about the size of its data.
"""
from __future__ import annotations

import json
import os
import re
import socket
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Callable

import h5py
import numpy as np

from app import __version__
from app.storage_columns import RowTable, write_rows
from sequences.experiment import FitValue, RunData

FORMAT = "spinbench-run/1"
#: /metadata attributes (JSON text) the user fills: free-text notes, and the sample as a mapping
#: of field name to text ({"name": "DPPH powder", "batch": "A7"}); editable after the run.
NOTES_ATTR, SAMPLE_ATTR = "notes", "sample"
#: Chunk size bounds in bytes: a disk page at least, 512 kB (bulk append speed) at most.
CHUNK_MIN_BYTES, CHUNK_MAX_BYTES = 2**12, 2**19


def chunk_rows(expected_points: int, row_bytes: int) -> int:
    """Rows per chunk: the run's expected points when they fit between the bounds (one chunk
    holds a short run), else the nearest bound."""
    lo = max(1, CHUNK_MIN_BYTES // row_bytes)
    hi = max(1, CHUNK_MAX_BYTES // row_bytes)
    return int(min(max(expected_points, lo), hi))


def _json(obj: Any) -> str:
    def default(o: Any) -> Any:
        if isinstance(o, np.generic):
            return o.item()
        if isinstance(o, np.ndarray):
            return o.tolist()
        if isinstance(o, FitValue):
            return {"value": o.value, "error": o.error, "unit": o.unit}
        if isinstance(o, Path):
            return str(o)
        return repr(o)

    return json.dumps(obj, default=default)


class HDF5Writer:
    """Engine subscriber that streams a run to one HDF5 file."""

    def __init__(self, path: str | Path, *, block_size: int = 16384, max_lag: float = 0.5,
                 lab_config: dict[str, Any] | None = None):
        self.path = Path(path)
        self.block_size = block_size
        self.max_lag = max_lag
        self.lab_config = lab_config or {}
        self._rows: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._file: h5py.File | None = None
        self._datasets: dict[str, h5py.Dataset] = {}
        self._written = 0
        self._dirty = False
        self._last_flush = 0.0
        self._flusher: threading.Thread | None = None
        #: Called with the number of rows on disk after every flush (e.g. a progress bar).
        self.listeners: list[Any] = []

    # --- subscriber interface ----------------------------------------------------------------
    def start(self, run: Any) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        exp = run.experiment
        f = h5py.File(self.path, "w", libver="latest")
        # Everything the end of the run changes exists before SWMR starts: the end only
        # modifies values, through this handle (readers may hold the file open; never reopen).
        f.attrs.update({"format": FORMAT, "spinbench_version": __version__, "experiment": exp.name,
                        "title": exp.title, "uuid": str(uuid.uuid4()), "status": "running",
                        "started": run.started, "ended": "", "error": "", "points": 0,
                        "writer_host": socket.gethostname(), "writer_pid": os.getpid()})
        meta = f.create_group("metadata")
        units = {p.name: p.unit for p in exp.parameters}
        meta.attrs["parameters"] = _json(exp.values)
        meta.attrs["parameter_units"] = _json(units)
        meta.attrs["lab"] = _json(self.lab_config)
        meta.attrs["instruments"] = _json(run.lab_snapshot)
        extra = exp.metadata()
        meta.attrs["experiment_extra"] = _json(extra)
        meta.attrs["safe_state_errors"] = _json([])
        meta.attrs["instruments_after"] = _json({})
        meta.attrs[NOTES_ATTR], meta.attrs[SAMPLE_ATTR] = _json(""), _json({})  # filled by write_notes
        data = f.create_group("data")
        expected = int(getattr(run, "total_points", 0) or self.block_size)
        for col in run.columns:
            rows = chunk_rows(expected, int(np.prod(col.shape or (1,))) * np.dtype(col.dtype).itemsize)
            ds = data.create_dataset(col.name, shape=(0, *col.shape), maxshape=(None, *col.shape),
                                     dtype=col.dtype, chunks=(rows, *col.shape))
            ds.attrs["unit"] = col.unit
            self._datasets[col.name] = ds
        f.create_group("results")
        f.swmr_mode = True
        f.flush()
        self._file = f
        self._columns = list(run.columns)
        self._table = RowTable(self._columns)
        run.path = self.path
        self._flusher = threading.Thread(target=self._flush_loop, name="hdf5-flusher", daemon=True)
        self._flusher.start()
        self.point = self._point_handler()  # type: ignore[method-assign]

    def point(self, index: int, data: dict[str, Any]) -> None:
        # No lock per point: only this thread appends to the list, and ``_write_block`` (under
        # the lock, here or in the flusher) takes rows from its front; both are atomic list ops.
        rows = self._rows
        rows.append(data)
        if len(rows) >= self.block_size:
            with self._lock:
                self._write_block()

    def _point_handler(self) -> Callable[[int, dict[str, Any]], None]:
        """:meth:`point` with the list, its ``append`` and the block size bound once: the run
        engine takes its handlers after ``start``, and the per-point path is where a fast plan
        spends its time (``benchmarks/hdf5_writer.py``)."""
        rows, append, size, lock, write = self._rows, self._rows.append, self.block_size, self._lock, self._write_block

        def point(index: int, data: dict[str, Any]) -> None:
            append(data)
            if len(rows) >= size:
                with lock:
                    write()
        return point

    def block(self, index: int, data: dict[str, np.ndarray]) -> None:
        """Append many rows at once (written straight through: already in blocks)."""
        with self._lock:
            self._write_block()
            self._append({name: np.asarray(data[col.name], dtype=col.dtype) if col.name in data
                          else np.full((len(next(iter(data.values()))), *col.shape), np.nan)
                          for name, col in ((c.name, c) for c in self._columns)})

    def end(self, run: Any) -> None:
        """Record how the run ended and its results through the handle open since ``start``
        (a reopen would fail while any reader holds the file), then close it."""
        self._stop.set()
        if self._flusher is not None:
            self._flusher.join()
        with self._lock:
            self._write_block()
            f, self._file = self._file, None
            if f is None:
                return
            try:
                for key, value in (("status", run.status), ("ended", run.ended), ("error", run.error),
                                   ("points", self._written)):
                    f.attrs.modify(key, value)
                meta = f["metadata"].attrs
                meta.modify("safe_state_errors", _json(run.safe_state_errors))
                meta.modify("instruments_after", _json(getattr(run, "lab_after", {})))
                # New datasets under SWMR: the library (HDF5 2.0) writes them, but the SWMR guide
                # promises concurrent readers only appends and in-place changes, so a reader
                # that opened the file earlier sees /results after it reopens the file.
                write_results(f, run.results)
            finally:
                f.close()

    # --- block writing ---------------------------------------------------------------------
    def _write_block(self) -> None:
        """Write the buffered rows (call with the lock held). The list object is never replaced,
        so a row the producer appends meanwhile stays for the next block."""
        buffered = self._rows
        n = len(buffered)
        if not n or self._file is None:
            return
        rows = buffered[:n]
        del buffered[:n]
        self._append(self._table.columns(rows))

    def _append(self, columns: dict[str, np.ndarray]) -> None:
        n0 = self._written
        n = len(next(iter(columns.values())))
        for name, block in columns.items():
            ds = self._datasets[name]
            ds.resize(n0 + n, axis=0)
            write_rows(ds, n0, block)
        self._written = n0 + n
        self._dirty = True
        if time.monotonic() - self._last_flush >= self.max_lag / 2:
            self._flush()

    def _flush(self) -> None:
        """Make the rows written so far, and their count (``points``), visible on disk."""
        for ds in self._datasets.values():
            ds.flush()
        if self._file is not None:
            self._file.attrs.modify("points", self._written)
            self._file.flush()
        self._dirty = False
        for listener in self.listeners:
            listener(self._written)
        self._last_flush = time.monotonic()

    def _flush_loop(self) -> None:
        while not self._stop.wait(self.max_lag / 2):
            if self._rows or self._dirty:
                with self._lock:
                    self._write_block()
                    if self._dirty and self._file is not None:
                        self._flush()

    @property
    def written(self) -> int:
        return self._written

    def run_data(self, run: Any) -> RunData:
        """The data written so far, for the analysis at the end of the run."""
        with self._lock:
            self._write_block()
        cols = {name: ds[...] for name, ds in self._datasets.items()}
        return RunData(cols, dict(run.experiment.values), status=run.status, path=self.path)


def write_results(f: h5py.File, results: dict[str, Any]) -> None:
    grp = f.require_group("results")
    for name, value in results.items():
        key = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
        if key in grp:
            del grp[key]
        if isinstance(value, FitValue):
            ds = grp.create_dataset(key, data=value.value)
            ds.attrs.update({"error": value.error, "unit": value.unit})
        elif isinstance(value, np.ndarray):
            grp.create_dataset(key, data=value)
        else:
            grp.create_dataset(key, data=_json(value))
            grp[key].attrs["json"] = True


def open_run_file(path: str | Path) -> h5py.File:
    """Open a run file for reading: a finished one, one still being written (SWMR), or one left
    by a crash. Anything else gets an error that says what the file is."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no run file at {path}")
    if not path.is_file():
        raise ValueError(f"{path} is not a regular file (a run file is an HDF5 file, *.h5)")
    if not h5py.is_hdf5(path):
        raise ValueError(f"{path} is not an HDF5 file (a spinbench run file is HDF5, *.h5)")
    try:
        return h5py.File(path, "r")
    except OSError as exc:
        text = str(exc)
        if "truncated" in text:
            raise ValueError(f"{path} is truncated (the file is shorter than its header says: "
                             f"copied incompletely or the disk filled up): {text}") from None
        # Open for writing by a run (or left flagged by a killed one): read it as SWMR does.
        try:
            return h5py.File(path, "r", libver="latest", swmr=True)
        except OSError as exc2:
            raise ValueError(f"{path} cannot be read as HDF5: {exc2}") from None


def read_run(path: str | Path) -> RunData:
    """Load a run back (also a run still being written, or one that crashed)."""
    path = Path(path)
    f = open_run_file(path)
    with f:
        if f.attrs.get("format") != FORMAT:
            raise ValueError(f"{path} is not a spinbench run file (format {f.attrs.get('format')!r})")
        if not isinstance(f.get("data"), h5py.Group):
            raise ValueError(f"{path} is a spinbench run file without its /data group (it holds "
                             f"{', '.join('/' + k for k in f) or 'nothing'}): it was not written by "
                             f"spinbench, or was edited since")
        cols: dict[str, np.ndarray] = {}
        for name, ds in f["data"].items():
            ds.refresh() if hasattr(ds, "refresh") and f.swmr_mode else None
            cols[name] = ds[...]
        meta = {k: _loads(v) for k, v in f["metadata"].attrs.items()} if "metadata" in f else {}
        meta.update({k: (v.item() if hasattr(v, "item") else v) for k, v in f.attrs.items()})
        results: dict[str, Any] = {}
        for name, ds in (f["results"].items() if "results" in f else ()):
            if ds.attrs.get("json"):
                results[name] = json.loads(ds[()].decode() if isinstance(ds[()], bytes) else ds[()])
            elif "unit" in ds.attrs:
                results[name] = FitValue(float(ds[()]), float(ds.attrs["error"]), str(ds.attrs["unit"]))
            else:
                results[name] = ds[...]
        status = str(f.attrs.get("status"))
    n = min((len(v) for v in cols.values()), default=0)
    cols = {k: v[:n] for k, v in cols.items()}  # columns flushed at different instants
    if status == "running":
        alive = writer_alive(meta)
        status = {True: "incomplete (still being written)",
                  False: "incomplete (interrupted: the writing process ended without closing the file; "
                         "`spinbench recover FILE` makes it a plain HDF5 file marked interrupted)",
                  None: "incomplete (still being written, or the run was interrupted before it closed "
                        "the file)"}[alive]
    return RunData(cols, meta.get("parameters", {}), metadata=meta, results=results, status=status, path=path)


def writer_alive(attrs: dict[str, Any]) -> bool | None:
    """Whether the process writing a ``running`` file is still alive: None when that cannot be
    told (a file from another host, or from before the writer recorded its process id)."""
    pid = attrs.get("writer_pid")
    if not pid or attrs.get("writer_host") != socket.gethostname():
        return None
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def _loads(value: Any) -> Any:
    if isinstance(value, bytes):
        value = value.decode()
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def open_for_append(path: Path) -> h5py.File:
    """Re-open a finished run to add analysis results (e.g. a re-analysis from the GUI)."""
    return h5py.File(os.fspath(path), "r+")


def write_notes(path: str | Path, notes: str, sample: dict[str, str]) -> None:
    """Attach (replace) a finished run's notes and sample description; run files written before
    these attributes existed get them added."""
    if not isinstance(notes, str):
        raise TypeError(f"notes must be text, got {type(notes).__name__}")
    bad = [k for k in sample if not isinstance(k, str) or not k.strip()]
    if bad:
        raise ValueError(f"sample fields need a name; got {bad!r}")
    if not Path(path).is_file():
        raise FileNotFoundError(f"no run file at {path}")
    with open_for_append(Path(path)) as f:
        if f.attrs.get("format") != FORMAT:
            raise ValueError(f"{path} is not a spinbench run file (format {f.attrs.get('format')!r})")
        meta = f.require_group("metadata")
        meta.attrs[NOTES_ATTR] = _json(notes)
        meta.attrs[SAMPLE_ATTR] = _json({str(k).strip(): str(v) for k, v in sample.items()})
