"""Queue loops (Qt-free): one experiment repeated N times, and a parameter series (temperatures,
angles, powers: a list of values for one parameter) expanded into queue entries, the series
outermost (4 K, 4 K, 10 K, 10 K for two repeats).

Series values are typed as the form reads them: comma-separated, a bare number in the
parameter's display unit ('4, 10, 20 K' or '4 K, 10 K'), or ``start:step:stop`` for evenly
spaced values with the stop included ('0:15:90' deg). Every entry is built and checked before
any is queued, so a bad value queues nothing and names itself.
"""
from __future__ import annotations

import math
from typing import Any

from app.gui.run_controller import QueuedRun
from drivers.lab import Lab
from sequences.experiment import Experiment, Parameter, ParameterError
from sequences.experiments import get_experiment

#: Most entries one series may add (a typo such as 0:0.001:90 must not queue 90 000 runs).
MAX_ENTRIES = 1000


def series_values(p: Parameter, text: str) -> list[Any]:
    """SI values of ``p`` from the typed series (see the module doc); ValueError names the item."""
    text = text.strip()
    if not text:
        raise ValueError(f"{p.name}: the series is empty; type values such as '4, 10, 20' ({p.shown_unit or 'no unit'})")
    if p.kind is list:
        raise ValueError(f"{p.name} is a list parameter already; a series takes a single-valued parameter")
    if text.count(":") == 2 and "," not in text:
        start, step, stop = (p.parse(part) if p.kind in (float, int) else part for part in text.split(":"))
        if p.kind not in (float, int):
            raise ValueError(f"{p.name}: start:step:stop needs a numeric parameter")
        if step == 0 or (stop - start) / step < 0:
            raise ValueError(f"{p.name}: step {p.text(step)} does not lead from {p.text(start)} to {p.text(stop)}")
        n = int(math.floor((stop - start) / step * (1 + 1e-9) + 1e-9)) + 1
        if n > MAX_ENTRIES:
            raise ValueError(f"{p.name}: {n} values; at most {MAX_ENTRIES} in one series")
        values = [start + i * step for i in range(n)]
        return [p.coerce(round(v) if p.kind is int else v) for v in values]
    items = [s.strip() for s in text.replace(";", ",").split(",") if s.strip()]
    if len(items) > MAX_ENTRIES:
        raise ValueError(f"{p.name}: {len(items)} values; at most {MAX_ENTRIES} in one series")
    unit = _trailing_unit(items[-1]) if p.kind is float else ""
    values, problems = [], []
    for item in items:
        if unit and not _trailing_unit(item):
            item = f"{item} {unit}"  # '4, 10, 20 K': the last item's unit is the list's
        try:
            values.append(p.parse(item))
        except ValueError as exc:
            problems.append(str(exc))
    if problems:
        raise ValueError("; ".join(problems))
    return values


def _trailing_unit(item: str) -> str:
    """The unit written after a number ('20 K' -> 'K', '20' -> '', '-10dBm' -> 'dBm')."""
    item = item.strip()
    i = len(item)
    while i > 0 and not (item[i - 1].isdigit() or item[i - 1] == "."):
        i -= 1
    return item[i:].strip()


def expand(exp: Experiment, repeat: int = 1, parameter: str | None = None, values: list[Any] = ()) -> list[QueuedRun]:
    """Queue entries: ``exp`` with ``parameter`` set to each of ``values`` (or as it is), each
    ``repeat`` times. Raises ParameterError listing every value that makes an invalid experiment."""
    if not 1 <= int(repeat) <= MAX_ENTRIES:
        raise ValueError(f"repeat {repeat}: use 1 to {MAX_ENTRIES}")
    cls = get_experiment(exp.name)
    if parameter is None:
        variants: list[tuple[Experiment, str]] = [(exp, "")]
    else:
        p = exp.parameter(parameter)
        variants, problems = [], []
        for i, v in enumerate(values):
            try:
                one = cls(**{**exp.values, parameter: v})
            except (ParameterError, ValueError) as exc:
                problems += getattr(exc, "problems", [str(exc)])
                continue
            shown = f"{p.text(v)} {p.shown_unit}".strip() if p.kind is not str else p.text(v)
            variants.append((one, f"{parameter} = {shown} ({i + 1}/{len(values)})"))
        if problems:
            raise ParameterError(problems)
    if len(variants) * repeat > MAX_ENTRIES:
        raise ValueError(f"{len(variants) * repeat} queue entries; at most {MAX_ENTRIES} at once")
    out = []
    for one, tag in variants:
        base = QueuedRun.of(one)
        head = _without(base.label, parameter) if parameter else base.label
        for r in range(repeat):
            tags = [t for t in (tag, f"repeat {r + 1}/{repeat}" if repeat > 1 else "") if t]
            label = head + (" — " + ", ".join(tags) if tags else "")
            out.append(QueuedRun(base.name, dict(base.values), label))
    return out


def check_entries(items: list[QueuedRun], lab: Lab | None) -> None:
    """Build each entry and check it against ``lab`` (its limits, pulse programs): ParameterError
    listing every entry that fails, so a bad series queues nothing."""
    problems = []
    for item in items:
        try:
            exp = item.build()
            if lab is not None:
                exp.validate(lab)
        except (ParameterError, ValueError) as exc:
            problems += [f"{item.label}: {p}" for p in getattr(exc, "problems", [str(exc)])]
    if problems:
        raise ParameterError(problems)


def _without(label: str, parameter: str) -> str:
    """A queue label without ``parameter=...`` (the series tag shows it)."""
    name, sep, rest = label.partition(" (")
    parts = [x for x in rest.removesuffix(")").split(", ") if x and not x.startswith(f"{parameter}=")]
    return f"{name} ({', '.join(parts)})" if sep and parts and parts != ["defaults"] else name
