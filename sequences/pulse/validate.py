"""Validation: one pure function that returns every rule a sequence breaks on a target.

Nothing here touches an instrument. ``validate`` resolves the sequence on the target's clock,
unrolls it (two passes when averaging, so the wrap from one shot to the next is checked too),
applies the timing, amplifier and receiver rules, then asks the target's compiler what it
cannot represent (minimum instruction length, registers, loop structure, memory).
"""
from __future__ import annotations

import bisect
import math
from dataclasses import replace
from fractions import Fraction
from typing import Mapping

from sequences.pulse.constraints import AWG, Constraints
from sequences.pulse.errors import RULES, SequenceError, Violation, format_seconds
from sequences.pulse.expr import Number, exact
from sequences.pulse.model import ADC, RF, Sequence
from sequences.pulse.delays import delay_ticks
from sequences.pulse.pulseblaster_compiler import plan_program
from sequences.pulse.timeline import RLoop, Resolved, TimedEvent, Timeline, iter_nodes, resolve

#: Unrolling beyond this many events is refused (rule "memory") rather than attempted.
MAX_CHECKED_EVENTS = 1_000_000


def validate(seq: Sequence, constraints: Constraints, values: Mapping[str, Number] | None = None) -> list[Violation]:
    """Every violation of ``seq`` (parameters ``values``) on ``constraints``; [] when it may run."""
    return check(resolve(seq, constraints.clock_hz, values), constraints)


def check(resolved: Resolved, c: Constraints) -> list[Violation]:
    problems: list[Violation] = list(resolved.problems)
    if not resolved.sequence.items or resolved.pass_ticks <= 0:
        problems.append(Violation("sequence", "empty", "the sequence has no duration; add at least one block"))
        return _sorted(problems)
    _loops(resolved, c, problems)
    _channels(resolved, c, problems)
    passes = 2 if resolved.averages > 1 else 1
    if resolved.event_count() * passes > MAX_CHECKED_EVENTS:
        problems.append(Violation("sequence", "memory", f"unrolls to {resolved.event_count() * passes} channel events; "
                                  f"at most {MAX_CHECKED_EVENTS} can be checked", resolved.event_count() * passes,
                                  MAX_CHECKED_EVENTS))
        return _sorted(problems)
    timeline = resolved.flatten(passes)
    rules = _TimelineRules(timeline, resolved, c, problems)
    rules.overlap()
    rules.transmit()
    rules.receiver()
    if c.target == AWG:
        _awg(resolved, c, problems)
        if delay_ticks(resolved, c):
            problems.append(Violation("sequence", "channel-delay", f"channel delays {dict(c.channel_delays)} are "
                                      f"compensated on the PulseBlaster target only; the AWG samples play the "
                                      f"sequence's times as written", severity="warning"))
    else:
        _shapes(timeline, problems)
        _, target_problems = plan_program(resolved, c)
        problems.extend(v for v in target_problems if v not in problems)
    return _sorted(problems)


def _shapes(tl: Timeline, problems: list[Violation]) -> None:
    """A TTL pulse programmer gates a fixed-amplitude source: it cannot play an envelope."""
    seen: set[str] = set()
    for e in tl.channel(RF):
        if e.shape and e.shape != "rect" and e.source not in seen:
            seen.add(e.source)
            what = f"pulse {e.name!r}" if e.name else "pulse"
            problems.append(Violation(e.source, "shape", f"{what} has the envelope {e.shape}; the PulseBlaster gates "
                                      "a fixed-amplitude source and plays only rectangular pulses; compile it for an "
                                      "AWG target (spinbench sequence compile NAME --target awg)"))


def errors(violations: list[Violation]) -> list[Violation]:
    return [v for v in violations if v.severity == "error"]


def require_valid(seq: Sequence, constraints: Constraints, values: Mapping[str, Number] | None = None) -> Resolved:
    """Resolve and validate; raise :class:`SequenceError` listing every error."""
    resolved = resolve(seq, constraints.clock_hz, values)
    found = errors(check(resolved, constraints))
    if found:
        raise SequenceError(found, f"sequence {seq.name!r}")
    return resolved


def _sorted(problems: list[Violation]) -> list[Violation]:
    """One violation per (rule, element): a rule broken on every pass of a loop is reported once,
    at its first occurrence, with the number of occurrences."""
    groups: dict[tuple[str, str, str], list[Violation]] = {}
    for p in problems:
        group = groups.setdefault((p.rule, p.element, p.severity), [])
        if p not in group:
            group.append(p)
    unique = [g[0] if len(g) == 1 else replace(g[0], message=f"{g[0].message} ({len(g)} occurrences)")
              for g in groups.values()]
    order = {r: i for i, r in enumerate(RULES)}
    return sorted(unique, key=lambda v: (v.severity != "error", order.get(v.rule, 99)))


def _loops(resolved: Resolved, c: Constraints, problems: list[Violation]) -> None:
    if not 1 <= resolved.averages <= c.max_loop_count:
        problems.append(Violation("averages", "loop", f"averages = {resolved.averages} must be 1..{c.max_loop_count}",
                                  resolved.averages, min(max(resolved.averages, 1), c.max_loop_count)))
    outer = 1 if resolved.averages > 1 else 0

    def walk(nodes, depth: int) -> None:
        for n in nodes:
            if isinstance(n, RLoop):
                if n.count < 1 or n.count > c.max_loop_count:
                    problems.append(Violation(n.source, "loop",
                                              f"loop count {n.count} is outside 1..{c.max_loop_count}",
                                              n.count, min(max(n.count, 1), c.max_loop_count)))
                d = depth + (1 if n.count > 1 else 0)
                if d > c.max_loop_depth:
                    problems.append(Violation(n.source, "loop", f"loops nest {d} deep (with averaging); the target "
                                              f"allows {c.max_loop_depth}", d, c.max_loop_depth))
                walk(n.body, d)

    for shot in resolved.shots[:1]:
        walk(shot.nodes, outer)


def _channels(resolved: Resolved, c: Constraints, problems: list[Violation]) -> None:
    known = set(c.channels.marker_bits) | {RF, ADC}
    for shot in resolved.shots[:1]:
        for n in iter_nodes(shot.nodes):
            for e in getattr(n, "events", ()):
                if e.channel not in known:
                    problems.append(Violation(e.source, "channel", f"TTL channel {e.channel!r} has no flag bit on this "
                                              f"target; channels: {sorted(known)}"))


def _awg(resolved: Resolved, c: Constraints, problems: list[Violation]) -> None:
    """The AWG profile's rules (Constraints.for_awg): length quantum, minimum, memory, full scale
    and marker tracks."""
    n = resolved.pass_ticks * max(resolved.averages, 1)
    q = max(c.waveform_quantum, 1)
    who = c.awg_name if c.awg_name != "AWG" else "the AWG"
    if n % q:
        near = -(-n // q) * q
        problems.append(Violation("sequence", "memory", f"waveform of {n} samples is not a multiple of {who}'s "
                                  f"quantum of {q} samples; lengthen the last delay by {near - n} samples", n, near))
    if n < c.min_waveform_samples:
        problems.append(Violation("sequence", "memory", f"waveform of {n} samples is shorter than {who}'s minimum "
                                  f"{c.min_waveform_samples}", n, c.min_waveform_samples))
    if n > c.max_samples:
        rate = float(resolved.clock_hz)
        problems.append(Violation("sequence", "memory", f"waveform of {n} samples ({format_seconds(n / rate)} at "
                                  f"{rate:g} S/s) exceeds {who}'s memory of {c.max_samples} samples "
                                  f"({format_seconds(c.max_samples / rate)}); shorten the sequence, average fewer "
                                  "passes or lower the sample rate", n, c.max_samples))
    markers: set[str] = set()
    for shot in resolved.shots[:1]:
        for node in iter_nodes(shot.nodes):
            for e in getattr(node, "events", ()):
                if e.channel == RF and abs(e.amplitude) > c.full_scale * (1 + 1e-12):
                    what = f"pulse {e.name!r}" if e.name else "pulse"
                    problems.append(Violation(e.source, "registers", f"{what} amplitude {e.amplitude:g} exceeds "
                                              f"{who}'s full scale of {c.full_scale:g} (amplitudes are fractions of "
                                              "the generator's full scale)", e.amplitude, c.full_scale))
                elif e.channel not in (RF, ADC):
                    markers.add(e.channel)
    if c.max_markers is not None and len(markers) > c.max_markers:
        problems.append(Violation("sequence", "channel", f"uses {len(markers)} marker track(s) {sorted(markers)}; "
                                  f"{who} has {c.max_markers}", len(markers), c.max_markers))


class _TimelineRules:
    def __init__(self, tl: Timeline, resolved: Resolved, c: Constraints, problems: list[Violation]):
        self.tl, self.c, self.problems = tl, c, problems
        self.clock = resolved.clock_hz
        self.pass_ticks = resolved.pass_ticks
        self.shot_starts = [s.start for s in resolved.shots]
        self.rf = _runs(tl.channel(RF))
        self.adc = sorted(tl.channel(ADC), key=lambda e: e.start)

    def s(self, ticks: int) -> float:
        return float(Fraction(ticks) / self.clock)

    def ticks_ceil(self, seconds: float) -> int:
        return math.ceil(exact(seconds) * self.clock - Fraction(1, 10**6))

    def rel(self, tick: int) -> float:
        """Seconds from the start of the shot that holds ``tick``."""
        tick %= self.pass_ticks
        j = max(bisect.bisect_right(self.shot_starts, tick) - 1, 0)
        return self.s(tick - self.shot_starts[j])

    def when(self, tick: int) -> str:
        return f"t = {format_seconds(self.rel(tick))}"

    def add(self, *args, **kw) -> None:
        v = Violation(*args, **kw)
        if v not in self.problems:
            self.problems.append(v)

    def overlap(self) -> None:
        for ch in self.tl.channels():
            latest: TimedEvent | None = None
            for e in sorted(self.tl.channel(ch), key=lambda e: e.start):
                if latest is not None and e.start < latest.stop:
                    self.add(e.source, "overlap", f"{ch} event at {self.when(e.start)} overlaps {latest.source} "
                             f"(which runs until {self.when(latest.stop)}) by "
                             f"{format_seconds(self.s(latest.stop - e.start))}",
                             self.rel(e.start), self.rel(latest.stop), "s")
                if latest is None or e.stop > latest.stop:
                    latest = e

    def transmit(self) -> None:
        c = self.c
        for start, stop, source in self.rf:
            if self.s(stop - start) > c.max_pulse_length * (1 + 1e-12):
                self.add(source, "max-pulse-length",
                         f"transmits continuously for {format_seconds(self.s(stop - start))} from {self.when(start)}; "
                         f"the lab's max_pulse_length is {format_seconds(c.max_pulse_length)}",
                         value=self.s(stop - start), nearest=c.max_pulse_length, unit="s")
        passes = max(1, round(self.tl.total / self.pass_ticks))
        on = sum(stop - start for start, stop, _ in self.rf) / passes
        duty = on / self.pass_ticks
        if duty > c.max_rf_duty_cycle * (1 + 1e-12):
            need = self.s(on) / c.max_rf_duty_cycle
            self.add("sequence", "duty-cycle",
                     f"transmits {format_seconds(self.s(round(on)))} per {format_seconds(self.s(self.pass_ticks))} "
                     f"pass: duty cycle {duty:.3%} exceeds the lab's max_rf_duty_cycle {c.max_rf_duty_cycle:.3%}; "
                     f"lengthen the shots (e.g. the repetition delay) by "
                     f"{format_seconds(need - self.s(self.pass_ticks))}",
                     value=self.s(self.pass_ticks), nearest=need, unit="s")

    def receiver(self) -> None:
        c = self.c
        ring = self.ticks_ceil(c.ringdown_time) if c.ringdown_time > 0 else 0
        dead = self.ticks_ceil(c.rf_dead_time) if c.rf_dead_time > 0 else 0
        rf_stops = [stop for _, stop, _ in self.rf]
        for a in self.adc:
            for start, stop, source in self.rf:
                if start < a.stop and a.start < stop:
                    self.add(a.source, "rx-during-tx", f"receiver open at {self.when(a.start)}-{self.when(a.stop)} "
                             f"while {source} transmits ({self.when(start)}-{self.when(stop)})",
                             self.rel(a.start), None, "s")
                    break
            else:
                j = bisect.bisect_right(rf_stops, a.start) - 1
                if ring and j >= 0 and a.start - rf_stops[j] < ring:
                    gap = a.start - rf_stops[j]
                    self.add(a.source, "ring-down", f"receiver opens {format_seconds(self.s(gap))} after the pulse "
                             f"{self.rf[j][2]} ends ({self.when(a.start)}); the ring-down time is "
                             f"{format_seconds(c.ringdown_time)}", self.s(gap), self.s(ring), "s")
        if dead:
            adc_stops = sorted(a.stop for a in self.adc)
            for start, stop, source in self.rf:
                j = bisect.bisect_right(adc_stops, start) - 1
                if j >= 0 and start - adc_stops[j] < dead:
                    gap = start - adc_stops[j]
                    self.add(source, "dead-time", f"transmits {format_seconds(self.s(gap))} after the receiver closes "
                             f"({self.when(start)}); the T/R dead time is {format_seconds(c.rf_dead_time)}",
                             self.s(gap), self.s(dead), "s")


def _runs(events: list[TimedEvent]) -> list[tuple[int, int, str]]:
    """Continuous transmit periods: touching or overlapping RF events merged (the amplifier sees one)."""
    runs: list[tuple[int, int, str]] = []
    for e in sorted(events, key=lambda e: e.start):
        if runs and e.start <= runs[-1][1]:
            runs[-1] = (runs[-1][0], max(runs[-1][1], e.stop), runs[-1][2])
        else:
            runs.append((e.start, e.stop, e.source))
    return runs


__all__ = ["validate", "check", "require_valid", "errors", "SequenceError", "Violation", "Constraints"]
