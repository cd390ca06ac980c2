"""Common base of every instrument role."""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from drivers.errors import LimitError


@dataclass(frozen=True)
class Range:
    """A closed interval of allowed values, in SI units."""

    low: float
    high: float
    unit: str = ""

    def check(self, quantity: str, value: float, who: str = "") -> float:
        value = float(value)
        if not (self.low <= value <= self.high) or value != value:
            raise LimitError(quantity, value, self.low, self.high, self.unit, who)
        return value

    def clip(self, value: float) -> float:
        return min(max(value, self.low), self.high)


def quantity(kind: type, unit: str) -> property:
    """A settable quantity every instrument filling a role must provide, in SI ``unit``
    (``frequency = quantity(float, "Hz")``): abstract until a driver defines it, as a property
    pair or a :mod:`drivers.settings` descriptor."""
    def get(self: Any) -> Any:
        raise NotImplementedError

    def set_(self: Any, value: Any) -> None:
        raise NotImplementedError

    get.__isabstractmethod__ = True  # type: ignore[attr-defined]
    set_.__isabstractmethod__ = True  # type: ignore[attr-defined]
    return property(get, set_, doc=f"{kind.__name__}" + (f", {unit}" if unit else ""))


class Instrument(ABC):
    """An instrument filling one role in the lab.

    ``name`` is the role name given in the lab config (e.g. ``"lockin"``); ``identity`` is what
    the instrument says it is; ``snapshot`` returns every setting for the run's metadata.
    """

    role: str = "instrument"

    def __init__(self, name: str | None = None):
        self.name = name or self.role

    @abstractmethod
    def identity(self) -> str:
        """Manufacturer, model, serial and firmware, as the instrument reports them."""

    @abstractmethod
    def snapshot(self) -> dict[str, Any]:
        """All settings, SI values, keyed ``name`` or ``name_unit`` for the run metadata."""

    def make_safe(self) -> None:
        """Bring this instrument to its safe state (RF off, field ramped down, drive off)."""

    def close(self) -> None:
        """Release the transport."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"
