"""Compare a documented output block with what the block really printed.

Each non-blank line of the documented output must match a line of the real output, in order
(the real output may have more lines: a doc quotes what matters). Text must be equal (runs of
white space count as one); ``...`` stands for any text (time stamps, paths); each number must
round to the quoted digits (within half a unit of the last one: ``2.0036`` accepts 2.00355 to
2.00365, ``401`` only 401) or agree within the block's ``tolerance`` marker (``2%`` relative or
an absolute number), whichever is larger. So a doc quotes a number only to the digits it means.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

NUMBER = r"[-+]?(?:\d+\.\d+|\.\d+|\d+)(?:[eE][-+]?\d+)?"
_TOKEN = re.compile(rf"(\.\.\.)|({NUMBER})|(\s+)")


@dataclass(frozen=True)
class Tolerance:
    relative: float = 0.0
    absolute: float = 0.0

    @classmethod
    def parse(cls, text: str | None) -> "Tolerance":
        if not text:
            return cls()
        text = text.strip()
        if text.endswith("%"):
            return cls(relative=float(text[:-1]) / 100.0)
        return cls(absolute=float(text))


def last_digit_unit(quoted: str) -> float:
    """One unit in the last digit of a quoted number: '2.0036' -> 1e-4, '4.11e-15' -> 1e-17."""
    mantissa, _, exponent = quoted.lower().partition("e")
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    return 10.0 ** (int(exponent or 0) - decimals)


def _pattern(expected: str) -> tuple[re.Pattern[str], list[str]]:
    parts, numbers, pos = [], [], 0
    for m in _TOKEN.finditer(expected):
        parts.append(re.escape(expected[pos:m.start()]))
        if m.group(1):
            parts.append(".*?")
        elif m.group(2):
            parts.append(f"({NUMBER})")
            numbers.append(m.group(2))
        else:
            parts.append(r"\s+")
        pos = m.end()
    parts.append(re.escape(expected[pos:]))
    return re.compile("".join(parts)), numbers


def _line_problem(expected: str, actual: str, tol: Tolerance) -> str | None:
    """None when the line matches; else why not ('' when the text itself differs)."""
    pattern, quoted = _pattern(expected.strip())
    m = pattern.fullmatch(actual.strip())
    if m is None:
        return ""
    for q, got in zip(quoted, m.groups()):
        allowed = max(last_digit_unit(q) / 2, tol.relative * abs(float(q)), tol.absolute)
        if abs(float(got) - float(q)) > allowed * (1 + 1e-9):
            return f"quoted {q}, got {got} (tolerance ±{allowed:.3g})"
    return None


def compare_output(expected: str, actual: str, tol: Tolerance, where: str) -> None:
    """Raise AssertionError naming the first documented line the real output does not back."""
    lines = [l for l in actual.splitlines() if l.strip()]
    pos = 0
    for want in (l for l in expected.splitlines() if l.strip()):
        near = None
        for k in range(pos, len(lines)):
            problem = _line_problem(want, lines[k], tol)
            if problem is None:
                pos = k + 1
                break
            if problem and near is None:
                near = f"{problem} in: {lines[k].strip()}"
        else:
            detail = near or "no line of the real output matches it"
            shown = "\n    ".join(lines[pos:pos + 30]) or "(nothing)"
            raise AssertionError(f"{where}: documented output line\n    {want.strip()}\n"
                                 f"is not what the block prints: {detail}\n"
                                 f"real output from there on:\n    {shown}")
