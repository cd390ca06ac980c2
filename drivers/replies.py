"""Reply parsers of the wire drivers: each checks that a reply is the one its query returns (a
number in the query's range, an identity with four fields, an error-queue entry) and raises
:class:`~drivers.transport.ReplyError` otherwise, so that the transport clears the device and
retries instead of handing another query's answer to the caller."""
from __future__ import annotations

import math
import re
from typing import Any, Callable, TypeVar

from drivers.transport import ReplyError

T = TypeVar("T")

_FLOAT = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def parse_float(text: str) -> float:
    text = text.strip()
    if not _FLOAT.match(text):
        raise ReplyError(f"expected a number, got {text!r}")
    return float(text)


def number(low: float, high: float) -> Callable[[str], float]:
    """A parser for a query that returns one number in [low, high]: a reply outside (an answer
    to another query read one step late, a garbled exponent) is rejected, never returned."""
    return _bounded(parse_float, low, high)


def integer(low: int, high: int) -> Callable[[str], int]:
    """A parser for a query that returns one integer in [low, high]."""
    return _bounded(parse_int, low, high)


def _bounded(parse: Callable[[str], T], low: Any, high: Any) -> Callable[[str], T]:
    def bounded(text: str) -> T:
        value = parse(text)
        if not low <= value <= high:  # type: ignore[operator]
            raise ReplyError(f"{value:g} is outside what this query returns ({low:g} .. {high:g})")
        return value

    return bounded


def parse_identity(text: str) -> str:
    """``*IDN?``: IEEE 488.2 §10.14 defines four comma-separated fields (maker, model, serial,
    firmware); anything else (``ERROR``, a number) is another query's reply."""
    if text.count(",") < 3 or not text.split(",")[0].strip():
        raise ReplyError(f"expected '<maker>,<model>,<serial>,<firmware>' from *IDN?, got {text[:80]!r}")
    return text


def parse_int(text: str) -> int:
    text = text.strip()
    if not re.fullmatch(r"[+-]?\d+", text):
        raise ReplyError(f"expected an integer, got {text!r}")
    return int(text)


def parse_bool(text: str) -> bool:
    t = text.strip().upper()
    if t in ("1", "ON"):
        return True
    if t in ("0", "OFF"):
        return False
    raise ReplyError(f"expected 0/1/ON/OFF, got {text!r}")


def parse_floats(count: int | None = None, sep: str = ",", *, low: float = -math.inf,
                 high: float = math.inf) -> Callable[[str], list[float]]:
    """``count`` separated numbers, each in [low, high] (a list reply of another query is rejected)."""
    one = _bounded(parse_float, low, high)

    def parse(text: str) -> list[float]:
        parts = text.strip().strip("{}").rstrip(sep).split(sep)
        if count is not None and len(parts) != count:
            raise ReplyError(f"expected {count} comma-separated numbers, got {text[:80]!r}")
        return [one(p) for p in parts]

    return parse


def parse_scpi_error(text: str) -> tuple[int, str]:
    """``-222,"Data out of range"`` -> (-222, 'Data out of range'); ``+0,"No error"`` -> (0, ...)."""
    code, sep, message = text.partition(",")
    if not sep:
        raise ReplyError(f"expected '<code>,\"<message>\"' from SYST:ERR?, got {text!r}")
    return parse_int(code), message.strip().strip('"')
