"""Bruker ESP and WinEPR/Simfonia spectra (.par parameters + .spc data).

Format facts used (Bruker ESP 300E user's manual, parameter mnemonics; Bruker WinEPR/Simfonia
"file format" notes):
- The .par is text, one 'KEY value' per line (CR, LF or CR LF); '*' lines are comments.
- Dialect: a WinEPR file has a 'DOS Format' line (and ANZ, the number of values); its .spc is
  little-endian float32. An ESP-300 file has neither; its .spc is big-endian int32.
- Points: SSX (x) and SSY (y, 2-D), else ANZ, else RES, else the file size / 4.
- Abscissa: XXLB (first value) + XXWI (width) in XXUN (WinEPR); else GST + GSI (sweep start and
  width, G); else HCF +- HSW/2 (centre field and sweep width, G). 2-D: XYLB + XYWI in XYUN.
- Acquisition: MF GHz, MP mW, RMA G (modulation amplitude, peak-to-peak), RMF kHz, RTC ms (time
  constant), RCT ms (conversion time), RRG receiver gain (linear; BES3T RCAG is dB), RHA harmonic, RPH deg, JNS scans,
  TE K, JCO comment, JDA/JTM date/time. WinEPR also stores MIN/MAX of the data.
These are mapped to the BES3T standard-parameter names in SI (MWFQ, MWPW, B0MA, ...).
"""
from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np

from formats.dataset import Axis, Dataset, FormatError, Ordinate
from formats.si import si_unit

#: ESP/WinEPR key -> (BES3T name, factor to SI)
PARAMETER_MAP = {"MF": ("MWFQ", 1e9), "MP": ("MWPW", 1e-3), "RMA": ("B0MA", 1e-4), "RMF": ("B0MF", 1e3),
                 "RTC": ("RCTC", 1e-3), "RCT": ("SPTP", 1e-3), "RHA": ("RCHM", 1.0),
                 "RPH": ("RCPH", 1.0), "JNS": ("AVGS", 1.0), "TE": ("STMP", 1.0), "HCF": ("A1CT", 1e-4),
                 "HSW": ("A1SW", 1e-4), "RES": ("A1RS", 1.0)}


def parse_par(text: str) -> dict[str, str]:
    """Keys and values of a .par file (first occurrence of a key wins)."""
    out: dict[str, str] = {}
    for line in re.split(r"\r\n|\r|\n", text):
        line = line.strip()
        if not line or line.startswith("*"):
            continue
        key, _, value = line.partition(" ")
        out.setdefault(key, value.strip())
    return out


def _float(par: dict[str, str], key: str, path: Path) -> float | None:
    if key not in par:
        return None
    try:
        return float(par[key])
    except ValueError:
        raise FormatError(f"{path}: ESP/WinEPR parameter {key} = {par[key]!r} is not a number") from None


def _companion(path: Path, suffix: str) -> Path:
    return next((p for p in (path.with_suffix(suffix.upper()), path.with_suffix(suffix.lower())) if p.exists()),
                path.with_suffix(suffix))


def load_esp(path: str | Path) -> Dataset:
    """Read an ESP or WinEPR .par/.spc pair (either name may be given)."""
    path = Path(path)
    par_path, spc_path = _companion(path, ".par"), _companion(path, ".spc")
    for p in (par_path, spc_path):
        if not p.exists():
            raise FormatError(f"{path}: expected a Bruker ESP/WinEPR .par/.spc pair, but {p.name} is missing")
    text = par_path.read_bytes().decode("latin-1")
    if "#DESC" in text[:200]:
        raise FormatError(f"{par_path}: expected ESP/WinEPR parameters, found a BES3T descriptor (#DESC); "
                          f"read it as BES3T (.DSC/.DTA)")
    par = parse_par(text)
    if not any(k in par for k in ("ANZ", "RES", "SSX", "GST", "HCF", "XXLB", "MF")):
        first = text.strip()[:40].splitlines()[0] if text.strip() else "an empty file"
        raise FormatError(f"{par_path}: expected ESP/WinEPR parameters (keys such as MF, HCF, RES or ANZ), "
                          f"found {first!r}")
    winepr = "DOS" in par or "ANZ" in par
    dialect = "WinEPR" if winepr else "ESP"
    dtype = np.dtype("<f4" if winepr else ">i4")
    raw = spc_path.read_bytes()
    if len(raw) % 4:
        raise FormatError(f"{spc_path}: {len(raw)} bytes is not a whole number of 4-byte {dialect} values")
    data = np.frombuffer(raw, dtype).astype(float)
    nx_f, ny_f = _float(par, "SSX", par_path), _float(par, "SSY", par_path)
    ny = int(ny_f) if ny_f and ny_f > 1 else 1
    total = _float(par, "ANZ", par_path) or (_float(par, "RES", par_path) if ny == 1 else None)
    nx = int(nx_f) if nx_f else int(total / ny) if total else len(data) // ny
    if nx * ny > len(data) or (winepr and nx * ny != len(data)):
        raise FormatError(f"{spc_path}: {len(data)} values in the file, but the .par says {nx} x {ny} points")
    data = data[: nx * ny]  # ESP files are padded to a whole block
    axes = [_x_axis(par, nx, par_path)]
    if ny > 1:
        y0, yw = _float(par, "XYLB", par_path), _float(par, "XYWI", par_path)
        unit, factor = si_unit(par.get("XYUN", ""))
        values = np.linspace(y0, y0 + yw, ny) if y0 is not None and yw is not None else np.arange(ny, dtype=float)
        axes.append(Axis(values * factor, par.get("JEY", "y"), unit))
    params: dict[str, float | str] = {}
    for key, (name, factor) in PARAMETER_MAP.items():
        value = _float(par, key, par_path)
        if value is not None:
            params[name] = value * factor
    gain = _float(par, "RRG", par_path)
    if gain is not None and gain > 0:
        params["RCAG"] = 20.0 * math.log10(gain)  # BES3T receiver gain is in dB, ESP's RRG is linear
    if "MP" in par and ny > 1 and axes[1].unit == "dB":
        params["MWPW_FIRST_SLICE"] = params["MWPW"]  # MP is the power of the first slice of a power sweep
    params["EXPT"] = "CW"
    params["TITL"] = par.get("JCO", par_path.stem)
    if "JDA" in par:
        params["DATE"] = par["JDA"]
    if "JTM" in par:
        params["TIME"] = par["JTM"]
    ordinate = Ordinate(data.reshape(ny, nx) if ny > 1 else data, "intensity", "")
    return Dataset(tuple(axes), (ordinate,), params, dialect, par_path, str(params["TITL"]), par)


def _x_axis(par: dict[str, str], nx: int, path: Path) -> Axis:
    lb, wi = _float(par, "XXLB", path), _float(par, "XXWI", path)
    if lb is not None and wi is not None:
        unit, factor = si_unit(par.get("XXUN", "G"))
        return Axis(np.linspace(lb, lb + wi, nx) * factor, par.get("JEX", "field"), unit)
    gst, gsi = _float(par, "GST", path), _float(par, "GSI", path)
    if gst is not None and gsi is not None:
        return Axis(np.linspace(gst, gst + gsi, nx) * 1e-4, "field", "T")
    hcf, hsw = _float(par, "HCF", path), _float(par, "HSW", path)
    if hcf is not None and hsw is not None:
        return Axis(np.linspace(hcf - hsw / 2, hcf + hsw / 2, nx) * 1e-4, "field", "T")
    return Axis(np.arange(nx, dtype=float), "index", "")
