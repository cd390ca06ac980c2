"""The ``spinbench`` command line."""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any

from app import cli_analyse, cli_export, cli_gui, cli_halbach, cli_sequence, cli_sim_serve, cli_sweep, cli_reanalyse
from units.display import digits_for, format_quantity
from drivers.errors import ConfigError, InstrumentError

#: Modules that add subcommands: each has ``add_parser(subparsers)`` setting ``func``.
SUBCOMMANDS = [cli_sim_serve, cli_sequence, cli_halbach, cli_export, cli_analyse, cli_gui, cli_sweep, cli_reanalyse]


def _lab(args: argparse.Namespace):
    if getattr(args, "config", None):
        from app.labconfig import lab_from_file

        return lab_from_file(args.config)
    from app.simlab import build_sim_lab

    return build_sim_lab()


def format_results(results: dict[str, Any]) -> str:
    """One line per result; values with their uncertainty, to the digits the uncertainty allows."""
    from sequences.experiment import FitValue  # numpy: not needed for --help or list

    lines = []
    for name, value in results.items():
        if isinstance(value, FitValue):
            v, e = float(value.value), float(value.error)
            if not math.isfinite(v):
                continue  # not determined: the experiment's notes say why
            has_err = math.isfinite(e) and e > 0
            digits = digits_for(v, e) if has_err else 7
            if value.unit and value.unit != "V":
                shown = format_quantity(v, value.unit, digits)
                err = f" ± {format_quantity(e, value.unit, 2)}" if has_err else ""
            else:
                shown = f"{v:.{digits}g} {value.unit}".strip()
                err = f" ± {e:.2g}" if has_err else ""
            lines.append(f"  {name:24s} {shown}{err}")
        elif isinstance(value, float) and not math.isfinite(value):
            continue
        elif not hasattr(value, "__len__") or isinstance(value, str):
            lines.append(f"  {name:24s} {value}")
        elif isinstance(value, (list, tuple)) and 0 < len(value) <= 12 and all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
            lines.append(f"  {name:24s} " + ", ".join(f"{v:.6g}" for v in value))
    return "\n".join(lines)


def _sim_lab(args: argparse.Namespace):
    """The built-in simulated lab, paced to ``--speed`` x real time when asked."""
    from app.simlab import build_sim_lab
    from sim_backend.world import SimulatedWorld

    if args.speed is None:
        return build_sim_lab()
    from app.sim_pacing import pace_world

    world = SimulatedWorld()
    pace_world(world, args.speed)
    return build_sim_lab(world)


def cmd_run(args: argparse.Namespace) -> int:
    """Exit status: 0 completed, 2 bad input (nothing touched), 3 the run did not complete
    (aborted, failed, interrupted), 4 the lab could not be made safe."""
    from app.interrupts import abort_on_signals
    from app.progress import ProgressBar
    from app.engine import RunEngine, not_safe_warning
    from app.run_files import check_out_dir
    from app.runner import experiment_from_settings, run_experiment

    if args.speed is not None and getattr(args, "config", None):
        raise ValueError("--speed paces the built-in simulated lab (--sim); a lab file's instruments "
                         "keep their own time")
    check_out_dir(args.out)
    sample = _sample(args)  # bad input stops here, before any instrument is touched
    lab = _lab(args) if getattr(args, "config", None) else _sim_lab(args)  # builds send nothing
    try:
        experiment = experiment_from_settings(args.experiment, args.set or [], lab)  # every problem at once
    except Exception:
        lab.close()
        raise
    engine = RunEngine(lab)
    outcome, error = None, None
    try:
        with abort_on_signals(engine):
            try:
                outcome = run_experiment(experiment, lab, args.out, engine=engine,
                                         subscribers=[] if args.quiet or args.json else [ProgressBar()])
            except Exception as exc:
                if engine.current is None:
                    raise  # refused before the run began: nothing was touched
                error = exc
    finally:
        lab.close()
    info = engine.current if outcome is None else outcome.info
    assert info is not None
    if (args.note or sample) and info.path and Path(info.path).exists():
        from app.storage import write_notes

        write_notes(info.path, args.note or "", sample)
    if args.json:  # one JSON object for scripts (app/show_json.py)
        from app.show_json import emit, run_results

        results, warnings = run_results(info.results, info.safe_state_errors)
        emit({"file": str(info.path), "kind": "run", "experiment": args.experiment, "status": info.status,
              "error": str(info.error) if info.error else None, "points": info.points,
              "plot": str(outcome.png) if outcome is not None and outcome.png else None,
              "results": results, "warnings": warnings})
    else:
        _print_run(info, outcome)
    if info.safe_state_errors:
        line = not_safe_warning(info.safe_state_errors)
        if not args.json:
            print(line)
        print(f"spinbench: {line}", file=sys.stderr)
        return 4
    if error is not None:
        print(f"spinbench: run {info.status}: {error}", file=sys.stderr)
    return 0 if info.status == "completed" else 3


def _sample(args: argparse.Namespace) -> dict[str, str]:
    """--sample NAME and --sample-info KEY=VALUE as the run file's sample mapping."""
    sample = {"name": args.sample} if args.sample else {}
    for item in args.sample_info or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--sample-info {item!r}: write KEY=VALUE, e.g. --sample-info mass=2.1mg")
        sample[key.strip()] = value.strip()
    return sample


def _print_run(info: Any, outcome: Any) -> None:
    """The run's file, plot, status, warning and results as text."""
    print(f"run file: {info.path}  ({info.points} points)")
    if outcome is not None and outcome.png:
        print(f"plot:     {outcome.png}")
    print(f"status:   {info.status}" + (f" ({info.error})" if info.error else ""))
    if "warning" in info.results:
        print(f"warning:  {info.results['warning']}")
    if info.results:
        print("results:")
        print(format_results({k: v for k, v in info.results.items() if k != "warning"}))


def cmd_list(args: argparse.Namespace) -> int:
    from sequences.catalogue import experiment_catalogue  # the stored listing: no experiment imported

    print("Values are in the unit shown (a bare number in --set means that unit; '335mT' or '0.335 T' work too).")
    for name, entry in sorted(experiment_catalogue().items()):
        print(f"{name}: {entry['title']}  (roles: {', '.join(entry['roles'])})")
        for pname, default, unit, doc, bounds in entry["parameters"]:
            print(f"    {pname:16s} = {default:>10} {unit:7s} {doc}" + (f"  {bounds}" if bounds else ""))
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from app.engine import not_safe_warning
    from app.foreign_files import is_run_file, show_file
    from app.storage import read_run
    from sequences.experiments import get_experiment
    from app.file_analysis_map import analyse_field_map, is_field_map

    if is_field_map(args.file):  # a measured magnet field map (MATLAB .mat)
        return analyse_field_map(args)
    if getattr(args, "json", False):  # one JSON object for scripts (app/show_json.py)
        from app.show_json import show_json

        return show_json(args, is_run_file(args.file))
    if not is_run_file(args.file):  # a spectrum file from another spectrometer (BES3T, WinEPR ...)
        return show_file(args)
    run = read_run(args.file)
    meta = run.metadata
    print(f"{args.file}: {meta.get('title')} ({meta.get('experiment')})")
    print(f"  status   {run.status}" + (f"  error: {meta['error']}" if meta.get("error") else ""))
    print(f"  started  {meta.get('started')}   ended {meta.get('ended') or '-'}")
    n = len(next(iter(run.columns.values()), []))
    print(f"  points   {n}   columns: {', '.join(run.columns)}")
    sample = meta.get("sample") if isinstance(meta.get("sample"), dict) else {}
    if sample:  # the user's sample and notes (app.storage.write_notes), when given
        print("  sample   " + ", ".join(f"{k}: {v}" if k != "name" else str(v) for k, v in sample.items()))
    if meta.get("notes"):
        print(f"  notes    {meta['notes']}")
    if meta.get("safe_state_errors"):
        print(f"  {not_safe_warning(list(meta['safe_state_errors']))}")
    exp_cls = get_experiment(str(meta.get("experiment")))
    exp = exp_cls.from_parameters(run.parameters)
    results = run.results
    if not results and n:
        results = exp.analyse(run)
        print("  (no stored results: analysed now)")
    if results:
        print(format_results(results))
    png = Path(args.png) if args.png else Path(args.file).with_suffix(".png")
    if n:
        exp.plot(run, results, png)
        print(f"  plot     {png}")
    return 0


def cmd_recover(args: argparse.Namespace) -> int:
    from app.run_files import recover_run_file

    before, points = recover_run_file(args.file, force=args.force)
    if before == "running":
        print(f"{args.file}: recovered, status interrupted, {points} points; any HDF5 tool can open it now")
    else:
        print(f"{args.file}: nothing to recover (status {before}, {points} points)")
    return 0


class _ExactParser(argparse.ArgumentParser):
    """No option abbreviations: `sim-serve --config` must not silently mean `--config-out`."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)


def build_parser() -> argparse.ArgumentParser:
    parser = _ExactParser(prog="spinbench", description="Magnetic-resonance lab control and acquisition")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_ExactParser)
    p = sub.add_parser("run", help="run an experiment")
    p.add_argument("experiment", help="experiment name (see 'spinbench list')")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--sim", action="store_true", help="use the built-in simulated lab (default)")
    src.add_argument("--config", help="lab TOML file")
    p.add_argument("--set", action="append", metavar="NAME=VALUE",
                   help="parameter value, e.g. field_start=320mT; a bare number is in the unit `spinbench list` "
                        "shows (field_start=320 is 320 mT)")
    p.add_argument("--out", default="runs", help="directory for run files (default: runs)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--json", action="store_true", help="print one JSON object (file, plot, status, results with "
                   "value/error/unit, warnings) instead of text; no progress bar")
    p.add_argument("--speed", type=float, help="simulated lab only: run its clock at SPEED x real time "
                   "(default: as fast as the computer goes)")
    p.add_argument("--note", help="free-text note saved with the run (HDF5 /metadata attribute 'notes')")
    p.add_argument("--sample", help="sample name saved with the run (/metadata attribute 'sample', key 'name')")
    p.add_argument("--sample-info", action="append", metavar="KEY=VALUE",
                   help="another sample field, e.g. batch=A7 or mass=2.1mg (repeatable)")
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("list", help="list experiments and their parameters")
    p.set_defaults(func=cmd_list)
    p = sub.add_parser("show", help="summarise a run file and plot it")
    p.add_argument("file")
    p.add_argument("--map-units", metavar="LENGTH,FIELD", help="units of a MATLAB field map (.mat), e.g. m,mT")
    p.add_argument("--png", help="where to write the plot (default: next to the file)")
    p.add_argument("--json", action="store_true", help="print one JSON object (results, status, warnings, plot)")
    p.set_defaults(func=cmd_show)
    p = sub.add_parser("recover", help="make a run file left open by a killed run a plain HDF5 file",
                       description="Copy every flushed point of a run file whose process was killed "
                                   "(still flagged open for writing) into a plain HDF5 file that replaces "
                                   "it, marked 'interrupted'.")
    p.add_argument("file")
    p.add_argument("--force", action="store_true", help="even if the writing process seems alive")
    p.set_defaults(func=cmd_recover)
    for module in SUBCOMMANDS:
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:  # e.g. `spinbench list | head`
        sys.stderr.close()
        return 0
    except (ConfigError, ValueError, OSError, InstrumentError) as exc:
        problems = getattr(exc, "problems", None)
        if problems and len(problems) > 1:
            print(f"spinbench: error: {len(problems)} problems:", file=sys.stderr)
            for problem in problems:
                print(f"  - {problem}", file=sys.stderr)
        else:
            print(f"spinbench: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("spinbench: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
