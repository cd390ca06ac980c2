"""The one data type every reader returns: axes with SI units, ordinates, parameters.

Readers convert to SI at the edge (field in T, time in s, frequency in Hz, power in W) and map
the vendor's parameters to the names of the Bruker BES3T standard parameter layer (MWFQ, MWPW,
B0MA, B0MF, RCTC, RCHM, AVGS, STMP ...), so an analysis asks one question whatever the file.
A parameter the file does not hold is absent, never NaN: :meth:`Dataset.require` says which
file lacks which key.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np


class FormatError(ValueError):
    """A file that cannot be read as the format asked for; the message names the file, the
    format expected and what was found."""


class MissingParameter(FormatError):
    """The file lacks a parameter an analysis needs (e.g. no microwave frequency for g)."""


@dataclass(frozen=True)
class Axis:
    """One abscissa: values in SI ``unit`` ('T', 's', 'Hz', 'W', 'deg', 'dB' or '' for an index)."""
    values: np.ndarray
    name: str = ""
    unit: str = ""

    def __len__(self) -> int:
        return len(self.values)


@dataclass(frozen=True)
class Ordinate:
    """One measured quantity; shape (..., ny, nx) matching the axes (x fastest), real or complex."""
    values: np.ndarray
    name: str = ""
    unit: str = ""


@dataclass
class Dataset:
    """A spectrum or a series of spectra read from a file.

    ``axes[0]`` is x (the fastest index, last array dimension), ``axes[1]`` y, ``axes[2]`` z.
    ``parameters`` hold SI values under BES3T #SPL names (numbers) or strings (TITL, DATE ...);
    ``raw`` holds the file's own parameters exactly as written, for the record."""
    axes: tuple[Axis, ...]
    ordinates: tuple[Ordinate, ...]
    parameters: dict[str, Any] = field(default_factory=dict)
    format: str = ""
    source: Path | None = None
    title: str = ""
    raw: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        shape = tuple(len(a) for a in reversed(self.axes))
        for o in self.ordinates:
            if o.values.shape != shape:
                raise FormatError(f"{self.source}: ordinate {o.name!r} has shape {o.values.shape}, "
                                  f"the axes give {shape}")

    @property
    def x(self) -> Axis:
        return self.axes[0]

    @property
    def y(self) -> Axis | None:
        return self.axes[1] if len(self.axes) > 1 else None

    @property
    def data(self) -> np.ndarray:
        """The first ordinate's values (most files have one)."""
        return self.ordinates[0].values

    @property
    def ndim(self) -> int:
        return len(self.axes)

    def parameter(self, key: str) -> float | None:
        """A numeric parameter, or None where the file does not hold it."""
        value = self.parameters.get(key)
        if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
            v = float(value)
            return v if np.isfinite(v) else None
        return None

    def require(self, key: str, why: str) -> float:
        """A numeric parameter an analysis cannot do without; raise saying which is missing."""
        value = self.parameter(key)
        if value is None:
            raise MissingParameter(f"{self.source}: the {self.format} file has no {key} ({why}); "
                                   f"it is not recorded in the file's parameters")
        return value
