"""What the live plot shows and the data behind it, without Qt (testable headless).

- :class:`PlotSpec` decides the axes from an experiment's columns (or from its optional
  ``live_plot`` class attribute, see docs/gui.md).
- :class:`PointStore` keeps scalar columns in growable numpy arrays with a point cap: past the
  cap it keeps every other point and from then on every second one (and so on), so memory
  and redraw cost stay bounded however long the run (live plots in other frameworks re-read
  files or keep Python lists: pymeasure#333, bluesky#1271).
- :class:`ScanAverage` keeps running per-index sums, so the scan average is O(1) per point.
- :class:`MapGrid` fills a 2D colour map (outer value x inner index) as points arrive.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import numpy as np

#: Columns that describe where a point is, not what was measured.
BOOKKEEPING = {"scan", "index", "time", "temperature", "point", "trace", "segment", "record", "direction", "overload"}
#: Columns counting an outer loop (one map row each), best first.
OUTER = ("trace", "scan", "segment")
#: Preferred x-axis columns, best first ("time" last: a ringdown's axis, an ESR run's clock).
X_PREFERENCE = ("field", "frequency", "field_set", "frequency_set", "tau", "t_rec", "tp", "delay",
                "pulse_length", "duration", "angle", "temperature_set", "time")
MAX_TRACES = 4


@dataclass
class PlotSpec:
    """Which columns go where. ``x`` None plots against the point number."""

    x: str | None
    ys: list[str]
    units: dict[str, str] = field(default_factory=dict)
    scan: str | None = None
    index: str | None = None
    trace: str | None = None  # an array column: latest trace + a waterfall map
    trace_ys: list[str] = field(default_factory=list)  # array columns drawn as the latest trace
    outer: str | None = None  # an outer loop (one sweep per frequency, angle...): no scan average
    trace_x: str | None = None  # an array column that is the records' own axis (e.g. echo_time)
    map: tuple[str, str, str] | None = None  # (x column, outer column, z column)
    scans: int = 1

    @classmethod
    def for_experiment(cls, experiment: Any) -> "PlotSpec":
        columns = experiment.columns()
        units = {c.name: c.unit for c in columns}
        scalars = [c.name for c in columns if tuple(c.shape) == ()]
        arrays = [c.name for c in columns if len(tuple(c.shape)) == 1]
        hint = dict(getattr(type(experiment), "live_plot", None) or {})
        values = getattr(experiment, "values", {}) or {}
        scans = int(values.get("scans", 1) or 1)
        x = hint["x"] if "x" in hint else _choose_x(scalars, units)
        ys = list(hint["y"] if "y" in hint else _choose_ys(scalars, x))
        scan = hint.get("scan", "scan" if "scan" in scalars else None)
        index = hint.get("index", "index" if "index" in scalars else None)
        signal_arrays = [a for a in arrays if "time" not in a]  # echo_time etc. are axes, not signals
        trace = hint.get("trace", signal_arrays[0] if signal_arrays else None)
        trace_ys = list(hint["trace_y"] if "trace_y" in hint else signal_arrays[:2])
        trace_x = hint.get("trace_x", next((a for a in arrays if "time" in a), None))
        map_spec = hint.get("map")
        auto_map = "map" not in hint  # an explicit None means: no map
        outer = hint.get("outer", next((c for c in OUTER if c in scalars and c != scan), None))
        if auto_map and outer and index and x and ys:
            map_spec = (x, outer, ys[0])  # e.g. one field sweep per microwave frequency
        if auto_map and map_spec is None and scan and index and scans > 1 and x and ys:
            map_spec = (x, scan, ys[0])  # scans as rows: drift between scans shows at a glance
        return cls(x=x, ys=ys[:MAX_TRACES], units=units, scan=scan, index=index, trace=trace,
                   map=tuple(map_spec) if map_spec else None, scans=scans, trace_ys=trace_ys, outer=outer, trace_x=trace_x)


def _choose_x(scalars: Sequence[str], units: dict[str, str]) -> str | None:
    for name in X_PREFERENCE:
        if name in scalars:
            return name
    for name in scalars:
        if name not in BOOKKEEPING and units.get(name) and not name.endswith("_set"):
            return name
    return None


def _choose_ys(scalars: Sequence[str], x: str | None) -> list[str]:
    skip = set(BOOKKEEPING) | {x, f"{x}_set"}
    if x and x.endswith("_set"):
        skip.add(x[:-4])
    return [n for n in scalars if n not in skip and not n.endswith("_set")]


class PointStore:
    """Scalar columns in growable arrays, decimated by 2 each time ``cap`` is exceeded."""

    def __init__(self, names: Iterable[str], cap: int = 1_000_000):
        if cap < 16:
            raise ValueError(f"point cap {cap} is too small; use at least 16")
        self.names = list(names)
        self.cap = int(cap)
        self._data = {n: np.empty(1024) for n in self.names}
        self.n = 0  # stored points
        self.seen = 0  # points received
        self.stride = 1  # keep one point in ``stride``
        self.finite = {n: True for n in self.names}  # no NaN/inf stored (lets the plot skip its check)
        self.generation = 0  # +1 whenever stored points change (halving, clearing), not on appends

    def extend(self, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        first = (-self.seen) % self.stride  # the next kept point's offset in this batch
        kept = rows[first::self.stride]
        self.seen += len(rows)
        m = len(kept)
        if not m:
            return
        self._reserve(self.n + m)
        for name in self.names:
            block = self._data[name][self.n:self.n + m]
            block[:] = [_scalar(r.get(name)) for r in kept]
            if self.finite[name] and not np.isfinite(block).all():
                self.finite[name] = False
        self.n += m
        while self.n > self.cap:
            self._halve()

    def _reserve(self, size: int) -> None:
        cur = len(next(iter(self._data.values()))) if self._data else 0
        if size <= cur:
            return
        new = max(size, 2 * cur)
        for name, arr in self._data.items():
            grown = np.empty(new)
            grown[:self.n] = arr[:self.n]
            self._data[name] = grown

    def _halve(self) -> None:
        # keep points whose arrival number is a multiple of the new stride (stored ones are all
        # multiples of the old stride, so every other stored point)
        for name, arr in self._data.items():
            kept = arr[:self.n:2].copy()
            arr[:len(kept)] = kept
        self.n = (self.n + 1) // 2
        self.stride *= 2
        self.generation += 1

    def column(self, name: str, start: int = 0) -> np.ndarray:
        return self._data[name][start:self.n]

    def clear(self) -> None:
        self.generation += 1
        self.n = self.seen = 0
        self.stride = 1
        self.finite = {n: True for n in self.names}


def _scalar(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


class ScanAverage:
    """Running mean over scans per index (what ``EsrFieldSweep.averaged`` computes at the end)."""

    def __init__(self, names: Sequence[str]):
        self.names = list(names)
        self.count = np.zeros(0)
        self.sums = {n: np.zeros(0) for n in self.names}

    def add(self, rows: Sequence[dict[str, Any]], index: str) -> None:
        if not rows:
            return
        idx = np.fromiter((int(r[index]) for r in rows), int, len(rows))
        size = int(idx.max()) + 1
        if size > len(self.count):
            self.count = np.pad(self.count, (0, size - len(self.count)))
            self.sums = {n: np.pad(s, (0, size - len(s))) for n, s in self.sums.items()}
        # only the span of indices this batch touches (a few points per frame against 1e5 bins)
        lo = int(idx.min())
        rel = idx - lo
        span = slice(lo, size)
        self.count[span] += np.bincount(rel, minlength=size - lo)
        for n in self.names:
            vals = np.fromiter((_scalar(r.get(n)) for r in rows), float, len(rows))
            self.sums[n][span] += np.bincount(rel, weights=vals, minlength=size - lo)

    def mean(self, name: str) -> np.ndarray:
        keep = self.count > 0
        return self.sums[name][keep] / self.count[keep]

    @property
    def complete_scans(self) -> int:
        return int(self.count.min()) if len(self.count) else 0


class MapGrid:
    """A 2D map filled as points arrive: rows are distinct ``outer`` values (in arrival order),
    columns the ``index`` within a row; the x extent follows the ``x`` column."""

    def __init__(self, max_rows: int = 4096):
        self.max_rows = max_rows
        self.rows: dict[float, int] = {}
        self.image = np.full((0, 0), np.nan)
        self.x_min, self.x_max = np.inf, -np.inf
        self.outer_values: list[float] = []
        self._next_col: dict[int, int] = {}

    def add(self, rows: Sequence[dict[str, Any]], x: str, outer: str, z: str, index: str | None) -> None:
        for r in rows:
            key = _scalar(r.get(outer))
            row = self.rows.get(key)
            if row is None:
                if len(self.rows) >= self.max_rows:
                    continue
                row = self.rows[key] = len(self.rows)
                self.outer_values.append(key)
            col = int(r[index]) if index else self._next_col.get(row, 0)
            self._next_col[row] = col + 1
            self._grow(row + 1, col + 1)
            self.image[row, col] = _scalar(r.get(z))
            xv = _scalar(r.get(x))
            if np.isfinite(xv):
                self.x_min, self.x_max = min(self.x_min, xv), max(self.x_max, xv)

    def add_trace(self, trace: np.ndarray) -> None:
        """One array per point (e.g. a digitizer record): a waterfall row."""
        trace = np.asarray(trace, float).ravel()
        row = len(self.outer_values)
        if row >= self.max_rows:
            self.image = np.roll(self.image, -1, axis=0)
            row = self.max_rows - 1
        else:
            self.outer_values.append(float(row))
        self._grow(row + 1, len(trace))
        self.image[row, :len(trace)] = trace
        self.x_min, self.x_max = 0.0, float(len(trace) - 1)

    def _grow(self, nrows: int, ncols: int) -> None:
        r, c = self.image.shape
        if nrows > r or ncols > c:
            new = np.full((max(nrows, 2 * r if nrows > r else r), max(ncols, c)), np.nan)
            new[:r, :c] = self.image
            self.image = new

    def filled(self) -> np.ndarray:
        """The image up to the last row reached (rows x columns)."""
        return self.image[:len(self.outer_values)]
