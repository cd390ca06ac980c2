"""The pulse-sequence model: blocks of channel events, loops, trigger waits, phase cycles.

A :class:`Sequence` is one *shot*: an ordered list of items played back to back.

* :class:`Block` - a stretch of time (``duration``, an expression such as ``"tau - p90/2"``)
  holding :class:`Event` s on channels: ``"rf"`` (transmit gate with phase, amplitude and
  frequency offset), ``"adc"`` (receiver/digitizer gate) and TTL markers by name. Events start
  ``delay`` after the block starts and last ``duration`` (default: to the block's end).
* :class:`Loop` - repeat items ``count`` times (a number or an integer parameter).
* :class:`WaitTrigger` - hold until an external trigger.

A :class:`PhaseCycle` repeats the shot with phase increments on named pulses and a matching
receiver phase; ``averages`` repeats the whole cycle. Everything is immutable and
serialises to JSON (``to_json``/``from_json``) and a readable listing (``to_text``).
"""
from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field, replace
from typing import Any, Mapping, Union

from sequences.pulse.expr import Expr, ExprError, Number, exact, parse_phase, phase_name
from sequences.pulse.shapes import parse_shape

RF, ADC = "rf", "adc"


@dataclass(frozen=True)
class Event:
    channel: str
    duration: Expr | None = None
    delay: Expr = Expr(0)
    phase: float = 0.0
    amplitude: float = 1.0
    offset: float = 0.0
    name: str = ""
    #: Envelope spec (sequences.pulse.shapes), "" for a hard (rectangular) pulse.
    shape: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "delay", Expr(self.delay))
        if self.shape:
            object.__setattr__(self, "shape", parse_shape(self.shape).spec())
        if self.duration is not None:
            object.__setattr__(self, "duration", Expr(self.duration))
        object.__setattr__(self, "phase", parse_phase(self.phase))
        if not self.channel or not isinstance(self.channel, str):
            raise ExprError(f"event channel must be 'rf', 'adc' or a marker name, got {self.channel!r}")

    def describe(self) -> str:
        parts = [self.channel]
        if self.duration is not None:
            parts.append(str(self.duration))
        if str(self.delay) != "0":
            parts.append(f"@+{self.delay}")
        if self.channel == RF:
            parts.append(f"phase={phase_name(self.phase)}")
            if self.amplitude != 1.0:
                parts.append(f"amp={self.amplitude:g}")
            if self.offset:
                parts.append(f"offset={self.offset:g}Hz")
            if self.shape:
                parts.append(f"shape={self.shape}")
        if self.name:
            parts.append(f"name={self.name}")
        return " ".join(parts)


@dataclass(frozen=True)
class Block:
    duration: Expr
    events: tuple[Event, ...] = ()
    label: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "duration", Expr(self.duration))
        object.__setattr__(self, "events", tuple(self.events))


@dataclass(frozen=True)
class Loop:
    count: Union[int, str]
    body: tuple["Item", ...]
    label: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "body", tuple(self.body))


@dataclass(frozen=True)
class WaitTrigger:
    label: str = "wait"


Item = Union[Block, Loop, WaitTrigger]


# --- builders -------------------------------------------------------------------------------
def pulse(duration: Number | str, phase: Number | str = "x", *, amplitude: float = 1.0, offset: float = 0.0,
          name: str = "", markers: tuple[str, ...] = (), label: str = "", shape: str = "") -> Block:
    """A block that is one RF pulse (plus optional TTL markers for its whole length); ``shape``
    is an envelope spec such as ``"gauss(sigma=0.2)"`` (sequences.pulse.shapes)."""
    events = (Event(RF, None, 0, phase, amplitude, offset, name, shape),) + tuple(Event(m) for m in markers)
    return Block(Expr(duration), events, label or name)


def delay(duration: Number | str, label: str = "") -> Block:
    return Block(Expr(duration), (), label)


def acquire(duration: Number | str, label: str = "acq", markers: tuple[str, ...] = ()) -> Block:
    """A block with the receiver gate open (the digitizer records from its rising edge)."""
    return Block(Expr(duration), (Event(ADC),) + tuple(Event(m) for m in markers), label)


def loop(count: int | str, *items: Item, label: str = "") -> Loop:
    return Loop(count, tuple(items), label)


# --- phase cycles ---------------------------------------------------------------------------
@dataclass(frozen=True)
class PhaseCycle:
    """Steps of phase increments (deg) per named pulse (``"*"``: every pulse) + receiver phase."""

    steps: tuple[tuple[tuple[str, float], ...], ...] = ((),)
    receiver: tuple[float, ...] = (0.0,)
    name: str = "none"

    def __post_init__(self) -> None:
        if len(self.steps) != len(self.receiver) or not self.steps:
            raise ExprError(f"phase cycle {self.name!r}: {len(self.steps)} steps but "
                            f"{len(self.receiver)} receiver phases; they must match and be at least one")

    def __len__(self) -> int:
        return len(self.steps)

    def increment(self, step: int, pulse_name: str) -> float:
        total = 0.0
        for key, value in self.steps[step]:
            if key == "*" or (pulse_name and key == pulse_name):
                total += value
        return total

    def __mul__(self, other: "PhaseCycle") -> "PhaseCycle":
        """Nested cycle: ``other`` runs fastest."""
        steps, rx = [], []
        for (s1, r1), (s2, r2) in itertools.product(zip(self.steps, self.receiver), zip(other.steps, other.receiver)):
            steps.append(tuple(s1) + tuple(s2))
            rx.append((r1 + r2) % 360.0)
        names = [n for n in (self.name, other.name) if n != "none"]
        return PhaseCycle(tuple(steps), tuple(rx), " x ".join(names) or "none")

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "receiver": list(self.receiver),
                "steps": [[list(kv) for kv in step] for step in self.steps]}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "PhaseCycle":
        steps = tuple(tuple((str(k), float(v)) for k, v in step) for step in d["steps"])
        return cls(steps, tuple(float(r) for r in d["receiver"]), str(d.get("name", "custom")))


NO_CYCLE = PhaseCycle()


def cyclops() -> PhaseCycle:
    """CYCLOPS: every pulse and the receiver advance by 90 deg (cancels quadrature imbalance/DC)."""
    return PhaseCycle(tuple(((("*", p),)) for p in (0.0, 90.0, 180.0, 270.0)), (0.0, 90.0, 180.0, 270.0), "cyclops")


def two_step(pulse_name: str = "p1") -> PhaseCycle:
    """Two-step cycle on the first (excitation) pulse with the receiver: removes signal that the
    excitation pulse did not create (FID of a refocusing/inversion pulse, receiver offset)."""
    return PhaseCycle((((pulse_name, 0.0),), ((pulse_name, 180.0),)), (0.0, 180.0), "two-step")


def exorcycle(pulse_name: str = "p2") -> PhaseCycle:
    """EXORCYCLE on the refocusing pulse: x, y, -x, -y with receiver +, -, +, -."""
    return PhaseCycle(tuple(((pulse_name, p),) for p in (0.0, 90.0, 180.0, 270.0)), (0.0, 180.0, 0.0, 180.0),
                      "exorcycle")


# --- the sequence ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Sequence:
    name: str
    items: tuple[Item, ...]
    parameters: Mapping[str, float] = field(default_factory=dict)
    phase_cycle: PhaseCycle = NO_CYCLE
    averages: Union[int, str] = 1
    description: str = ""
    #: Parameter names that are integers (loop counts), for display and serialisation.
    integer_parameters: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "items", tuple(self.items))
        object.__setattr__(self, "parameters", dict(self.parameters))

    def with_values(self, **values: Number) -> "Sequence":
        """A copy with parameter values replaced (unknown names are an error)."""
        unknown = sorted(set(values) - set(self.parameters))
        if unknown:
            raise ExprError(f"sequence {self.name!r} has no parameter(s) {unknown}; "
                            f"it has {sorted(self.parameters)}")
        merged = dict(self.parameters)
        merged.update(values)
        return replace(self, parameters=merged)

    def with_cycle(self, cycle: PhaseCycle, averages: int | str | None = None) -> "Sequence":
        return replace(self, phase_cycle=cycle, averages=self.averages if averages is None else averages)

    def channels(self) -> list[str]:
        found: dict[str, None] = {}
        for block in iter_blocks(self.items):
            for ev in block.events:
                found[ev.channel] = None
        return list(found)

    def pulse_names(self) -> list[str]:
        return [ev.name for b in iter_blocks(self.items) for ev in b.events if ev.channel == RF and ev.name]

    # --- serialisation ------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {"format": "spinbench.sequence/1", "name": self.name, "description": self.description,
                "parameters": {k: _jsonable(v) for k, v in self.parameters.items()},
                "integer_parameters": list(self.integer_parameters),
                "averages": self.averages, "phase_cycle": self.phase_cycle.to_dict(),
                "items": [_item_to_dict(i) for i in self.items]}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Sequence":
        if d.get("format") != "spinbench.sequence/1":
            raise ExprError(f"not a spinbench sequence (format {d.get('format')!r})")
        return cls(str(d["name"]), tuple(_item_from_dict(i) for i in d["items"]),
                   {k: float(v) for k, v in d.get("parameters", {}).items()},
                   PhaseCycle.from_dict(d["phase_cycle"]), d.get("averages", 1), str(d.get("description", "")),
                   tuple(d.get("integer_parameters", ())))

    def to_json(self, indent: int | None = 1) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> "Sequence":
        return cls.from_dict(json.loads(text))

    def to_text(self) -> str:
        """A readable listing: parameters, cycle, then one line per block, loops indented."""
        lines = [f"sequence {self.name}" + (f"  # {self.description}" if self.description else "")]
        for k, v in self.parameters.items():
            shown = str(int(v)) if k in self.integer_parameters else Expr(v).text
            lines.append(f"  param {k} = {shown}")
        lines.append(f"  averages {self.averages}")
        if len(self.phase_cycle) > 1:
            lines.append(f"  phase cycle {self.phase_cycle.name}: {len(self.phase_cycle)} steps, receiver "
                         f"{' '.join(f'{r:g}' for r in self.phase_cycle.receiver)}")
        _items_text(self.items, lines, 1)
        return "\n".join(lines)


def _jsonable(v: Any) -> Any:
    return int(v) if isinstance(v, int) else float(v)


def iter_blocks(items: tuple[Item, ...]):
    for item in items:
        if isinstance(item, Block):
            yield item
        elif isinstance(item, Loop):
            yield from iter_blocks(item.body)


def _items_text(items: tuple[Item, ...], lines: list[str], depth: int) -> None:
    pad = "  " * depth
    for item in items:
        if isinstance(item, Block):
            events = "; ".join(e.describe() for e in item.events) or "-"
            label = f" {item.label!r}" if item.label else ""
            lines.append(f"{pad}block{label} {item.duration}: {events}")
        elif isinstance(item, Loop):
            lines.append(f"{pad}loop {item.count}" + (f" {item.label!r}" if item.label else "") + ":")
            _items_text(item.body, lines, depth + 1)
        else:
            lines.append(f"{pad}wait for trigger")


def _event_to_dict(e: Event) -> dict[str, Any]:
    d: dict[str, Any] = {"channel": e.channel}
    if e.duration is not None:
        d["duration"] = e.duration.text
    if e.delay.text != "0":
        d["delay"] = e.delay.text
    if e.channel == RF:
        d.update(phase=e.phase, amplitude=e.amplitude, offset=e.offset)
        if e.shape:
            d["shape"] = e.shape
    if e.name:
        d["name"] = e.name
    return d


def _item_to_dict(item: Item) -> dict[str, Any]:
    if isinstance(item, Block):
        return {"block": item.duration.text, "label": item.label, "events": [_event_to_dict(e) for e in item.events]}
    if isinstance(item, Loop):
        return {"loop": item.count, "label": item.label, "body": [_item_to_dict(i) for i in item.body]}
    return {"wait": item.label}


def _item_from_dict(d: Mapping[str, Any]) -> Item:
    if "block" in d:
        events = tuple(Event(e["channel"], e.get("duration"), e.get("delay", "0"), e.get("phase", 0.0),
                             float(e.get("amplitude", 1.0)), float(e.get("offset", 0.0)), e.get("name", ""), e.get("shape", ""))
                       for e in d.get("events", ()))
        return Block(Expr(d["block"]), events, d.get("label", ""))
    if "loop" in d:
        return Loop(d["loop"], tuple(_item_from_dict(i) for i in d["body"]), d.get("label", ""))
    if "wait" in d:
        return WaitTrigger(d["wait"] or "wait")
    raise ExprError(f"sequence item {dict(d)!r} is none of block, loop, wait")


def exact_values(seq: Sequence, values: Mapping[str, Number] | None = None):
    """Parameter values (defaults overridden by ``values``) as exact rationals."""
    merged = dict(seq.parameters)
    merged.update(values or {})
    return {k: exact(v) for k, v in merged.items()}
