"""PulseBlaster-style pulse programs: the format a PulseProgrammer loads, and its semantics.

This is the contract between the compiler (``sequences.pulse``), real PulseBlaster drivers and
the simulated pulse programmer, so it lives with the roles. Facts from the SpinCore
PulseBlaster manuals and SpinAPI (docs/references.md):

* one VLIW instruction = output flags + op-code + data field + delay count; it holds its flags
  for its delay; a new instruction is needed at every change of any output bit;
* op-codes CONTINUE 0, STOP 1, LOOP 2 (data = count >= 1), END_LOOP 3 (data = address of the
  LOOP), JSR 4, RTS 5, BRANCH 6 (data = target), LONG_DELAY 7 (data = multiplier >= 2 applied
  to the delay), WAIT 8 (waits for a trigger; must not be the first instruction);
* the LOOP and END_LOOP instructions' outputs and delays execute on every pass.

Semantics chosen here where the manuals are silent: STOP ends the program at its start (its
delay is not part of the timeline); a WAIT's outputs and delay (plus the board's
``wait_latency_ticks``, the ESR-PRO's 6 cycles) run after the trigger, which :func:`expand`
assumes arrives at once.

Channels are flag bits (:class:`ChannelMap`). RF phase, amplitude and frequency offset are
register tables selected by flag bits (a quadrature phase shifter, an attenuator, a DDS's
frequency registers); the tables travel with the program.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from enum import IntEnum
from typing import Any, Iterator, NamedTuple


class ProgramError(ValueError):
    """A pulse program that cannot run (bad op-code data, unbalanced loops, never stops)."""


class Op(IntEnum):
    CONTINUE = 0
    STOP = 1
    LOOP = 2
    END_LOOP = 3
    JSR = 4
    RTS = 5
    BRANCH = 6
    LONG_DELAY = 7
    WAIT = 8


@dataclass(frozen=True)
class Instruction:
    """One instruction: ``flags`` held for ``ticks`` clock periods (x ``data`` for LONG_DELAY)."""

    flags: int
    op: Op
    data: int
    ticks: int

    def executed_ticks(self) -> int:
        return self.ticks * self.data if self.op == Op.LONG_DELAY else self.ticks


@dataclass(frozen=True)
class ChannelMap:
    """Which flag bit drives what. Bits 0..23; bits 21-23 are the ESR-PRO short-pulse field,
    so ``constant`` (OR-ed into every word) is 0xE00000 on those boards and 0 elsewhere."""

    tx: int = 0
    phase: tuple[int, ...] = (1, 2)
    amplitude: tuple[int, ...] = (3, 4)
    offset: tuple[int, ...] = (5,)
    adc: int = 6
    markers: tuple[tuple[str, int], ...] = (("trigger", 7), ("blank", 8))
    constant: int = 0
    #: Fixed phase table (deg) of a quadrature phase shifter; None: free registers.
    fixed_phases: tuple[float, ...] | None = (0.0, 90.0, 180.0, 270.0)

    def __post_init__(self) -> None:
        bits = [self.tx, self.adc, *self.phase, *self.amplitude, *self.offset, *(b for _, b in self.markers)]
        if len(set(bits)) != len(bits) or any(not 0 <= b < 24 for b in bits):
            raise ProgramError(f"channel map bits must be distinct and in 0..23, got {bits}")
        if self.fixed_phases is not None and len(self.fixed_phases) != 2 ** len(self.phase):
            raise ProgramError(f"fixed_phases has {len(self.fixed_phases)} entries; {len(self.phase)} "
                               f"phase bits select {2 ** len(self.phase)}")

    @property
    def marker_bits(self) -> dict[str, int]:
        return dict(self.markers)

    def field_value(self, flags: int, bits: tuple[int, ...]) -> int:
        return sum(((flags >> b) & 1) << i for i, b in enumerate(bits))

    def field_flags(self, value: int, bits: tuple[int, ...]) -> int:
        return sum(((value >> i) & 1) << b for i, b in enumerate(bits))

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["markers"] = dict(self.markers)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ChannelMap":
        d = dict(d)
        d["markers"] = tuple(sorted(dict(d.get("markers", {})).items(), key=lambda kv: kv[1]))
        for key in ("phase", "amplitude", "offset"):
            if key in d:
                d[key] = tuple(d[key])
        if d.get("fixed_phases") is not None:
            d["fixed_phases"] = tuple(float(p) for p in d["fixed_phases"])
        return cls(**d)


class ChannelState(NamedTuple):
    """What the outputs do while a flag word is held."""

    tx: bool
    phase: float  # deg
    amplitude: float  # 0..1 of full scale
    offset: float  # Hz from the carrier
    adc: bool
    markers: frozenset[str]


class Segment(NamedTuple):
    """One executed instruction of an expanded program: ticks from the start, flags held."""

    start: int
    ticks: int
    flags: int
    address: int


@dataclass
class PulseProgram:
    instructions: list[Instruction]
    clock_hz: float
    channels: ChannelMap = field(default_factory=ChannelMap)
    phase_table: tuple[float, ...] = (0.0,)
    amplitude_table: tuple[float, ...] = (1.0,)
    offset_table: tuple[float, ...] = (0.0,)
    #: What the compiler knows about the records this program produces (for the experiment).
    metadata: dict[str, Any] = field(default_factory=dict)
    #: Clock cycles a WAIT adds to its delay after the trigger (board profile; 6 on the ESR-PRO).
    wait_latency_ticks: int = 0

    def state(self, flags: int) -> ChannelState:
        ch = self.channels
        tx = bool((flags >> ch.tx) & 1)
        return ChannelState(
            tx,
            _pick(self.phase_table, ch.field_value(flags, ch.phase)),
            _pick(self.amplitude_table, ch.field_value(flags, ch.amplitude)),
            _pick(self.offset_table, ch.field_value(flags, ch.offset)),
            bool((flags >> ch.adc) & 1),
            frozenset(name for name, bit in ch.markers if (flags >> bit) & 1),
        )

    @property
    def tick(self) -> float:
        return 1.0 / self.clock_hz

    def duration_ticks(self, max_steps: int = 10_000_000) -> int:
        segs = expand(self, max_steps)
        return segs[-1].start + segs[-1].ticks if segs else 0

    # --- text forms ----------------------------------------------------------------------------
    def listing(self) -> str:
        """One line per instruction, as a PulseBlaster programmer would read it."""
        ns = 1e9 / self.clock_hz
        lines = [f"; clock {self.clock_hz / 1e6:g} MHz, {len(self.instructions)} instructions",
                 f"; phase table {list(self.phase_table)} deg, amplitude table {list(self.amplitude_table)}, "
                 f"offset table {list(self.offset_table)} Hz",
                 "; addr  flags                     op          data      ticks  length"]
        for a, ins in enumerate(self.instructions):
            lines.append(f"{a:6d}  {ins.flags:024b}  {ins.op.name:10s} {ins.data:8d} {ins.ticks:10d}  "
                         f"{_fmt_ns(ins.executed_ticks() * ns)}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {"format": "spinbench.pulseblaster/1", "clock_hz": self.clock_hz,
                "channels": self.channels.to_dict(), "phase_table": list(self.phase_table),
                "amplitude_table": list(self.amplitude_table), "offset_table": list(self.offset_table),
                "instructions": [[i.flags, i.op.name, i.data, i.ticks] for i in self.instructions],
                "metadata": self.metadata,
                **({"wait_latency_ticks": self.wait_latency_ticks} if self.wait_latency_ticks else {})}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "PulseProgram":
        if d.get("format") != "spinbench.pulseblaster/1":
            raise ProgramError(f"not a spinbench PulseBlaster program (format {d.get('format')!r})")
        instructions = [Instruction(int(f), Op[op], int(data), int(t)) for f, op, data, t in d["instructions"]]
        return cls(instructions, float(d["clock_hz"]), ChannelMap.from_dict(d["channels"]),
                   tuple(d["phase_table"]), tuple(d["amplitude_table"]), tuple(d["offset_table"]),
                   dict(d.get("metadata", {})), int(d.get("wait_latency_ticks", 0)))

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_json(cls, text: str) -> "PulseProgram":
        return cls.from_dict(json.loads(text))


def _pick(table: tuple[float, ...], index: int) -> float:
    if index >= len(table):
        raise ProgramError(f"flag bits select register {index}, but the table has {len(table)} entries")
    return float(table[index])


def _fmt_ns(ns: float) -> str:
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("us", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.6g} {unit}"
    return f"{ns:.6g} ns"


def expand(program: PulseProgram, max_steps: int = 10_000_000, *, max_depth: int = 8) -> list[Segment]:
    """Execute the flow control and return every executed instruction in time order."""
    return list(iter_segments(program, max_steps, max_depth=max_depth))


def iter_segments(program: PulseProgram, max_steps: int = 10_000_000, *, max_depth: int = 8) -> Iterator[Segment]:
    """The PulseBlaster's execution, one executed instruction at a time.

    Raises :class:`ProgramError` for malformed flow control or a program that does not reach
    STOP within ``max_steps`` executed instructions (e.g. a BRANCH loop that repeats forever).
    """
    ins = program.instructions
    n = len(ins)
    loops: list[list[int]] = []  # [loop address, passes left]
    calls: list[int] = []
    reentry = False
    pc, t, steps = 0, 0, 0
    while True:
        if not 0 <= pc < n:
            raise ProgramError(f"execution ran off the program at address {pc} (no STOP)")
        i = ins[pc]
        steps += 1
        if steps > max_steps:
            raise ProgramError(f"program did not reach STOP within {max_steps} instructions")
        if i.op == Op.STOP:
            return
        if i.ticks <= 0:
            raise ProgramError(f"instruction {pc} has a delay of {i.ticks} ticks; it must be positive")
        if i.op == Op.LONG_DELAY and i.data < 2:
            raise ProgramError(f"LONG_DELAY at {pc} has multiplier {i.data}; it must be >= 2")
        if i.op == Op.WAIT and pc == 0:
            raise ProgramError("WAIT cannot be the first instruction (it must follow one instruction)")
        ticks = i.executed_ticks() + (program.wait_latency_ticks if i.op == Op.WAIT else 0)
        yield Segment(t, ticks, i.flags, pc)
        t += ticks
        nxt = pc + 1
        if i.op == Op.LOOP:
            if i.data < 1:
                raise ProgramError(f"LOOP at {pc} has count {i.data}; it must be >= 1")
            if not reentry:
                if len(loops) >= max_depth:
                    raise ProgramError(f"loops nested deeper than {max_depth} at address {pc}")
                loops.append([pc, i.data])
            reentry = False
        elif i.op == Op.END_LOOP:
            if not loops or loops[-1][0] != i.data:
                raise ProgramError(f"END_LOOP at {pc} points at {i.data}, which is not the open LOOP")
            loops[-1][1] -= 1
            if loops[-1][1] > 0:
                nxt, reentry = i.data, True
            else:
                loops.pop()
        elif i.op == Op.BRANCH:
            nxt = i.data
        elif i.op == Op.JSR:
            if len(calls) >= max_depth:
                raise ProgramError(f"subroutine calls nested deeper than {max_depth} at address {pc}")
            calls.append(pc + 1)
            nxt = i.data
        elif i.op == Op.RTS:
            if not calls:
                raise ProgramError(f"RTS at {pc} without a JSR")
            nxt = calls.pop()
        pc = nxt
