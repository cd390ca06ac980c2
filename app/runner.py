"""One call that scripts, the CLI and the GUI share: parameters in, a finished run file out."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from app.engine import RunEngine, RunInfo
from app.run_files import release_unused, reserve_run_file
from app.storage import HDF5Writer, read_run
from drivers.lab import Lab
from sequences.experiment import Experiment, ParameterError
from sequences.experiments import get_experiment


def _parse(experiment: type[Experiment], items: Iterable[str]) -> tuple[dict[str, Any], list[str]]:
    """Parse ``name=value`` items (units at the edge; a bare number is in the parameter's display
    unit, e.g. mT for field_start); returns the checked values and every problem."""
    values: dict[str, Any] = {}
    problems: list[str] = []
    unknown: list[str] = []
    names = {p.name: p for p in experiment.parameters}
    for item in items:
        if "=" not in item:
            problems.append(f"--set {item!r}: expected name=value (e.g. field_start=320mT)")
            continue
        key, raw = (s.strip() for s in item.split("=", 1))
        spec = names.get(key)
        if spec is None:
            unknown.append(key)
            continue
        try:  # the parameter's own parser: a bare number is in its display unit
            values[key] = spec.parse(raw)
        except ValueError as exc:
            problems.append(str(exc))
    if unknown:
        problems.insert(0, f"unknown parameter(s) {', '.join(repr(k) for k in unknown)}; "
                           f"{experiment.name} accepts {', '.join(names)}")
    return values, problems


def parse_settings(experiment: type[Experiment], items: Iterable[str]) -> dict[str, Any]:
    """``["field_start=320mT", "points=201"]`` -> SI values; every problem reported at once."""
    values, problems = _parse(experiment, items)
    if problems:
        raise ParameterError(problems)
    return values


def experiment_from_settings(name: str, settings: Iterable[str], lab: Lab | None = None) -> Experiment:
    """Build an experiment from ``name=value`` strings, reporting every problem together:
    unparsable values, unknown names, out-of-range values, inconsistent parameters and, when a
    lab is given, its limits (checked on the remaining valid values)."""
    cls = get_experiment(name)
    good, problems = _parse(cls, settings)
    try:
        experiment: Experiment | None = cls(**good)
    except ParameterError as exc:
        problems += exc.problems
        experiment = None
    if experiment is not None and lab is not None:
        problems += experiment.check_lab(lab)
    if problems:
        raise ParameterError(problems)
    assert experiment is not None
    return experiment


@dataclass
class RunOutcome:
    info: RunInfo
    path: Path
    png: Path | None


def run_experiment(experiment: Experiment, lab: Lab, out_dir: str | Path = "runs", *,
                   subscribers: list[Any] = (), engine: RunEngine | None = None,
                   plot: bool = True) -> RunOutcome:
    """Validate, run with an HDF5 writer, analyse and plot. Raises the plan's error after the
    hardware is safe and the file is closed."""
    experiment.validate(lab)
    engine = engine or RunEngine(lab)
    path = reserve_run_file(experiment.name, out_dir)  # the name is ours: no other run can take it
    writer = HDF5Writer(path, lab_config=lab.config)
    writer.listeners += [s.saved for s in subscribers if hasattr(s, "saved")]
    try:
        info = engine.run(experiment, [writer, *subscribers])
    finally:
        release_unused(path)  # a run refused before it started leaves no empty file
    png = None
    if plot and info.points:
        png = path.with_suffix(".png")
        try:
            experiment.plot(read_run(path), info.results, png)
        except NotImplementedError:
            png = None
    return RunOutcome(info, path, png)


