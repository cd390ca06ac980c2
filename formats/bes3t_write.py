"""Writing Bruker BES3T files (.DSC descriptor + .DTA data, .XGF/.YGF for non-linear axes) that
Xepr, EasySpin's ``eprload`` and dnplab read. Layout: Bruker "BES3T data file format" 1.2 (see
formats/bes3t.py for the facts used)."""
from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Any

import numpy as np

from formats.bes3t import parse_dsc


# --- writing ---------------------------------------------------------------------------------
#: An axis is written as linear (IDX: XMIN + XWID) when no value is further than this fraction of
#: a step from the straight line: floating-point round-off of a setpoint sweep (e.g. T -> G) must
#: not turn a linear sweep into an .XGF axis file (some readers, dnplab among them, need IDX).
LINEAR_TOLERANCE = 1e-6


def _is_linear(v: np.ndarray) -> bool:
    """True if the reader's IDX reconstruction gives these values back to LINEAR_TOLERANCE steps."""
    if len(v) < 2:
        return True
    line = np.linspace(v[0], v[-1], len(v))
    step = abs(v[-1] - v[0]) / (len(v) - 1)
    return bool(step > 0 and np.max(np.abs(v - line)) <= LINEAR_TOLERANCE * step)


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

    Axes are stored as IDX when linear (to a millionth of a step), else as IGD axis files
    (float64); data are float64 big-endian, so a read returns identical data."""
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
