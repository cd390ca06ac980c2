"""A pulse sequence as piecewise-constant RF segments, the input of an excitation-profile run.

Two views of the same sequence: :func:`ideal_segments` (what the sequence means: a rectangular
pulse with a frequency offset is one segment whose phase ramps continuously; a shaped pulse is
sampled ``oversample`` times finer than ``reference_rate``) and :func:`sampled_segments` (what
an AWG plays: one constant segment per sample, runs of equal samples merged). Their profiles
differ by the target's quantisation error.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np

from sequences.pulse.awg import SampledProgram
from sequences.pulse.expr import Number
from sequences.pulse.model import RF, Sequence
from sequences.pulse.shapes import parse_shape
from sequences.pulse.timeline import resolve

#: Grid of the ideal view (1 ps): far finer than any pulse edge matters for spins.
IDEAL_CLOCK = 1e12


@dataclass(frozen=True)
class Segment:
    """``duration`` s of constant complex amplitude ``amp`` (1 = full scale) whose phase ramps
    at ``offset`` Hz from the segment start (0: constant)."""

    duration: float
    amp: complex
    offset: float = 0.0


def ideal_segments(seq: Sequence, values: Mapping[str, Number] | None = None, *, reference_rate: float = 1e6,
                   oversample: int = 16) -> list[Segment]:
    """One pass of ``seq`` (no loops needed) as segments; gaps are amplitude-0 segments."""
    tl = resolve(seq, IDEAL_CLOCK, values).flatten(1)
    out: list[Segment] = []
    t = 0
    for e in sorted(tl.channel(RF), key=lambda e: e.start):
        if e.start > t:
            out.append(Segment(tl.seconds(e.start - t), 0j))
        length = tl.seconds(e.stop - e.start)
        a0 = e.amplitude * np.exp(1j * np.deg2rad(e.phase))
        if not e.shape or e.shape == "rect":
            out.append(Segment(length, complex(a0), e.offset))
        else:
            n = max(int(np.ceil(length * reference_rate * oversample)), 1)
            dt = length / n
            env = parse_shape(e.shape).envelope(n, length)
            ramp = np.exp(2j * np.pi * e.offset * (np.arange(n) + 0.5) * dt)
            out.extend(Segment(dt, complex(a), 0.0) for a in a0 * env * ramp)
        t = max(t, e.stop)
    if tl.total > t:
        out.append(Segment(tl.seconds(tl.total - t), 0j))
    return out


def sampled_segments(prog: SampledProgram) -> list[Segment]:
    """The AWG's samples as segments (zero-order hold), equal neighbours merged."""
    rf = prog.rf
    dt = 1.0 / prog.sample_rate
    if len(rf) == 0:
        return []
    change = np.flatnonzero(rf[1:] != rf[:-1]) + 1
    starts = np.concatenate([[0], change])
    stops = np.concatenate([change, [len(rf)]])
    return [Segment(float((b - a) * dt), complex(rf[a])) for a, b in zip(starts.tolist(), stops.tolist())]
