"""Placing a sequence on a target's clock.

Every edge is placed at ``round(t * clock)`` where ``t`` is the exact (rational) cumulative
time from the start of the shot, so a sequence of durations never accumulates rounding error
(at most half a tick per edge). A shot's length is rounded once, at its end; a loop's body
must be a whole number of ticks so every pass of a hardware LOOP is identical.

:func:`resolve` keeps the loop structure (for the compilers); :meth:`Resolved.flatten`
unrolls it into a :class:`Timeline` of channel events in ticks (for validation, rendering and
round-trip checks).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Iterator, Mapping, Union

from sequences.pulse.errors import Violation, format_seconds
from sequences.pulse.expr import Expr, ExprError, Number, exact, round_ticks
from sequences.pulse.model import ADC, RF, Block, Loop, Sequence, WaitTrigger, exact_values


@dataclass(frozen=True)
class TimedEvent:
    channel: str
    start: int
    stop: int
    phase: float = 0.0
    amplitude: float = 1.0
    offset: float = 0.0
    source: str = ""
    name: str = ""
    #: Envelope spec (sequences.pulse.shapes); "" = rectangular.
    shape: str = ""

    def state(self) -> tuple:
        if self.channel != RF:
            return ()
        base = (round(self.phase % 360.0, 9), self.amplitude, self.offset)
        return base + (self.shape,) if self.shape else base

    def shifted(self, ticks: int) -> "TimedEvent":
        return TimedEvent(self.channel, self.start + ticks, self.stop + ticks, self.phase, self.amplitude,
                          self.offset, self.source, self.name, self.shape)


@dataclass
class RBlock:
    start: int
    stop: int
    events: list[TimedEvent]
    source: str


@dataclass
class RLoop:
    start: int
    count: int
    body_ticks: int
    body: list["RNode"]
    source: str

    @property
    def stop(self) -> int:
        return self.start + self.count * self.body_ticks


@dataclass
class RWait:
    at: int
    source: str

    @property
    def start(self) -> int:
        return self.at

    stop = start


RNode = Union[RBlock, RLoop, RWait]


@dataclass
class Shot:
    step: int
    start: int
    stop: int
    nodes: list[RNode]
    receiver_phase: float


@dataclass
class Timeline:
    """Channel events on the tick grid, loops unrolled, sorted by start."""

    clock_hz: Fraction
    events: list[TimedEvent]
    total: int
    waits: list[int] = field(default_factory=list)

    def seconds(self, ticks: int) -> float:
        return float(Fraction(ticks) / self.clock_hz)

    def channel(self, name: str) -> list[TimedEvent]:
        return [e for e in self.events if e.channel == name]

    def channels(self) -> list[str]:
        order = {RF: 0, "adc": 1}
        return sorted({e.channel for e in self.events}, key=lambda c: (order.get(c, 2), c))

    def normalized(self) -> dict[str, list[tuple[int, int, tuple]]]:
        """Per channel, maximal runs of one state: what any exact representation must reproduce."""
        out: dict[str, list[tuple[int, int, tuple]]] = {}
        for ch in self.channels():
            runs: list[tuple[int, int, tuple]] = []
            for e in sorted(self.channel(ch), key=lambda e: e.start):
                if runs and runs[-1][1] == e.start and runs[-1][2] == e.state():
                    runs[-1] = (runs[-1][0], e.stop, runs[-1][2])
                else:
                    runs.append((e.start, e.stop, e.state()))
            out[ch] = runs
        return out


@dataclass
class Resolved:
    sequence: Sequence
    clock_hz: Fraction
    values: dict[str, Fraction]
    shots: list[Shot]
    averages: int
    problems: list[Violation]

    @property
    def pass_ticks(self) -> int:
        return self.shots[-1].stop - self.shots[0].start if self.shots else 0

    @property
    def receiver_phases(self) -> list[float]:
        return [s.receiver_phase for s in self.shots]

    def event_count(self) -> int:
        return sum(_count(s.nodes) for s in self.shots)

    def flatten(self, passes: int = 1, *, max_events: int = 2_000_000) -> Timeline:
        n = self.event_count() * passes
        if n > max_events:
            raise ExprError(f"sequence {self.sequence.name!r} unrolls to {n} events, more than {max_events}; "
                            f"show fewer passes or smaller loop counts")
        events: list[TimedEvent] = []
        waits: list[int] = []
        for p in range(passes):
            for shot in self.shots:
                _unroll(shot.nodes, p * self.pass_ticks, events, waits)
        events.sort(key=lambda e: (e.start, e.channel))
        return Timeline(self.clock_hz, events, self.pass_ticks * passes, sorted(waits))

    def acquisitions_per_shot(self) -> list[int]:
        counts = []
        for shot in self.shots:
            tl: list[TimedEvent] = []
            _unroll(shot.nodes, 0, tl, [])
            counts.append(sum(1 for e in tl if e.channel == "adc"))
        return counts


def _count(nodes: list[RNode]) -> int:
    total = 0
    for n in nodes:
        if isinstance(n, RBlock):
            total += len(n.events)
        elif isinstance(n, RLoop):
            total += n.count * _count(n.body)
    return total


def _unroll(nodes: list[RNode], shift: int, events: list[TimedEvent], waits: list[int]) -> None:
    for n in nodes:
        if isinstance(n, RBlock):
            events.extend(e.shifted(shift) if shift else e for e in n.events)
        elif isinstance(n, RLoop):
            for k in range(max(n.count, 0)):
                _unroll(n.body, shift + k * n.body_ticks, events, waits)
        else:
            waits.append(n.at + shift)


def iter_nodes(nodes: list[RNode]) -> Iterator[RNode]:
    for n in nodes:
        yield n
        if isinstance(n, RLoop):
            yield from iter_nodes(n.body)


class _Walker:
    def __init__(self, seq: Sequence, clock: Fraction, values: dict[str, Fraction], problems: list[Violation]):
        self.seq, self.clock, self.values, self.problems = seq, clock, values, problems
        self.step = 0
        self.origin = 0
        self.warned: set[str] = set()

    def ticks(self, t: Fraction) -> int:
        return self.origin + round_ticks(t, self.clock)

    def evaluate(self, expr: Expr, where: str, what: str) -> Fraction:
        try:
            return expr.evaluate(self.values)
        except ExprError as exc:
            self._problem(where, "parameter", f"{what} {expr.text!r}: {exc}")
            return Fraction(0)

    def _problem(self, element: str, rule: str, message: str, value=None, nearest=None, unit="",
                 severity="error") -> None:
        v = Violation(element, rule, message, value, nearest, unit, severity)
        if v not in self.problems:
            self.problems.append(v)

    def count(self, raw: int | str, where: str) -> int:
        if isinstance(raw, str):
            if raw not in self.values:
                self._problem(where, "parameter", f"loop count {raw!r} has no value; known: {sorted(self.values)}")
                return 0
            value = self.values[raw]
        else:
            value = exact(raw)
        if value.denominator != 1:
            self._problem(where, "loop", f"loop count {raw} = {float(value):g} is not a whole number",
                          float(value), int(round(value)))
            return max(0, int(round(value)))
        return int(value)

    def walk(self, items, t: Fraction, prefix: str) -> tuple[list[RNode], Fraction]:
        nodes: list[RNode] = []
        for idx, item in enumerate(items):
            label = f" {item.label!r}" if getattr(item, "label", "") else ""
            where = f"{prefix}item {idx}{label}"
            if isinstance(item, Block):
                nodes.append(self.block(item, t, where))
                d = self.evaluate(item.duration, where, "duration")
                t += max(d, Fraction(0))
            elif isinstance(item, Loop):
                node, t = self.loop(item, t, where)
                nodes.append(node)
            elif isinstance(item, WaitTrigger):
                nodes.append(RWait(self.ticks(t), where))
            else:
                self._problem(where, "parameter", f"{item!r} is not a Block, Loop or WaitTrigger")
        return nodes, t

    def block(self, item: Block, t: Fraction, where: str) -> RBlock:
        d = self.evaluate(item.duration, where, "duration")
        if d < 0:
            self._problem(where, "negative",
                          f"duration {item.duration.text!r} = {format_seconds(float(d))} is negative",
                          float(d), 0.0, "s")
            d = Fraction(0)
        x = d * self.clock
        if x.denominator != 1 and where not in self.warned:
            self.warned.add(where)
            self._problem(where, "granularity",
                          f"duration {format_seconds(float(d))} is {float(x):.4g} clock ticks; edges are placed on the "
                          f"nearest tick of the cumulative time (error <= half a tick)",
                          float(d), float(round(x) / self.clock), "s", severity="warning")
        events = []
        for j, ev in enumerate(item.events):
            ew = where if len(item.events) == 1 else f"{where} {ev.channel}" + (f" #{j}" if sum(
                e.channel == ev.channel for e in item.events) > 1 else "")
            delay = self.evaluate(ev.delay, ew, "delay")
            if delay < 0:
                self._problem(ew, "negative", f"delay {ev.delay.text!r} = {format_seconds(float(delay))} is negative",
                              float(delay), 0.0, "s")
                delay = Fraction(0)
            dur = d - delay if ev.duration is None else self.evaluate(ev.duration, ew, "duration")
            if dur < 0:
                self._problem(ew, "negative", f"duration {format_seconds(float(dur))} is negative",
                              float(dur), 0.0, "s")
                dur = Fraction(0)
            elif ev.channel in (RF, ADC) and self.ticks(t + delay + dur) <= self.ticks(t + delay):
                # a pulse or receiver gate of no length would silently vanish from the program
                what = ("pulse" if ev.channel == RF else "receiver gate") + (f" {ev.name!r}" if ev.name else "")
                text = (ev.duration or item.duration).text
                self._problem(ew, "zero-length", f"{what} lasts {text!r} = {format_seconds(float(dur))}, less than "
                              f"one clock tick; pulse and acquisition lengths must be > 0",
                              float(dur), float(1 / self.clock), "s")
            if delay + dur > d:
                self._problem(ew, "outside-block",
                              f"ends {format_seconds(float(delay + dur - d))} after its block ends "
                              f"(block {format_seconds(float(d))}, event {format_seconds(float(dur))} at "
                              f"+{format_seconds(float(delay))})", float(dur), float(max(d - delay, 0)), "s")
            start, stop = self.ticks(t + delay), self.ticks(t + delay + dur)
            if stop > start:
                phase = (ev.phase + self.seq.phase_cycle.increment(self.step, ev.name)) % 360.0
                events.append(TimedEvent(ev.channel, start, stop, phase, ev.amplitude, ev.offset, ew, ev.name,
                                         ev.shape))
        return RBlock(self.ticks(t), self.ticks(t + d), events, where)

    def loop(self, item: Loop, t: Fraction, where: str) -> tuple[RNode, Fraction]:
        count = self.count(item.count, where)
        body, t_end = self.walk(item.body, t, f"{where} > ")
        period = t_end - t
        x = period * self.clock
        body_ticks = round_ticks(period, self.clock)
        if count > 1 and x.denominator != 1:
            self._problem(where, "granularity",
                          f"loop body lasts {format_seconds(float(period))} = {float(x):.6g} clock ticks; a hardware "
                          f"loop repeats whole ticks, so the body must be a whole number of ticks",
                          float(period), float(Fraction(body_ticks) / self.clock), "s")
        return RLoop(self.ticks(t), count, body_ticks, body, where), t + max(count, 0) * period


def resolve(seq: Sequence, clock_hz: Number, values: Mapping[str, Number] | None = None) -> Resolved:
    """Place ``seq`` (with parameter ``values`` overriding its defaults) on a clock of ``clock_hz``.

    Problems found on the way (missing parameters, negative durations, events outside their
    block, loop bodies off the tick grid) are collected in ``Resolved.problems``, never raised.
    """
    clock = exact(clock_hz)
    problems: list[Violation] = []
    unknown = sorted(set(values or {}) - set(seq.parameters))
    for name in unknown:
        problems.append(Violation(f"parameter {name!r}", "parameter",
                                  f"sequence {seq.name!r} has no parameter {name!r}; it has {sorted(seq.parameters)}"))
    try:
        vals = exact_values(seq, {k: v for k, v in (values or {}).items() if k not in unknown})
    except (ExprError, ValueError, TypeError) as exc:
        problems.append(Violation("parameters", "parameter", str(exc)))
        vals = {}
    walker = _Walker(seq, clock, vals, problems)
    shots: list[Shot] = []
    origin = 0
    for step in range(len(seq.phase_cycle)):
        walker.step, walker.origin = step, origin
        nodes, t_end = walker.walk(seq.items, Fraction(0), "")
        stop = origin + round_ticks(t_end, clock)
        shots.append(Shot(step, origin, stop, nodes, seq.phase_cycle.receiver[step]))
        origin = stop
    averages = walker.count(seq.averages, "averages")
    return Resolved(seq, clock, vals, shots, averages, problems)
