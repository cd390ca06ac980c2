"""Validation shared by the ``[sim]`` sub-tables of numbers (``[sim.membrane]``, ``[sim.magnet]``):
one line per problem, naming the table, the key, the value and what is accepted."""
from __future__ import annotations

import math
from typing import Any


def is_number(value: Any) -> bool:
    """A finite int or float (TOML booleans are not numbers here)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def number_table_problems(where: str, table: Any, keys: dict[str, tuple[str, str]], positive: set[str],
                          non_negative: set[str] = frozenset(), skip: set[str] = frozenset(),
                          example: str = "") -> list[str]:
    """Problems of a table whose keys (other than ``skip``) are numbers in the units of ``keys``."""
    if not isinstance(table, dict):
        return [f"[sim] {where} = {table!r}: must be a table, e.g. [sim.{where}] {example}"]
    problems = [f"[sim.{where}] {key!r} unknown; accepted: {', '.join(keys)}" for key in sorted(set(table) - set(keys))]
    for key, value in table.items():
        if key not in keys or key in skip:
            continue
        if not is_number(value):
            problems.append(f"[sim.{where}] {key} = {value!r}: give a finite number in {keys[key][0] or '1'}")
        elif key in positive and value <= 0:
            problems.append(f"[sim.{where}] {key} = {value!r}: must be positive")
        elif key in non_negative and value < 0:
            problems.append(f"[sim.{where}] {key} = {value!r}: must not be negative")
    return problems


__all__ = ["is_number", "number_table_problems"]
