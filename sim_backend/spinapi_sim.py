"""A simulated SpinCore spinapi library, injectable into ``drivers.pulseblaster.PulseBlaster``.

It keeps the C library's conventions — ``int`` results, negative on error with the text from
``pb_get_error()`` (bytes), instruction addresses returned by ``pb_inst_pbonly`` — and runs
the loaded program on the world's clock: ``pb_start`` at simulated time t0, the board reports
"running" until the program's duration (executed with ``drivers.pulse_program.expand``, the
semantics the compiler and ``sim_backend.pulsed`` share) has elapsed, and "waiting" from the
first WAIT until :meth:`SimSpinapi.trigger`. Timing only: the spins are driven by the
in-process ``sim_backend.pulsed.SimPulseBlaster``, which receives the compiled program with its
register tables (the C API carries flags only). The loaded program is
attached to the world as ``world.pulse_program`` (list of (flags, opcode, data, length_s))
for subsystems that simulate what the pulses do.
"""
from __future__ import annotations

from typing import Any

from drivers.pulse_program import Instruction, Op, ProgramError, PulseProgram, expand

OPCODES = {0: "CONTINUE", 1: "STOP", 2: "LOOP", 3: "END_LOOP", 4: "JSR", 5: "RTS", 6: "BRANCH",
           7: "LONG_DELAY", 8: "WAIT"}
MAX_STEPS = 1_000_000


class SimSpinapi:
    def __init__(self, world: Any = None, boards: int = 1, version: str = "20171214-sim", wait_latency_ticks: int = 0,
                 short_pulse_bits: bool = False):
        self.world = world
        #: An ESR-PRO board: flag bits 21-23 are the short-pulse field, not outputs (see outputs()).
        self.short_pulse_bits = short_pulse_bits
        #: Cycles a WAIT holds after the trigger beyond its delay (6 on an ESR-PRO board).
        self.wait_latency_ticks = wait_latency_ticks
        self.boards = boards
        self.version = version
        self.error = ""
        self.selected: int | None = None
        self.initialised = False
        self.clock_mhz = 0.0
        self.programming = False
        self.program: list[tuple[int, int, int, float]] = []
        self.started_at: float | None = None
        self._triggered_at: float | None = None
        self._timeline: tuple[float, float] | None = None
        self.waiting = False
        self.calls: list[tuple[str, tuple[Any, ...]]] = []

    def _fail(self, message: str) -> int:
        self.error = message
        return -1

    def _now(self) -> float:
        return self.world.clock.now() if self.world is not None else 0.0

    def _log(self, name: str, *args: Any) -> None:
        self.calls.append((name, args))

    # --- C API --------------------------------------------------------------------------------
    def pb_get_version(self) -> bytes:
        return self.version.encode()

    def pb_get_error(self) -> bytes:
        return self.error.encode()

    def pb_count_boards(self) -> int:
        self._log("pb_count_boards")
        return self.boards

    def pb_select_board(self, n: int) -> int:
        self._log("pb_select_board", n)
        if not 0 <= n < self.boards:
            return self._fail(f"Board {n} not found")
        self.selected = n
        return 0

    def pb_init(self) -> int:
        self._log("pb_init")
        if self.boards == 0:
            return self._fail("No PulseBlaster Board found!")
        self.initialised = True
        return 0

    def pb_core_clock(self, mhz: float) -> None:
        self._log("pb_core_clock", mhz)
        self.clock_mhz = float(mhz)

    def pb_start_programming(self, device: int) -> int:
        self._log("pb_start_programming", device)
        if not self.initialised:
            return self._fail("Board not initialized: call pb_init() first")
        if device != 0:
            return self._fail(f"device {device}: only PULSE_PROGRAM (0) is simulated")
        self.programming, self.program, self._timeline = True, [], None
        return 0

    def pb_inst_pbonly(self, flags: int, inst: int, data: int, length_ns: float) -> int:
        self._log("pb_inst_pbonly", flags, inst, data, length_ns)
        if not self.programming:
            return self._fail("not programming: call pb_start_programming first")
        if inst not in OPCODES:
            return self._fail(f"invalid instruction {inst}")
        self.program.append((int(flags), int(inst), int(data), float(length_ns) * 1e-9))
        return len(self.program) - 1

    def pb_stop_programming(self) -> int:
        self._log("pb_stop_programming")
        if not self.programming:
            return self._fail("pb_stop_programming without pb_start_programming")
        self.programming = False
        if self.world is not None:
            self.world.pulse_program = [(f, OPCODES[i], d, t) for f, i, d, t in self.program]
        return 0

    def pb_reset(self) -> int:
        self._log("pb_reset")
        self.started_at, self.waiting, self._triggered_at = None, False, None
        return 0

    def pb_start(self) -> int:
        self._log("pb_start")
        if not self.program:
            return self._fail("no program loaded")
        self.started_at, self.waiting, self._triggered_at = self._now(), False, None
        return 0

    def pb_stop(self) -> int:
        self._log("pb_stop")
        self.started_at, self.waiting = None, False
        return 0

    def pb_close(self) -> int:
        """Releases the library; like the board, a running program is not stopped by it."""
        self._log("pb_close")
        self.initialised = False
        return 0

    def pb_read_status(self) -> int:
        if self.started_at is None:
            return 0b0001  # stopped
        elapsed = self._now() - self.started_at
        wait, end = self.timeline()
        if self._has_wait() and not self.waiting and self._triggered_at is None and elapsed >= wait:
            self.waiting = True
        if self.waiting:
            return 0b1000
        return 0b0100 if elapsed < end else 0b0001

    # --- simulation -----------------------------------------------------------------------------
    def outputs(self) -> list[tuple[int, int | None]]:
        """What each loaded instruction puts on the outputs: (bits 0-20 pattern, periods).

        On an ESR-PRO (``short_pulse_bits``) bits 21-23 select the output (ESR-PRO manual,
        short-pulse feature; ``spinapi.h`` ON = 111): 000 = nothing at all (pattern 0), 001-101
        = the pattern for only 1-5 clock periods, 111 = for the whole instruction (periods None).
        Other boards put out all 24 bits for the whole instruction."""
        out: list[tuple[int, int | None]] = []
        for flags, *_ in self.program:
            if not self.short_pulse_bits:
                out.append((flags, None))
                continue
            field = (flags >> 21) & 0b111
            pattern = flags & 0x1FFFFF
            out.append((0, 0) if field == 0 else (pattern, None) if field == 0b111 else (pattern, field))
        return out

    def trigger(self) -> None:
        """A hardware trigger: a program waiting at WAIT continues from now."""
        self.pb_read_status()
        if self.waiting:
            self.waiting, self._triggered_at = False, self._now()
            self.started_at = self._now() - self.timeline()[0]

    def _has_wait(self) -> bool:
        return any(op == 8 for _, op, _, _ in self.program)

    def timeline(self) -> tuple[float, float]:
        """(time until the first WAIT or the end, total run time) in s, by executing the program
        with ``drivers.pulse_program.expand`` (the semantics the compiler and the in-process
        simulated pulser share: STOP ends at its start, loops run their LOOP/END_LOOP each pass)."""
        if self._timeline is not None:
            return self._timeline
        clock = self.clock_mhz * 1e6 or 100e6
        program = PulseProgram([Instruction(f, Op(op), d, max(1, round(t * clock))) for f, op, d, t in self.program],
                               clock, wait_latency_ticks=self.wait_latency_ticks)
        try:
            segments = expand(program, MAX_STEPS)
        except ProgramError:
            segments = None  # e.g. a BRANCH back to the start: runs until pb_stop
        if segments is None:
            self._timeline = (float("inf"), float("inf"))
        elif not segments:
            self._timeline = (0.0, 0.0)
        else:
            end = (segments[-1].start + segments[-1].ticks) / clock
            wait = next((seg.start / clock for seg in segments if self.program[seg.address][1] == 8), end)
            self._timeline = (wait, end)
        return self._timeline

    def duration(self) -> float:
        return self.timeline()[1]
