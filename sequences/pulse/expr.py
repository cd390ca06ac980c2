"""Exact arithmetic expressions for sequence timing: ``"tau - p90/2 - p180/2"``, ``"2us"``.

Durations are held as exact rationals (seconds) so that a sequence's edges can be placed by
rounding the *cumulative* time to the target's clock, never each duration. Floats given by
the user are read through their decimal form to 15 significant digits (``2e-06`` and
``2000 * 1e-9`` both become 1/500000 exactly).
"""
from __future__ import annotations

import re
from fractions import Fraction
from typing import Mapping, Union

from units.quantity import unit_scale

Number = Union[int, float, Fraction]


def time_unit(symbol: str) -> Fraction | None:
    """Exact seconds per ``symbol`` when it is a time unit ('us', 'ms', 'ns', 's' ...; read by the
    one quantity parser's unit table), else None (a parameter name)."""
    try:
        return unit_scale(symbol, "s")
    except KeyError:
        return None


_TOKEN = re.compile(r"\s*(?:(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)|(?P<name>[A-Za-zµμ_][A-Za-z0-9_µμ]*)"
                    r"|(?P<op>[-+*/()]))")


class ExprError(ValueError):
    """An expression that cannot be read or evaluated; the message says what is accepted."""


def exact(value: Number | str) -> Fraction:
    """A number as an exact rational; floats through their decimal form to 15 significant digits."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, bool):
        raise ExprError(f"{value!r} is not a number")
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ExprError(f"{value!r} is not a finite number")
        # 15 significant digits: 100 * 1e-9 = 1.0000000000000001e-07 is meant as 100 ns exactly.
        return Fraction(f"{value:.15g}")
    return Fraction(str(value))


class Expr:
    """A parsed expression over parameter names, numbers with time units, + - * / ( ).

    ``Expr("tau - p90/2")``; ``Expr(2e-6)``; ``names`` lists the parameters it needs;
    ``evaluate(values)`` returns exact seconds as a :class:`Fraction`.
    """

    __slots__ = ("text", "_tree", "names")

    def __init__(self, source: "Expr | Number | str"):
        if isinstance(source, Expr):
            self.text, self._tree, self.names = source.text, source._tree, source.names
            return
        if isinstance(source, (int, float, Fraction)) and not isinstance(source, bool):
            value = exact(source)
            self.text = _format_seconds(value)
            self._tree = ("num", value)
            self.names = frozenset()
            return
        if not isinstance(source, str):
            raise ExprError(f"cannot use {source!r} as a duration: give seconds, '2us' or an expression "
                            f"like 'tau - p90/2'")
        self.text = source.strip()
        tokens = _tokenise(self.text)
        parser = _Parser(tokens, self.text)
        self._tree = parser.expression()
        if parser.pos != len(tokens):
            raise ExprError(f"unexpected {tokens[parser.pos][1]!r} in {self.text!r}")
        self.names = frozenset(_names(self._tree))

    def evaluate(self, values: Mapping[str, Number]) -> Fraction:
        return _eval(self._tree, values, self.text)

    @property
    def is_constant(self) -> bool:
        return not self.names

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Expr({self.text!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Expr) and self.text == other.text

    def __hash__(self) -> int:
        return hash(self.text)


def _format_seconds(value: Fraction) -> str:
    if value == 0:
        return "0"
    for unit, scale in (("s", 1), ("ms", Fraction(1, 10**3)), ("us", Fraction(1, 10**6)), ("ns", Fraction(1, 10**9))):
        if abs(value) >= scale:
            q = value / scale
            break
    else:
        unit, q = "ps", value / Fraction(1, 10**12)
    if q.denominator == 1:
        return f"{q.numerator}{unit}"
    as_float = float(q)
    if exact(as_float) == q:
        return f"{as_float!r}{unit}"
    return f"({q.numerator}/{q.denominator})*1{unit}"


def _tokenise(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m:
            raise ExprError(f"cannot read {text[pos:]!r} in {text!r}; use numbers with s/ms/us/ns, "
                            f"parameter names and + - * / ( )")
        kind = m.lastgroup
        tokens.append((kind, m.group(kind)))
        pos = m.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], text: str):
        self.tokens, self.text, self.pos = tokens, text, 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise ExprError(f"{self.text!r} ends too early")
        self.pos += 1
        return tok

    def expression(self):
        node = self.term()
        while (tok := self.peek()) and tok[1] in "+-" and tok[0] == "op":
            self.take()
            node = (tok[1], node, self.term())
        return node

    def term(self):
        node = self.unary()
        while (tok := self.peek()) and tok[0] == "op" and tok[1] in "*/":
            self.take()
            node = (tok[1], node, self.unary())
        return node

    def unary(self):
        tok = self.peek()
        if tok and tok == ("op", "-"):
            self.take()
            return ("neg", self.unary())
        if tok and tok == ("op", "+"):
            self.take()
            return self.unary()
        return self.atom()

    def atom(self):
        kind, text = self.take()
        if kind == "num":
            value = Fraction(text)
            nxt = self.peek()
            scale = time_unit(nxt[1]) if nxt and nxt[0] == "name" else None
            if scale is not None:
                self.take()
                value *= scale
            return ("num", value)
        if kind == "name":
            if time_unit(text) is not None:
                raise ExprError(f"unit {text!r} without a number in {self.text!r}")
            return ("name", text)
        if text == "(":
            node = self.expression()
            if self.peek() != ("op", ")"):
                raise ExprError(f"missing ')' in {self.text!r}")
            self.take()
            return node
        raise ExprError(f"unexpected {text!r} in {self.text!r}")


def _names(node) -> set[str]:
    if node[0] == "name":
        return {node[1]}
    if node[0] == "num":
        return set()
    return set().union(*(_names(child) for child in node[1:]))


def _eval(node, values: Mapping[str, Number], text: str) -> Fraction:
    kind = node[0]
    if kind == "num":
        return node[1]
    if kind == "name":
        if node[1] not in values:
            raise ExprError(f"{text!r} needs parameter {node[1]!r}, which has no value "
                            f"(known: {', '.join(sorted(values)) or 'none'})")
        return exact(values[node[1]])
    if kind == "neg":
        return -_eval(node[1], values, text)
    a, b = _eval(node[1], values, text), _eval(node[2], values, text)
    if kind == "+":
        return a + b
    if kind == "-":
        return a - b
    if kind == "*":
        return a * b
    if b == 0:
        raise ExprError(f"division by zero in {text!r}")
    return a / b


def round_ticks(seconds: Fraction, clock_hz: Fraction) -> int:
    """Nearest clock tick to an exact time (halves round up, deterministically)."""
    x = seconds * clock_hz
    return (2 * x.numerator + x.denominator) // (2 * x.denominator)


PHASE_NAMES = {"x": 0.0, "y": 90.0, "-x": 180.0, "-y": 270.0, "+x": 0.0, "+y": 90.0}


def parse_phase(value: Number | str) -> float:
    """'x', 'y', '-x', '-y' or degrees -> degrees in [0, 360)."""
    if isinstance(value, str):
        key = value.strip().lower()
        if key in PHASE_NAMES:
            return PHASE_NAMES[key]
        try:
            value = float(key.removesuffix("deg"))
        except ValueError:
            raise ExprError(f"phase {value!r}: use x, y, -x, -y or degrees") from None
    return float(value) % 360.0


def phase_name(deg: float) -> str:
    for name, value in (("x", 0.0), ("y", 90.0), ("-x", 180.0), ("-y", 270.0)):
        if abs(((deg - value + 180.0) % 360.0) - 180.0) < 1e-9:
            return name
    return f"{deg:g}°"
