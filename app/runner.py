"""One call that scripts, the CLI and the GUI share: parameters in, a finished run file out."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from app.engine import RunEngine, RunInfo
from app.storage import HDF5Writer, read_run, run_filename
from app.units import UnitError, parse_quantity
from drivers.lab import Lab
from sequences.experiment import Experiment, ParameterError
from sequences.experiments import get_experiment


def parse_settings(experiment: type[Experiment], items: Iterable[str]) -> dict[str, Any]:
    """``["field_start=320mT", "points=201"]`` -> SI values; every problem reported at once."""
    values: dict[str, Any] = {}
    problems: list[str] = []
    names = {p.name: p for p in experiment.parameters}
    for item in items:
        if "=" not in item:
            problems.append(f"--set {item!r}: expected name=value (e.g. field_start=320mT)")
            continue
        key, raw = (s.strip() for s in item.split("=", 1))
        spec = names.get(key)
        if spec is None:
            problems.append(f"unknown parameter {key!r}; {experiment.name} accepts {', '.join(names)}")
            continue
        if spec.kind is float and spec.choices is None:
            try:
                values[key] = parse_quantity(raw, spec.unit, name=key)
            except UnitError as exc:
                problems.append(str(exc))
        elif spec.kind is int and spec.choices is not None:
            try:
                values[key] = int(raw)
            except ValueError:
                problems.append(f"{key} = {raw!r}: choose one of {list(spec.choices)}")
        else:
            values[key] = raw
    if problems:
        raise ParameterError(problems)
    return values


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
    path = run_filename(experiment.name, Path(out_dir))
    writer = HDF5Writer(path, lab_config=lab.config)
    info = engine.run(experiment, [writer, *subscribers])
    png = None
    if plot and info.points:
        png = path.with_suffix(".png")
        try:
            experiment.plot(read_run(path), info.results, png)
        except NotImplementedError:
            png = None
    return RunOutcome(info, path, png)


def experiment_from_settings(name: str, settings: Iterable[str]) -> Experiment:
    cls = get_experiment(name)
    return cls(**parse_settings(cls, settings))
