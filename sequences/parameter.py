"""Typed experiment parameters: declared on the experiment class, read as attributes, carrying
their SI unit, display unit, range, doc and the lab limit that binds them.

In the spirit of QCoDeS's Parameter and Qudi's StatusVar, but small: the declaration is the one
place that the CLI (``--set``, ``spinbench list``), the GUI form, validation and the run file's
metadata all read.
"""
from __future__ import annotations

import math
from typing import Any, Generic, TypeVar, overload

from drivers.lab import LIMIT_RULES, Lab
from units.quantity import UnitError, parse_quantity, parse_quantity_list, unit_scale

T = TypeVar("T")

#: Human names of the lab limits a parameter can be bound to (``limit=``), for messages.
LIMIT_NAMES = {"max_field": "max field", "max_ramp_rate": "max ramp rate", "max_rf_power": "max RF power",
               "max_pulse_length": "max pulse length", "max_piezo_amplitude": "max piezo amplitude",
               "temperature": "temperature window"}


class Parameter(Generic[T]):
    """A typed experiment parameter, declared on the class and read as an attribute::

        class EsrFieldSweep(Experiment):
            field_start = Parameter(0.3338, "T", "first field", -2.0, 2.0, display_unit="mT", limit="max_field")

    ``unit`` is the SI unit of the stored value, ``display_unit`` what people type and read;
    text (CLI, GUI, TOML, ``EsrFieldSweep(field_start="335mT")``) goes through the one quantity
    parser, a bare number in text being in the display unit; Python numbers are SI. ``limit``
    names the lab limit the value is bound by (a ``LabLimits`` field such as ``max_field``, or
    ``temperature`` for the lab's temperature window), checked by :meth:`Experiment.check_lab`.
    ``kind=list`` holds a list of quantities ('300, 150, 5K').
    """

    def __init__(self, default: T, unit: str = "", doc: str = "", low: float | None = None,
                 high: float | None = None, *, kind: type = float, choices: tuple[Any, ...] | None = None,
                 display_unit: str | None = None, limit: str | None = None, name: str = ""):
        if limit is not None and limit not in LIMIT_NAMES:
            raise ValueError(f"limit {limit!r} is not a lab limit a parameter can be bound to; "
                             f"accepted: {', '.join(LIMIT_NAMES)}")
        self.name, self.default, self.unit, self.doc = name, default, unit, doc
        self.low, self.high, self.kind, self.choices = low, high, kind, choices
        self.display_unit, self.limit = display_unit, limit

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> "Parameter[T]": ...

    @overload
    def __get__(self, obj: object, owner: type | None = None) -> T: ...

    def __get__(self, obj: object | None, owner: type | None = None) -> "T | Parameter[T]":
        if obj is None:
            return self
        return obj.values[self.name]  # type: ignore[attr-defined]

    def __set__(self, obj: object, value: Any) -> None:
        raise AttributeError(f"{self.name} is fixed when the experiment is made; make a new one "
                             f"with {self.name}=... instead")

    def __repr__(self) -> str:
        return f"Parameter({self.name!r}, default={self.default!r}, unit={self.unit!r})"

    def replace(self, **changes: Any) -> "Parameter[T]":
        """A copy with some fields changed (a subclass's own default or doc)."""
        fields = {k: getattr(self, k) for k in ("default", "unit", "doc", "low", "high", "kind", "choices",
                                                 "display_unit", "limit", "name")}
        return Parameter(**{**fields, **changes})

    @property
    def shown_unit(self) -> str:
        """The unit values are typed and shown in (a bare number in text means this unit)."""
        return self.display_unit or self.unit

    def shown(self, value: float) -> str:
        """An SI value as text in the display unit: 0.3338 T -> '333.8 mT'."""
        factor = float(unit_scale(self.display_unit, self.unit)) if self.display_unit else 1.0
        return f"{value / factor:g} {self.shown_unit}".strip()

    def text(self, value: Any) -> str:
        """A value as people type it, in the display unit without the unit ('333.8' for 0.3338 T):
        what a form field shows and :meth:`parse` reads back."""
        if isinstance(value, (list, tuple)):
            return ", ".join(self.text(v) for v in value)
        if self.kind in (float, list) and self.choices is None and isinstance(value, (int, float)):
            factor = float(unit_scale(self.display_unit, self.unit)) if self.display_unit else 1.0
            return f"{value / factor:.10g}"
        return str(value)

    def range_text(self) -> str:
        """'[-2000, 2000] mT', 'one of up, down', '' when unbounded; plus the lab limit it is bound by."""
        if self.choices is not None:
            text = "one of " + ", ".join(map(str, self.choices))
        elif self.low is None and self.high is None:
            text = ""
        else:
            lo = "-inf" if self.low is None else self.text(self.low) if self.kind is not int else str(self.low)
            hi = "inf" if self.high is None else self.text(self.high) if self.kind is not int else str(self.high)
            text = f"[{lo}, {hi}] {self.shown_unit}".rstrip()
        if self.limit is not None:
            text += f"{' ' if text else ''}(and the lab's {LIMIT_NAMES[self.limit]})"
        return text

    def parse(self, text: str) -> T:
        """Text typed by a person (CLI ``--set``, GUI field, TOML string) -> checked value."""
        return self.coerce(str(text).strip())

    def coerce(self, value: Any) -> T:
        """Return the value as this parameter's type, or raise ValueError naming the problem."""
        if self.choices is not None:
            if isinstance(value, str) and value not in self.choices:
                value = next((c for c in self.choices if str(c) == value.strip()), value)
            if value not in self.choices:
                raise ValueError(f"{self.name} = {value!r} is not one of {list(self.choices)}")
            return value
        if self.kind is bool:
            if isinstance(value, str):
                if value.lower() in ("1", "true", "yes", "on"):
                    return True  # type: ignore[return-value]
                if value.lower() in ("0", "false", "no", "off"):
                    return False  # type: ignore[return-value]
                raise ValueError(f"{self.name} = {value!r} is not a boolean (true/false)")
            return bool(value)  # type: ignore[return-value]
        if self.kind is int:
            if isinstance(value, str):
                try:
                    value = float(value)
                except ValueError:
                    raise ValueError(f"{self.name} = {value!r} must be a whole number") from None
            if isinstance(value, float) and not value.is_integer():
                raise ValueError(f"{self.name} = {value!r} must be a whole number")
            try:
                value = int(value)
            except (TypeError, ValueError, OverflowError):
                raise ValueError(f"{self.name} = {value!r} must be a whole number") from None
        elif self.kind is float:
            value = self._quantity(value)
        elif self.kind is list:
            if isinstance(value, str):
                try:
                    value = parse_quantity_list(value, self.unit, bare=self.shown_unit, name=self.name)
                except UnitError as exc:
                    raise ValueError(str(exc)) from None
            try:
                items = [self._quantity(v) for v in value]
            except TypeError:
                raise ValueError(f"{self.name} = {value!r} must be a list of numbers") from None
            if not items:
                raise ValueError(f"{self.name} is empty; give at least one value in {self.shown_unit or 'SI units'}")
            for item in items:
                self._check_range(item)
            return items  # type: ignore[return-value]
        elif self.kind is str:
            value = str(value)
        self._check_range(value)
        return value

    def _quantity(self, value: Any) -> float:
        if isinstance(value, str):
            try:
                return parse_quantity(value, self.unit, bare=self.shown_unit, name=self.name)
            except UnitError as exc:
                raise ValueError(str(exc)) from None
        if isinstance(value, bool):
            raise ValueError(f"{self.name} = {value!r} must be a number in {self.shown_unit or 'no unit'}")
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{self.name} = {value!r} must be a number in {self.shown_unit or 'no unit'}") from None
        if not math.isfinite(value):
            raise ValueError(f"{self.name} = {value!r} must be finite")
        return value

    def _check_range(self, value: Any) -> None:
        if self.low is not None and value < self.low or self.high is not None and value > self.high:
            if self.kind in (float, list):
                number = lambda v: self.shown(v).removesuffix(self.shown_unit).strip()  # noqa: E731
                lo = "-inf" if self.low is None else number(self.low)
                hi = "inf" if self.high is None else number(self.high)
                raise ValueError(f"{self.name} = {self.shown(value)} is outside [{lo}, {hi}] {self.shown_unit}".rstrip())
            raise ValueError(f"{self.name} = {value} is outside [{self.low}, {self.high}]")

    def limit_problems(self, value: Any, lab: Lab) -> list[str]:
        """Where ``value`` passes the lab limit this parameter is bound by: one line each."""
        if self.limit is None:
            return []
        items = value if self.kind is list else [value]
        return [p for v in items if (p := limit_problem(lab, self.limit, self.name, v, self.display_unit))]


def limit_problem(lab: Lab, limit: str, what: str, value: float, display_unit: str | None = None) -> str | None:
    """Why ``value`` (SI) of ``what`` breaks the lab limit ``limit`` (see :data:`LIMIT_NAMES`), or
    None: the check behind every bound parameter; fields (also derived ones, a window's edge) go
    through the lab's own ``field_problem``, which knows what the field controller can reach."""
    if limit == "max_field":  # the lab's limit and what its field controller can really reach
        return lab.field_problem(what, value)
    lim = lab.limits
    if limit == "temperature":
        low, high = lim.temperature_min, lim.temperature_max
        if low <= value <= high:
            return None
        return f"{what} = {value:g} K is outside the lab's temperature window [{low:g}, {high:g}] K"
    bound = getattr(lim, limit)
    if abs(value) <= bound:
        return None
    unit = LIMIT_RULES[limit][0]
    shown = display_unit or unit
    factor = float(unit_scale(shown, unit)) if shown != unit else 1.0
    return (f"{what} = {value / factor:g} {shown} exceeds the lab's {LIMIT_NAMES[limit]} "
            f"{bound / factor:g} {shown}".strip())
