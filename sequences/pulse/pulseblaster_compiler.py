"""Compiler from a resolved sequence to a PulseBlaster program, and the decoder back.

Following the PulseBlaster instruction model (docs/references.md): at each level (the shot list, each loop body) every channel edge
becomes a breakpoint; each interval between breakpoints is one instruction holding the OR of
the active channels' flags. Loops become LOOP ... END_LOOP (both execute every pass), the
averaging loop wraps the phase cycle, intervals longer than the delay field use LONG_DELAY,
a trigger wait puts WAIT on the instruction that follows it, channels with a declared propagation
delay have their edges emitted that much earlier (sequences.pulse.delays), and STOP ends the program (or, with
``Constraints.repeat_forever``, the last instruction becomes BRANCH 0: the pass repeats until
stopped, for tuning and oscilloscope work).
Too-short intervals are reported (rule ``min-instruction``), never stretched.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Union

from drivers.pulse_program import ChannelMap, Instruction, Op, PulseProgram, iter_segments
from sequences.pulse.constraints import Constraints
from sequences.pulse.delays import advance, delay_ticks, lead_problem, wait_problems
from sequences.pulse.errors import Violation, format_seconds
from sequences.pulse.model import ADC, RF
from sequences.pulse.timeline import RBlock, RLoop, RNode, Resolved, RWait, TimedEvent, Timeline, iter_nodes


@dataclass
class Interval:
    start: int
    stop: int
    flags: int
    wait: bool
    source: str


@dataclass
class LoopPlan:
    start: int
    count: int
    body: list[Union[Interval, "LoopPlan"]]
    source: str


@dataclass
class Registers:
    phases: tuple[float, ...]
    amplitudes: tuple[float, ...]
    offsets: tuple[float, ...]


def _all_rf(resolved: Resolved) -> list[TimedEvent]:
    return [e for s in resolved.shots for n in iter_nodes(s.nodes) if isinstance(n, RBlock)
            for e in n.events if e.channel == RF]


def register_tables(resolved: Resolved, ch: ChannelMap, problems: list[Violation]) -> Registers:
    """Phase/amplitude/offset tables the flag bits select; too many distinct values is a problem."""
    events = _all_rf(resolved)
    if ch.fixed_phases is not None:
        phases = tuple(ch.fixed_phases)
        for e in events:
            if not any(abs(((e.phase - p + 180) % 360) - 180) < 1e-9 for p in phases):
                nearest = min(phases, key=lambda p: abs(((e.phase - p + 180) % 360) - 180))
                problems.append(Violation(e.source, "registers", f"phase {e.phase:g} deg is not one of the phase "
                                          f"shifter's {list(phases)} deg", e.phase, nearest, "deg"))
    else:
        phases = _distinct([e.phase % 360.0 for e in events] or [0.0], len(ch.phase), "phases", problems)
    amps = _distinct([e.amplitude for e in events] or [1.0], len(ch.amplitude), "amplitudes", problems, reverse=True)
    for e in events:
        if not 0.0 <= e.amplitude <= 1.0:
            problems.append(Violation(e.source, "registers", f"amplitude {e.amplitude:g} is outside 0..1 of full scale",
                                      e.amplitude, min(max(e.amplitude, 0.0), 1.0)))
    offsets = _distinct([0.0] + [e.offset for e in events], len(ch.offset), "frequency offsets", problems)
    return Registers(phases, amps, offsets)


def _distinct(values: list[float], bits: int, what: str, problems: list[Violation], reverse: bool = False):
    table = tuple(sorted(set(values), reverse=reverse))
    if len(table) > 2**bits:
        problems.append(Violation("sequence", "registers", f"uses {len(table)} distinct {what} {list(table)}; the "
                                  f"target's {bits} flag bit(s) select at most {2**bits}", len(table), 2**bits))
    return table


def _index(table: tuple[float, ...], value: float, modulo: float | None = None) -> int:
    def dist(p: float) -> float:
        d = value - p
        return abs(((d + modulo / 2) % modulo) - modulo / 2) if modulo else abs(d)
    return min(range(len(table)), key=lambda k: dist(table[k]))


def flags_for(active: list[TimedEvent], ch: ChannelMap, regs: Registers) -> int:
    flags = ch.constant
    markers = ch.marker_bits
    rf_done = False
    for e in active:
        if e.channel == RF and not rf_done:
            rf_done = True
            flags |= 1 << ch.tx
            flags |= ch.field_flags(_index(regs.phases, e.phase, 360.0) % 2 ** len(ch.phase), ch.phase)
            flags |= ch.field_flags(_index(regs.amplitudes, e.amplitude) % 2 ** len(ch.amplitude), ch.amplitude)
            flags |= ch.field_flags(_index(regs.offsets, e.offset) % 2 ** len(ch.offset), ch.offset)
        elif e.channel == ADC:
            flags |= 1 << ch.adc
        elif e.channel in markers:
            flags |= 1 << markers[e.channel]
    return flags


def _level(nodes: list[RNode], a: int, b: int, ch: ChannelMap, regs: Registers) -> list[Union[Interval, LoopPlan]]:
    """Intervals (and nested loop plans) covering [a, b) at one nesting level."""
    flat: list[RNode] = []
    for n in nodes:  # a loop that runs once is just its body
        if isinstance(n, RLoop) and n.count == 1:
            flat.extend(_inline(n))
        elif not (isinstance(n, RLoop) and (n.count < 1 or n.body_ticks <= 0)):
            flat.append(n)
    blocks = [n for n in flat if isinstance(n, RBlock)]
    loops = {n.start: n for n in flat if isinstance(n, RLoop)}
    waits = {n.at for n in flat if isinstance(n, RWait)}
    events = sorted((e for blk in blocks for e in blk.events), key=lambda e: e.start)
    points = {a, b} | waits | set(loops) | {lp.stop for lp in loops.values()}
    points |= {min(max(x, a), b) for e in events for x in (e.start, e.stop)}
    cuts = sorted(points)
    starts = [blk.start for blk in blocks]
    out: list[Union[Interval, LoopPlan]] = []
    active: list[TimedEvent] = []
    k = 0
    i = 0
    while i < len(cuts) - 1:
        p = cuts[i]
        if p in loops:
            lp = loops[p]
            body = _level(lp.body, lp.start, lp.start + lp.body_ticks, ch, regs)
            out.append(LoopPlan(lp.start, lp.count, body, lp.source))
            i = cuts.index(lp.stop)
            continue
        q = cuts[i + 1]
        while k < len(events) and events[k].start <= p:
            active.append(events[k])
            k += 1
        active = [e for e in active if e.stop > p]
        flags = flags_for(active, ch, regs)
        if active:
            source = active[0].source
        else:
            j = bisect.bisect_right(starts, p) - 1
            source = blocks[j].source if j >= 0 else "sequence"
        prev = out[-1] if out else None
        if isinstance(prev, Interval) and prev.flags == flags and p not in waits and prev.stop == p:
            prev.stop = q
        else:
            out.append(Interval(p, q, flags, p in waits, source))
        i += 1
    return out


def _inline(lp: RLoop) -> list[RNode]:
    out: list[RNode] = []
    for n in lp.body:
        if isinstance(n, RLoop) and n.count == 1:
            out.extend(_inline(n))
        else:
            out.append(n)
    return out


def _pieces(ticks: int, c: Constraints, head_extra: int = 0) -> list[tuple[Op, int, int]]:
    """(op, data, ticks) pieces of one interval; long ones get CONTINUE head/tail around LONG_DELAY.
    ``head_extra``: ticks the first piece may take beyond its delay field (a WAIT's latency)."""
    big = c.max_delay_ticks
    if ticks <= big + head_extra:
        return [(Op.CONTINUE, 0, ticks)]
    edge = max(c.min_instruction_ticks, c.min_flow_ticks, 1)
    head, tail, mid = edge + head_extra, edge, ticks - 2 * edge - head_extra
    out: list[tuple[Op, int, int]] = [(Op.CONTINUE, 0, head)]
    m, r = divmod(mid, big)
    if m >= 2:
        out.append((Op.LONG_DELAY, m, big))
    elif m == 1:
        out.append((Op.CONTINUE, 0, big))
    if r >= edge:
        out.append((Op.CONTINUE, 0, r))
    else:
        tail += r
    out.append((Op.CONTINUE, 0, tail))
    return out


def _repeat(lp: LoopPlan, times: int) -> list[Union[Interval, LoopPlan]]:
    if times >= 2:
        return [LoopPlan(lp.start, times, lp.body, lp.source)]
    return list(lp.body) * times


def _peel_front(items: list[Union[Interval, LoopPlan]]) -> list[Union[Interval, LoopPlan]]:
    """A body that starts with a nested loop: run that loop's first pass unrolled, then loop the rest
    (the outer LOOP needs an instruction of its own). Same timeline, a few more instructions."""
    if items and isinstance(items[0], LoopPlan):
        lp = items[0]
        return _peel_front(list(lp.body)) + _repeat(lp, lp.count - 1) + list(items[1:])
    return list(items)


def _peel_back(items: list[Union[Interval, LoopPlan]]) -> list[Union[Interval, LoopPlan]]:
    if items and isinstance(items[-1], LoopPlan):
        lp = items[-1]
        return list(items[:-1]) + _repeat(lp, lp.count - 1) + _peel_back(list(lp.body))
    return list(items)


class _Emitter:
    def __init__(self, c: Constraints, clock: Fraction, shot_starts: list[int], pass_ticks: int,
                 problems: list[Violation]):
        self.c, self.clock, self.problems = c, clock, problems
        self.shot_starts, self.pass_ticks = shot_starts, pass_ticks
        self.out: list[Instruction] = []
        self.sources: list[tuple[str, int]] = []

    def when(self, tick: int) -> str:
        j = max(bisect.bisect_right(self.shot_starts, tick) - 1, 0)
        rel = float(Fraction(tick - self.shot_starts[j]) / self.clock) if self.shot_starts else 0.0
        return f"t = {format_seconds(rel)} into the shot"

    def problem(self, element: str, rule: str, message: str, value=None, nearest=None, unit="") -> None:
        v = Violation(element, rule, message, value, nearest, unit)
        if v not in self.problems:
            self.problems.append(v)

    def emit(self, items: list[Union[Interval, LoopPlan]], depth: int) -> None:
        for item in items:
            if isinstance(item, Interval):
                extra = self.c.wait_latency_ticks if item.wait else 0
                for j, (op, data, ticks) in enumerate(_pieces(item.stop - item.start, self.c, extra)):
                    if j == 0 and item.wait:
                        op = Op.WAIT
                        ticks -= extra  # the board adds its WAIT latency after the trigger
                        if not self.out:
                            self.problem(item.source, "wait", "a WAIT cannot be the first instruction; put a delay of "
                                         "at least the minimum instruction length before the trigger wait")
                    if op == Op.LONG_DELAY and data > self.c.max_loop_count:
                        self.long_delay(item)
                    self.out.append(Instruction(item.flags, op, data, ticks))
                    self.sources.append((item.source, item.start))
            else:
                self.loop(item, depth + 1)

    def long_delay(self, item: Interval) -> None:
        """An interval beyond LONG_DELAY's reach: the multiplier shares the 20-bit data field
        with the loop count (SpinCore PulseBlaster ESR-PRO manual, instruction format)."""
        c = self.c
        edge = max(c.min_instruction_ticks, c.min_flow_ticks, 1)
        longest = float(Fraction(c.max_delay_ticks * c.max_loop_count + 2 * edge) / self.clock)
        length = float(Fraction(item.stop - item.start) / self.clock)
        self.problem(item.source, "max-delay", f"interval of {format_seconds(length)} at {self.when(item.start)} is "
                     f"longer than the target's longest delay {format_seconds(longest)} ({c.max_delay_ticks} ticks "
                     f"x a LONG_DELAY multiplier of at most {c.max_loop_count})", length, longest, "s")

    def loop(self, lp: LoopPlan, depth: int) -> None:
        c = self.c
        if depth > c.max_loop_depth:
            self.problem(lp.source, "loop", f"loops nest {depth} deep; the target allows {c.max_loop_depth}",
                         depth, c.max_loop_depth)
        first = len(self.out)
        self.emit(_peel_back(_peel_front(lp.body)), depth)
        if len(self.out) - first == 1:  # LOOP and END_LOOP must be two instructions
            ins = self.out[first]
            half = ins.ticks // 2
            if half < max(c.min_instruction_ticks, c.min_flow_ticks) or ins.op != Op.CONTINUE:
                self.problem(lp.source, "min-instruction",
                             f"a loop body needs two instructions (LOOP, END_LOOP); its single interval of "
                             f"{format_seconds(float(ins.ticks / self.clock))} is shorter than twice the minimum "
                             f"instruction", float(ins.ticks / self.clock),
                             float(2 * c.min_instruction_ticks / self.clock), "s")
            self.out[first:] = [replace(ins, ticks=half), replace(ins, ticks=ins.ticks - half)]
            self.sources.append(self.sources[first])
        if len(self.out) == first:
            return
        head, tail = self.out[first], self.out[-1]
        if head.op != Op.CONTINUE or tail.op != Op.CONTINUE:
            where = "start" if head.op != Op.CONTINUE else "end"
            self.problem(lp.source, "loop", f"the loop body cannot {where} with a nested loop, trigger wait or "
                         f"long delay (one instruction would need two op-codes); add a delay of at least the "
                         f"minimum instruction length at its {where}")
            return
        self.out[first] = replace(head, op=Op.LOOP, data=lp.count)
        self.out[-1] = replace(self.out[-1], op=Op.END_LOOP, data=first)

    def check_lengths(self) -> None:
        """Each instruction's delay field against the target's minimum for its op-code (longer for
        CONTINUE/JSR/RTS/LONG_DELAY on some boards; a WAIT's field excludes its latency)."""
        c = self.c
        for ins, (source, tick) in zip(self.out, self.sources):
            least = c.min_ticks_for(ins.op.name)
            if ins.ticks < least:
                latency = c.wait_latency_ticks if ins.op == Op.WAIT else 0
                held = ins.ticks + latency
                what = f"a {ins.op.name}" if least > c.min_instruction_ticks else "the minimum instruction"
                extra = (f" plus the board's WAIT latency of {latency} ticks" if latency else "")
                self.problem(source, "min-instruction",
                             f"interval of {format_seconds(float(held / self.clock))} ({held} ticks) at "
                             f"{self.when(tick)} is shorter than {what} "
                             f"{format_seconds(float(least / self.clock))} ({least} ticks){extra}",
                             float(held / self.clock), float((least + latency) / self.clock), "s")


def plan_program(resolved: Resolved, c: Constraints) -> tuple[PulseProgram | None, list[Violation]]:
    """The program and every problem the target has with it (the program is None if any)."""
    problems: list[Violation] = []
    ch = c.channels
    regs = register_tables(resolved, ch, problems)
    shots = resolved.shots
    if not shots or resolved.pass_ticks <= 0:
        return None, [Violation("sequence", "empty", "the sequence has no duration")]
    delays = delay_ticks(resolved, c)
    lead = 0
    if delays:  # every edge of a delayed channel emitted its delay early (sequences.pulse.delays)
        nodes, lead, end = advance(resolved, delays)
        top: list[Union[Interval, LoopPlan]] = _level(nodes, 0, end, ch, regs)
        if lead:
            problems.append(lead_problem(resolved, delays, lead))
        problems += wait_problems(resolved, delays)
    else:
        nodes = [n for s in shots for n in s.nodes]
        body = _level(nodes, shots[0].start, shots[-1].stop, ch, regs)
        top = body
        if resolved.averages > 1:
            top = [LoopPlan(shots[0].start, resolved.averages, body, "averages")]
    em = _Emitter(c, resolved.clock_hz, [s.start + lead for s in shots], resolved.pass_ticks, problems)
    em.emit(top, 0)
    if not c.repeat_forever:
        em.out.append(Instruction(ch.constant, Op.STOP, 0, max(c.min_instruction_ticks, 1)))
        em.sources.append(("end", resolved.pass_ticks))
    elif resolved.averages > 1:
        problems.append(Violation("averages", "loop", f"a program that repeats forever cannot also average "
                                  f"{resolved.averages} passes; set averages = 1", resolved.averages, 1))
    elif em.out and em.out[-1].op == Op.CONTINUE:
        em.out[-1] = replace(em.out[-1], op=Op.BRANCH, data=0)
    else:
        problems.append(Violation("sequence", "loop", "a program that repeats forever must end with a delay (its "
                                  "last instruction becomes BRANCH 0); add a delay after the last loop or wait"))
    em.check_lengths()
    if len(em.out) > c.max_instructions:
        problems.append(Violation("sequence", "memory", f"compiles to {len(em.out)} instructions; the target holds "
                                  f"{c.max_instructions}", len(em.out), c.max_instructions))
    if any(p.severity == "error" for p in problems):
        return None, problems
    seq = resolved.sequence
    meta = {"sequence": seq.name, "values": {k: float(v) for k, v in resolved.values.items()},
            "averages": resolved.averages, "receiver_phases": resolved.receiver_phases,
            "acquisitions_per_shot": resolved.acquisitions_per_shot(), "pass_ticks": resolved.pass_ticks}
    if delays:
        meta.update(channel_delay_ticks=dict(delays), lead_ticks=lead, lead_time=float(lead / resolved.clock_hz))
    program = PulseProgram(em.out, float(resolved.clock_hz), ch, regs.phases, regs.amplitudes, regs.offsets, meta,
                           c.wait_latency_ticks)
    return program, problems


def decode(program: PulseProgram, *, max_steps: int = 10_000_000, until: int | None = None) -> Timeline:
    """The channel timeline a PulseBlaster program produces (loops executed, ticks exact).

    ``until`` (ticks) cuts the timeline there: needed for programs that repeat forever (BRANCH).
    """
    segs = []
    for seg in iter_segments(program, max_steps):
        if until is not None and seg.start >= until:
            break
        if until is not None and seg.start + seg.ticks > until:
            seg = seg._replace(ticks=until - seg.start)
        segs.append(seg)
    events: list[TimedEvent] = []
    waits = [s.start for s in segs if program.instructions[s.address].op == Op.WAIT]
    open_: dict[str, TimedEvent] = {}

    def close(key: str, at: int) -> None:
        e = open_.pop(key)
        events.append(TimedEvent(e.channel, e.start, at, e.phase, e.amplitude, e.offset))

    end = 0
    for seg in segs:
        st = program.state(seg.flags)
        now: dict[str, tuple] = {}
        if st.tx:
            now[RF] = (st.phase, st.amplitude, st.offset)
        if st.adc:
            now[ADC] = ()
        for m in st.markers:
            now[m] = ()
        for key in list(open_):
            e = open_[key]
            if key not in now or (key == RF and now[RF] != (e.phase, e.amplitude, e.offset)):
                close(key, seg.start)
        for key, state in now.items():
            if key not in open_:
                ph, amp, off = state if key == RF else (0.0, 1.0, 0.0)
                open_[key] = TimedEvent(key, seg.start, seg.start, ph, amp, off)
        end = seg.start + seg.ticks
    for key in list(open_):
        close(key, end)
    events.sort(key=lambda e: (e.start, e.channel))
    return Timeline(Fraction(program.clock_hz).limit_denominator(10**12), events, end, waits)
