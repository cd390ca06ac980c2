"""``spinbench analyse FILE``: read any spectrum file spinbench knows (BES3T, ESP/WinEPR,
Magnettech XML, SpecMan, TopSpin, text/CSV), pick the analysis from the file's parameters,
print the results with uncertainties, write a PNG, optionally one JSON object for scripts."""
from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    from analysis.model_names import GEOMETRIES, MODELS
    from app.file_analysis_kinds import CHANNELS, KINDS

    p = subparsers.add_parser("analyse", help="analyse a spectrum file from any supported spectrometer",
                              description="Read a spectrum file (Bruker BES3T .DSC/.DTA, ESP/WinEPR .par/.spc, "
                                          "Magnettech .xml, SpecMan .d01/.exp, TopSpin fid/ser folder, text/CSV), "
                                          "choose the analysis from its parameters and print the results.")
    p.add_argument("file", help="the data file (either file of a pair) or a TopSpin experiment folder")
    p.add_argument("--kind", choices=KINDS, help="analysis to run (default: chosen from the file); powder (only when asked): the principal "
                        "g-values g1 <= g2 <= g3 and widths of a powder / frozen-solution spectrum")
    p.add_argument("--channel", choices=CHANNELS, default="auto",
                   help="which channel of complex data: x, y, magnitude, or auto (phase rotated onto the channel "
                        "with the most signal; default)")
    p.add_argument("--model", choices=("auto",) + tuple(MODELS), default="auto", help="cw line model (default auto)")
    p.add_argument("--reference", metavar="STD",
                   help="cw: correct the field axis with a standard recorded in the same spectrum: dpph, g=VALUE "
                        "or marker=FIELD (the raw g is reported too)")
    p.add_argument("--reference-file", metavar="FILE",
                   help="with --reference: the standard's own spectrum, recorded with the same field controller")
    p.add_argument("--hyperfine", metavar="NUCLEI",
                   help="cw: fit one isotropic hyperfine multiplet, e.g. 14N, 1Hx2, 14N,1Hx2, 55Mn, Cu, Er "
                        "(g, A in T and as A/h in Hz; second order for single nuclei)")
    p.add_argument("--geometry", default="in-plane", choices=GEOMETRIES,
                   help="FMR sets (2-D, frequency axis): sample geometry of the Kittel fit (default in-plane)")
    p.add_argument("--fit-offset", action="store_true",
                   help="FMR sets: fit an additional anisotropy/offset field in the Kittel formula")
    p.add_argument("--baseline", type=int, metavar="ORDER",
                   help="cw, powder: subtract a polynomial baseline of this order fitted outside the lines")
    p.add_argument("--spin-reference", metavar="FILE",
                   help="cw: count spins against this reference spectrum (same analysis, known spin number)")
    p.add_argument("--reference-spins", type=float, metavar="N", help="number of spins in the reference sample")
    p.add_argument("--stretched", action="store_true",
                   help="echo decays: fit a stretched exponential exp(-(t/T)^beta) (spectral diffusion); a baseline "
                        "is always fitted")
    p.add_argument("--map-units", metavar="LENGTH,FIELD",
                   help="units of a MATLAB field map (.mat stores none), e.g. m,mT")
    p.add_argument("--png", help="where to write the plot (default: next to the file)")
    p.add_argument("--json", action="store_true", help="print one JSON object with every result instead of text")
    p.set_defaults(func=cmd_analyse)


def jsonable(value: Any) -> Any:
    """Results as JSON: fits as {value, error, unit}; NaN errors as null."""
    from sequences.experiment import FitValue  # numpy: only once there are results

    if isinstance(value, FitValue):
        err = float(value.error)
        return {"value": float(value.value), "error": err if math.isfinite(err) else None, "unit": value.unit}
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def describe_axes(d) -> str:
    return "; ".join(f"{a.name or 'axis'} {a.values[0]:.6g} .. {a.values[-1]:.6g} {a.unit} ({len(a)} points)"
                     for a in d.axes)


def format_table(rows: list[dict[str, Any]]) -> str:
    """One line per slice of a 2-D file: its y value, then its results."""
    from app.cli import format_results

    lines = []
    for row in rows:
        (yname, yvalue), *rest = row.items()
        shown = format_results({yname: yvalue}).split(None, 1)[1]
        body = "; ".join(" ".join(line.split()) for line in format_results(dict(rest)).splitlines())
        lines.append(f"  {shown:>12s}: {body or 'no line'}")
    return "\n".join(lines)


def print_analysis(out: Any, indent: str = "") -> None:
    """Results, per-slice table, notes and warnings of a file analysis."""
    from app.cli import format_results

    if out.results:
        print(f"{indent}results:")
        print(format_results(out.results))
    if out.table:
        print(f"{indent}per slice:")
        print(format_table(out.table))
    for note in out.notes:
        print(f"{indent}note:     {note}")
    for warning in out.warnings:
        print(f"{indent}warning:  {warning}")


def add_spin_count(out: Any, d: Any, args: argparse.Namespace) -> None:
    """Analyse the reference the same way and add the sample's spin count to the results."""
    from app.file_analysis import analyse_dataset
    from app.spin_counting import count_spins
    from formats import load

    ref = load(args.spin_reference)
    ref_out = analyse_dataset(ref, out.kind, args.channel, args.model, args.baseline)
    key = "double_integral_numeric"
    for name, o in (("sample", out), ("reference", ref_out)):
        if key not in o.results:
            raise ValueError(f"spin count: the {name} spectrum has no line to integrate "
                             f"({'; '.join(o.warnings) or 'not a 1-D cw spectrum'})")
    spins, notes = count_spins(d, out.results[key], ref, ref_out.results[key], args.reference_spins)
    out.results["spins"] = spins
    out.notes += notes


def cmd_analyse(args: argparse.Namespace) -> int:
    from app.file_analysis import analyse_dataset
    from app.file_plot import plot_file
    from formats import load

    path = Path(args.file)
    from app.file_analysis_map import analyse_field_map, is_field_map

    if is_field_map(path):  # a measured magnet field map, not a spectrum
        return analyse_field_map(args)
    if (args.spin_reference is None) != (args.reference_spins is None):
        raise ValueError("--spin-reference FILE and --reference-spins N go together")
    if args.reference_file and not args.reference:
        raise ValueError("--reference-file FILE needs --reference (dpph, g=VALUE or marker=FIELD)")
    d = load(path)
    standard = load(args.reference_file) if args.reference_file else None
    out = analyse_dataset(d, args.kind, args.channel, args.model, args.baseline, args.reference,
                          args.hyperfine, args.geometry, args.fit_offset, standard, args.stretched)
    if args.spin_reference:
        add_spin_count(out, d, args)
    png = Path(args.png) if args.png else (path if path.is_file() else path / "spectrum").with_suffix(".png")
    plot_file(d, out.signal, out.curves, f"{d.title or path.name} — {out.kind}", png)
    if args.json:
        from app.show_json import emit

        emit({"file": str(path), "format": d.format, "title": d.title, "kind": out.kind,
              "kind_reason": out.reason, "channel": out.channel, "status": "ok",
              "results": jsonable(out.results), "per_slice": jsonable(out.table),
              "notes": out.notes, "warnings": out.warnings, "plot": str(png)})
        return 0
    print(f"{path}: {d.title} ({d.format})")
    print(f"  axes     {describe_axes(d)}")
    print(f"  analysis {out.kind} ({out.reason}); channel {out.channel}")
    print_analysis(out)
    print(f"plot:     {png}")
    return 0
