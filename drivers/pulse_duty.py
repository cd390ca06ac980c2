"""How hard a compiled pulse program drives the RF amplifier: its duty cycle (transmit time over
the program's whole length) and its longest continuous transmission, computed exactly.

Loops are not unrolled: each block of instructions is summarised (length, transmit time, the
transmission running into its start and out of its end, its longest run) and a loop of n passes
is the block composed with itself n times by repeated doubling, so a 2^20-pass average costs
twenty compositions. A program that never stops (a backward BRANCH) or transmits while waiting
for a trigger has no bounded pulse length and is refused; one that repeats forever (a BRANCH back
to an earlier address, legal on a PulseBlaster) is judged by its repeating cycle.
"""
from __future__ import annotations

from dataclasses import dataclass

from drivers.pulse_program import Op, ProgramError, PulseProgram


@dataclass(frozen=True)
class TransmitSummary:
    """Ticks of a stretch of program: its length, transmit time, the transmission that runs from
    its start (``lead``) and into its end (``tail``), its longest continuous transmission."""

    length: int = 0
    on: int = 0
    lead: int = 0
    tail: int = 0
    longest: int = 0

    @property
    def all_on(self) -> bool:
        return self.on == self.length

    @classmethod
    def of(cls, ticks: int, transmitting: bool) -> "TransmitSummary":
        on = ticks if transmitting else 0
        return cls(ticks, on, on, on, on)

    def __add__(self, later: "TransmitSummary") -> "TransmitSummary":
        return TransmitSummary(
            self.length + later.length, self.on + later.on,
            self.length + later.lead if self.all_on else self.lead,
            later.length + self.tail if later.all_on else later.tail,
            max(self.longest, later.longest, self.tail + later.lead))

    def repeated(self, passes: int) -> "TransmitSummary":
        out, block = TransmitSummary(), self
        while passes:
            if passes & 1:
                out = out + block
            block, passes = block + block, passes >> 1
        return out


def summarise(program: PulseProgram) -> tuple[TransmitSummary, TransmitSummary | None]:
    """(the program up to its STOP or its repeating cycle, that cycle or None) as the board runs
    it, following LOOP/END_LOOP, JSR/RTS and BRANCH."""
    tx_bit = program.channels.tx
    ins = program.instructions
    cycle: list[TransmitSummary] = []

    def block(pc: int, depth: int, until: Op | None, cycle_end: int | None = None) -> tuple[TransmitSummary, int]:
        total = TransmitSummary()
        while True:
            if not 0 <= pc < len(ins):
                raise ProgramError(f"execution runs off the program at address {pc} (no STOP)")
            i = ins[pc]
            tx = bool((i.flags >> tx_bit) & 1)
            if i.op == Op.STOP:
                if until is not None or cycle_end is not None:
                    raise ProgramError(f"STOP at {pc} inside a loop or subroutine")
                return total, pc
            if i.ticks <= 0:
                raise ProgramError(f"instruction {pc} has a delay of {i.ticks} ticks; it must be positive")
            here = TransmitSummary.of(i.executed_ticks(), tx)
            if i.op == Op.WAIT and tx:
                raise ProgramError(f"instruction {pc} transmits while waiting for a trigger: the pulse length "
                                   f"is unbounded")
            if i.op in (Op.END_LOOP, Op.RTS):
                if until != i.op:
                    raise ProgramError(f"{i.op.name} at {pc} without its {'LOOP' if i.op == Op.END_LOOP else 'JSR'}")
                return total + here, pc
            if depth > 8:
                raise ProgramError(f"loops or subroutine calls nested deeper than 8 at address {pc}")
            if i.op == Op.LOOP:
                if i.data < 1:
                    raise ProgramError(f"LOOP at {pc} has count {i.data}; it must be >= 1")
                body, end = block(pc + 1, depth + 1, Op.END_LOOP)
                if ins[end].data != pc:
                    raise ProgramError(f"END_LOOP at {end} points at {ins[end].data}, not at its LOOP {pc}")
                total, pc = total + (here + body).repeated(i.data), end + 1
            elif i.op == Op.JSR:
                sub, _ = block(i.data, depth + 1, Op.RTS)
                total, pc = total + here + sub, pc + 1
            elif i.op == Op.BRANCH and cycle_end == pc:  # the end of the repeating cycle
                return total + here, pc
            elif i.op == Op.BRANCH and i.data <= pc:
                if until is not None or cycle_end is not None:
                    raise ProgramError(f"BRANCH at {pc} jumps back to {i.data} inside a loop or subroutine")
                repeat, _ = block(i.data, depth, None, pc)
                cycle.append(repeat)
                return total + here, pc
            elif i.op == Op.BRANCH:
                total, pc = total + here, i.data
            else:
                total, pc = total + here, pc + 1

    start, _ = block(0, 0, None)
    return start, (cycle[0] if cycle else None)


def program_seconds(program: PulseProgram) -> float:
    """How long the board runs the program, loops included, exactly (inf when it ends in a BRANCH
    back: it repeats until stopped)."""
    start, cycle = summarise(program)
    return float("inf") if cycle is not None else start.length / program.clock_hz


def transmit_load(program: PulseProgram) -> tuple[float, float]:
    """(duty cycle, longest continuous transmission in s) of the program as the board runs it.
    A program that ends in a BRANCH back to an earlier address repeats that cycle forever: its
    duty is the cycle's, and its longest transmission may run across the cycle's end into its
    start."""
    start, rep = summarise(program)
    if rep is None:
        return (start.on / start.length if start.length else 0.0), start.longest / program.clock_hz
    if rep.all_on:
        return 1.0, float("inf")
    return rep.on / rep.length, (start + rep + rep).longest / program.clock_hz


def transmit_problems(program: PulseProgram, max_duty_cycle: float, max_pulse_length: float) -> list[str]:
    """Each way ``program`` exceeds the lab's RF duty cycle or pulse length (one line each)."""
    duty, longest = transmit_load(program)
    problems = []
    if duty > max_duty_cycle * (1 + 1e-12):
        problems.append(f"RF duty cycle {duty:.3%} exceeds the lab's max_rf_duty_cycle {max_duty_cycle:.3%}")
    if longest > max_pulse_length * (1 + 1e-12):
        problems.append(f"transmits continuously for {longest * 1e6:.6g} us; the lab's max_pulse_length is "
                        f"{max_pulse_length * 1e6:.6g} us")
    return problems
