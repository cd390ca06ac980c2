"""``spinbench export RUN.h5 --format bes3t|csv``: a run's spectra for Xepr/EasySpin or any tool."""
from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("export", help="export a run or spectrum file as Bruker BES3T (.DSC/.DTA) or CSV",
                              description="Write a run's spectra as Bruker BES3T files (one .DSC/.DTA pair per "
                                          "trace, field axis in G as Xepr writes it) or all its columns as CSV.")
    p.add_argument("file", help="run file (.h5) or a spectrum file of any format 'spinbench analyse' reads")
    p.add_argument("--format", required=True, choices=("bes3t", "csv"), help="output format")
    p.add_argument("--out", help="output directory (default: next to the run file)")
    p.add_argument("--axis", choices=("measured", "setpoint"), default="measured",
                   help="BES3T field axis: the measured (Hall) field as the run's result used it (regressed on the "
                        "setpoints, lag corrected) or the setpoints; with 'setpoint' traces "
                        "sharing one axis become a single 2-D file (default: measured)")
    p.add_argument("--channels", choices=("x", "xy"), default="x",
                   help="BES3T ordinate: lock-in X only, or X + iY as complex data (default: x)")
    p.set_defaults(func=cmd_export)


def column_units(run) -> dict[str, str]:
    """Units of the run's columns from its experiment (empty if the experiment is unknown)."""
    from sequences.experiments import EXPERIMENTS

    cls = EXPERIMENTS.get(str(run.metadata.get("experiment")))
    if cls is None:
        return {}
    try:
        known = {p.name for p in cls.parameters}
        exp = cls(**{k: v for k, v in run.parameters.items() if k in known})
        return {c.name: c.unit for c in exp.columns()}
    except Exception:
        return {}


def cmd_export(args: argparse.Namespace) -> int:
    from app.storage import read_run
    from formats import bes3t_files
    from app.run_export import export_bes3t, export_csv
    from app.foreign_files import export_file, is_run_file

    src = Path(args.file)
    if not is_run_file(src):  # a spectrum file from another spectrometer
        for path in export_file(src, args.format, args.out):
            print(f"wrote {path}" + (f" + {path.with_suffix('.DTA').name}" if path.suffix == ".DSC" else ""))
        return 0
    run = read_run(src)
    out_dir = Path(args.out) if args.out else src.parent
    if args.format == "csv":
        path = export_csv(run, out_dir / (src.stem + ".csv"), column_units(run))
        print(f"wrote {path}")
        return 0
    paths = export_bes3t(run, out_dir, src.stem, axis=args.axis, channels=args.channels)
    for p in paths:  # the data set's files: .DSC, .DTA and, for non-linear axes, .XGF/.YGF
        first, *rest = bes3t_files(p)
        print(f"wrote {first}" + "".join(f" + {f.name}" for f in rest))
    return 0
