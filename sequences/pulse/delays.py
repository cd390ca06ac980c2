"""Per-channel delay compensation: emit each channel's edges its propagation delay early.

An output channel may declare a delay d from its TTL edge to the effect at the sample (an AOM's
acoustic transit before the light arrives, an RF switch's or amplifier gate's switching delay, a
digitizer's trigger latency; ``Constraints.channel_delays``). A sequence says when the EFFECT
happens, so the compiler emits every edge of that channel round(d * clock) ticks earlier.

* Edges that would move before the start of the program: the program starts with a lead time
  (the largest such advance), during which only the advanced edges happen; everything else runs
  that much later from the program start. The lead is reported (``lead_ticks``, and a
  ``channel-delay`` warning naming the channel and pulse that needs it).
* A trigger wait: nothing can be emitted before the trigger arrives, so an edge that would move
  before a preceding wait is refused (rule ``channel-delay``, naming the channel and the event).
* Hardware loops (including the averaging loop around the pass): a channel advanced by d moves
  the start of each pass into the end of the previous one. The loop then keeps the passes whose
  content is periodic (count - ceil(D / body) with D the largest delay), the first pass's
  advanced edges go before it and the last passes are written out after it, so the emitted
  program is the exact per-channel translation of the sequence (a few more instructions).
"""
from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

from sequences.pulse.constraints import Constraints
from sequences.pulse.errors import Violation, format_seconds
from sequences.pulse.expr import exact, round_ticks
from sequences.pulse.timeline import RBlock, RLoop, RNode, Resolved, RWait, TimedEvent, _unroll, iter_nodes


def delay_ticks(resolved: Resolved, c: Constraints) -> dict[str, int]:
    """Ticks each channel the sequence uses is advanced by (channels without a delay left out)."""
    used = {e.channel for s in resolved.shots for n in iter_nodes(s.nodes) if isinstance(n, RBlock)
            for e in n.events}
    out = {}
    for name, d in c.channel_delays:
        ticks = round_ticks(exact(d), resolved.clock_hz)
        if name in used and ticks > 0:
            out[name] = ticks
    return out


def advance(resolved: Resolved, delays: dict[str, int]) -> tuple[list[RNode], int, int]:
    """The shot list (with the averaging loop as an RLoop) with every delayed channel's events
    advanced; returns (nodes on [0, end), lead ticks, end)."""
    shots = resolved.shots
    nodes: list[RNode] = [n for s in shots for n in s.nodes]
    start, pass_ticks = shots[0].start, resolved.pass_ticks
    if resolved.averages > 1:
        nodes = [RLoop(start, resolved.averages, pass_ticks, nodes, "averages")]
    out = _level(nodes, delays, max(delays.values()))
    first = min((e.start for n in iter_nodes(out) if isinstance(n, RBlock) for e in n.events), default=start)
    lead = max(start - first, 0)
    end = start + max(resolved.averages, 1) * pass_ticks
    return (_translate(out, lead - start) if lead - start else out), lead, end + lead - start


def lead_problem(resolved: Resolved, delays: dict[str, int], lead: int) -> Violation:
    """A warning naming the earliest advanced event (the one that sets the lead time)."""
    events = [e for s in resolved.shots[:1] for n in iter_nodes(s.nodes) if isinstance(n, RBlock)
              for e in n.events if e.channel in delays]
    e = min(events, key=lambda e: e.start - delays[e.channel])
    what = f"{e.channel} event" + (f" {e.name!r}" if e.name else "")
    clock = resolved.clock_hz
    d = float(Fraction(delays[e.channel]) / clock)
    return Violation(e.source or "sequence", "channel-delay",
                     f"{what} at t = {format_seconds(float(Fraction(e.start - resolved.shots[0].start) / clock))} "
                     f"is emitted {format_seconds(d)} early (the {e.channel} channel's delay); the program starts "
                     f"with a lead time of {format_seconds(float(Fraction(lead) / clock))}",
                     float(Fraction(lead) / clock), None, "s", severity="warning")


def wait_problems(resolved: Resolved, delays: dict[str, int]) -> list[Violation]:
    """Advanced edges that would have to happen before the trigger wait that precedes them."""
    clock = resolved.clock_hz
    out: list[Violation] = []
    for shot in resolved.shots:
        events: list[TimedEvent] = []
        waits: list[int] = []
        _unroll(shot.nodes, 0, events, waits)
        if not waits:
            continue
        waits.sort()
        for e in events:
            d = delays.get(e.channel, 0)
            last = max((w for w in waits if w <= e.start), default=None)
            if d and last is not None and e.start - d < last:
                gap, need = float(Fraction(e.start - last) / clock), float(Fraction(d) / clock)
                what = f"{e.channel} event" + (f" {e.name!r}" if e.name else "")
                v = Violation(e.source or "sequence", "channel-delay",
                              f"{what} starts {format_seconds(gap)} after a trigger wait; the {e.channel} channel's "
                              f"delay of {format_seconds(need)} would need its edge before the trigger arrives; put "
                              f"at least the delay between the wait and it", gap, need, "s")
                if v not in out:
                    out.append(v)
    return out


def _shift(e: TimedEvent, delays: dict[str, int]) -> TimedEvent:
    d = delays.get(e.channel, 0)
    return e.shifted(-d) if d else e


def _clip(e: TimedEvent, lo: int | None, hi: int | None) -> TimedEvent | None:
    a = e.start if lo is None else max(e.start, lo)
    b = e.stop if hi is None else min(e.stop, hi)
    return replace(e, start=a, stop=b) if b > a else None


def _level(nodes: list[RNode], delays: dict[str, int], reach: int) -> list[RNode]:
    out: list[RNode] = []
    for n in nodes:
        if isinstance(n, RBlock):
            out.append(RBlock(n.start, n.stop, [_shift(e, delays) for e in n.events], n.source))
        elif isinstance(n, RWait):
            out.append(n)
        elif n.count == 1:
            out.extend(_level(n.body, delays, reach))
        elif n.count > 1 and n.body_ticks > 0:
            out.extend(_loop(n, delays, reach))
    return sorted(out, key=lambda n: n.start)


def _pass(lp: RLoop, p: int, delays: dict[str, int]) -> tuple[list[TimedEvent], list[int]]:
    events: list[TimedEvent] = []
    waits: list[int] = []
    _unroll(lp.body, p * lp.body_ticks, events, waits)
    return [_shift(e, delays) for e in events], waits


def _loop(lp: RLoop, delays: dict[str, int], reach: int) -> list[RNode]:
    s, n, b = lp.start, lp.count, lp.body_ticks
    k = -(-reach // b)  # passes whose advanced edges reach back into an earlier pass
    m = n - k - 1  # one pass more written out: the loop may start anywhere in [s, s + b)
    if m < 2:  # too few passes to keep a loop: write every pass out
        every = [_pass(lp, p, delays) for p in range(n)]
        return [RBlock(s, lp.stop, [e for ev, _ in every for e in ev], lp.source),
                *(RWait(w, lp.source) for _, ws in every for w in ws)]
    passes = {p: _pass(lp, p, delays) for p in (*range(k + 2), *range(m - 1, n))}
    w0 = s + _quiet_phase([x for p in range(k + 2) for x in _edges(*passes[p])], b)
    early = [e for p in range(k + 2) for e in passes[p][0]]
    window = [x for e in early if (x := _clip(e, w0, w0 + b))]
    before = [x for e in early if (x := _clip(e, None, w0))]
    waits = sorted({w for p in range(k + 2) for w in passes[p][1]} | {w for p in range(m - 1, n)
                                                                      for w in passes[p][1]})
    stop = w0 + m * b
    after = [x for p in range(m, n) for e in passes[p][0] if (x := _clip(e, stop, None))]
    body: list[RNode] = [RBlock(w0, w0 + b, window, lp.source),
                         *(RWait(w, lp.source) for w in waits if w0 <= w < w0 + b)]
    out: list[RNode] = [RLoop(w0, m, b, body, lp.source)]
    out += [RWait(w, lp.source) for w in waits if w < w0 or w >= stop]
    if before:
        out.append(RBlock(min(e.start for e in before), w0, before, lp.source))
    if after:
        out.append(RBlock(stop, lp.stop, after, lp.source))
    return out


def _edges(events: list[TimedEvent], waits: list[int]) -> list[int]:
    return [x for e in events for x in (e.start, e.stop)] + list(waits)


def _quiet_phase(edges: list[int], period: int) -> int:
    """The offset in [0, period) farthest from every edge (mod period): where the loop's first
    and last instructions are cut, so the cut makes no interval shorter than it must."""
    phases = sorted({x % period for x in edges})
    if not phases:
        return 0
    gaps = [((phases[(i + 1) % len(phases)] - p) % period or period, p) for i, p in enumerate(phases)]
    gap, p = max(gaps)
    return (p + gap // 2) % period


def _translate(nodes: list[RNode], ticks: int) -> list[RNode]:
    out: list[RNode] = []
    for n in nodes:
        if isinstance(n, RBlock):
            out.append(RBlock(n.start + ticks, n.stop + ticks, [e.shifted(ticks) for e in n.events], n.source))
        elif isinstance(n, RWait):
            out.append(RWait(n.at + ticks, n.source))
        else:
            out.append(RLoop(n.start + ticks, n.count, n.body_ticks, _translate(n.body, ticks), n.source))
    return out
