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


class ParameterError(ConfigError):
    """One or more parameters are invalid; ``problems`` lists each, the message all of them."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


@dataclass(frozen=True)
class Parameter:
    """A typed experiment parameter. ``unit`` is the SI unit of the stored value;
    ``display_unit`` is what users type and read (converted at the edges)."""

    name: str
    default: Any
    unit: str = ""
    doc: str = ""
    low: float | None = None
    high: float | None = None
    kind: type = float
    choices: tuple[Any, ...] | None = None
    display_unit: str | None = None

    def coerce(self, value: Any) -> Any:
        """Return the value as this parameter's type, or raise ValueError naming the problem."""
        if self.choices is not None:
            if value not in self.choices:
                raise ValueError(f"{self.name} = {value!r} is not one of {list(self.choices)}")
            return value
        if self.kind is bool:
            if isinstance(value, str):
                if value.lower() in ("1", "true", "yes", "on"):
                    return True
                if value.lower() in ("0", "false", "no", "off"):
                    return False
                raise ValueError(f"{self.name} = {value!r} is not a boolean (true/false)")
            return bool(value)
        if self.kind is int:
            if isinstance(value, float) and not value.is_integer():
                raise ValueError(f"{self.name} = {value!r} must be a whole number")
            try:
                value = int(value)
            except (TypeError, ValueError):
                raise ValueError(f"{self.name} = {value!r} must be a whole number") from None
        elif self.kind is float:
            try:
                value = float(value)
            except (TypeError, ValueError):
                raise ValueError(f"{self.name} = {value!r} must be a number in {self.unit or 'no unit'}") from None
            if not math.isfinite(value):
                raise ValueError(f"{self.name} = {value!r} must be finite")
        elif self.kind is str:
            value = str(value)
        if self.low is not None and value < self.low or self.high is not None and value > self.high:
            lo = "-inf" if self.low is None else f"{self.low:g}"
            hi = "inf" if self.high is None else f"{self.high:g}"
            raise ValueError(f"{self.name} = {value:g} {self.unit} is outside [{lo}, {hi}] {self.unit}")
        return value


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
    """Base class. Subclasses set ``name``, ``parameters``, ``roles`` and implement the hooks."""

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    parameters: ClassVar[tuple[Parameter, ...]] = ()
    #: Roles the plan needs; ``optional_roles`` are used when present.
    roles: ClassVar[tuple[str, ...]] = ()
    optional_roles: ClassVar[tuple[str, ...]] = ()

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

    def __getattr__(self, name: str) -> Any:
        values = self.__dict__.get("values")
        if values is not None and name in values:
            return values[name]
        raise AttributeError(name)

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
        """Problems running on this lab (limits, missing roles), found before anything is sent."""
        return [f"lab {lab.name!r} has no instrument for role {r!r} (needed by {self.name})"
                for r in self.roles if not lab.has(r)]

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
