"""AWG device profiles: what a sampled-waveform output can hold and play.

A compiled AWG program (``sequences.pulse.compile_awg``) must fit the generator it is sent
to: its sample rate, its waveform length rules (a multiple of ``granularity`` samples, at least
``min_segment``, at most ``memory``), amplitudes within ``full_scale`` (the waveform values the
generator accepts; sequence amplitudes are fractions of it) and no more TTL marker tracks than
the generator has. ``sequences.pulse.Constraints.for_awg(profile=...)`` turns a profile into
validation rules, so a sequence that does not fit is refused before anything is sampled.

Built-in profiles:

* ``redpitaya-125-14``: Red Pitaya STEMlab 125-14 generator. 125 MS/s DAC clock, a 16384-sample
  waveform buffer per output, arbitrary-waveform values in [-1, 1] scaled by ``SOUR<n>:VOLT``
  (Red Pitaya SCPI documentation, "Signal generator": ``SOUR<n>:TRAC:DATA:DATA`` takes up to
  16384 comma-separated values in [-1, 1]; STEMlab 125-14 specifications: 125 MS/s, 14 bit).
  Any length 1..16384 is accepted (granularity 1). Markers: 0 here, because the SCPI
  generator has no marker output tied to its waveform memory (gate receivers and amplifiers
  from the pulse programmer instead).
* ``generic``: no memory limit worth checking (2^24 samples), granularity 1, full scale 1,
  two marker tracks; the sample rate is whatever the caller gives.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from drivers.errors import ConfigError


@dataclass(frozen=True)
class AwgProfile:
    name: str
    #: Samples per second (the highest the generator plays); None: given by the caller.
    sample_rate: float | None
    granularity: int = 1
    min_segment: int = 1
    memory: int = 2**24
    #: Largest |value| the generator accepts (sequence amplitudes are fractions of it).
    full_scale: float = 1.0
    markers: int = 2
    description: str = ""

    def __post_init__(self) -> None:
        problems = []
        if self.sample_rate is not None and not self.sample_rate > 0:
            problems.append(f"sample_rate {self.sample_rate!r} must be positive")
        for key in ("granularity", "min_segment", "memory"):
            v = getattr(self, key)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                problems.append(f"{key} = {v!r} must be an integer >= 1")
        if not problems and self.min_segment > self.memory:
            problems.append(f"min_segment {self.min_segment} exceeds memory {self.memory}")
        if not self.full_scale > 0:
            problems.append(f"full_scale {self.full_scale!r} must be positive")
        if isinstance(self.markers, bool) or not isinstance(self.markers, int) or self.markers < 0:
            problems.append(f"markers = {self.markers!r} must be an integer >= 0")
        if problems:
            raise ConfigError(f"AWG profile {self.name!r}: " + "; ".join(problems))


AWG_PROFILES: dict[str, AwgProfile] = {p.name: p for p in (
    AwgProfile("redpitaya-125-14", 125e6, memory=16384, full_scale=1.0, markers=0,
               description="Red Pitaya STEMlab 125-14: 125 MS/s, 16384-sample buffer per output, values in [-1, 1]"),
    AwgProfile("generic", None, description="any sampled output: no memory limit checked, full scale 1, 2 markers"),
)}


def awg_profile(spec: Any, **changes: Any) -> AwgProfile:
    """A profile from a built-in name or an :class:`AwgProfile`, with ``changes`` applied."""
    if isinstance(spec, AwgProfile):
        base = spec
    elif isinstance(spec, str) and spec in AWG_PROFILES:
        base = AWG_PROFILES[spec]
    else:
        raise ConfigError(f"AWG profile {spec!r} unknown; built-in profiles: {', '.join(AWG_PROFILES)}")
    return replace(base, **changes) if changes else base
