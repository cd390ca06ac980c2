"""Measured magnet field maps: delimited text (CSV, TSV, semicolons or spaces) with the units in
the header, as gaussmeter robots and hand-held Hall-probe sessions write them.

Positions, one of three layouts (column names are case-insensitive):

- cartesian  ``x [mm], y [mm], z [mm]``
- sphere     ``theta [deg], phi [deg]`` with ``r [mm]`` as a column or a metadata line
             ``# radius: 10 mm`` (theta from +z, phi from +x: points on a sphere)
- cylinder   ``rho [mm], phi [deg], z [mm]`` (or ``r`` with ``phi`` and ``z``)

Field: ``Bx, By, Bz`` (a 3-axis probe), one component, or the magnitude ``B``/``|B|``/``Bmag``,
in T, mT, uT, G or kG. Every position and field column must carry a unit; a missing or foreign
unit, a missing column or a non-numeric cell is a one-line error naming the file, line or column.
A ``# centre: x, y, z mm`` metadata line gives the map's centre (default the origin).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from formats.dataset import FormatError
from formats.si import si_unit
from formats.text import split_header

_NUMBER = re.compile(r"^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$")
_QUANTITY = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([A-Za-zµ]*)\s*$")
_FIELD_NAMES = {"bx": "Bx", "by": "By", "bz": "Bz", "b": "B", "|b|": "B", "bmag": "B", "b_abs": "B", "babs": "B"}
_POSITION_NAMES = {"x", "y", "z", "r", "rho", "theta", "phi"}


@dataclass(frozen=True)
class FieldMap:
    """A field map in SI: ``points`` (P, 3) m in the lab frame; ``components`` maps 'Bx', 'By',
    'Bz' and/or 'B' (magnitude) to (P,) arrays in T."""

    points: np.ndarray
    components: dict[str, np.ndarray]
    layout: str = "cartesian"
    source: str = ""

    @property
    def vector(self) -> np.ndarray | None:
        """(P, 3) field in T when all three components were measured, else None."""
        if all(k in self.components for k in ("Bx", "By", "Bz")):
            return np.column_stack([self.components[k] for k in ("Bx", "By", "Bz")])
        return None

    @property
    def magnitude(self) -> np.ndarray:
        """|B| (T): measured, or from the three components; else the one component measured."""
        if "B" in self.components:
            return self.components["B"]
        v = self.vector
        if v is not None:
            return np.linalg.norm(v, axis=1)
        return np.abs(next(iter(self.components.values())))

    def __len__(self) -> int:
        return len(self.points)


def _to_si(values: np.ndarray, name: str, unit: str, want: str, path: Path) -> np.ndarray:
    accepted = {"m": "m, cm, mm, um, in", "T": "T, mT, uT, G, kG", "rad": "deg, rad"}[want]
    if not unit:
        example = {"m": "mm", "T": "mT", "rad": "deg"}[want]
        raise FormatError(f"{path}: column {name!r} has no unit; write it in the header, e.g. "
                          f"'{name} [{example}]' ({accepted})")
    if want == "m" and unit in ("cm", "in"):
        return values * {"cm": 1e-2, "in": 0.0254}[unit]
    base, factor = si_unit(unit)
    if want == "rad" and base in ("deg", "rad"):
        return values * factor * (math.pi / 180 if base == "deg" else 1.0)
    if want == base:
        return values * factor
    what = {"m": "a length", "T": "a magnetic field", "rad": "an angle"}[want]
    raise FormatError(f"{path}: column {name!r} is in {unit!r}, not {what}; use one of: {accepted}")


def _split(line: str) -> list[str]:
    for sep in ("\t", ";", ","):
        if sep in line:
            return [c.strip() for c in line.split(sep)]
    return line.split()


def _meta_length(value: str, key: str, path: Path) -> list[float]:
    parts = [p for p in re.split(r"[,\s]+", value.strip()) if p]
    unit = parts[-1] if parts and not _NUMBER.match(parts[-1]) else ""
    nums = parts[:-1] if unit else parts
    if not nums or not all(_NUMBER.match(n) for n in nums):
        raise FormatError(f"{path}: metadata '{key}: {value}' is not a length like '10 mm'")
    return list(_to_si(np.array([float(n) for n in nums]), key, unit, "m", path))


def read_field_map(path: str | Path) -> FieldMap:
    """Read a field map (see the module doc for the accepted layouts and units)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise FormatError(f"{path}: expected a text field map (columns with units), found binary data") from None
    except OSError as exc:
        raise FormatError(f"{path}: cannot read the field map ({exc.strerror})") from None
    meta: dict[str, str] = {}
    header: list[str] | None = None
    rows: list[list[float]] = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        if line.lstrip()[:1] in "#%":
            key, sep, value = line.lstrip("#% ").partition(":")
            if not sep:
                key, sep, value = line.lstrip("#% ").partition("=")
            if sep:
                meta[key.strip().lower()] = value.strip()
            continue
        cells = [c for c in _split(line) if c != ""]
        if header is None:
            if all(_NUMBER.match(c) for c in cells):
                raise FormatError(f"{path}:{n}: numbers before any header; the first row must name the "
                                  f"columns with units, e.g. 'x [mm], y [mm], z [mm], Bz [mT]'")
            header = cells
            continue
        if len(cells) != len(header):
            raise FormatError(f"{path}:{n}: {len(cells)} values, the header names {len(header)} columns")
        bad = next((c for c in cells if not _NUMBER.match(c)), None)
        if bad is not None:
            raise FormatError(f"{path}:{n}: {bad!r} is not a number")
        rows.append([float(c) for c in cells])
    if header is None or not rows:
        raise FormatError(f"{path}: no data rows; expected a header with units and rows of numbers")
    table = np.array(rows)
    cols: dict[str, tuple[np.ndarray, str, str]] = {}
    for j, cell in enumerate(header):
        name, unit = split_header(cell)
        key = name.strip().lower()
        if key in _POSITION_NAMES:
            cols[key] = (table[:, j], unit, name)
        elif key in _FIELD_NAMES:
            cols[_FIELD_NAMES[key]] = (table[:, j], unit, name)
    field = {k: _to_si(v, name, u, "T", path) for k, (v, u, name) in cols.items() if k in ("Bx", "By", "Bz", "B")}
    if not field:
        raise FormatError(f"{path}: no field column; name one Bx, By, Bz or B (|B|) with its unit, "
                          f"e.g. 'Bz [mT]' (columns found: {', '.join(header)})")
    pos = {k: _to_si(v, name, u, "rad" if k in ("theta", "phi") else "m", path)
           for k, (v, u, name) in cols.items() if k in _POSITION_NAMES}
    if {"x", "y", "z"} <= set(pos):
        layout, pts = "cartesian", np.column_stack([pos["x"], pos["y"], pos["z"]])
    elif {"theta", "phi"} <= set(pos):
        if "r" in pos:
            r = pos["r"]
        elif "radius" in meta:
            r = np.full(len(table), _meta_length(meta["radius"], "radius", path)[0])
        else:
            raise FormatError(f"{path}: points on a sphere need their radius: an 'r [mm]' column or a "
                              f"'# radius: 10 mm' line")
        th, ph = pos["theta"], pos["phi"]
        layout = "sphere"
        pts = np.column_stack([r * np.sin(th) * np.cos(ph), r * np.sin(th) * np.sin(ph), r * np.cos(th)])
    elif "phi" in pos and "z" in pos and ("rho" in pos or "r" in pos):
        rho = pos.get("rho", pos.get("r"))
        layout, pts = "cylinder", np.column_stack([rho * np.cos(pos["phi"]), rho * np.sin(pos["phi"]), pos["z"]])
    else:
        raise FormatError(f"{path}: positions need columns x, y, z (cartesian), theta, phi (+ r) (sphere) "
                          f"or rho, phi, z (cylinder), each with a unit; found {', '.join(header)}")
    if "centre" in meta or "center" in meta:
        c = _meta_length(meta.get("centre", meta.get("center", "")), "centre", path)
        if len(c) != 3:
            raise FormatError(f"{path}: '# centre:' needs three lengths, e.g. '# centre: 0, 0, 1.5 mm'")
        pts = pts + np.array(c)
    return FieldMap(pts, field, layout, str(path))


def write_field_map(path: str | Path, points: np.ndarray, b: np.ndarray, comment: str = "") -> Path:
    """Write a cartesian map with all three components (mm, mT): the format read above."""
    path = Path(path)
    lines = [f"# {line}" for line in comment.splitlines()] + ["x [mm],y [mm],z [mm],Bx [mT],By [mT],Bz [mT]"]
    lines += [",".join(f"{v:.9g}" for v in row) for row in np.column_stack([np.asarray(points) * 1e3, np.asarray(b) * 1e3])]
    path.write_text("\n".join(lines) + "\n")
    return path
