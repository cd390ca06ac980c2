"""The command-line side of a served instrument: parsing, dispatch, error reporting, faults.

A served instrument lists its commands as ``(spec, handler)``. Two parsing styles:

* ``"scpi"`` — specs in SCPI long/short form, ``[:SOURce]:FREQuency[:CW]?``; ``#`` stands for
  an optional numeric suffix (``FM#`` matches ``FM``, ``FM1``). Header and arguments are
  separated by white space; ``;`` separates commands in one message.
* ``"mnemonic"`` — SR830 / Lake Shore style ``KRDG? A``, ``FREQ1000``, ``OUTP?1``: the header is
  the leading letters (with ``*`` and ``?``), the rest are the arguments.

A handler gets the argument text and returns the reply (queries) or None; it raises
:class:`ExecError` for a parameter the instrument would reject, which lands in the error queue
(SCPI ``SYST:ERR?``) and sets the IEEE 488.2 *ESR* bit, never in a reply.
"""
from __future__ import annotations

import random
import re
from collections import deque
from dataclasses import dataclass, replace
from typing import Any, Callable

from sim_backend.served.faults import Fault, FaultSet
from sim_backend.served.link import WorldLink

ESR_EXE, ESR_CME, ESR_QYE, ESR_OPC = 1 << 4, 1 << 5, 1 << 2, 1 << 0
_HEADER = re.compile(r"^\s*(\*?[A-Za-z]+\??)\s*(.*)$")
_UNITS = {"": 1.0, "HZ": 1.0, "KHZ": 1e3, "MHZ": 1e6, "GHZ": 1e9, "DBM": 1.0, "V": 1.0, "MV": 1e-3,
          "A": 1.0, "MA": 1e-3, "S": 1.0, "MS": 1e-3, "US": 1e-6, "PCT": 1.0}


class ExecError(Exception):
    """A command the instrument understood but refused (SCPI -200 class / *ESR EXE bit)."""

    def __init__(self, message: str = "Data out of range", code: int = -222):
        super().__init__(message)
        self.code = code


class BinaryReply(str):
    """A reply of raw bytes (one character per byte, latin-1), sent exactly as it is: no reply
    termination is added (a binary transfer's own format says where it ends)."""

    def wire(self) -> bytes:
        return self.encode("latin-1")


@dataclass
class Outcome:
    """What the server does with one received line."""

    reply: str | None = None
    #: Replies held back earlier (a ``shift`` fault), sent before ``reply``.
    stale: tuple[str, ...] = ()
    delay: float = 0.0
    drop: bool = False
    truncate: bool = False


def scpi_pattern(spec: str) -> re.Pattern[str]:
    """Compile a long/short-form SCPI spec to a regex over the normalised header."""
    rx, i = "", 0
    while i < len(spec):
        c = spec[i]
        if c in "[]:?*":
            rx += {"[": "(?:", "]": ")?", ":": ":", "?": r"\?", "*": r"\*"}[c]
            i += 1
            continue
        m = re.match(r"([A-Z]+\d*)([a-z]*)(#?)", spec[i:])
        if not m:
            raise ValueError(f"bad SCPI spec {spec!r} at {spec[i:]!r}")
        short, rest, num = m.groups()
        rx += short + (f"(?:{rest.upper()})?" if rest else "") + (r"\d*" if num else "")
        i += m.end()
    return re.compile(rx, re.IGNORECASE)


def number(text: str, unit_ok: bool = True) -> float:
    """A numeric argument, optionally with a unit suffix (``9.5GHz``, ``-10 dBm``)."""
    m = re.fullmatch(r"\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*([A-Za-z]*)\s*", text)
    if not m or (m.group(2) and not unit_ok) or m.group(2).upper() not in _UNITS:
        raise ExecError(f"numeric argument expected, got {text!r}", -104)
    return float(m.group(1)) * _UNITS[m.group(2).upper()]


def integer(text: str, low: int, high: int) -> int:
    value = number(text, unit_ok=False)
    if value != int(value) or not low <= value <= high:
        raise ExecError(f"{text!r} outside {low}..{high}")
    return int(value)


def boolean(text: str) -> bool:
    t = text.strip().upper()
    if t in ("1", "ON"):
        return True
    if t in ("0", "OFF"):
        return False
    raise ExecError(f"ON/OFF expected, got {text!r}", -104)


class StoredSetting:
    """A setting a served instrument only keeps and reports back (front-panel style tables such
    as OUTMODE, HTRSET, DDEF): ``NAME key,f1,f2...`` validates and stores the fields of entry
    ``key``, ``NAME? key`` returns them. ``fields`` are (parser of the text, format, default)."""

    def __init__(self, keys: tuple[int, ...], fields: list[tuple[Callable[[str], Any], str, Any]]):
        self.keys = keys
        self.fields = fields
        self.values = {k: [default for _, _, default in fields] for k in keys}

    def _key(self, text: str) -> int:
        key = integer(text, min(self.keys), max(self.keys))
        if key not in self.keys:
            raise ExecError(f"{key} not one of {self.keys}")
        return key

    def set(self, args: str) -> None:
        head, *parts = [p.strip() for p in args.split(",")]
        key = self._key(head)
        if not 1 <= len(parts) <= len(self.fields):
            raise ExecError(f"expected {len(self.fields)} values after {key}, got {len(parts)}")
        parsed = [parse(text) for (parse, _, _), text in zip(self.fields, parts)]
        self.values[key][: len(parsed)] = parsed

    def get(self, args: str) -> str:
        key = self._key(args)
        return ",".join(fmt.format(v) for (_, fmt, _), v in zip(self.fields, self.values[key]))


def ranged(low: float, high: float) -> Callable[[str], float]:
    """A numeric field parser for :class:`StoredSetting`."""
    def parse(text: str) -> float:
        value = number(text, unit_ok=False)
        if not low <= value <= high:
            raise ExecError(f"{value:g} outside {low:g}..{high:g}")
        return value

    return parse


def choice(low: int, high: int) -> Callable[[str], int]:
    """An integer field parser for :class:`StoredSetting`."""
    return lambda text: integer(text, low, high)


class ServedInstrument:
    """Base of every served instrument (see module doc)."""

    style = "scpi"
    idn = "spinbench,ServedInstrument,0,1.0"
    reply_termination = "\n"
    no_error = '+0,"No error"'

    def __init__(self, link: WorldLink, faults: FaultSet | None = None, *, seed: int = 0):
        self.link = link
        self.world = link.world
        self.faults = faults or FaultSet()
        self.esr = 0
        self.errors: deque[str] = deque(maxlen=30)
        self.received: deque[str] = deque(maxlen=10000)  # recent commands, for tests and debugging
        #: Replies held in the output buffer across connections (``shift`` fault).
        self.held: deque[str] = deque()
        self._rng = random.Random(seed)
        self._table: list[tuple[Any, Callable[[str], str | None]]] = []
        self._mnemonics: dict[str, Callable[[str], str | None]] = {}
        self.ese = self.sre = 0
        common = [("*IDN?", lambda a: self.idn), ("*CLS", self._cls), ("*ESR?", self._read_esr),
                  ("*RST", lambda a: self.reset()), ("*OPC?", lambda a: "1"), ("*OPC", self._opc),
                  ("*WAI", lambda a: None), ("*TST?", lambda a: "0"), ("*STB?", lambda a: str(self.status_byte())),
                  ("*ESE", lambda a: setattr(self, "ese", integer(a, 0, 255))), ("*ESE?", lambda a: str(self.ese)),
                  ("*SRE", lambda a: setattr(self, "sre", integer(a, 0, 255))), ("*SRE?", lambda a: str(self.sre))]
        for spec, handler in common + self.commands():
            if self.style == "scpi":
                self._table.append((scpi_pattern(spec), handler))
            else:
                self._mnemonics[spec.upper()] = handler

    # --- to be provided by each instrument ----------------------------------------------------
    def commands(self) -> list[tuple[str, Callable[[str], str | None]]]:
        return []

    def reset(self) -> None:
        """*RST: factory settings (instruments override)."""

    def apply_slow_ramp(self, rate: float) -> None:
        """Only magnet supplies can ramp slowly; others ignore the fault."""

    # --- error reporting ------------------------------------------------------------------------
    def _cls(self, args: str) -> None:
        self.esr = 0
        self.errors.clear()

    def _opc(self, args: str) -> None:
        self.esr |= ESR_OPC  # every command runs to completion before the next: done at once

    def status_byte(self) -> int:
        """IEEE 488.2 §11.2 status byte: bit 2 error/event queue not empty (SCPI EAV), bit 5 ESB
        (an enabled *ESR bit set), bit 6 MSS (an enabled status bit set). MAV (bit 4) is 0: the
        *STB? reply itself is the only message, and it is not yet in the buffer."""
        stb = (1 << 2 if self.errors else 0) | (1 << 5 if self.esr & self.ese else 0)
        return stb | (1 << 6 if stb & self.sre & ~(1 << 6) else 0)

    def _read_esr(self, args: str) -> str:
        value, self.esr = self.esr, 0
        return str(value)

    def push_error(self, code: int, message: str) -> None:
        self.errors.append(f'{code},"{message}"')
        self.esr |= ESR_CME if -199 <= code <= -100 else ESR_EXE

    def next_error(self, args: str = "") -> str:
        return self.errors.popleft() if self.errors else self.no_error

    # --- execution --------------------------------------------------------------------------------
    def split(self, line: str) -> list[str]:
        return [c.strip() for c in line.split(";") if c.strip()]

    def execute(self, command: str) -> str | None:
        self.received.append(command)
        if self.style == "scpi":
            head, _, args = command.partition(" ")
            norm = head if head.startswith((":", "*")) else ":" + head
            for pattern, handler in self._table:
                if pattern.fullmatch(norm):
                    return self._run(handler, args.strip())
        else:
            m = _HEADER.match(command)
            handler = self._mnemonics.get(m.group(1).upper()) if m else None
            if handler is not None:
                return self._run(handler, m.group(2).strip())  # type: ignore[union-attr]
        self.push_error(-113, "Undefined header")
        return None

    def _run(self, handler: Callable[[str], str | None], args: str) -> str | None:
        try:
            return handler(args)
        except ExecError as exc:
            self.push_error(exc.code, str(exc))
            return None

    def process(self, line: str) -> Outcome:
        """One received line -> replies, with any configured fault applied."""
        fault: Fault | None = self.faults.fire(line)
        if fault is not None and fault.kind == "drop" and fault.when == "before":
            return Outcome(drop=True)
        with self.link.lock:
            self.link.sync()
            replies = [r for r in (self.execute(c) for c in self.split(line)) if r is not None]
            if fault is not None and fault.kind == "error":
                code, _, text = fault.message.partition(",")
                self.push_error(int(code), text.strip().strip('"') or "injected error")
            if fault is not None and fault.kind == "slow_ramp":
                self.apply_slow_ramp(fault.rate)
        reply = (replies[0] if len(replies) == 1 else ";".join(replies)) if replies else None
        if fault is not None and fault.kind == "shift" and reply is not None:
            self.held.append(reply)
            return Outcome(None)
        if reply is not None and self.held:
            stale = tuple(self.held)
            self.held.clear()
            return replace(self._faulty(fault, reply), stale=stale)
        return self._faulty(fault, reply)

    def _faulty(self, fault: Fault | None, reply: str | None) -> Outcome:
        if fault is None:
            return Outcome(reply)
        if fault.kind == "drop":
            return Outcome(drop=True)
        if fault.kind == "delay":
            return Outcome(reply, delay=fault.seconds)
        if fault.kind == "garble" and reply:
            if fault.mode == "truncate":
                return Outcome(reply[: max(1, len(reply) // 2)], truncate=True)
            chars = list(reply)
            for _ in range(max(1, len(chars) // 6)):
                chars[self._rng.randrange(len(chars))] = self._rng.choice("#@~?!")
            return Outcome("".join(chars))
        return Outcome(reply)
