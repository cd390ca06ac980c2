"""Bruker TopSpin (XWIN-NMR) raw time-domain data: an experiment folder with ``fid`` (1-D) or
``ser`` (2-D) and ``acqus`` (+ ``acqu2s``, whose TD is the number of FIDs set up), optionally a
``vdlist``.

Format facts used (Bruker TopSpin "Acquisition Reference" and "Parameters and Files" manuals;
the parameter files are JCAMP-DX 5, McDonald & Wilks, Appl. Spectrosc. 42, 151 (1988)):
- acqus lines '##$NAME= value'; an array value reads '(0..n)' followed by its values on the next
  lines. TD = points per FID counting real and imaginary, SW_h = spectral width (Hz, the complex
  sampling rate), SFO1 = observe frequency (MHz), BYTORDA 0 little / 1 big endian, DTYPA 0 int32 /
  2 float64, NS scans, TE temperature (K), GRPDLY = digital-filter group delay in points
  (absent or -1 in files from before TopSpin 2; those need DECIM/DSPFVS tables and are refused).
- fid/ser: real and imaginary parts interleaved; in a ser file every FID starts on a 1024-byte
  boundary (TD rounded up to a multiple of 256 values for int32, 128 for float64).
- The digital filter delays the echo of t = 0 by GRPDLY points: the time axis starts at
  -GRPDLY / SW_h, so the true t = 0 is where the axis is 0 (no data are cut).
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from formats.dataset import Axis, Dataset, FormatError, Ordinate

_UNITS = {"u": 1e-6, "m": 1e-3, "s": 1.0, "": 1.0}


def parse_jcamp(text: str) -> dict[str, str | list[str]]:
    """'##$NAME= value' entries of an acqus file; arrays '(0..n)' as lists of strings."""
    out: dict[str, str | list[str]] = {}
    key = None
    for line in text.splitlines():
        if line.startswith("##"):
            name, _, value = line[2:].partition("=")
            key = name.lstrip("$").strip()
            value = value.strip()
            out[key] = [] if re.fullmatch(r"\(\d+\.\.\d+\)", value) else value
        elif line.startswith("$$"):
            continue
        elif key is not None and isinstance(out.get(key), list):
            out[key].extend(line.split())  # type: ignore[union-attr]
    return out


def _num(acq: dict, key: str, path: Path) -> float:
    if key not in acq:
        raise FormatError(f"{path}: TopSpin acqus without ##${key}")
    try:
        return float(acq[key])  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise FormatError(f"{path}: ##${key}= {acq[key]!r} is not a number") from None


def _folder(path: Path) -> Path:
    return path if path.is_dir() else path.parent


def read_vdlist(path: Path) -> np.ndarray:
    """Variable delays (s) of a vdlist: one per line, optional suffix u, m or s."""
    values = []
    for line in path.read_text(encoding="latin-1").split():
        m = re.fullmatch(r"([-+]?[\d.]+(?:[eE][-+]?\d+)?)([ums]?)", line.strip())
        if not m:
            raise FormatError(f"{path}: cannot read {line!r} as a delay (number with optional u, m or s)")
        values.append(float(m.group(1)) * _UNITS[m.group(2)])
    return np.array(values)


def load_topspin(path: str | Path) -> Dataset:
    """Read a TopSpin experiment folder (or its fid, ser or acqus file)."""
    folder = _folder(Path(path))
    acqus = folder / "acqus"
    if not acqus.exists():
        raise FormatError(f"{path}: expected a Bruker TopSpin experiment folder with an 'acqus' file, found none")
    acq = parse_jcamp(acqus.read_text(encoding="latin-1"))
    if "TD" not in acq or "SW_h" not in acq:
        raise FormatError(f"{acqus}: expected TopSpin acquisition parameters (##$TD, ##$SW_h), found neither")
    td, sw = int(_num(acq, "TD", acqus)), _num(acq, "SW_h", acqus)
    order = {0: "<", 1: ">"}.get(int(_num(acq, "BYTORDA", acqus)))
    kind = {0: "i4", 2: "f8"}.get(int(float(acq.get("DTYPA", 0))))  # type: ignore[arg-type]
    if order is None or kind is None:
        raise FormatError(f"{acqus}: BYTORDA {acq.get('BYTORDA')} / DTYPA {acq.get('DTYPA')}; expected 0 or 1 / "
                          f"0 (int32) or 2 (float64)")
    dtype = np.dtype(order + kind)
    grpdly = float(acq.get("GRPDLY", -1))  # type: ignore[arg-type]
    if grpdly < 0 and int(float(acq.get("DSPFVS", 0))) >= 10:  # type: ignore[arg-type]
        raise FormatError(f"{acqus}: digitally filtered data (DSPFVS {acq.get('DSPFVS')}, DECIM {acq.get('DECIM')}) "
                          f"without ##$GRPDLY: the group delay of pre-TopSpin-2 files is not supported")
    grpdly = max(grpdly, 0.0)
    ser, fid = folder / "ser", folder / "fid"
    data_file = ser if ser.exists() else fid
    if not data_file.exists():
        raise FormatError(f"{folder}: TopSpin folder without a 'fid' or 'ser' data file")
    raw = np.fromfile(data_file, dtype).astype(float)
    axes = []
    t = (np.arange(td // 2) - grpdly) / sw
    if data_file.name == "ser":
        block = int(np.ceil(td * dtype.itemsize / 1024) * 1024 // dtype.itemsize)
        if len(raw) % block:
            raise FormatError(f"{data_file}: {len(raw)} values are not whole FIDs of TD = {td} "
                              f"(each padded to {block} values)")
        rows = raw.reshape(-1, block)[:, :td]
        acqu2s = folder / "acqu2s"
        if acqu2s.exists():  # TD of the indirect dimension: the FIDs the experiment was set up for
            td2 = int(_num(parse_jcamp(acqu2s.read_text(encoding="latin-1")), "TD", acqu2s))
            if len(rows) > td2:
                raise FormatError(f"{data_file}: {len(rows)} FIDs, but acqu2s says TD = {td2}")
            params_2d = {"TD2": float(td2)}  # fewer rows than TD2: an experiment stopped early
        else:
            params_2d = {}
        values = rows[:, 0::2] + 1j * rows[:, 1::2]
        vd = folder / "vdlist"
        y = read_vdlist(vd) if vd.exists() else np.array([])
        yaxis = (Axis(y[: len(values)], "vd", "s") if len(y) >= len(values)
                 else Axis(np.arange(len(values), dtype=float), "increment", ""))
        axes = [Axis(t, "time", "s"), yaxis]
    else:
        if len(raw) < td:
            raise FormatError(f"{data_file}: {len(raw)} values, but TD = {td}")
        values = raw[0:td:2] + 1j * raw[1:td:2]
        axes = [Axis(t, "time", "s")]
        params_2d = {}
    params: dict[str, float | str] = {"EXPT": "PLS", "GRPDLY": grpdly, "SW_h": sw, **params_2d}
    for key, name, factor in (("SFO1", "SFO1", 1e6), ("NS", "AVGS", 1.0), ("TE", "STMP", 1.0)):
        if key in acq:
            params[name] = _num(acq, key, acqus) * factor
    params["PULPROG"] = str(acq.get("PULPROG", "")).strip("<>")
    params["TITL"] = params["PULPROG"] or folder.name
    raw_params = {k: (" ".join(v) if isinstance(v, list) else v) for k, v in acq.items()}
    return Dataset(tuple(axes), (Ordinate(values, "FID", ""),), params, "TopSpin", data_file,
                   str(params["TITL"]), raw_params)
