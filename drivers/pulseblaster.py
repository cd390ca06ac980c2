"""SpinCore PulseBlaster pulse programmer through its C library (spinapi) via ctypes.

C API (SpinCore ``spinapi.h``; docs/references.md): every call returns
``int`` >= 0 on success, < 0 on error with the text from ``pb_get_error()``;
``pb_inst_pbonly(flags, inst, inst_data, length_ns)`` returns the instruction's address
(``END_LOOP``/``BRANCH`` take addresses as their data); ``pb_read_status()`` bits: 0 stopped,
1 reset, 2 running, 3 waiting.

The binding is injectable (``options.binding``): anything with the ``pb_*`` functions, e.g.
``sim_backend.spinapi_sim.SimSpinapi``. Without one the library is located and loaded on first
use (never at construction), with a clear error naming what was tried when it is missing.

Program format accepted by :meth:`PulseBlaster.load`: a compiled
:class:`drivers.pulse_program.PulseProgram` (what ``sequences.pulse.compile_pulseblaster``
emits; its clock must be the board's, and its flow control is checked by executing it with
``drivers.pulse_program.expand``), or a plain list of :class:`PBInstruction` /
``(flags, opcode, data, duration_s)`` tuples. Everything is validated before any library
call: opcodes, loop nesting and counts, branch targets, no WAIT at address 0, durations in
whole clock ticks of at least ``min_instruction_ticks``, and a final STOP or BRANCH.

Board profile (option ``board``; :mod:`drivers.pulseblaster_boards`): a built-in name such as
``"esr-pro-500"`` or a table changing one. It sets the clock, the minimum instruction (and
the longer minimum of CONTINUE/JSR/RTS/LONG_DELAY on some ESR-PRO designs), the longest delay,
memory, the WAIT latency and whether flag bits 21-23 are the ESR-PRO short-pulse field, which
is then 111 (ON) in every flag word unless ``short_pulse_flags = false`` says otherwise:
with 000 there an ESR-PRO puts out nothing at all. The separate options ``clock_hz``,
``min_instruction_ticks``, ``max_instructions`` and ``short_pulse_flags`` override the
profile's values. Without ``board`` the profile is ``pulseblaster-24-100`` (100 MHz, no
short-pulse bits), what this driver assumed before profiles existed.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from drivers.errors import ConfigError, InstrumentError
from drivers.pulse_program import Instruction, Op, PulseProgram, expand
from drivers.pulseblaster_boards import (DEFAULT_PROFILE, FLOW_OPCODES, SHORT_PULSE_BITS, SHORT_PULSE_ON,
                                         board_profile)
from drivers.roles import PulseProgrammer

OPCODES = {"CONTINUE": 0, "STOP": 1, "LOOP": 2, "END_LOOP": 3, "JSR": 4, "RTS": 5, "BRANCH": 6,
           "LONG_DELAY": 7, "WAIT": 8}
OPCODE_NAMES = {v: k for k, v in OPCODES.items()}
PULSE_PROGRAM = 0
STATUS_BITS = {0: "stopped", 1: "reset", 2: "running", 3: "waiting"}
LIBRARY_NAMES = ("libspinapi64.so", "libspinapi.so", "spinapi64.dll", "spinapi.dll", "libspinapi.dylib")


@dataclass(frozen=True)
class PBInstruction:
    flags: int
    opcode: str
    data: int
    duration: float  # s

    def __str__(self) -> str:
        return f"0x{self.flags:06X} {self.opcode:<10s} {self.data:>8d} {self.duration * 1e9:.1f} ns"


class SpinapiLibrary:
    """ctypes binding with the argument and return types of ``spinapi.h``."""

    SIGNATURES: dict[str, tuple[tuple[Any, ...], Any]] = {
        "pb_get_version": ((), ctypes.c_char_p), "pb_get_error": ((), ctypes.c_char_p),
        "pb_count_boards": ((), ctypes.c_int), "pb_select_board": ((ctypes.c_int,), ctypes.c_int),
        "pb_init": ((), ctypes.c_int), "pb_core_clock": ((ctypes.c_double,), None),
        "pb_start_programming": ((ctypes.c_int,), ctypes.c_int),
        "pb_inst_pbonly": ((ctypes.c_uint, ctypes.c_int, ctypes.c_int, ctypes.c_double), ctypes.c_int),
        "pb_stop_programming": ((), ctypes.c_int), "pb_start": ((), ctypes.c_int), "pb_stop": ((), ctypes.c_int),
        "pb_reset": ((), ctypes.c_int), "pb_close": ((), ctypes.c_int), "pb_read_status": ((), ctypes.c_int),
    }

    def __init__(self, path: str):
        self.path = path
        self._lib = ctypes.CDLL(path)
        for name, (args, res) in self.SIGNATURES.items():
            fn = getattr(self._lib, name)
            fn.argtypes, fn.restype = list(args), res
            setattr(self, name, fn)


def find_library(explicit: str | None = None) -> tuple[str | None, list[str]]:
    """(path or None, what was tried)."""
    tried: list[str] = []
    candidates: list[str] = []
    if explicit:
        candidates.append(explicit)
    if os.environ.get("SPINAPI_LIBRARY"):
        candidates.append(os.environ["SPINAPI_LIBRARY"])
    spec = importlib.util.find_spec("spinapi")
    if spec is not None and spec.origin:
        folder = Path(spec.origin).parent
        candidates += [str(folder / n) for n in LIBRARY_NAMES]
    for stem in ("spinapi64", "spinapi"):
        found = ctypes.util.find_library(stem)
        tried.append(f"find_library({stem!r})")
        if found:
            candidates.append(found)
    for c in candidates:
        tried.append(c)
        if Path(c).exists() or "/" not in c:
            return c, tried
    return None, tried


class PulseBlaster(PulseProgrammer):
    driver_options = {"binding": None, "library": None, "board": DEFAULT_PROFILE, "clock_hz": None,
                      "short_pulse_flags": None, "min_instruction_ticks": None, "max_instructions": None,
                      "channels": None}

    def __init__(self, address: str = "0", name: str | None = None, **options: Any):
        super().__init__(name)
        unknown = sorted(set(options) - set(self.driver_options))
        if unknown:
            raise ConfigError(f"PulseBlaster ({self.name}): unknown option(s) {unknown}; accepted: "
                              f"{', '.join(sorted(self.driver_options))}")
        opts = {**self.driver_options, **options}
        board = str(address).removeprefix("pb:")
        if not board.isdigit():
            raise ConfigError(f"{self.name}: PulseBlaster address is the board number ('0', '1' ...), got {address!r}")
        self.address, self.board = str(address), int(board)
        self.profile = board_profile(opts["board"], f"{self.name} (PulseBlaster) options.board")
        p = self.profile
        self.clock_hz = float(p.clock_hz if opts["clock_hz"] is None else opts["clock_hz"])
        self.min_instruction_ticks = int(p.min_instruction_ticks if opts["min_instruction_ticks"] is None
                                         else opts["min_instruction_ticks"])
        self.min_flow_ticks = max(p.min_flow_ticks, self.min_instruction_ticks)
        self.max_instructions = int(p.max_instructions if opts["max_instructions"] is None else opts["max_instructions"])
        self.max_delay_ticks, self.max_loop_count = p.max_delay_ticks, p.max_loop_count
        self.wait_latency_ticks = p.wait_latency_ticks
        self.short_pulse_flags = bool(p.short_pulse_bits if opts["short_pulse_flags"] is None
                                      else opts["short_pulse_flags"])
        if opts["channels"] is not None:  # the board's wiring by name; programs are compiled for it
            from drivers.channel_wiring import channel_delays_from_table, channel_map_from_table

            where = f"{self.name} (PulseBlaster) options"
            self.channel_map = channel_map_from_table(opts["channels"], where)
            #: Declared propagation delays per sequence channel (s); the compiler compensates them.
            self.channel_delays = channel_delays_from_table(opts["channels"], where)
        if p.short_pulse_bits and getattr(self, "channel_map", None) is not None:
            self._check_short_pulse_wiring(self.channel_map)
        self._library_path = opts["library"]
        self._lib: Any = opts["binding"]
        self._initialised = False
        self.program: list[PBInstruction] = []

    def _check_short_pulse_wiring(self, channel_map: Any) -> None:
        """On an ESR-PRO, bits 21-23 are the short-pulse field, not outputs to wire."""
        used = {channel_map.tx, channel_map.adc, *channel_map.phase, *channel_map.amplitude, *channel_map.offset,
                *(b for _, b in channel_map.markers)}
        clash = sorted(used & set(SHORT_PULSE_BITS))
        if clash:
            raise ConfigError(f"{self.name} (PulseBlaster): flag bit(s) {clash} are the short-pulse field of the "
                              f"{self.profile.name} board (bits 21-23), not outputs; wire channels to bits 0-20")

    # --- library -----------------------------------------------------------------------------
    @property
    def lib(self) -> Any:
        if self._lib is None:
            path, tried = find_library(self._library_path)
            if path is None:
                raise InstrumentError(self.name, "SpinCore spinapi library not found (tried: " + ", ".join(tried) +
                                      "). Install SpinCore's SpinAPI, or `pip install spinapi` (on Linux it also "
                                      "needs libusb-0.1-4), or set options.library to the library's path",
                                      address=f"board {self.board}")
            try:
                self._lib = SpinapiLibrary(path)
            except OSError as exc:
                raise InstrumentError(self.name, f"cannot load the spinapi library {path}: {exc}",
                                      address=f"board {self.board}") from None
        return self._lib

    def _call(self, func: str, *args: Any) -> int:
        result = getattr(self.lib, func)(*args)
        if result is not None and result < 0:
            err = self.lib.pb_get_error()
            text = err.decode(errors="replace") if isinstance(err, bytes) else str(err)
            raise InstrumentError(self.name, f"{func} failed ({result}): {text}", address=f"board {self.board}",
                                  command=f"{func}{args}")
        return result if result is not None else 0

    def _ensure_init(self) -> None:
        if self._initialised:
            return
        count = self._call("pb_count_boards")
        if self.board >= count:
            raise InstrumentError(self.name, f"board {self.board} not present ({count} PulseBlaster board(s) found)",
                                  address=f"board {self.board}", command="pb_count_boards()")
        self._call("pb_select_board", self.board)
        self._call("pb_init")
        self.lib.pb_core_clock(self.clock_hz / 1e6)
        self._initialised = True

    # --- program -----------------------------------------------------------------------------
    def validate(self, program: Any) -> list[PBInstruction]:
        """Normalise and check a program; raises ValueError naming the instruction and the rule."""
        if isinstance(program, PulseProgram):
            if abs(program.clock_hz - self.clock_hz) > 1e-6 * self.clock_hz:
                raise ValueError(f"{self.name}: program compiled for a {program.clock_hz / 1e6:g} MHz clock; this "
                                 f"board runs at {self.clock_hz / 1e6:g} MHz (options.clock_hz)")
            waits = any(i.op == Op.WAIT for i in program.instructions)
            if waits and program.wait_latency_ticks != self.wait_latency_ticks:
                raise ValueError(f"{self.name}: program compiled for a WAIT latency of {program.wait_latency_ticks} "
                                 f"clock ticks; the {self.profile.name} board's is {self.wait_latency_ticks} (compile "
                                 "with Constraints.from_lab for this board)")
            if program.instructions and program.instructions[-1].op.name == "STOP":
                expand(program)  # flow control executed once: unbalanced loops, ... (ProgramError)
            items = [(i.flags, i.op.name, i.data, i.ticks / program.clock_hz) for i in program.instructions]
        else:
            items = getattr(program, "instructions", program)
        out: list[PBInstruction] = []
        for i, item in enumerate(items):
            if isinstance(item, PBInstruction):
                flags, op, data, dur = item.flags, item.opcode, item.data, item.duration
            else:
                try:
                    flags, op, data, dur = item
                except (TypeError, ValueError):
                    raise ValueError(f"{self.name}: instruction {i} is {item!r}; expected "
                                     "(flags, opcode, data, duration_s)") from None
            name = OPCODE_NAMES.get(op) if isinstance(op, int) else str(op).upper()
            if name not in OPCODES:
                raise ValueError(f"{self.name}: instruction {i}: opcode {op!r} unknown; use one of {list(OPCODES)}")
            if int(flags) != flags or not 0 <= flags < 2**24:
                raise ValueError(f"{self.name}: instruction {i}: flags {flags!r} must be an integer 0 .. 0xFFFFFF")
            ticks = round(float(dur) * self.clock_hz)
            least = self.min_flow_ticks if name in FLOW_OPCODES else self.min_instruction_ticks
            if ticks < least:
                raise ValueError(f"{self.name}: instruction {i}: duration {dur * 1e9:g} ns is shorter than "
                                 f"{least} clock ticks ({least / self.clock_hz * 1e9:g} ns)"
                                 + (f", the {self.profile.name} board's minimum for {name}" if least >
                                    self.min_instruction_ticks else ""))
            if ticks > self.max_delay_ticks:
                raise ValueError(f"{self.name}: instruction {i}: delay of {ticks} clock ticks exceeds the "
                                 f"{self.profile.name} board's longest delay of {self.max_delay_ticks} ticks "
                                 f"({self.max_delay_ticks / self.clock_hz * 1e9:g} ns); use LONG_DELAY")
            if abs(ticks / self.clock_hz - dur) > 1e-3 / self.clock_hz:
                raise ValueError(f"{self.name}: instruction {i}: duration {dur * 1e9:g} ns is not a whole number "
                                 f"of {1e9 / self.clock_hz:g} ns clock ticks")
            out.append(PBInstruction(int(flags), name, int(data), ticks / self.clock_hz))
        self._check_structure(out)
        return out

    def _check_structure(self, prog: list[PBInstruction]) -> None:
        if not prog:
            raise ValueError(f"{self.name}: empty program")
        if len(prog) > self.max_instructions:
            raise ValueError(f"{self.name}: {len(prog)} instructions; the board holds {self.max_instructions}")
        open_loops: list[int] = []
        for i, ins in enumerate(prog):
            if ins.opcode == "LOOP":
                if not 1 <= ins.data <= self.max_loop_count:
                    raise ValueError(f"{self.name}: instruction {i}: loop count {ins.data} outside 1..{self.max_loop_count}")
                open_loops.append(i)
            elif ins.opcode == "END_LOOP":
                if not open_loops or open_loops[-1] != ins.data:
                    raise ValueError(f"{self.name}: instruction {i}: END_LOOP data {ins.data} must be the address of "
                                     f"the innermost open LOOP ({open_loops[-1] if open_loops else 'none open'})")
                open_loops.pop()
            elif ins.opcode in ("BRANCH", "JSR") and not 0 <= ins.data < len(prog):
                raise ValueError(f"{self.name}: instruction {i}: {ins.opcode} target {ins.data} outside 0..{len(prog) - 1}")
            elif ins.opcode == "WAIT" and i == 0:
                raise ValueError(f"{self.name}: WAIT cannot be the first instruction (SpinCore manual); put a "
                                 "short CONTINUE before it")
            elif ins.opcode == "LONG_DELAY" and ins.data < 2:
                raise ValueError(f"{self.name}: instruction {i}: LONG_DELAY multiplier {ins.data} must be >= 2")
        if open_loops:
            raise ValueError(f"{self.name}: LOOP at {open_loops} never closed by END_LOOP")
        if prog[-1].opcode not in ("STOP", "BRANCH"):
            raise ValueError(f"{self.name}: the last instruction is {prog[-1].opcode}; it must be STOP or BRANCH "
                             "or the board runs past the end of the program")

    def as_pulse_program(self, program: Any) -> PulseProgram:
        """Any accepted program form, validated (before any library call), as a PulseProgram for
        the role's transmit limits; an instruction list transmits on the default channel map."""
        prog = self.validate(program)
        if isinstance(program, PulseProgram):
            return program
        ticks = [round(ins.duration * self.clock_hz) for ins in prog]
        return PulseProgram([Instruction(ins.flags, Op[ins.opcode], ins.data, t) for ins, t in zip(prog, ticks)],
                            self.clock_hz, wait_latency_ticks=self.wait_latency_ticks)

    def write_program(self, program: Any) -> None:
        prog = self.validate(program)  # before any library call
        self._ensure_init()
        self._call("pb_start_programming", PULSE_PROGRAM)
        for i, ins in enumerate(prog):
            flags = ins.flags | (SHORT_PULSE_ON if self.short_pulse_flags else 0)
            addr = self._call("pb_inst_pbonly", flags, OPCODES[ins.opcode], ins.data, ins.duration * 1e9)
            if addr != i:
                raise InstrumentError(self.name, f"instruction {i} was stored at address {addr}",
                                      address=f"board {self.board}", command="pb_inst_pbonly")
        self._call("pb_stop_programming")
        self.program = prog

    def start(self) -> None:
        if not self.program:
            raise InstrumentError(self.name, "no program loaded; call load() first", address=f"board {self.board}")
        self._call("pb_reset")
        self._call("pb_start")

    def stop(self) -> None:
        if self._initialised:
            self._call("pb_stop")

    def status(self) -> list[str]:
        bits = self._call("pb_read_status")
        return [text for bit, text in STATUS_BITS.items() if bits & (1 << bit)]

    def is_running(self) -> bool:
        return bool({"running", "waiting"} & set(self.status()))

    def identity(self) -> str:
        version = self.lib.pb_get_version()
        version = version.decode(errors="replace") if isinstance(version, bytes) else str(version)
        return f"SpinCore,PulseBlaster,board {self.board},spinapi {version}"

    def snapshot(self) -> dict[str, Any]:
        return {"board": self.board, "profile": self.profile.name, "clock_Hz": self.clock_hz,
                "short_pulse_flags": self.short_pulse_flags,
                "program": [str(ins) for ins in self.program]}

    def close(self) -> None:
        """Stop, then release the board: a program keeps running after ``pb_close`` alone
        (spinapi leaves the board as it is), so a closed lab would go on pulsing."""
        if self._initialised:
            try:
                self._call("pb_stop")
                self._call("pb_close")
            finally:
                self._initialised = False


def instructions(items: Iterable[tuple[int, str, int, float]]) -> list[PBInstruction]:
    """Convenience: tuples -> PBInstruction list."""
    return [PBInstruction(int(f), str(o), int(d), float(t)) for f, o, d, t in items]
