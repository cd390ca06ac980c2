"""Bruker BES3T files (.DSC descriptor + .DTA data, .XGF/.YGF for non-linear axes): what Xepr
writes and EasySpin's ``eprload`` reads. Pure numpy.

Format facts used (Bruker BES3T 1.2 descriptor conventions, as Xepr writes them):
- The .DSC is text: layers '#DESC', '#SPL', '#DSL', '#MHL'; one 'KEY value' per line, '*' starts
  a comment, a trailing backslash continues the value on the next line; strings in single quotes.
- #DESC keys: BSEQ (BIG/LIT byte order), IKKF (REAL or CPLX per ordinate item), XTYP/YTYP/ZTYP
  (IDX = linear axis from XMIN + XWID, IGD = axis values in .XGF/.YGF in XFMT/YFMT, NODATA),
  IRFMT/IIFMT (C int8, S int16, I int32, F float32, D float64), XPTS/YPTS, XNAM/XUNI etc.
- .DTA: the ordinate, x fastest then y, real and imaginary parts interleaved for CPLX.
- #SPL holds acquisition parameters in SI units (MWFQ Hz, MWPW W, A1CT/A1SW T, B0MA T
  peak-to-peak, B0MF Hz, RCTC s, RCHM harmonic, STMP K, AVGS scans).
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

FORMATS = {"C": "i1", "S": "i2", "I": "i4", "F": "f4", "D": "f8"}


class Bes3tError(ValueError):
    """A BES3T file that cannot be read; the message names the file and what is wrong."""


@dataclass
class Bes3tData:
    x: np.ndarray
    data: np.ndarray  # (nx,) or (ny, nx); complex for CPLX files
    y: np.ndarray | None = None
    x_name: str = ""
    x_unit: str = ""
    y_name: str = ""
    y_unit: str = ""
    title: str = ""
    descriptor: dict[str, str] = field(default_factory=dict)
    parameters: dict[str, str] = field(default_factory=dict)  # the #SPL layer

    def parameter(self, key: str, default: float = float("nan")) -> float:
        try:
            return float(self.parameters[key])
        except (KeyError, ValueError):
            return default


# --- reading ---------------------------------------------------------------------------------
def parse_dsc(text: str) -> tuple[dict[str, str], dict[str, str]]:
    """(#DESC keys, #SPL keys) of a descriptor."""
    layers: dict[str, dict[str, str]] = {"DESC": {}, "SPL": {}, "DSL": {}, "MHL": {}}
    current = layers["DESC"]
    pending = ""
    for raw in text.splitlines():
        line = pending + raw.rstrip()
        pending = ""
        if line.endswith("\\"):
            pending = line[:-1] + "\n"
            continue
        stripped = line.strip()
        if not stripped or stripped.startswith("*"):
            continue
        if stripped.startswith("#"):
            name = stripped[1:].split(None, 1)[0]
            current = layers.setdefault(name, {})
            continue
        parts = stripped.split(None, 1)
        key = parts[0]
        value = parts[1].strip() if len(parts) > 1 else ""
        if len(value) >= 2 and value[0] == "'" and value[-1] == "'":
            value = value[1:-1]
        current[key] = value
    return layers["DESC"], layers["SPL"]


def _need(desc: dict[str, str], key: str, path: Path, why: str = "") -> str:
    if key not in desc:
        raise Bes3tError(f"{path}: the descriptor has no {key!r} key{' (' + why + ')' if why else ''}; a BES3T "
                         f".DSC must define it in its #DESC layer")
    return desc[key]


def _int(desc: dict[str, str], key: str, path: Path, why: str = "") -> int:
    value = _need(desc, key, path, why)
    try:
        n = int(float(value))
    except ValueError:
        raise Bes3tError(f"{path}: {key} = {value!r} is not a number") from None
    if n < 1:
        raise Bes3tError(f"{path}: {key} = {n} must be at least 1")
    return n


def _float(desc: dict[str, str], key: str, path: Path, why: str = "") -> float:
    value = _need(desc, key, path, why)
    try:
        return float(value)
    except ValueError:
        raise Bes3tError(f"{path}: {key} = {value!r} is not a number") from None


def _dtype(desc: dict[str, str], key: str, order: str, path: Path) -> np.dtype:
    code = _need(desc, key, path).split(",")[0].strip()
    if code not in FORMATS:
        raise Bes3tError(f"{path}: {key} = {code!r}; BES3T formats are {', '.join(FORMATS)}")
    return np.dtype(order + FORMATS[code])


def _axis(desc: dict[str, str], letter: str, n: int, order: str, dsc: Path) -> np.ndarray:
    kind = desc.get(f"{letter}TYP", "NODATA")
    if kind == "IDX":
        why = f"{letter}TYP is IDX"
        start = _float(desc, f"{letter}MIN", dsc, why)
        width = _float(desc, f"{letter}WID", dsc, why)
        return np.linspace(start, start + width, n) if n > 1 else np.array([start])
    if kind == "IGD":
        gf = dsc.with_suffix(f".{letter}GF")
        if not gf.exists():
            gf = dsc.with_suffix(f".{letter.lower()}gf")
        if not gf.exists():
            raise Bes3tError(f"{dsc}: {letter}TYP is IGD but the axis file {dsc.with_suffix('.' + letter + 'GF')} "
                             f"is missing")
        values = np.fromfile(gf, dtype=_dtype(desc, f"{letter}FMT", order, dsc))
        if len(values) != n:
            raise Bes3tError(f"{gf}: {len(values)} axis values, the descriptor says {letter}PTS = {n}")
        return values.astype(float)
    if kind in ("NODATA", "NTUP"):
        return np.arange(n, dtype=float)
    raise Bes3tError(f"{dsc}: {letter}TYP = {kind!r}; expected IDX, IGD or NODATA")


def read_bes3t(path: str | Path) -> Bes3tData:
    """Read a .DSC/.DTA pair (either name may be given)."""
    base = Path(path)
    dsc = base.with_suffix(".DSC") if base.suffix.upper() != ".DSC" else base
    if not dsc.exists() and base.with_suffix(".dsc").exists():
        dsc = base.with_suffix(".dsc")
    if not dsc.exists():
        raise FileNotFoundError(f"no BES3T descriptor at {dsc}")
    desc, spl = parse_dsc(dsc.read_text(encoding="latin-1"))
    order = {"BIG": ">", "LIT": "<"}.get(_need(desc, "BSEQ", dsc, "byte order BIG or LIT").upper())
    if order is None:
        raise Bes3tError(f"{dsc}: BSEQ = {desc['BSEQ']!r}; expected BIG or LIT")
    ikkf = _need(desc, "IKKF", dsc, "REAL or CPLX").split(",")[0].strip().upper()
    if ikkf not in ("REAL", "CPLX"):
        raise Bes3tError(f"{dsc}: IKKF = {ikkf!r}; expected REAL or CPLX")
    _need(desc, "XTYP", dsc, "abscissa type IDX or IGD")
    nx = _int(desc, "XPTS", dsc)
    has_y = desc.get("YTYP", "NODATA") != "NODATA"
    ny = _int(desc, "YPTS", dsc, "YTYP is not NODATA") if has_y else 1
    real_t = _dtype(desc, "IRFMT", order, dsc)
    dta = dsc.with_suffix(".DTA") if dsc.with_suffix(".DTA").exists() else dsc.with_suffix(".dta")
    if not dta.exists():
        raise Bes3tError(f"{dsc}: the data file {dsc.with_suffix('.DTA')} is missing")
    raw = np.fromfile(dta, dtype=real_t)
    per = 2 if ikkf == "CPLX" else 1
    if len(raw) != nx * ny * per:
        raise Bes3tError(f"{dta}: {len(raw)} values, but XPTS x YPTS = {nx} x {ny}"
                         f"{' x 2 (complex)' if per == 2 else ''} = {nx * ny * per}")
    values = raw.astype(float)
    data = values[0::2] + 1j * values[1::2] if per == 2 else values
    data = data.reshape(ny, nx) if has_y else data
    return Bes3tData(x=_axis(desc, "X", nx, order, dsc), data=data,
                     y=_axis(desc, "Y", ny, order, dsc) if has_y else None,
                     x_name=desc.get("XNAM", ""), x_unit=desc.get("XUNI", ""), y_name=desc.get("YNAM", ""),
                     y_unit=desc.get("YUNI", ""), title=desc.get("TITL", ""), descriptor=desc, parameters=spl)


# --- writing ---------------------------------------------------------------------------------
def _is_linear(v: np.ndarray) -> bool:
    """True if the reader's IDX reconstruction gives back exactly these values."""
    if len(v) < 2:
        return True
    return bool(np.array_equal(np.linspace(v[0], v[0] + (v[-1] - v[0]), len(v)), v))


def _fmt(value: Any) -> str:
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    text = str(value).replace("'", "").replace("\n", " ")
    return text if text and text.replace("_", "").isalnum() else "'" + text + "'"


def write_bes3t(path: str | Path, x: np.ndarray, data: np.ndarray, *, y: np.ndarray | None = None,
                x_name: str = "Magnetic Field", x_unit: str = "G", y_name: str = "", y_unit: str = "",
                data_name: str = "Intensity", data_unit: str = "", title: str = "spinbench",
                parameters: dict[str, Any] | None = None) -> tuple[Path, Path]:
    """Write ``data`` ((nx,) or (ny, nx), real or complex) against axis ``x`` (and ``y``).

    Axes are stored as IDX when exactly linear, else as IGD axis files (float64); data are
    float64 big-endian, so a read returns identical numbers."""
    x = np.asarray(x, float)
    data = np.asarray(data)
    if data.ndim not in (1, 2) or data.shape[-1] != len(x):
        raise ValueError(f"data shape {data.shape} does not match an x axis of {len(x)} points")
    if data.ndim == 2 and (y is None or len(y) != data.shape[0]):
        raise ValueError(f"2-D data {data.shape} needs a y axis of {data.shape[0]} values")
    cplx = np.iscomplexobj(data)
    dsc = Path(path).with_suffix(".DSC")
    dsc.parent.mkdir(parents=True, exist_ok=True)
    lines = ["#DESC\t1.2 * DESCRIPTOR INFORMATION ***********************", "*",
             "*\tDataset Type and Format:", "*", "DSRC\tEXP", "BSEQ\tBIG", f"IKKF\t{'CPLX' if cplx else 'REAL'}"]
    axes: list[tuple[str, np.ndarray | None, str, str]] = [("X", x, x_name, x_unit),
                                                           ("Y", None if y is None else np.asarray(y, float), y_name,
                                                            y_unit)]
    for letter, v, _, _ in axes:
        lines.append(f"{letter}TYP\t{'NODATA' if v is None else ('IDX' if _is_linear(v) else 'IGD')}")
    lines.append("ZTYP\tNODATA")
    lines += ["*", "*\tItem Formats:", "*", "IRFMT\tD"] + (["IIFMT\tD"] if cplx else [])
    for letter, v, _, _ in axes:
        axis_file = dsc.with_suffix(f".{letter}GF")
        if v is not None and not _is_linear(v):
            lines.append(f"{letter}FMT\tD")
            v.astype(">f8").tofile(axis_file)
        elif axis_file.exists():  # left by an earlier export under this name: it would mislead
            axis_file.unlink()
    lines += ["*", "*\tData Ranges and Resolutions:", "*"]
    for letter, v, _, _ in axes:
        if v is not None:
            lines.append(f"{letter}PTS\t{len(v)}")
            lines.append(f"{letter}MIN\t{_fmt(float(v[0]))}")
            lines.append(f"{letter}WID\t{_fmt(float(v[-1] - v[0]))}")
    lines += ["*", "*\tDocumentational Text:", "*", f"TITL\t{_fmt(title)}", f"IRNAM\t{_fmt(data_name)}"]
    if cplx:
        lines.append(f"IINAM\t{_fmt(data_name + ' (imaginary)')}")
    for letter, v, name, unit in axes:
        if v is not None:
            lines += [f"{letter}NAM\t{_fmt(name)}", f"{letter}UNI\t{_fmt(unit)}"]
    lines += [f"IRUNI\t{_fmt(data_unit)}"] + ([f"IIUNI\t{_fmt(data_unit)}"] if cplx else [])
    now = _dt.datetime.now()
    lines += ["*", "*" * 60, "*", "#SPL\t1.2 * STANDARD PARAMETER LAYER", "*", "OPER\tspinbench",
              f"DATE\t{now:%m/%d/%y}", f"TIME\t{now:%H:%M:%S}"]
    for key, value in (parameters or {}).items():
        lines.append(f"{key}\t{_fmt(value)}")
    lines += ["*", "*" * 60]
    dsc.write_text("\n".join(lines) + "\n", encoding="latin-1")
    flat = data.reshape(-1)
    out = np.empty(flat.size * (2 if cplx else 1), dtype=">f8")
    if cplx:
        out[0::2], out[1::2] = flat.real, flat.imag
    else:
        out[:] = flat
    dta = dsc.with_suffix(".DTA")
    out.tofile(dta)
    return dsc, dta


def bes3t_files(dsc: str | Path) -> list[Path]:
    """Every file of one BES3T data set: the .DSC, the .DTA and the .XGF/.YGF axis files its
    descriptor uses (IGD axes)."""
    dsc = Path(dsc)
    desc, _ = parse_dsc(dsc.read_text(encoding="latin-1"))
    files = [dsc, dsc.with_suffix(".DTA")]
    files += [dsc.with_suffix(f".{letter}GF") for letter in "XY" if desc.get(f"{letter}TYP") == "IGD"]
    return files
