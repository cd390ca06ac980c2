"""What an experiment is: typed parameters, a plan (a generator of messages) and an analysis.

Plans are plain generators in the Bluesky style: they call role methods on the lab and yield
:class:`Point` (a row of data), :class:`Checkpoint` (a safe place to pause) or
:class:`Note` (a message for the log). The run engine executes them; scripts may too.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Iterator, Sequence

import numpy as np

from drivers.errors import ConfigError
from drivers.lab import Lab
from sequences.parameter import Parameter, limit_problem
from sequences.result import Result

__all__ = ["Block", "Checkpoint", "Column", "Experiment", "FitValue", "Message", "Note", "Parameter",
           "ParameterError", "Point", "Result", "RunData", "limit_problem"]


class ParameterError(ConfigError):
    """One or more parameters are invalid; ``problems`` lists each, the message all of them."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


@dataclass
class Point:
    """One row of data: column name -> value (scalar or array for trace columns)."""

    data: dict[str, Any]


@dataclass
class Block:
    """Many rows at once (digitizer records, fast streams): column name -> array of rows."""

    data: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(next(iter(self.data.values()))) if self.data else 0


@dataclass
class Checkpoint:
    """A place where the plan may be paused; on resume the plan re-issues its setpoints."""

    label: str = ""


@dataclass
class Note:
    text: str


Message = Point | Block | Checkpoint | Note


@dataclass(frozen=True)
class Column:
    """A dataset of the run: name, SI unit, and per-point shape (``()`` for scalars)."""

    name: str
    unit: str = ""
    shape: tuple[int, ...] = ()
    dtype: str = "float64"


@dataclass
class FitValue:
    value: float
    error: float = float("nan")
    unit: str = ""

    def __format__(self, spec: str) -> str:
        spec = spec or ".6g"
        err = "" if not math.isfinite(self.error) else f" ± {self.error:.2g}"
        return f"{self.value:{spec}}{err} {self.unit}".rstrip()


@dataclass
class RunData:
    """A run's data as arrays (what the analysis sees), loaded from a file or kept in memory."""

    columns: dict[str, np.ndarray]
    parameters: dict[str, Any]
    metadata: dict[str, Any] = field(default_factory=dict)
    results: dict[str, Any] = field(default_factory=dict)
    status: str = "unknown"
    path: Path | None = None

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name]


class Experiment:
    """Base class. Subclasses set ``name``, ``roles``, declare their :class:`Parameter` s as class
    attributes and implement the hooks. ``parameters`` lists every declared parameter (the
    class's own first, then those inherited), built when the subclass is defined."""

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    parameters: ClassVar[tuple[Parameter, ...]] = ()
    #: Roles the plan needs; ``optional_roles`` are used when present.
    roles: ClassVar[tuple[str, ...]] = ()
    optional_roles: ClassVar[tuple[str, ...]] = ()
    #: The keys :meth:`analyse` may return, with units (each is absent when its fit was not possible).
    results: ClassVar[tuple[Result, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        found: dict[str, Parameter] = {}
        for klass in cls.__mro__:
            for key, value in vars(klass).items():
                if isinstance(value, Parameter) and key not in found:
                    found[key] = value
        cls.parameters = tuple(found.values())

    def __init__(self, **values: Any):
        specs = {p.name: p for p in self.parameters}
        problems = [f"unknown parameter {k!r}; {self.name} accepts {sorted(specs)}" for k in values if k not in specs]
        self.values: dict[str, Any] = {}
        for p in self.parameters:
            try:
                self.values[p.name] = p.coerce(values.get(p.name, p.default))
            except ValueError as exc:
                problems.append(str(exc))
        if not problems:
            problems += self.check()
        if problems:
            raise ParameterError(problems)

    @classmethod
    def from_parameters(cls, values: dict[str, Any]) -> "Experiment":
        """The experiment as a run file recorded it (its stored parameters), for re-analysis;
        names this version no longer declares are left out."""
        known = {p.name for p in cls.parameters}
        return cls(**{k: v for k, v in values.items() if k in known})

    @classmethod
    def parameter(cls, name: str) -> Parameter:
        for p in cls.parameters:
            if p.name == name:
                return p
        raise KeyError(name)

    # --- hooks --------------------------------------------------------------------------------
    def check(self) -> list[str]:
        """Consistency checks between parameters (lab-independent); return problems."""
        return []

    def check_lab(self, lab: Lab) -> list[str]:
        """Problems running on this lab, found before anything is sent: missing roles and every
        parameter beyond the lab limit it is bound by. Overrides add theirs to ``super()``'s."""
        return [f"lab {lab.name!r} has no instrument for role {r!r} (needed by {self.name})"
                for r in self.roles if not lab.has(r)] + self.limit_problems(lab)

    def limit_problems(self, lab: Lab) -> list[str]:
        """Every parameter beyond the lab limit it names (``Parameter(limit=...)``)."""
        return [line for p in self.parameters for line in p.limit_problems(self.values[p.name], lab)]

    def validate(self, lab: Lab) -> None:
        problems = self.check_lab(lab)
        if problems:
            raise ParameterError(problems)

    def columns(self) -> list[Column]:
        raise NotImplementedError

    def total_points(self) -> int:
        """Number of Points the plan will yield (for progress)."""
        raise NotImplementedError

    def estimated_duration(self) -> float:
        """Seconds of instrument time, for the progress bar and the GUI."""
        return float("nan")

    def plan(self, lab: Lab) -> Iterator[Message]:
        raise NotImplementedError

    def analyse(self, run: RunData) -> dict[str, Any]:
        """Fit the data; values are :class:`FitValue` or plain JSON-able data."""
        return {}

    def plot(self, run: RunData, results: dict[str, Any], path: Path) -> Path:
        """Write a PNG of the data and fit; returns the path."""
        raise NotImplementedError

    def metadata(self) -> dict[str, Any]:
        """Extra metadata for the file (e.g. the pulse sequence text)."""
        return {}
