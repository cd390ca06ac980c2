"""Simulated pulse programmer (a PulseBlasterESR-PRO-500) and quadrature digitizer.

Both act only on ``world.pulsed``: the pulser runs the compiled program on the spins, the
digitizer arms the receiver and reads its records with noise and its reference phase.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from drivers.errors import InstrumentError
from drivers.pulse_program import ChannelMap, Instruction, Op, PulseProgram, ProgramError, expand
from drivers.roles import Digitizer, PulseProgrammer, Range


class SimPulseBlaster(PulseProgrammer):
    """500 MHz clock, 5-tick minimum instruction, 4096 instructions (PulseBlaster ESR-PRO manual).

    Receiver timing of the simulated spectrometer travels with the pulser (see
    sequences.pulse.Constraints.from_lab): ``ringdown_time`` and ``rf_dead_time``.
    """

    clock_hz = 500e6
    min_instruction_ticks = 5
    max_instructions = 4096
    max_loop_count = 2**20
    max_loop_depth = 8
    ringdown_time = 60e-9
    rf_dead_time = 20e-9
    #: The simulated transmitter gate's physical delay (s): the RF reaches the sample this long
    #: after the edges of its TTL (tx and the register bits that go with it), like a PIN switch
    #: and amplifier blanking. Hardware truth, not compensated here: the lab declares it in
    #: ``channel_delays`` and the compiler emits the RF edges that much early.
    rf_gate_delay = 0.0

    def __init__(self, world: Any, name: str = "pulser", channel_map: ChannelMap | None = None):
        super().__init__(name)
        self.world = world
        self.channel_map = channel_map or ChannelMap()
        #: Declared propagation delay per sequence channel (s), read by Constraints.from_lab.
        self.channel_delays: dict[str, float] = {}
        #: Every program this board accepted, in order (tests check what reached the driver).
        self.loaded: list[PulseProgram] = []
        self._program: PulseProgram | None = None

    def identity(self) -> str:
        return "SpinCore,PulseBlasterESR-PRO-500 (simulated),0001,spinbench-sim"

    def write_program(self, program: Any) -> None:
        if not isinstance(program, PulseProgram):
            raise InstrumentError(self.name, f"expected a compiled PulseProgram, got {type(program).__name__}",
                                  address="sim", command="load")
        problems = []
        if abs(program.clock_hz - self.clock_hz) > 1e-6 * self.clock_hz:
            problems.append(f"compiled for a {program.clock_hz / 1e6:g} MHz clock; this board runs at "
                            f"{self.clock_hz / 1e6:g} MHz")
        if program.channels != self.channel_map:
            problems.append("compiled for a different channel map (flag-bit wiring) than this board's")
        if len(program.instructions) > self.max_instructions:
            problems.append(f"{len(program.instructions)} instructions; the board holds {self.max_instructions}")
        short = [a for a, i in enumerate(program.instructions)
                 if i.op != Op.STOP and i.ticks < self.min_instruction_ticks]
        if short:
            problems.append(f"instructions {short[:5]} are shorter than {self.min_instruction_ticks} clock ticks")
        if problems:
            raise InstrumentError(self.name, "; ".join(problems), address="sim", command="load")
        self.world.log(self.name, f"LOAD {len(program.instructions)} instructions")
        self._program = program
        self.loaded.append(program)

    def start(self) -> None:
        """Run the loaded program from now. The simulator computes it to its STOP at once; the world
        clock then has to pass its duration (``is_running``) before the next start."""
        if self._program is None:
            raise InstrumentError(self.name, "start without a loaded program", address="sim", command="start")
        if self.is_running():
            raise InstrumentError(self.name, "start while the previous program is still running; wait for it or "
                                  "stop() first", address="sim", command="start")
        self.world.log(self.name, "START")
        try:
            self.world.pulsed.run(acting_program(self._program, self.rf_gate_delay))
        except ProgramError as exc:
            raise InstrumentError(self.name, f"program fault: {exc}", address="sim", command="start") from None

    def stop(self) -> None:
        """Ends the wait for the program; the spins keep the state the whole program left them in."""
        self.world.pulsed.stop()
        self.world.log(self.name, "STOP")

    def is_running(self) -> bool:
        return self.world.clock.now() < self.world.pulsed.busy_until - 1e-15

    def make_safe(self) -> None:
        self.world.pulsed.stop()

    def snapshot(self) -> dict[str, Any]:
        p = self._program
        return {"clock_Hz": self.clock_hz, "min_instruction_ticks": self.min_instruction_ticks,
                "max_instructions": self.max_instructions, "ringdown_time_s": self.ringdown_time,
                "rf_dead_time_s": self.rf_dead_time, "channel_map": self.channel_map.to_dict(),
                "program_instructions": len(p.instructions) if p else 0,
                "program_sequence": p.metadata.get("sequence", "") if p else ""}


class SimDigitizer(Digitizer):
    """Quadrature digitizer: complex records (V), white noise, a settable reference phase (rad)."""

    sample_rate_range = Range(1e3, 1e9, "Hz")
    record_length_range = Range(1, 2**16, "")

    def __init__(self, world: Any, name: str = "digitizer"):
        super().__init__(name)
        self.world = world
        self._fs = 250e6
        self._n = 128
        self.phase = 0.0
        self._armed = False

    def identity(self) -> str:
        return "spinbench,SimDigitizer,0001,1.0"

    @property
    def sample_rate(self) -> float:
        return self._fs

    @sample_rate.setter
    def sample_rate(self, hz: float) -> None:
        self._fs = self.sample_rate_range.check("sample_rate", hz, self.name)
        self.world.log(self.name, f"RATE {self._fs}")

    @property
    def record_length(self) -> int:
        return self._n

    @record_length.setter
    def record_length(self, n: int) -> None:
        if int(n) != n:
            raise ValueError(f"{self.name}: record_length {n!r} must be a whole number of samples")
        self._n = int(self.record_length_range.check("record_length", n, self.name))
        self.world.log(self.name, f"LEN {self._n}")

    def arm(self) -> None:
        self.world.pulsed.arm(self._fs, self._n)
        self._armed = True
        self.world.log(self.name, "ARM")

    def fetch(self) -> np.ndarray:
        if not self._armed:
            raise InstrumentError(self.name, "fetch before arm", address="sim", command="fetch")
        pulsed = self.world.pulsed
        wait = pulsed.busy_until - self.world.clock.now()
        if wait > 0:  # the acquisition completes when the program does
            self.world.clock.sleep(wait)
        if not pulsed.receiver.records:
            raise InstrumentError(self.name, "no trigger received since arm (does the program open the ADC gate, "
                                  "and did the pulser start?)", address="sim", command="fetch")
        self._armed = False
        return pulsed.records_volts(self.phase)

    def snapshot(self) -> dict[str, Any]:
        return {"sample_rate_Hz": self._fs, "record_length": self._n, "phase_rad": self.phase,
                "phase_deg": math.degrees(self.phase), "noise_V": self.world.pulsed.sample.noise_volts}


def acting_program(program: PulseProgram, rf_delay: float) -> PulseProgram:
    """What reaches the spins: ``program`` with its RF bits (tx, phase, amplitude, offset) acting
    ``rf_delay`` after their edges, as one straight-line program of the same length (an RF edge
    delayed past the end is cut off there). The program itself when there is no delay."""
    d = round(rf_delay * program.clock_hz)
    if d <= 0:
        return program
    ch = program.channels
    mask = sum(1 << b for b in (ch.tx, *ch.phase, *ch.amplitude, *ch.offset))
    segs = expand(program)
    end = segs[-1].start + segs[-1].ticks if segs else 0
    rest = [(g.start, g.flags & ~mask) for g in segs]
    rf = [(0, 0)] + [(g.start + d, g.flags & mask) for g in segs if g.start + d < end]
    cuts = sorted({t for t, _ in rest} | {t for t, _ in rf} | {end})
    out: list[Instruction] = []
    i = j = 0
    for a, b in zip(cuts, cuts[1:]):
        while i + 1 < len(rest) and rest[i + 1][0] <= a:
            i += 1
        while j + 1 < len(rf) and rf[j + 1][0] <= a:
            j += 1
        flags = rest[i][1] | rf[j][1]
        if out and out[-1].flags == flags:
            out[-1] = Instruction(flags, Op.CONTINUE, 0, out[-1].ticks + b - a)
        else:
            out.append(Instruction(flags, Op.CONTINUE, 0, b - a))
    out.append(Instruction(program.channels.constant, Op.STOP, 0, 1))
    return PulseProgram(out, program.clock_hz, ch, program.phase_table, program.amplitude_table,
                        program.offset_table, program.metadata)
