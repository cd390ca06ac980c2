"""A run's spectra as files other tools open: Bruker BES3T (Xepr, EasySpin) and CSV.

Spectra: one per trace for multi-trace runs (maps, series, rotations), else the scan-averaged
sweep. BES3T abscissae are written in G (the Xepr convention; 1 G = 1e-4 T exactly as data,
converted only here at the edge) and acquisition parameters go to the #SPL layer in SI units.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sequences.experiment import RunData
from formats.bes3t_write import write_bes3t
from formats.csvfile import write_csv

T_PER_G = 1e-4
#: Per-trace variables worth naming in the file, in order of preference for a 2-D y axis.
OUTER = (("frequency", "Hz", "MWFQ"), ("temperature_set", "K", "STMP"), ("angle", "deg", "GONANGLE"),
         ("power", "W", "MWPW"))


@dataclass
class Spectrum:
    label: str
    field: np.ndarray  # T
    x: np.ndarray
    y: np.ndarray
    info: dict[str, float] = field(default_factory=dict)


def measured_field(run: RunData) -> np.ndarray:
    """Per point, the measured field the run's own analysis used (its experiment's
    ``analysis_field``: Hall readings regressed on the setpoints, lock-in lag corrected), so that
    a re-fit of the export finds the run's result; the raw readings for other experiments."""
    from sequences.experiments import EXPERIMENTS

    cls = EXPERIMENTS.get(str(run.metadata.get("experiment")))
    analysis_field = getattr(cls, "analysis_field", None)
    return np.asarray(analysis_field(run) if analysis_field else run["field"], float)


def run_spectra(run: RunData, axis: str = "measured") -> list[Spectrum]:
    """Spectra of a run; ``axis`` 'measured' (the measured field as the run's analysis used it:
    :func:`measured_field`) or 'setpoint'."""
    if axis not in ("measured", "setpoint"):
        raise ValueError(f"axis {axis!r}: use 'measured' or 'setpoint'")
    for need in ("field", "field_set", "x"):
        if need not in run.columns:
            raise ValueError(f"this run has no {need!r} column: only field-swept runs export as spectra "
                             f"(columns: {', '.join(run.columns)})")
    field_axis = measured_field(run) if axis == "measured" else np.asarray(run["field_set"], float)
    y_all = run["y"] if "y" in run.columns else np.zeros_like(run["x"])
    out = []
    if "trace" in run.columns:
        trace = run["trace"].astype(int)
        for t in np.unique(trace[trace >= 0]):
            idx = np.flatnonzero(trace == t)
            idx = idx[np.argsort(run["field_set"][idx], kind="stable")]
            info = {name: float(run[name][idx[0]]) for name, _, _ in OUTER if name in run.columns}
            out.append(Spectrum(f"t{int(t):03d}", field_axis[idx], run["x"][idx], y_all[idx], info))
        return out
    index = run["index"].astype(int) if "index" in run.columns else np.arange(len(run["x"]))
    n = int(index.max()) + 1 if len(index) else 0
    counts = np.bincount(index, minlength=n)
    keep = counts > 0
    mean = lambda v: np.bincount(index, weights=v, minlength=n)[keep] / counts[keep]  # noqa: E731
    b, x, y, bset = mean(field_axis), mean(run["x"]), mean(y_all), mean(run["field_set"])
    order = np.argsort(bset, kind="stable")
    info = {name: float(run.parameters[name]) for name, _, _ in OUTER if name in run.parameters
            and isinstance(run.parameters[name], (int, float))}
    return [Spectrum("", b[order], x[order], y[order], info)]


def spl_parameters(run: RunData, spectrum: Spectrum) -> dict[str, Any]:
    """Standard-parameter-layer entries (SI) from the run's parameters and the trace's variables."""
    p = run.parameters
    spl: dict[str, Any] = {"EXPT": "CW", "OXS1": "IADC", "AXS1": "B0VL", "AXS2": "NONE"}
    f = spectrum.info.get("frequency", p.get("frequency"))
    if isinstance(f, (int, float)):
        spl["MWFQ"] = float(f)
    pw = spectrum.info.get("power", p.get("power"))
    if isinstance(pw, (int, float)):
        spl["MWPW"] = float(pw)
    spl["A1CT"] = float(0.5 * (spectrum.field.min() + spectrum.field.max()))
    spl["A1SW"] = float(np.ptp(spectrum.field))
    spl["A1RS"] = len(spectrum.field)
    for key, name in (("B0MF", "mod_frequency"), ("RCTC", "time_constant"), ("RCPH", "phase")):
        if isinstance(p.get(name), (int, float)):
            spl[key] = float(p[name])
    if isinstance(p.get("mod_amplitude"), (int, float)):
        spl["B0MA"] = 2.0 * float(p["mod_amplitude"])  # Bruker: peak-to-peak; spinbench: peak
    if isinstance(p.get("harmonic"), (int, float)):
        spl["RCHM"] = int(p["harmonic"])
    spl["AVGS"] = int(p.get("scans", 1)) if isinstance(p.get("scans", 1), (int, float)) else 1
    if "temperature_set" in spectrum.info:
        spl["STMP"] = spectrum.info["temperature_set"]
    if "angle" in spectrum.info:
        spl["GONANGLE"] = spectrum.info["angle"]
    return spl


def export_bes3t(run: RunData, out_dir: str | Path, stem: str, *, axis: str = "measured",
                 channels: str = "x") -> list[Path]:
    """Write the run's spectra; returns the .DSC paths. ``channels`` 'x' (real) or 'xy' (complex).

    With ``axis='setpoint'`` and traces sharing one field axis, a single 2-D file is written
    (y axis: the first per-trace variable that changes)."""
    if channels not in ("x", "xy"):
        raise ValueError(f"channels {channels!r}: use 'x' or 'xy'")
    spectra = run_spectra(run, axis)
    if not spectra:
        raise ValueError("the run has no data to export")
    title = str(run.metadata.get("title") or run.metadata.get("experiment") or "spinbench run")
    out_dir = Path(out_dir)
    value = lambda s: s.x + 1j * s.y if channels == "xy" else s.x  # noqa: E731
    same_axis = len(spectra) > 1 and all(np.array_equal(s.field, spectra[0].field) for s in spectra)
    if axis == "setpoint" and same_axis:
        name, unit, _ = next(((n, u, k) for n, u, k in OUTER
                              if len({s.info.get(n) for s in spectra}) == len(spectra)), ("trace", "", ""))
        yv = np.array([s.info.get(name, i) for i, s in enumerate(spectra)], float)
        dsc, _ = write_bes3t(out_dir / stem, spectra[0].field / T_PER_G, np.array([value(s) for s in spectra]),
                             y=yv, y_name=name, y_unit=unit, title=title,
                             parameters=spl_parameters(run, spectra[0]))
        return [dsc]
    paths = []
    for s in spectra:
        target = out_dir / (f"{stem}_{s.label}" if s.label else stem)
        dsc, _ = write_bes3t(target, s.field / T_PER_G, value(s), title=f"{title} {s.label}".strip(),
                             parameters=spl_parameters(run, s))
        paths.append(dsc)
    return paths


def export_csv(run: RunData, path: str | Path, units: dict[str, str] | None = None) -> Path:
    """All per-point scalar columns, with experiment, parameters and results as header comments."""
    cols = {k: v for k, v in run.columns.items() if np.asarray(v).ndim == 1}
    meta = {"experiment": run.metadata.get("experiment", ""), "title": run.metadata.get("title", ""),
            "status": run.status, "parameters": run.parameters,
            "results": {k: v for k, v in run.results.items()}}
    return write_csv(path, cols, units or {}, meta)
