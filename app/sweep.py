"""Parameter sweeps of the simulated lab: the grid, one picklable task per point, the result table.

Why separate from the CLI: the point task must be importable by worker processes (local pool or
Dask workers import spinbench) and carry only its inputs: experiment name, SI parameter values
and its own seed. The simulated world is built inside the task from that seed, so a point gives
the same numbers wherever it runs.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from app.result_table import flatten_results
from sequences.experiment import ParameterError
from sequences.experiments import get_experiment


@dataclass(frozen=True)
class GridAxis:
    name: str
    values: tuple[Any, ...]  # SI


@dataclass(frozen=True)
class SweepPoint:
    """One grid point: everything a worker needs, nothing it must not have (no instruments)."""

    experiment: str
    values: dict[str, Any]  # SI, fixed settings and this point's grid values
    seed: int
    out_dir: str | None = None  # where the point's run file goes; None: a temporary folder


def parse_grid(experiment: str, items: Sequence[str]) -> list[GridAxis]:
    """``["mod_amplitude=10uT:100uT:5"]`` -> axes with SI values (the parameter's own parser: a
    bare number is in its display unit); every problem reported at once."""
    cls = get_experiment(experiment)
    specs = {p.name: p for p in cls.parameters}
    axes, problems = [], []
    for item in items:
        name, _, rng = item.partition("=")
        name = name.strip()
        parts = rng.split(":")
        if name not in specs:
            problems.append(f"--grid {item!r}: {experiment} has no parameter {name!r}; it accepts "
                            f"{', '.join(specs)}")
            continue
        if len(parts) != 3:
            problems.append(f"--grid {item!r}: expected name=start:stop:count (e.g. {name}=a:b:5)")
            continue
        spec = specs[name]
        try:
            n = int(parts[2])
            if n < 1:
                raise ValueError
        except ValueError:
            problems.append(f"--grid {item!r}: count {parts[2]!r} must be a whole number >= 1")
            continue
        try:
            a, b = spec.parse(parts[0]), spec.parse(parts[1])
        except ValueError as exc:
            problems.append(f"--grid {item!r}: {exc}")
            continue
        values = np.linspace(float(a), float(b), n)
        if spec.kind is int:
            values = np.round(values).astype(int)
        axes.append(GridAxis(name, tuple(v.item() for v in values)))
    if len({a.name for a in axes}) != len(axes):
        problems.append("--grid: each parameter once")
    if not items:
        problems.append("--grid: give at least one name=start:stop:count")
    if problems:
        raise ParameterError(problems)
    return axes


def grid_points(experiment: str, fixed: dict[str, Any], axes: Sequence[GridAxis], seed: int,
                out_dir: str | None) -> list[SweepPoint]:
    """The full grid, first axis slowest; point k gets the k-th child of ``SeedSequence(seed)``
    (independent streams, whatever runs them in whatever order)."""
    combos = list(itertools.product(*(a.values for a in axes)))
    children = np.random.SeedSequence(seed).spawn(len(combos))
    points = []
    for combo, child in zip(combos, children):
        values = dict(fixed)
        values.update({a.name: v for a, v in zip(axes, combo)})
        points.append(SweepPoint(experiment, values, int(child.generate_state(1)[0]), out_dir))
    return points


def check_points(points: Sequence[SweepPoint]) -> None:
    """Build every point's experiment against the simulated lab's limits before any runs."""
    from app.simlab import build_sim_lab

    lab = build_sim_lab()
    problems: list[tuple[str, SweepPoint]] = []
    try:
        for p in points:
            try:
                found = get_experiment(p.experiment)(**p.values).check_lab(lab)
            except ParameterError as exc:
                found = exc.problems
            seen = {m for m, _ in problems}
            problems += [(m, p) for m in found if m not in seen]  # a lab problem once, at its first point
            if len(problems) > 10:
                break
    finally:
        lab.close()
    if problems:
        raise ParameterError([f"grid point {_point_text(p)}: {m}" for m, p in problems])


def _point_text(p: SweepPoint) -> str:
    return ", ".join(f"{k}={v:.6g}" if isinstance(v, float) else f"{k}={v}" for k, v in p.values.items())


def run_point(point: SweepPoint) -> dict[str, float]:
    """Run one point in a simulated lab seeded by the point alone; its numeric results."""
    import tempfile

    from app.runner import run_experiment
    from app.simlab import build_sim_lab
    from sim_backend.pulsed import add_pulsed
    from sim_backend.world import SimulatedWorld

    world = SimulatedWorld(seed=point.seed)
    add_pulsed(world, seed=point.seed % 2**31)  # the pulsed spins' noise from this point's seed too
    lab = build_sim_lab(world)
    try:
        experiment = get_experiment(point.experiment)(**point.values)
        if point.out_dir is None:
            with tempfile.TemporaryDirectory() as tmp:
                outcome = run_experiment(experiment, lab, tmp, plot=False)
        else:
            outcome = run_experiment(experiment, lab, point.out_dir, plot=False)
    finally:
        lab.close()
    if outcome.info.status != "completed":
        raise RuntimeError(f"run {outcome.info.status}: {outcome.info.error}")
    return flatten_results(outcome.info.results)


__all__ = ["GridAxis", "SweepPoint", "parse_grid", "grid_points", "check_points", "run_point", "flatten_results"]
