"""Plain CSV with a commented header: '# key: value' metadata lines (JSON values), then a header
row 'name [unit]', then one row per point. Numbers are written with repr precision, so a read
returns identical values."""
from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np


def write_csv(path: str | Path, columns: dict[str, np.ndarray], units: dict[str, str] | None = None,
              metadata: dict[str, Any] | None = None) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    names = list(columns)
    arrays = [np.asarray(columns[n]) for n in names]
    n = len(arrays[0]) if arrays else 0
    bad = [name for name, a in zip(names, arrays) if a.ndim != 1 or len(a) != n]
    if bad:
        raise ValueError(f"CSV columns must be 1-D and of equal length; not so: {bad}")
    units = units or {}
    with path.open("w", newline="", encoding="utf-8") as fh:
        for key, value in (metadata or {}).items():
            fh.write(f"# {key}: {json.dumps(value, default=_jsonable)}\n")
        w = csv.writer(fh)
        w.writerow([f"{name} [{units.get(name, '')}]" if units.get(name) else name for name in names])
        for i in range(n):
            w.writerow([repr(float(a[i])) if a.dtype.kind in "fiub" else str(a[i]) for a in arrays])
    return path


def read_csv(path: str | Path) -> tuple[dict[str, np.ndarray], dict[str, str], dict[str, Any]]:
    """(columns, units, metadata) of a CSV written by :func:`write_csv` (or any numeric CSV)."""
    path = Path(path)
    meta: dict[str, Any] = {}
    with path.open(newline="", encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    body = []
    for line in lines:
        if line.startswith("#"):
            key, _, value = line[1:].partition(":")
            try:
                meta[key.strip()] = json.loads(value)
            except ValueError:
                meta[key.strip()] = value.strip()
        elif line.strip():
            body.append(line)
    if not body:
        raise ValueError(f"{path}: no header row (expected 'name [unit], ...')")
    rows = list(csv.reader(body))
    names, units = [], {}
    for h in rows[0]:
        name, _, unit = h.partition(" [")
        names.append(name.strip())
        units[name.strip()] = unit.rstrip("]")
    cols: dict[str, np.ndarray] = {}
    for j, name in enumerate(names):
        try:
            cols[name] = np.array([float(r[j]) for r in rows[1:]])
        except (ValueError, IndexError):
            raise ValueError(f"{path}: column {name!r} has a non-numeric or missing value") from None
    return cols, units, meta


def _jsonable(o: Any) -> Any:
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if hasattr(o, "value") and hasattr(o, "error"):
        return {"value": o.value, "error": o.error, "unit": getattr(o, "unit", "")}
    return repr(o)
