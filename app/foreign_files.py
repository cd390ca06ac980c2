"""``spinbench show`` and ``spinbench export`` for spectrum files from other spectrometers (any
format ``formats.load`` reads); spinbench's own HDF5 run files keep their own path."""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from formats import Dataset, load, write_bes3t, write_csv

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
#: parameters shown by ``show``, in this order: (BES3T name, label, display factor, unit)
SHOWN = (("MWFQ", "microwave frequency", 1e-9, "GHz"), ("MWPW", "microwave power", 1e3, "mW"),
         ("B0MA", "modulation (pp)", 1e3, "mT"), ("B0MF", "modulation freq.", 1e-3, "kHz"),
         ("RCTC", "time constant", 1e3, "ms"), ("RCHM", "harmonic", 1, ""), ("AVGS", "scans", 1, ""),
         ("STMP", "temperature", 1, "K"), ("SFO1", "observe frequency", 1e-6, "MHz"))
#: Xepr writes field axes in G; spinbench's export follows it (SI inside, G only in the file)
G_PER_T = 1e4


def is_run_file(path: str | Path) -> bool:
    """True for an HDF5 file (a spinbench run); a missing file counts as one, so the run path
    reports it as always."""
    p = Path(path)
    if not p.is_file():
        return not p.is_dir() and p.suffix.lower() in (".h5", ".hdf5")
    with p.open("rb") as fh:
        return fh.read(8) == HDF5_SIGNATURE


def show_file(args: argparse.Namespace) -> int:
    """Summary, parameters, analysis and plot of a foreign spectrum file."""
    from app.cli_analyse import describe_axes, print_analysis
    from app.file_analysis import analyse_dataset
    from app.file_plot import plot_file

    path = Path(args.file)
    d = load(path)
    print(f"{path}: {d.title} ({d.format} file)")
    print(f"  axes     {describe_axes(d)}")
    print(f"  data     {', '.join(f'{o.name or chr(34) * 2} [{o.unit}]' + (' complex' if np.iscomplexobj(o.values) else '') for o in d.ordinates)}")
    for key, label, factor, unit in SHOWN:
        value = d.parameter(key)
        if value is not None:
            print(f"  {label:20s} {value * factor:.10g} {unit}".rstrip())
    missing = [label for key, label, _, _ in SHOWN[:3] if d.parameter(key) is None]
    if missing:
        print(f"  not recorded in the file: {', '.join(missing)}")
    png = Path(args.png) if args.png else (path if path.is_file() else path / "spectrum").with_suffix(".png")
    try:
        out = analyse_dataset(d)
    except (ValueError, RuntimeError) as exc:
        print(f"  (no analysis: {exc})")
        plot_file(d, d.data.real if np.iscomplexobj(d.data) else d.data, {}, d.title or path.name, png)
    else:
        print(f"  analysis {out.kind} ({out.reason}); channel {out.channel}")
        print_analysis(out, "  ")
        plot_file(d, out.signal, out.curves, f"{d.title or path.name} — {out.kind}", png)
    print(f"  plot     {png}")
    return 0


def _numeric(d: Dataset) -> dict[str, float | str]:
    return {k: v for k, v in d.parameters.items() if isinstance(v, (int, float, str)) and k not in ("TITL",)
            and (not isinstance(v, str) or v)}


def export_file(src: str | Path, fmt: str, out_dir: str | Path | None) -> list[Path]:
    """Write a foreign spectrum file as BES3T (field axes in G, as Xepr does) or CSV (SI)."""
    d = load(src)
    src = Path(src)
    out = Path(out_dir) if out_dir else (src if src.is_dir() else src.parent)
    stem = src.name if src.is_dir() else src.stem
    if d.ndim > 2:
        raise ValueError(f"{src}: {d.ndim}-D data: export writes 1-D spectra and 2-D series")
    if fmt == "bes3t":
        x_factor, x_unit = (G_PER_T, "G") if d.x.unit == "T" else (1.0, d.x.unit)
        y = d.y
        dsc, _ = write_bes3t(out / (stem + "_export"), d.x.values * x_factor, d.data,
                             y=None if y is None else y.values, y_name=y.name if y else "", y_unit=y.unit if y else "",
                             x_name=d.x.name, x_unit=x_unit, data_name=d.ordinates[0].name or "Intensity",
                             data_unit=d.ordinates[0].unit, title=d.title or stem, parameters=_numeric(d))
        return [dsc]
    columns: dict[str, np.ndarray] = {}
    units: dict[str, str] = {}
    if d.ndim == 2:
        yy, xx = np.meshgrid(d.y.values, d.x.values, indexing="ij")
        columns[d.y.name or "y"], units[d.y.name or "y"] = yy.ravel(), d.y.unit
        columns[d.x.name or "x"], units[d.x.name or "x"] = xx.ravel(), d.x.unit
    else:
        columns[d.x.name or "x"], units[d.x.name or "x"] = d.x.values, d.x.unit
    for i, o in enumerate(d.ordinates):
        name = o.name or f"signal{i}"
        v = o.values.ravel()
        if np.iscomplexobj(v):
            columns[name + " re"], columns[name + " im"] = v.real, v.imag
            units[name + " re"] = units[name + " im"] = o.unit
        else:
            columns[name], units[name] = v, o.unit
    meta = {"source": str(src), "format": d.format, "title": d.title, "parameters": _numeric(d)}
    return [write_csv(out / (stem + "_export.csv"), columns, units, meta)]
