"""SpecMan4EPR pulsed-EPR data (.d01 binary + .exp descriptor).

Format facts used (SpecMan4EPR manual, "data file format"; Epel et al., Concepts Magn. Reson.
B 26, 36 (2005)):
- .exp is INI text. [sweep]: 'transient = T,n,...' (the digitised trace) and 'sweepK = L,n,reps,
  PARAM,...' (axis letter, points, repetitions, the swept parameter(s)); [params]: 'NAME = value
  [;...]' where a swept value reads 'A to B' (linear), 'A step S' or 'A, B, C' (list), each number
  with its unit; [streams]: 'names', 'units', 'dwelltime' (comma lists, one per stream).
- .d01 (little-endian): uint32 number of streams, uint32 number format (0 float64, 1 float32);
  per stream six uint32: number of dimensions, four dimension sizes (fastest first), total size;
  then the streams' values one stream after another.
Streams named 'Re' and 'Im' (the quadrature channels) are combined into one complex ordinate.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from formats.dataset import Axis, Dataset, FormatError, Ordinate
from formats.si import to_si

_QUANTITY = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([^\s,;]*)\s*$")


def quantity(text: str, where: str) -> tuple[float, str]:
    """'56 mT' -> (0.056, 'T')."""
    m = _QUANTITY.match(text)
    if not m:
        raise FormatError(f"{where}: cannot read {text!r} as a number with a unit")
    return to_si(float(m.group(1)), m.group(2))


def parameter_values(text: str, n: int, where: str) -> tuple[np.ndarray, str]:
    """Values of a swept parameter over ``n`` points, in SI."""
    value = text.split(";")[0].strip()
    if " to " in value:
        (a, unit), (b, _) = (quantity(v, where) for v in value.split(" to ", 1))
        return np.linspace(a, b, n), unit
    if " step " in value:
        (a, unit), (s, _) = (quantity(v, where) for v in value.split(" step ", 1))
        return a + s * np.arange(n), unit
    parts = [quantity(v, where) for v in value.split(",") if v.strip()]
    if len(parts) == 1:
        return np.full(n, parts[0][0]), parts[0][1]
    if len(parts) != n:
        raise FormatError(f"{where}: {len(parts)} listed values for an axis of {n} points")
    return np.array([p[0] for p in parts]), parts[0][1]


def parse_exp(text: str) -> dict[str, dict[str, str]]:
    """Sections of an .exp file: 'key = value' entries; other lines (the pulse program) are kept
    in order under the key '' of their section."""
    sections: dict[str, dict[str, str]] = {}
    current = sections.setdefault("", {})
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            current = sections.setdefault(stripped[1:-1], {})
        elif "=" in stripped:
            key, _, value = stripped.partition("=")
            current.setdefault(key.strip(), value.strip())
        elif stripped:
            current[""] = (current.get("", "") + "\n" + stripped).lstrip("\n")
    return sections


def read_d01(path: Path) -> list[np.ndarray]:
    """The streams of a .d01 file, each shaped (..., fastest) with length-1 dimensions dropped."""
    raw = path.read_bytes()
    if len(raw) < 8:
        raise FormatError(f"{path}: expected a SpecMan .d01 file, found {len(raw)} bytes")
    n_streams, fmt = np.frombuffer(raw[:8], "<u4")
    if fmt not in (0, 1) or not 1 <= n_streams <= 64:
        raise FormatError(f"{path}: expected a SpecMan .d01 header (streams, format 0 or 1), found "
                          f"{int(n_streams)} streams, format {int(fmt)}")
    dtype = np.dtype("<f8" if fmt == 0 else "<f4")
    head = np.frombuffer(raw[8: 8 + 24 * int(n_streams)], "<u4").reshape(-1, 6)
    offset, streams = 8 + 24 * int(n_streams), []
    for ndim, d1, d2, d3, d4, total in head:
        dims = [int(d) for d in (d1, d2, d3, d4)][: max(int(ndim), 1)]
        if int(np.prod(dims)) != int(total):
            raise FormatError(f"{path}: stream dimensions {dims} do not multiply to its size {int(total)}")
        end = offset + int(total) * dtype.itemsize
        if end > len(raw):
            raise FormatError(f"{path}: truncated: the header promises {int(total)} more values than the file holds")
        values = np.frombuffer(raw[offset:end], dtype).astype(float)
        shape = [d for d in reversed(dims) if d > 1] or [1]
        streams.append(values.reshape(shape))
        offset = end
    return streams


def load_specman(path: str | Path) -> Dataset:
    """Read a SpecMan .d01/.exp pair (either name may be given)."""
    path = Path(path)
    d01, exp = path.with_suffix(".d01"), path.with_suffix(".exp")
    for p in (d01, exp):
        if not p.exists():
            raise FormatError(f"{path}: expected a SpecMan .d01/.exp pair, but {p.name} is missing")
    ini = parse_exp(exp.read_text(encoding="latin-1"))
    if "sweep" not in ini or "streams" not in ini:
        raise FormatError(f"{exp}: expected a SpecMan descriptor with [sweep] and [streams] sections, "
                          f"found {list(ini) or 'none'}")
    streams = read_d01(d01)
    names = [s.strip() for s in ini["streams"].get("names", "").split(",")]
    units = [s.strip() for s in ini["streams"].get("units", "").split(",")]
    dwell = [s.strip() for s in ini["streams"].get("dwelltime", "").split(",")]
    params = ini.get("params", {})
    axes = []
    transient = ini["sweep"].get("transient", "T,1").split(",")
    if int(transient[1]) > 1:
        dw = quantity(dwell[0], f"{exp} [streams] dwelltime")[0] if dwell and dwell[0] else 1.0
        axes.append(Axis(np.arange(int(transient[1])) * dw, "time", "s"))
    for key in sorted(k for k in ini["sweep"] if k.startswith("sweep")):
        fields = [f.strip() for f in ini["sweep"][key].split(",")]
        n = int(fields[1])
        if n > 1:
            name = fields[3] if len(fields) > 3 else key
            where = f"{exp} [params] {name}"
            values, unit = (parameter_values(params[name], n, where) if name in params
                            else (np.arange(n, dtype=float), ""))
            axes.append(Axis(values, name, unit))
    shape = tuple(len(a) for a in reversed(axes)) or (1,)
    ordinates, i = [], 0
    while i < len(streams):
        name = names[i] if i < len(names) else f"stream{i}"
        unit = units[i] if i < len(units) else ""
        values = streams[i].reshape(shape)
        if name == "Re" and i + 1 < len(streams) and i + 1 < len(names) and names[i + 1] == "Im":
            values, name, i = values + 1j * streams[i + 1].reshape(shape), "Re + i Im", i + 1
        factor, si = to_si(1.0, unit)
        ordinates.append(Ordinate(values * factor, name, si))
        i += 1
    parameters: dict[str, float | str] = {"EXPT": "PLS", "TITL": ini.get("general", {}).get("name", path.stem)}
    for key, bes3t in (("RepTime", "SRT"),):
        if key in params:
            parameters[bes3t] = quantity(params[key].split(";")[0], f"{exp} [params] {key}")[0]
    raw = {f"{s}.{k}": v for s, entries in ini.items() for k, v in entries.items()}
    return Dataset(tuple(axes), tuple(ordinates), parameters, "SpecMan", d01, str(parameters["TITL"]), raw)
