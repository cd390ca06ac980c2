"""Declared result keys: what an experiment's analysis returns, with units, declared on the class.

The declaration is what the generated experiment pages list and what the tests hold every run's
``analyse()`` output to (:func:`undeclared`), so a new key cannot go undocumented.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable


@dataclass(frozen=True)
class Result:
    """One key of ``analyse()``'s dict: its name, SI unit (of each element for lists and arrays;
    ``""`` for dimensionless numbers and text) and what it means."""

    name: str
    unit: str = ""
    doc: str = ""


#: The free-text entries any analysis may add.
WARNING = Result("warning", "", "why a value is missing or suspect (one line; absent when all is well)")
NOTE = Result("note", "", "how a value was obtained when not by the usual fit")


def undeclared(results: Iterable[str], declared: Iterable[Result]) -> list[str]:
    """Keys an analysis returned that its experiment does not declare."""
    names = {r.name for r in declared}
    return sorted(k for k in results if k not in names)


__all__ = ["NOTE", "Result", "WARNING", "undeclared"]
