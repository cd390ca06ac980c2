"""``spinbench reanalyse FOLDER/``: re-run the analysis of every run file and spectrum file in a
folder, in parallel (local processes or a Dask cluster, :mod:`app.compute`), into one summary
table (HDF5 written as results arrive, CSV at the end)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.compute import add_compute_options


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    from app.file_analysis_kinds import KINDS

    p = subparsers.add_parser("reanalyse", help="re-analyse every run/spectrum file in a folder (local or Dask)",
                              description="Analyse every spinbench run file (by its experiment) and every "
                                          "spectrum file spinbench reads (BES3T, ESP/WinEPR, Magnettech, SpecMan, "
                                          "TopSpin, text) under FOLDER; one row per file in summary.h5 and "
                                          "summary.csv.")
    p.add_argument("folder")
    p.add_argument("--kind", choices=KINDS, help="force this analysis on the spectrum files (default: from each file)")
    p.add_argument("--out", help="folder for summary.h5 and summary.csv (default: FOLDER/reanalysis)")
    p.add_argument("--no-recursive", action="store_true", help="only the folder itself, not its sub-folders")
    add_compute_options(p)
    p.set_defaults(func=cmd_reanalyse)


def cmd_reanalyse(args: argparse.Namespace) -> int:
    import numpy as np

    from app.compute import compute_from_args, map_on_terminal, print_failures
    from app.reanalysis import FileTask, analyse_file, find_files
    from app.result_table import ResultTable

    files = find_files(args.folder, recursive=not args.no_recursive)
    out = Path(args.out) if args.out else Path(args.folder) / "reanalysis"
    out = out.resolve()
    files = [f for f in files if out not in f.resolve().parents]  # not our own earlier summary
    out.mkdir(parents=True, exist_ok=True)
    tasks = [FileTask(str(f), args.kind) for f in files]
    rows: dict[int, dict] = {}

    def arrived(i: int, result: dict) -> None:
        table.write(i, result)
        rows[i] = result

    with compute_from_args(args) as compute, ResultTable(
            out / "summary.h5", len(tasks), {"file": np.array([str(f) for f in files])},
            {"folder": str(args.folder), "kind": args.kind or "auto"}) as table:
        failures, interrupted = map_on_terminal(compute, analyse_file, tasks, arrived, "files")
    if interrupted:
        print(f"spinbench: interrupted: {len(rows)} of {len(tasks)} files kept in {table.path}", file=sys.stderr)
        _write_csv(out / "summary.csv", files, rows, {})
        return 130
    errors = {f.index: f.error for f in failures}
    csv = _write_csv(out / "summary.csv", files, rows, errors)
    print(f"summary: {out / 'summary.h5'}, {csv}  ({len(rows)} of {len(tasks)} files analysed)")
    if failures:
        print_failures(failures)
        return 3
    return 0


def _write_csv(path: Path, files: list[Path], rows: dict[int, dict], errors: dict[int, str]) -> Path:
    """One line per file: file, format, kind, every result column (blank where a file has none), error."""
    import csv

    columns: list[str] = []
    for r in rows.values():
        columns += [k for k in r if k not in columns]
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["file", *columns, "error"])
        for i, f in enumerate(files):
            r = rows.get(i, {})
            w.writerow([str(f), *(_cell(r.get(k, "")) for k in columns), errors.get(i, "")])
    return path


def _cell(value) -> str:
    return f"{value:.10g}" if isinstance(value, float) else str(value)
