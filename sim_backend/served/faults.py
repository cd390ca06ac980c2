"""Fault injection for served instruments: what real instruments and cables do to drivers.

A :class:`Fault` fires on commands whose text starts with ``match`` (case-insensitive; ""
matches every command), skipping the first ``after`` matches and firing ``times`` times
(0 = every time from then on). Kinds:

* ``delay``   — the reply is sent ``seconds`` late (past the driver's timeout).
* ``garble``  — the reply is corrupted: ``mode="chars"`` replaces characters with junk,
  ``mode="truncate"`` sends half of it without a terminator.
* ``drop``    — the connection is closed: ``when="before"`` loses the command,
  ``when="after"`` executes it and loses the reply. (On a serial line nothing can be
  closed: the command or reply is silently lost, like a cable glitch.)
* ``error``   — the command is executed and an entry is put in the error queue
  (``message``, SCPI form ``-222,"Data out of range"``; *ESR instruments set the
  execution-error bit).
* ``slow_ramp`` — from the firing command on, the magnet supply slews at ``rate`` T/s.
* ``shift``   — the reply is held back in the instrument's output buffer, which survives a
  closed connection (as on GPIB, VXI-11 and USBTMC); it is sent just before the next reply,
  on whatever connection that goes to. A driver reading one reply per query is then one
  answer behind on every later query until it resynchronises.

Text form (CLI ``--fault``): ``ROLE=KIND[,key=value...]``, e.g.
``lockin=delay,match=SNAP?,after=5,seconds=3`` or ``field=slow_ramp,rate=1e-4``.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, fields

KINDS = ("delay", "garble", "drop", "error", "slow_ramp", "shift")


@dataclass
class Fault:
    kind: str
    match: str = ""
    after: int = 0
    times: int = 1
    seconds: float = 3.0
    mode: str = "chars"
    when: str = "before"
    message: str = '-222,"Data out of range"'
    rate: float = 1e-4
    seen: int = 0
    fired: int = 0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"fault kind {self.kind!r} unknown; use one of {KINDS}")
        if self.mode not in ("chars", "truncate"):
            raise ValueError(f"garble mode {self.mode!r}; use 'chars' or 'truncate'")
        if self.when not in ("before", "after"):
            raise ValueError(f"drop 'when' {self.when!r}; use 'before' or 'after'")
        if self.after < 0 or self.times < 0:
            raise ValueError("fault 'after' and 'times' must be >= 0")

    def matches(self, command: str) -> bool:
        return command.strip().upper().startswith(self.match.upper())

    @property
    def exhausted(self) -> bool:
        return self.times != 0 and self.fired >= self.times


class FaultSet:
    """The faults configured on one served instrument (thread-safe)."""

    def __init__(self, faults: list[Fault] | None = None):
        self.faults = list(faults or [])
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self.faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self.faults.clear()

    def fire(self, command: str) -> Fault | None:
        """The fault this command triggers, if any (counts matches and firings)."""
        with self._lock:
            for f in self.faults:
                if f.exhausted or not f.matches(command):
                    continue
                f.seen += 1
                if f.seen > f.after:
                    f.fired += 1
                    return f
            return None


def parse_fault(text: str) -> tuple[str, Fault]:
    """``ROLE=KIND[,key=value...]`` -> (role, Fault); errors list what is accepted."""
    role, sep, rest = text.partition("=")
    if not sep or not role or not rest:
        raise ValueError(f"fault {text!r}: expected ROLE=KIND[,key=value...], e.g. lockin=delay,match=SNAP?,seconds=3")
    kind, *pairs = rest.split(",")
    types = {f.name: f.type for f in fields(Fault) if f.name not in ("kind", "seen", "fired")}
    kwargs: dict[str, object] = {}
    for pair in pairs:
        key, eq, value = pair.partition("=")
        if not eq or key not in types:
            raise ValueError(f"fault {text!r}: {pair!r} is not key=value with key in {sorted(types)}")
        caster = {"int": int, "float": float}.get(str(types[key]), str)
        try:
            kwargs[key] = caster(value)
        except ValueError:
            raise ValueError(f"fault {text!r}: {key}={value!r} is not a valid {types[key]}") from None
    return role.strip(), Fault(kind.strip(), **kwargs)  # type: ignore[arg-type]
