"""What a target and a lab allow: clock, instruction limits, amplifier and receiver protection.

Built from the lab (:meth:`Constraints.from_lab`): the pulse programmer role declares its clock
and limits (a PulseBlaster's from its board profile, ``drivers.pulseblaster_boards``), the lab's :class:`~drivers.lab.LabLimits` give the amplifier limits, and the
receiver timing comes from ``lab.config["pulsed"]`` (or the pulser's attributes of the same
name), e.g. ``[pulsed] ringdown_time = 60e-9``. Per-channel propagation delays come from the
pulser's wiring (``channel_delays``, declared with the channel map in the lab file, see
``drivers.channel_wiring``); a laser role's ``rise_delay`` stands for the ``laser`` channel's
when the wiring declares none. Both are declarations (the lab's calibration), never a simulated
instrument's true delay: the simulated NV laser declares none (``[sim] true_laser_delay`` stays
in the simulated world), so a simulated lab compensates exactly what its lab file says.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any, Mapping

from drivers.awg_profile import awg_profile
from drivers.pulse_program import ChannelMap
from drivers.pulseblaster_boards import FLOW_OPCODES

PULSEBLASTER, AWG = "pulseblaster", "awg"

#: Receiver-timing keys read from ``lab.config["pulsed"]`` (seconds).
TIMING_KEYS = ("ringdown_time", "rf_dead_time")
#: Board-profile limits taken from the pulser where it declares them (drivers.pulseblaster_boards).
BOARD_KEYS = ("max_loop_depth", "max_delay_ticks", "min_flow_ticks", "wait_latency_ticks")


@dataclass(frozen=True)
class Constraints:
    clock_hz: float = 500e6
    min_instruction_ticks: int = 5
    max_instructions: int = 4096
    max_loop_count: int = 2**20
    #: SpinCore manuals: loops nest up to 8 deep (configurable for other boards).
    max_loop_depth: int = 8
    #: Largest delay field; longer intervals use LONG_DELAY (32-bit delay count).
    max_delay_ticks: int = 2**32 - 1
    #: Board profile (drivers.pulseblaster_boards): the minimum of CONTINUE/JSR/RTS/LONG_DELAY
    #: where longer than ``min_instruction_ticks`` (0: none), and the cycles a WAIT adds to its
    #: delay after the trigger (the compiler shortens the WAIT's delay field by them).
    min_flow_ticks: int = 0
    wait_latency_ticks: int = 0
    max_rf_duty_cycle: float = 0.1
    max_pulse_length: float = 100e-6
    ringdown_time: float = 0.0
    rf_dead_time: float = 0.0
    channels: ChannelMap = field(default_factory=ChannelMap)
    target: str = PULSEBLASTER
    #: Program mode: end with BRANCH 0 (repeat the pass until stopped) instead of STOP.
    repeat_forever: bool = False
    #: AWG targets: waveform length must be a multiple of ``waveform_quantum`` samples, at
    #: least ``min_waveform_samples`` and at most ``max_samples``.
    waveform_quantum: int = 1
    min_waveform_samples: int = 1
    max_samples: int = 2**24
    #: AWG targets: the largest pulse amplitude (fraction of the generator's full scale), the
    #: number of marker tracks (None: unchecked) and the profile's name for messages.
    full_scale: float = 1.0
    max_markers: int | None = None
    awg_name: str = "AWG"
    #: Per output channel (sequence channel name: "rf", "adc" or a marker), the propagation delay
    #: in seconds from its TTL edge to the effect at the sample; the compiler emits that channel's
    #: edges this much earlier (sequences.pulse.delays). A mapping is accepted and stored sorted.
    channel_delays: tuple[tuple[str, float], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "channel_delays", normalise_delays(self.channel_delays))
        if self.target not in (PULSEBLASTER, AWG):
            raise ValueError(f"target {self.target!r} unknown; use {PULSEBLASTER!r} or {AWG!r}")
        if not self.clock_hz > 0:
            raise ValueError(f"clock_hz = {self.clock_hz!r} must be positive")

    def delay_of(self, channel: str) -> float:
        """The declared propagation delay of ``channel`` in seconds (0 if none)."""
        return dict(self.channel_delays).get(channel, 0.0)

    @property
    def tick(self) -> float:
        return 1.0 / self.clock_hz

    def min_ticks_for(self, opcode: str) -> int:
        """The shortest delay field an instruction with ``opcode`` may have on this target."""
        if opcode in FLOW_OPCODES:
            return max(self.min_instruction_ticks, self.min_flow_ticks)
        return self.min_instruction_ticks

    @classmethod
    def from_lab(cls, lab: Any, **overrides: Any) -> "Constraints":
        """The constraints of ``lab``'s pulse programmer, its limits and its receiver timing."""
        kw: dict[str, Any] = {}
        if lab.has("pulser"):
            p = lab.pulser
            kw.update(clock_hz=float(p.clock_hz), min_instruction_ticks=int(p.min_instruction_ticks),
                      max_instructions=int(p.max_instructions), max_loop_count=int(p.max_loop_count))
            if isinstance(getattr(p, "channel_map", None), ChannelMap):
                kw["channels"] = p.channel_map
            kw["channel_delays"] = dict(getattr(p, "channel_delays", None) or {})
            for key in TIMING_KEYS + BOARD_KEYS:
                if hasattr(p, key):
                    kw[key] = getattr(p, key)
        lim = lab.limits
        kw.update(max_rf_duty_cycle=float(lim.max_rf_duty_cycle), max_pulse_length=float(lim.max_pulse_length))
        pulsed = (getattr(lab, "config", None) or {}).get("pulsed", {}) or {}
        for key in TIMING_KEYS:
            if key in pulsed:
                kw[key] = float(pulsed[key])
        rise = float(getattr(lab.laser, "rise_delay", 0.0) or 0.0) if lab.has("laser") else 0.0
        if rise and "laser" not in kw.get("channel_delays", {}):  # a laser driver's declared AOM delay
            kw["channel_delays"] = {**kw.get("channel_delays", {}), "laser": rise}
        kw.update(overrides)
        return cls(**kw)

    @classmethod
    def for_awg(cls, sample_rate: float | None = None, *, profile: Any = "generic", **kw: Any) -> "Constraints":
        """A sampled-waveform target: one tick per sample, any interval length, with the length,
        memory, full-scale and marker rules of the AWG ``profile`` (a name or
        :class:`drivers.awg_profile.AwgProfile`; ``"redpitaya-125-14"``, ``"generic"``).
        ``sample_rate`` defaults to the profile's and may not exceed it."""
        p = awg_profile(profile)
        rate = p.sample_rate if sample_rate is None else float(sample_rate)
        if rate is None:
            raise ValueError(f"AWG profile {p.name!r} has no sample rate of its own; give sample_rate")
        if p.sample_rate is not None and rate > p.sample_rate * (1 + 1e-9):
            raise ValueError(f"sample rate {rate:g} S/s exceeds the {p.name} AWG's {p.sample_rate:g} S/s")
        kw.setdefault("min_instruction_ticks", 1)
        for key, value in (("waveform_quantum", p.granularity), ("min_waveform_samples", p.min_segment),
                           ("max_samples", p.memory), ("full_scale", p.full_scale), ("max_markers", p.markers),
                           ("awg_name", p.name)):
            kw.setdefault(key, value)
        return cls(clock_hz=rate, target=AWG, **kw)

    def with_(self, **kw: Any) -> "Constraints":
        return replace(self, **kw)


def normalise_delays(delays: Mapping[str, float] | tuple[tuple[str, float], ...] | None
                     ) -> tuple[tuple[str, float], ...]:
    """``{"laser": 400e-9}`` -> ``(("laser", 4e-07),)``, zero delays dropped; a ValueError naming
    the channel for a delay that is not a finite number of seconds >= 0."""
    items = delays.items() if isinstance(delays, Mapping) else (delays or ())
    out: dict[str, float] = {}
    for name, d in items:
        if isinstance(d, bool) or not isinstance(d, (int, float)) or not math.isfinite(d) or d < 0:
            raise ValueError(f"channel {name!r}: delay {d!r} must be a finite number of seconds >= 0")
        if d:
            out[str(name)] = float(d)
    return tuple(sorted(out.items()))
