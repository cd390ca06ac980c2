"""Sampled-waveform target (AWG + digitizer gate): one sample per clock tick, loops unrolled.

The RF channel is complex baseband ``amplitude * exp(i (phase + 2 pi offset (t - t_pulse)))``
(the offset's phase starts at the programmed phase at each pulse's first sample), times the
pulse's envelope (sequences.pulse.shapes) sampled at the sample midpoints; the
receiver gate and TTL markers are boolean tracks.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from sequences.pulse.model import ADC, RF
from sequences.pulse.shapes import parse_shape
from sequences.pulse.timeline import Resolved, TimedEvent, Timeline


@dataclass
class SampledProgram:
    sample_rate: float
    rf: np.ndarray
    adc: np.ndarray
    markers: dict[str, np.ndarray] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.rf)

    @property
    def times(self) -> np.ndarray:
        return np.arange(len(self.rf)) / self.sample_rate


def sample_program(resolved: Resolved) -> SampledProgram:
    """Every pass of the averaging loop, sample by sample (validate first: see compile_awg)."""
    tl = resolved.flatten(max(resolved.averages, 1))
    n = tl.total
    fs = float(resolved.clock_hz)
    rf = np.zeros(n, complex)
    adc = np.zeros(n, bool)
    markers: dict[str, np.ndarray] = {}
    for e in tl.events:
        if e.channel == RF:
            k = np.arange(e.stop - e.start)
            wave = e.amplitude * np.exp(1j * (np.deg2rad(e.phase) + 2 * np.pi * e.offset * k / fs))
            if e.shape:
                wave = wave * parse_shape(e.shape).envelope(len(k), len(k) / fs)
            rf[e.start:e.stop] = wave
        elif e.channel == ADC:
            adc[e.start:e.stop] = True
        else:
            markers.setdefault(e.channel, np.zeros(n, bool))[e.start:e.stop] = True
    meta = {"sequence": resolved.sequence.name, "averages": resolved.averages,
            "receiver_phases": resolved.receiver_phases, "pass_ticks": resolved.pass_ticks}
    return SampledProgram(fs, rf, adc, markers, meta)


def _gate_runs(track: np.ndarray) -> list[tuple[int, int]]:
    edges = np.flatnonzero(np.diff(np.concatenate([[0], track.astype(np.int8), [0]])))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))


def decode_sampled(prog: SampledProgram, *, tol: float = 1e-9) -> Timeline:
    """Channel events back from the samples: gates from edges, RF split where its state changes."""
    fs = prog.sample_rate
    events: list[TimedEvent] = []
    for a, b in _gate_runs(np.abs(prog.rf) > tol):
        z = prog.rf[a:b]
        s = 0
        while s < len(z):
            amp = abs(z[s])
            phase = np.angle(z[s])
            step = np.angle(z[s + 1] / z[s]) if s + 1 < len(z) and abs(abs(z[s + 1]) - amp) < tol else 0.0
            k = np.arange(len(z) - s)
            model = amp * np.exp(1j * (phase + step * k))
            bad = np.flatnonzero(np.abs(z[s:] - model) > 1e-6 * max(amp, 1e-12) + tol)
            end = s + (int(bad[0]) if len(bad) else len(z) - s)
            end = max(end, s + 1)
            events.append(TimedEvent(RF, a + s, a + end, round(float(np.rad2deg(phase)), 6) % 360.0,
                                     round(float(amp), 9), round(float(step * fs / (2 * np.pi)), 3)))
            s = end
    for a, b in _gate_runs(prog.adc):
        events.append(TimedEvent(ADC, a, b))
    for name, track in prog.markers.items():
        events.extend(TimedEvent(name, a, b) for a, b in _gate_runs(track))
    events.sort(key=lambda e: (e.start, e.channel))
    return Timeline(Fraction(fs).limit_denominator(10**12), events, len(prog.rf))
