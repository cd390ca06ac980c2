"""``--json`` for scripts (``show``, ``run``, ``halbach``, ``sequence check``; ``analyse`` too): one
JSON object on stdout with every result as {value, error, unit} (SI), the files written, the
status and the warnings. For ``show``: a run file or a spectrum file from another spectrometer."""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from app.cli_analyse import jsonable


def emit(summary: dict[str, Any]) -> None:
    """Print one JSON object (the only thing a --json command writes to stdout)."""
    print(json.dumps(summary, indent=1, default=str))


def run_results(results: dict[str, Any], safe_state_errors: Any = None) -> tuple[dict[str, Any], list[str]]:
    """A run's results as JSON (scalars only: per-point arrays stay in the run file) and its
    warnings (the analysis' ``warning`` entry, then any failure to make the lab safe)."""
    results = dict(results)
    warnings = [str(results.pop("warning"))] if "warning" in results else []
    warnings += [str(e) for e in safe_state_errors or []]
    scalar = {k: v for k, v in results.items() if not hasattr(v, "__len__") or isinstance(v, str)}
    return jsonable(scalar), warnings


def _run_summary(path: Path, png: Path) -> dict[str, Any]:
    from app.storage import read_run
    from sequences.experiments import get_experiment

    run = read_run(path)
    meta = run.metadata
    n = len(next(iter(run.columns.values()), []))
    exp = get_experiment(str(meta.get("experiment"))).from_parameters(run.parameters)
    results, analysed_now = dict(run.results), False
    if not results and n:
        results, analysed_now = dict(exp.analyse(run)), True
    if n:
        exp.plot(run, {k: v for k, v in results.items() if k != "warning"}, png)
    scalar, warnings = run_results(results, meta.get("safe_state_errors"))
    return {"file": str(path), "kind": "run", "experiment": meta.get("experiment"), "title": meta.get("title"),
            "status": run.status, "error": meta.get("error") or None, "points": n,
            "analysed_now": analysed_now, "results": scalar, "warnings": warnings,
            "plot": str(png) if n else None}


def _file_summary(path: Path, png: Path) -> dict[str, Any]:
    from app.file_analysis import analyse_dataset
    from app.file_plot import plot_file
    from formats import load

    d = load(path)
    out = analyse_dataset(d)
    plot_file(d, out.signal, out.curves, f"{d.title or path.name} — {out.kind}", png)
    parameters = {k: v for k, v in d.parameters.items() if isinstance(v, (int, float, str))}
    return {"file": str(path), "kind": out.kind, "format": d.format, "title": d.title, "status": "ok",
            "axes": [{"name": a.name, "unit": a.unit, "first": float(a.values[0]), "last": float(a.values[-1]),
                      "points": len(a)} for a in d.axes],
            "parameters": jsonable(parameters), "results": jsonable(out.results), "per_slice": jsonable(out.table),
            "notes": out.notes, "warnings": out.warnings, "plot": str(png)}


def show_json(args: argparse.Namespace, run_file: bool) -> int:
    path = Path(args.file)
    png = Path(args.png) if args.png else (path if path.is_file() else path / "spectrum").with_suffix(".png")
    emit(_run_summary(path, png) if run_file else _file_summary(path, png))
    return 0
