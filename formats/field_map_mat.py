"""Measured field maps saved from MATLAB (``.mat``, the v4-v7.2 formats ``scipy.io.loadmat`` reads).

A MAT-file holds named arrays and no units, so the units are the caller's to give
(``units=('m', 'mT')``): a map whose numbers are read in the wrong unit would be wrong by 10^3,
and nothing in the file tells which. Variables (top level, case-insensitive):

- positions: ``x, y, z`` (also ``x_vec``/``xpos``/``x_pos`` ...), one value per point, or one
  (P, 3) array named ``points``/``positions``/``pos``;
- field: ``Bx, By, Bz`` and/or ``B`` (magnitude), one value per point, or ``B`` as a (P, 3) array.

Interpolated grids and other variables in the file are ignored. MATLAB v7.3 files are HDF5
and are refused with that said (save with ``-v7`` or export the columns as text).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from formats.dataset import FormatError
from formats.field_map import FieldMap, _to_si

_SUFFIXES = ("", "_vec", "vec", "_pos", "pos")
_POINTS = ("points", "positions", "pos")
_FIELD = {"bx": "Bx", "by": "By", "bz": "Bz", "b": "B", "bmag": "B", "b_abs": "B"}


def parse_units(text: str) -> tuple[str, str]:
    """'m,mT' -> ('m', 'mT'): the length unit of the positions and the field unit."""
    parts = [p.strip() for p in str(text).split(",")]
    if len(parts) != 2 or not all(parts):
        raise ValueError(f"map units {text!r}: give the position and field units as LENGTH,FIELD, e.g. 'm,mT'")
    return parts[0], parts[1]


def _load(path: Path) -> dict[str, np.ndarray]:
    import scipy.io

    try:
        head = path.read_bytes()[:128]
    except OSError as exc:
        raise FormatError(f"{path}: cannot read the MATLAB file ({exc.strerror})") from None
    if b"MATLAB 7.3" in head:
        raise FormatError(f"{path}: a MATLAB v7.3 (HDF5) file; spinbench reads v4-v7 MAT-files: save it with "
                          f"save(..., '-v7') or export the columns as text with units")
    try:
        raw = scipy.io.loadmat(path, squeeze_me=True)
    except (scipy.io.matlab.MatReadError, ValueError, TypeError, NotImplementedError) as exc:
        raise FormatError(f"{path}: expected a MATLAB MAT-file, cannot read it ({exc})") from None
    return {k.lower(): v for k, v in raw.items() if not k.startswith("__")}


def _describe(name: str, v: object) -> str:
    names = getattr(getattr(v, "dtype", None), "names", None)
    if names:
        return f"{name} (struct: {', '.join(names)})"
    return f"{name} {np.shape(v)}"


def _numeric(v: object) -> bool:
    return isinstance(v, np.ndarray) and v.dtype.kind in "iuf" and v.size > 0


def read_field_map_mat(path: str | Path, units: tuple[str, str]) -> FieldMap:
    """The field map in a MAT-file; ``units`` = (length unit of the positions, field unit)."""
    path = Path(path)
    length_unit, field_unit = units
    var = _load(path)
    found = ", ".join(_describe(k, v) for k, v in var.items()) or "nothing"
    pts = None
    for name in _POINTS:
        v = var.get(name)
        if _numeric(v) and v.ndim == 2 and v.shape[1] == 3:
            pts = _to_si(np.asarray(v, float), name, length_unit, "m", path)
            break
    if pts is None:
        axes = []
        for axis in "xyz":
            v = next((var[axis + s] for s in _SUFFIXES if _numeric(var.get(axis + s)) and np.ndim(var[axis + s]) == 1),
                     None)
            axes.append(v)
        if any(a is None for a in axes):
            raise FormatError(f"{path}: no point positions: expected variables x, y, z (or x_vec ...) of one "
                              f"value per point, or a (P, 3) array 'points'; the file holds {found}")
        pts = np.column_stack([_to_si(np.asarray(a, float), f"{n}", length_unit, "m", path) for a, n in zip(axes, "xyz")])
    field: dict[str, np.ndarray] = {}
    for key, comp in _FIELD.items():
        v = var.get(key)
        if not _numeric(v):
            continue
        v = np.asarray(v, float)
        if comp == "B" and v.ndim == 2 and v.shape == (len(pts), 3):
            for k, c in enumerate(("Bx", "By", "Bz")):
                field.setdefault(c, _to_si(v[:, k], "B", field_unit, "T", path))
        elif v.ndim == 1 and len(v) == len(pts):
            field.setdefault(comp, _to_si(v, key, field_unit, "T", path))
    if not field:
        raise FormatError(f"{path}: no field values: expected Bx, By, Bz or B with one value per point "
                          f"({len(pts)} points); the file holds {found}")
    return FieldMap(pts, field, "cartesian", str(path))
