"""Timing diagrams of a sequence (matplotlib, no Qt): one row per channel, one shot.

``render_timing(seq)`` returns a :class:`matplotlib.figure.Figure` (the GUI embeds it);
``path=`` also writes a PNG. In the default *schematic* scale every interval between edges gets
a width that grows with the log of its duration, so 20 ns pulses and a 200 us repetition
delay are both readable; the real durations are written under the axis. Loops are drawn for
their first passes with a "x N" bracket; ``scale="linear"`` draws true time.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Mapping

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from sequences.pulse.constraints import Constraints
from sequences.pulse.errors import Violation, format_seconds
from sequences.pulse.expr import Number, phase_name
from sequences.pulse.model import ADC, RF, Sequence
from sequences.pulse.timeline import RBlock, RLoop, RNode, TimedEvent, resolve

PHASE_COLOURS = {0.0: "#1f77b4", 90.0: "#d62728", 180.0: "#2ca02c", 270.0: "#9467bd"}


def _unroll_shown(nodes: list[RNode], shift: int, passes: int, events: list[TimedEvent],
                  brackets: list[tuple[int, int, int, int]], depth: int = 0) -> int:
    """Unroll at most ``passes`` of each loop; returns how many ticks were cut out."""
    cut = 0
    for n in nodes:
        if isinstance(n, RBlock):
            events.extend(e.shifted(shift - cut) for e in n.events)
        elif isinstance(n, RLoop) and n.count > 0:
            shown = min(n.count, passes)
            start = n.start + shift - cut
            inner = 0
            for k in range(shown):  # every pass loses the same ticks to its own inner loops
                inner = _unroll_shown(n.body, shift - cut + k * (n.body_ticks - inner), passes, events,
                                      brackets, depth + 1)
            shown_len = shown * (n.body_ticks - inner)
            brackets.append((start, start + shown_len, n.count, depth))
            cut += n.count * n.body_ticks - shown_len
    return cut


class _Scale:
    """Maps ticks to display x: linear, or piecewise with log-compressed intervals.

    On the linear scale an empty interval (no channel active) much longer than everything else -
    the repetition delay of a CPMG shot is 20x its train - would squeeze the pulses into a sliver
    at t = 0; such intervals are *broken*: drawn at a short fixed width with a break mark and
    their real length written on them (``breaks``). Everything else keeps true proportions.
    """

    #: An empty interval is broken when longer than this many times the unbroken rest of the shot.
    BREAK_RATIO = 2.0
    #: Width of a broken interval, as a fraction of the unbroken rest of the shot.
    BREAK_WIDTH = 0.12

    def __init__(self, edges: list[int], total: int, schematic: bool, tick_s: float,
                 busy: list[tuple[int, int]] = ()):
        self.schematic, self.tick_s = schematic, tick_s
        self.edges = sorted(set(edges) | {0, total})
        self.breaks: list[tuple[int, int]] = []
        self.cuts: list[tuple[int, int]] = []  # (drawn tick, ticks of loop passes not drawn before it)
        gaps = np.diff(self.edges).astype(float)
        if schematic:
            d_min = max(float(gaps[gaps > 0].min()) if np.any(gaps > 0) else 1.0, 1.0)
            widths = np.where(gaps > 0, 1.0 + np.log2(np.maximum(gaps, d_min) / d_min), 0.0)
            self.x = np.concatenate([[0.0], np.cumsum(widths)])
            return
        empty = np.array([not any(s < b and e > a for s, e in busy) for a, b in zip(self.edges[:-1], self.edges[1:])],
                         bool)
        broken = np.zeros(len(gaps), bool)
        while True:  # break the longest empty interval while it dwarfs the unbroken rest
            candidates = np.where(empty & ~broken, gaps, -1.0)
            k = int(np.argmax(candidates)) if len(gaps) else 0
            rest = float(gaps[~broken].sum()) - (candidates[k] if len(gaps) else 0.0)
            if not len(gaps) or candidates[k] <= 0 or rest <= 0 or candidates[k] <= self.BREAK_RATIO * rest:
                break
            broken[k] = True
        widths = gaps.copy()
        if broken.any():
            widths[broken] = self.BREAK_WIDTH * float(gaps[~broken].sum())
            self.breaks = [(self.edges[k], self.edges[k + 1]) for k in np.flatnonzero(broken)]
        self.x = np.concatenate([[0.0], np.cumsum(widths)]) * tick_s * 1e6

    def __call__(self, tick: float) -> float:
        return float(np.interp(tick, self.edges, self.x))

    def time_us(self, x: float) -> float | None:
        """Real time (us) at display x, or None inside a broken interval (no tick label there)."""
        for a, b in self.breaks:
            if self(a) < x < self(b):
                return None
        tick = float(np.interp(x, self.x, self.edges))
        return (tick + sum(c for at, c in self.cuts if at <= tick + 1e-9)) * self.tick_s * 1e6


def render_timing(seq: Sequence, *, constraints: Constraints | None = None,
                  values: Mapping[str, Number] | None = None, step: int = 0, scale: str = "schematic",
                  loop_passes: int = 2, path: str | Path | None = None, title: str | None = None,
                  violations: list[Violation] | None = None) -> Figure:
    """Draw one shot (phase-cycle ``step``) of ``seq``; write a PNG if ``path`` is given."""
    if scale not in ("schematic", "linear"):
        raise ValueError(f"scale {scale!r}: use 'schematic' or 'linear'")
    c = constraints or Constraints()
    resolved = resolve(seq, c.clock_hz, values)
    if not 0 <= step < len(resolved.shots):
        raise ValueError(f"step {step}: the phase cycle has steps 0..{len(resolved.shots) - 1}")
    shot = resolved.shots[step]
    events: list[TimedEvent] = []
    brackets: list[tuple[int, int, int, int]] = []
    cut = _unroll_shown(shot.nodes, -shot.start, loop_passes, events, brackets)
    total = shot.stop - shot.start - cut
    tick_s = 1.0 / float(resolved.clock_hz)
    edges = [t for e in events for t in (e.start, e.stop)] + [t for b in brackets for t in b[:2]]
    sx = _Scale(edges, total, scale == "schematic", tick_s, [(e.start, e.stop) for e in events])
    # ticks left out by drawing only the first passes of each top-level loop: real time after it
    top_loops = [n for n in shot.nodes if isinstance(n, RLoop) and n.count > 0]
    sx.cuts = [(b[1], n.count * n.body_ticks - (b[1] - b[0]))
               for n, b in zip(top_loops, [b for b in brackets if b[3] == 0])]
    channels = [RF, ADC] + sorted({e.channel for e in events} - {RF, ADC})
    channels = [ch for ch in channels if ch in {e.channel for e in events} or ch in (RF, ADC)]
    shown = [str(v) for v in (violations or []) if v.severity == "error"][:6]
    fig = Figure(figsize=(11, 1.3 + 0.9 * len(channels) + 0.22 * len(shown)), layout="constrained")
    if shown:
        ax, note = fig.subplots(2, 1, height_ratios=[1.3 + 0.9 * len(channels), 0.22 * len(shown) + 0.1])
        note.axis("off")
        note.text(0.0, 1.0, "\n".join(shown), fontsize=7, color="#b00000", va="top", ha="left",
                  transform=note.transAxes)
    else:
        ax = fig.add_subplot()
    rows = {ch: len(channels) - 1 - i for i, ch in enumerate(channels)}
    for ch, y in rows.items():
        ax.axhline(y, color="0.75", lw=0.8, zorder=0)
    for e in events:
        y = rows[e.channel]
        x0, x1 = sx(e.start), sx(e.stop)
        if e.channel == RF:
            h = 0.8 * e.amplitude
            colour = PHASE_COLOURS.get(round(e.phase % 360.0, 6), "#ff7f0e")
            ax.add_patch(Rectangle((x0, y), x1 - x0, h, color=colour, alpha=0.85))
            label = phase_name(e.phase) + (f" {e.offset / 1e6:+g}MHz" if e.offset else "")
            ax.text((x0 + x1) / 2, y + h + 0.05, label, ha="center", va="bottom", fontsize=8)
            if e.name:
                ax.text((x0 + x1) / 2, y - 0.08, e.name, ha="center", va="top", fontsize=7, color="0.3")
        else:
            colour = "#444444" if e.channel == ADC else "#8c564b"
            ax.add_patch(Rectangle((x0, y), x1 - x0, 0.45, color=colour, alpha=0.5 if e.channel == ADC else 0.7))
    top = len(channels) - 0.05
    for a, b, count, depth in brackets:
        x0, x1 = sx(a), sx(b)
        yb = top + 0.12 + 0.18 * depth
        ax.plot([x0, x0, x1, x1], [yb - 0.06, yb, yb, yb - 0.06], color="k", lw=0.8)
        ax.text((x0 + x1) / 2, yb + 0.02, f"x {count}", ha="center", va="bottom", fontsize=8)
    ax.set_yticks([rows[ch] + 0.3 for ch in channels], [ch.upper() if ch in (RF, ADC) else ch for ch in channels])
    ax.set_ylim(-0.45, top + 0.5 + 0.18 * (max((b[3] for b in brackets), default=-1) + 1))
    ax.set_xlim(sx(0) - 0.01 * sx(total), sx(total) * 1.01 + 1e-12)
    for s in ax.spines.values():
        s.set_visible(False)
    if scale == "linear":
        ax.set_xlabel("time (us)" + ("; // = interval not to scale" if sx.breaks else ""))
        _mark_breaks(ax, sx, tick_s, top)
    else:
        ax.set_xticks([])
        _label_intervals(ax, sx, tick_s)
    steps = len(resolved.shots)
    head = title or seq.name + (f"  (phase-cycle step {step} of {steps})" if steps > 1 else "")
    ax.set_title(head, fontsize=10, loc="left")
    if path is not None:
        fig.savefig(path, dpi=110)
    return fig


def _mark_breaks(ax, sx: _Scale, tick_s: float, top: float) -> None:
    """Break marks and real lengths on the intervals the linear scale does not draw to scale;
    tick labels give real time and are left out inside a break."""
    from matplotlib.ticker import FuncFormatter

    for a, b in sx.breaks:
        xa, xb = sx(a), sx(b)
        for x in (xa + 0.3 * (xb - xa), xa + 0.5 * (xb - xa)):
            ax.plot([x - 0.06 * (xb - xa), x + 0.06 * (xb - xa)], [-0.3, top + 0.05], color="0.35", lw=1.0,
                    clip_on=False)
        ax.text((xa + xb) / 2, top * 0.5, f"{format_seconds((b - a) * tick_s)}\n(not to scale)", ha="center",
                va="center", fontsize=8, color="0.2", bbox=dict(fc="white", ec="none", alpha=0.85))

    def label(x: float, _pos) -> str:
        t = sx.time_us(x)
        return "" if t is None else f"{t:.4g}"

    if sx.breaks:
        ax.xaxis.set_major_formatter(FuncFormatter(label))


def _label_intervals(ax, sx: _Scale, tick_s: float) -> None:
    """Real durations under each interval (schematic scale), skipping ones too narrow to label."""
    last_x = -math.inf
    for a, b in zip(sx.edges[:-1], sx.edges[1:]):
        xa, xb = sx(a), sx(b)
        if b <= a or (xa + xb) / 2 - last_x < 0.9:
            continue
        last_x = (xa + xb) / 2
        ax.text(last_x, -0.32, format_seconds((b - a) * tick_s).replace(" ", ""), ha="center", va="top",
                fontsize=7, rotation=0, color="0.25")
        ax.axvline(xa, color="0.88", lw=0.5, zorder=0)
