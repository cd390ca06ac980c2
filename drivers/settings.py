"""Driver settings declared once: the command, the allowed range, the wire formats.

A driver writes ``frequency = setting("SOUR:FREQ", range="frequency_range", to_wire="{:.3f}",
from_wire=number(0, 100e9))`` instead of a hand-written property pair. The descriptor

* checks a new value against the range *before* anything is sent (a :class:`Range`, or the
  name of the instance attribute holding one, so that the lab's limits narrowing that
  attribute apply), or with a ``check`` function for rules a range cannot say;
* sends it as an idempotent setting (``driver._set``), which runs the driver's error-queue
  check (``SYST:ERR?`` / ``*ESR?``); where there is none (or it is off), reads the setting
  back and compares it, in wire format, with what was sent;
* reads it back with the query (``command + "?"`` unless given), validating the reply with
  ``from_wire``: a reply the query cannot return (a shifted answer to another query, a
  garbled number) raises, so the transport resynchronises and retries instead of returning
  another quantity;
* contributes to the driver's :meth:`drivers.wire_instrument.WireInstrument.snapshot_settings`.

A command may name driver attributes in braces, filled in per instance: ``setting("SOUR{ch}:VOLT")``
sends ``SOUR2:VOLT ...`` for a driver whose ``ch`` is 2 (one class, one setting per output).

:func:`ladder` is the same for index-coded settings (time constants, sensitivities, filter
slopes): the instrument's table of values is a class attribute named by the descriptor.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Iterable

from drivers.roles.base import Range
from drivers.replies import parse_int

Encoder = Callable[[Any], str] | str


class Setting:
    """One settable, readable instrument quantity (see module doc)."""

    def __init__(self, command: str, *, range: Range | str | None = None,
                 to_wire: Encoder = "{}", from_wire: Callable[[str], Any] = str, query: str | None = None,
                 check: Callable[[Any, Any], Any] | None = None, unit: str = "", quantity: str = "",
                 snapshot: str | None = "", doc: str = ""):
        self.command = command
        self.query = query or f"{command}?"
        self.range = range
        self.to_wire = to_wire
        self.from_wire = from_wire
        self.check = check
        self.unit = unit
        self.quantity = quantity
        self.snapshot_key = snapshot
        self.__doc__ = doc or f"``{self.query}`` / ``{command} <value>``" + (f" ({unit})" if unit else "")
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        self.quantity = self.quantity or name.replace("_", " ")
        if self.snapshot_key == "":
            self.snapshot_key = f"{name}_{self.unit}" if self.unit else name

    # --- descriptor protocol ---------------------------------------------------------------------
    def __get__(self, driver: Any, owner: type | None = None) -> Any:
        if driver is None:
            return self
        return driver._ask(self.query_for(driver), self.decoder(driver))

    def __set__(self, driver: Any, value: Any) -> None:
        value = self.validate(driver, value)
        wire = self.encode(driver, value)
        driver._set(f"{self.command_for(driver)} {wire}")
        if driver.error_check == "none" or not driver.check_errors_enabled:
            self.confirm(driver, wire)

    def command_for(self, driver: Any) -> str:
        """The command with the driver's attributes filled in (``SOUR{ch}:VOLT`` -> ``SOUR1:VOLT``)."""
        return self.command.format_map(_Attributes(driver)) if "{" in self.command else self.command

    def query_for(self, driver: Any) -> str:
        return self.query.format_map(_Attributes(driver)) if "{" in self.query else self.query

    def confirm(self, driver: Any, wire: str) -> None:
        """Without an error report the read-back is the only confirmation that the instrument
        took the setting (and the query confirms the write to the transport): it must read back
        as what was sent, in the command's own wire format."""
        back = self.wire_of(driver, self.__get__(driver))
        if back != wire:
            raise driver._error(f"{self.quantity} was sent as {wire!r} but reads back as {back!r} "
                                f"({self.query_for(driver)}); the instrument did not take the setting",
                                f"{self.command_for(driver)} {wire}")

    def wire_of(self, driver: Any, value: Any) -> str:
        """How ``value``, as read back, would have been sent."""
        return self.encode(driver, value)

    # --- the parts a subclass may change ---------------------------------------------------------
    def validate(self, driver: Any, value: Any) -> Any:
        """The value to send, or LimitError/ValueError naming the driver, before anything is sent."""
        if self.check is not None:
            value = self.check(driver, value)
        rng = getattr(driver, self.range) if isinstance(self.range, str) else self.range
        if rng is not None:
            value = rng.check(self.quantity, value, driver.name)
        return value

    def encode(self, driver: Any, value: Any) -> str:
        return self.to_wire.format(value) if isinstance(self.to_wire, str) else self.to_wire(value)

    def decoder(self, driver: Any) -> Callable[[str], Any]:
        return self.from_wire


class _Attributes:
    """``str.format_map`` view of a driver's attributes (for commands such as ``SOUR{ch}:VOLT``)."""

    def __init__(self, driver: Any):
        self.driver = driver

    def __getitem__(self, key: str) -> Any:
        return getattr(self.driver, key)


class LadderSetting(Setting):
    """An index-coded setting: the wire carries the position in the driver's table ``ladder``.

    ``mode``: ``"exact"`` (the value must be in the table), ``"nearest"`` (nearest in log, for
    1-3-10 ladders) or ``"at_least"`` (the smallest entry >= the value: a sensitivity that
    never overloads).
    """

    def __init__(self, command: str, ladder: str, *, mode: str = "exact", tolerance: float = 1e-3, **kwargs: Any):
        kwargs.setdefault("to_wire", "{}")
        super().__init__(command, **kwargs)
        if mode not in ("exact", "nearest", "at_least"):
            raise ValueError(f"ladder mode {mode!r}; use exact, nearest or at_least")
        self.ladder, self.mode, self.tolerance = ladder, mode, tolerance

    def table(self, driver: Any) -> tuple[Any, ...]:
        return tuple(getattr(driver, self.ladder))

    def validate(self, driver: Any, value: Any) -> Any:
        table = self.table(driver)
        if self.mode == "exact":
            if value not in table:
                raise ValueError(f"{driver.name}: {self.quantity} {value!r}" + (f" {self.unit}" if self.unit else "")
                                 + f"; use one of {table}")
            return table.index(value)
        lo, hi = min(table), max(table)
        low_ok = value > 0 if self.mode == "at_least" else value >= lo * (1 - self.tolerance)
        if not (low_ok and value <= hi * (1 + self.tolerance)):
            raise ValueError(f"{driver.name}: {self.quantity} {value!r} {self.unit} outside {lo:g} .. {hi:g} {self.unit}")
        if self.mode == "nearest":
            return choose_index(table, value)
        ordered = sorted(table)
        return table.index(ordered[choose_index(ordered, value, "at_least")])

    def wire_of(self, driver: Any, value: Any) -> str:
        return self.encode(driver, self.table(driver).index(value))

    def decoder(self, driver: Any) -> Callable[[str], Any]:
        table = self.table(driver)

        def parse(text: str) -> Any:
            i = parse_int(text)
            if not 0 <= i < len(table):
                raise ValueError(f"index {i} outside 0..{len(table) - 1}")
            return table[i]

        return parse


class IndexedSetting(Setting):
    """One setting per output or input, addressed by an index on the wire: ``driver.setpoints[1]
    = 295.0`` sends ``SETP 1,295.000`` and ``driver.setpoints[1]`` asks ``SETP? 1`` (the Lake
    Shore form). ``index_check`` names a driver method that validates the index (and may
    convert it) before anything is sent. Not part of snapshots (which index would it read?)."""

    def __init__(self, command: str, *, index_check: str | None = None, **kwargs: Any):
        kwargs.setdefault("snapshot", None)
        super().__init__(command, **kwargs)
        self.index_check = index_check

    def __get__(self, driver: Any, owner: type | None = None) -> Any:
        if driver is None:
            return self
        return _IndexedAccess(self, driver)

    def __set__(self, driver: Any, value: Any) -> None:
        raise AttributeError(f"{driver.name}: {self.quantity} is set per index: {self.name}[n] = value")

    def index(self, driver: Any, index: Any) -> Any:
        return getattr(driver, self.index_check)(index) if self.index_check else index

    def get(self, driver: Any, index: Any) -> Any:
        return driver._ask(f"{self.query_for(driver)} {self.index(driver, index)}", self.decoder(driver))

    def set(self, driver: Any, index: Any, value: Any) -> None:
        index = self.index(driver, index)
        value = self.validate(driver, value)
        wire = self.encode(driver, value)
        driver._set(f"{self.command_for(driver)} {index},{wire}")
        if driver.error_check == "none" or not driver.check_errors_enabled:
            back = self.wire_of(driver, self.get(driver, index))
            if back != wire:
                raise driver._error(f"{self.quantity} {index} was sent as {wire!r} but reads back as {back!r}; the "
                                    "instrument did not take the setting", f"{self.command_for(driver)} {index},{wire}")


class _IndexedAccess:
    def __init__(self, setting: IndexedSetting, driver: Any):
        self.setting, self.driver = setting, driver

    def __getitem__(self, index: Any) -> Any:
        return self.setting.get(self.driver, index)

    def __setitem__(self, index: Any, value: Any) -> None:
        self.setting.set(self.driver, index, value)


def indexed_setting(command: str, **kwargs: Any) -> IndexedSetting:
    """A setting per output/input index (see :class:`IndexedSetting`)."""
    return IndexedSetting(command, **kwargs)


def setting(command: str, **kwargs: Any) -> Setting:
    """A numeric/boolean/text setting (see :class:`Setting`)."""
    return Setting(command, **kwargs)


def ladder(command: str, table: str, **kwargs: Any) -> LadderSetting:
    """An index-coded setting over the class attribute ``table`` (see :class:`LadderSetting`)."""
    return LadderSetting(command, table, **kwargs)


def choose_index(values: Iterable[float], wanted: float, mode: str = "nearest") -> int:
    """Index into a ladder of discrete settings: 'nearest' (in log) or 'at_least'."""
    vals = list(values)
    if mode == "at_least":
        for i, v in enumerate(vals):
            if v >= wanted * (1 - 1e-9):
                return i
        return len(vals) - 1
    return min(range(len(vals)), key=lambda i: abs(math.log(vals[i] / wanted)))
