"""Plain text spectra: columns separated by tabs, commas, semicolons or white space, an optional
header row naming the columns with their units ('Field [mT]', 'B (G)', 'time/ns'), and
optional metadata lines before it ('# key: value', 'key = value', '% ...').

The first column is the abscissa (or the first field column, in T, when the first column has no
unit, as in spinbench's own CSV), every other column an ordinate. Units in the header are
converted to SI; a column without a unit stays as written. Metadata keys that name a BES3T
parameter (MWFQ ...) or say 'frequency' with a unit ('Frequency: 9.4 GHz') become parameters.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from formats.dataset import Axis, Dataset, FormatError, Ordinate
from formats.si import si_unit, to_si

_HEADER_UNIT = re.compile(r"^(.*?)\s*(?:\[([^\]]*)\]|\(([^)]*)\)|/\s*(\S+))\s*$")
_NUMBER = re.compile(r"^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$")
_META_QUANTITY = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([A-Za-zµ°]*)\s*$")
_META_NAMES = {"MWFQ": "MWFQ", "frequency": "MWFQ", "mw frequency": "MWFQ", "microwave frequency": "MWFQ",
               "MWPW": "MWPW", "power": "MWPW", "B0MA": "B0MA", "modulation amplitude": "B0MA"}


def split_header(cell: str) -> tuple[str, str]:
    """'Field [mT]' -> ('Field', 'mT'); 'Intensity' -> ('Intensity', '')."""
    m = _HEADER_UNIT.match(cell.strip())
    if not m or not m.group(1):
        return cell.strip(), ""
    return m.group(1).strip(), next(g for g in m.groups()[1:] if g is not None).strip()


def _split(line: str) -> list[str]:
    for sep in ("\t", ";", ","):
        if sep in line:
            return [c.strip() for c in line.split(sep)]
    return line.split()


def _join_units(cells: list[str]) -> list[str]:
    """White-space-separated headers split 'Field [mT]' in two: join a bare '[unit]'/'(unit)' back."""
    out: list[str] = []
    for c in cells:
        if out and c[:1] in "[(" and c[-1:] in "])":
            out[-1] += " " + c
        else:
            out.append(c)
    return out


def _metadata(line: str, raw: dict[str, str]) -> None:
    body = line.lstrip("#%;").strip()
    for sep in (":", "="):
        if sep in body:
            key, _, value = body.partition(sep)
            raw[key.strip()] = value.strip()
            return


def load_text(path: str | Path) -> Dataset:
    """Read a delimited text spectrum (see the module doc for what is understood)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise FormatError(f"{path}: expected a text spectrum (columns of numbers), found binary data") from None
    raw: dict[str, str] = {}
    header: list[str] | None = None
    rows: list[list[float]] = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        if line.lstrip()[:1] in "#%;":
            _metadata(line, raw)
            continue
        cells = [c for c in _split(line) if c != ""]
        if all(_NUMBER.match(c) for c in cells):
            if header is not None and len(cells) != len(header):
                raise FormatError(f"{path}:{n}: {len(cells)} values, the header names {len(header)} columns")
            if rows and len(cells) != len(rows[0]):
                raise FormatError(f"{path}:{n}: {len(cells)} values, earlier rows have {len(rows[0])}")
            rows.append([float(c) for c in cells])
        elif rows:
            raise FormatError(f"{path}:{n}: expected numbers, found {line.strip()[:40]!r}")
        elif header is None and len(cells) > 1 and not any(_NUMBER.match(c) for c in cells):
            header = _join_units(cells)
        else:
            _metadata(line, raw)
    if not rows or len(rows[0]) < 2:
        raise FormatError(f"{path}: expected a text spectrum with at least two numeric columns, found "
                          f"{'no numeric rows' if not rows else 'one column'}")
    table = np.array(rows)
    header = header or ["x"] + [f"y{i}" for i in range(1, table.shape[1])]
    columns = []
    for j, cell in enumerate(header):
        name, unit = split_header(cell)
        si, factor = si_unit(unit) if unit else ("", 1.0)
        values = table[:, j] + 273.15 if si == "degC" else table[:, j] * factor
        columns.append((name, values, "K" if si == "degC" else si))
    params: dict[str, float | str] = {"TITL": raw.get("title", path.stem).strip('"')}
    for key, value in raw.items():
        name = _META_NAMES.get(key) or _META_NAMES.get(key.lower())
        m = _META_QUANTITY.match(value.strip('"'))
        if name and m:
            params[name] = to_si(float(m.group(1)), m.group(2))[0]
        elif key == "parameters":  # spinbench's own CSV: '# parameters: {json}'
            try:
                loaded = json.loads(value)
            except ValueError:
                continue
            if not isinstance(loaded, dict):
                continue
            if isinstance(loaded.get("frequency"), (int, float)):
                params["MWFQ"] = float(loaded["frequency"])
            params.update({k: v for k, v in loaded.items() if k.isupper() and not isinstance(v, bool)
                           and isinstance(v, (int, float, str))})  # BES3T names, as export writes them
    # the abscissa: the first column, unless it is a bare index and a field column exists
    first = next((j for j, c in enumerate(columns) if c[2] == "T"), 0) if columns[0][2] == "" else 0
    (xname, x, xunit), rest = columns[first], columns[:first] + columns[first + 1:]
    ordinates = tuple(Ordinate(v, name, unit) for name, v, unit in rest)
    return Dataset((Axis(x, xname, xunit),), ordinates, params, "text", path, str(params["TITL"]), raw)
