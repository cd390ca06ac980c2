"""PulseBlaster: validation before any library call, the simulated spinapi on the world clock,
the missing-library error, and the real ctypes path through a compiled stand-in library."""
from __future__ import annotations

import ctypes
import shutil
import subprocess

import pytest

from drivers.errors import InstrumentError
from drivers.pulseblaster import PBInstruction, PulseBlaster
from sim_backend.spinapi_sim import SimSpinapi
from sim_backend.world import SimulatedWorld

NS = 1e-9
#: Two-pulse echo skeleton: pulse, delay, pulse, 3 x (acquire window), stop.
PROGRAM = [(0x1, "CONTINUE", 0, 100 * NS), (0x0, "CONTINUE", 0, 1000 * NS), (0x1, "CONTINUE", 0, 200 * NS),
           (0x2, "LOOP", 3, 500 * NS), (0x0, "END_LOOP", 3, 500 * NS), (0x0, "STOP", 0, 50 * NS)]


def test_program_runs_for_its_duration_on_the_world_clock():
    world = SimulatedWorld(seed=0)
    lib = SimSpinapi(world)
    pb = PulseBlaster("0", "pulser", binding=lib)
    pb.load(PROGRAM)
    assert [c[0] for c in lib.calls[:4]] == ["pb_count_boards", "pb_select_board", "pb_init", "pb_core_clock"]
    assert lib.clock_mhz == 100.0
    assert lib.program[4] == (0, 3, 3, pytest.approx(500e-9))  # END_LOOP points at the LOOP address
    assert world.pulse_program[0][1] == "CONTINUE"
    pb.start()
    assert pb.is_running()
    world.clock.sleep(4.2e-6)  # 1.3 us + 3 x 1 us = 4.3 us, +50 ns stop
    assert pb.is_running()
    world.clock.sleep(0.2e-6)
    assert not pb.is_running() and pb.status() == ["stopped"]
    assert pb.snapshot()["program"][3] == "0x000002 LOOP              3 500.0 ns"


def test_wait_instruction_holds_until_triggered():
    world = SimulatedWorld(seed=0)
    lib = SimSpinapi(world)
    pb = PulseBlaster("0", "pulser", binding=lib)
    pb.load([PBInstruction(0, "CONTINUE", 0, 100 * NS), PBInstruction(0, "WAIT", 0, 100 * NS),
             PBInstruction(1, "CONTINUE", 0, 1e-6), PBInstruction(0, "STOP", 0, 100 * NS)])
    pb.start()
    assert pb.status() == ["running"]
    world.clock.sleep(1e-3)
    assert pb.status() == ["waiting"] and pb.is_running()
    lib.trigger()
    world.clock.sleep(1.0e-6)  # the WAIT's own 100 ns and the 1 us pulse run after the trigger
    assert pb.is_running()
    world.clock.sleep(0.2e-6)
    assert not pb.is_running()
    with pytest.raises(ValueError, match="WAIT cannot be the first instruction"):
        pb.load([(0, "WAIT", 0, 100 * NS), (0, "STOP", 0, 100 * NS)])


@pytest.mark.parametrize("program, message", [
    ([(0, "CONTINUE", 0, 100 * NS)], "must be STOP or BRANCH"),
    ([(0, "CONTINUE", 0, 30 * NS), (0, "STOP", 0, 100 * NS)], "shorter than 5 clock ticks"),
    ([(0, "CONTINUE", 0, 105 * NS), (0, "STOP", 0, 100 * NS)], "not a whole number of 10 ns"),
    ([(0, "LOOP", 2, 100 * NS), (0, "END_LOOP", 1, 100 * NS), (0, "STOP", 0, 100 * NS)], "innermost open LOOP"),
    ([(0, "LOOP", 0, 100 * NS), (0, "END_LOOP", 0, 100 * NS), (0, "STOP", 0, 100 * NS)], "loop count 0"),
    ([(0, "BRANCH", 7, 100 * NS)], "BRANCH target 7"),
    ([(1 << 24, "STOP", 0, 100 * NS)], "flags"),
    ([(0, "JUMP", 0, 100 * NS)], "opcode 'JUMP' unknown"),
])
def test_bad_programs_rejected_before_any_library_call(program, message):
    lib = SimSpinapi()
    pb = PulseBlaster("0", "pulser", binding=lib)
    with pytest.raises(ValueError, match=message):
        pb.load(program)
    assert lib.calls == []


def test_compiled_pulse_program_is_accepted_and_checked():
    """The compiler's PulseProgram (drivers.pulse_program) loads as is; its clock must match."""
    from drivers.pulse_program import Instruction, Op, PulseProgram

    ins = [Instruction(0xE00001, Op.CONTINUE, 0, 50), Instruction(0xE00000, Op.LOOP, 4, 250),
           Instruction(0xE00000, Op.END_LOOP, 1, 250), Instruction(0xE00000, Op.STOP, 0, 5)]
    world = SimulatedWorld(seed=0)
    lib = SimSpinapi(world)
    pb = PulseBlaster("0", "pulser", binding=lib, clock_hz=500e6)
    pb.load(PulseProgram(ins, 500e6))
    assert lib.program[1] == (0xE00000, 2, 4, pytest.approx(500e-9))
    assert lib.duration() == pytest.approx(100e-9 + 4 * 1000e-9)  # STOP ends at its start
    with pytest.raises(ValueError, match="compiled for a 100 MHz clock; this board runs at 500 MHz"):
        pb.load(PulseProgram(ins, 100e6))
    bad = [Instruction(0, Op.CONTINUE, 0, 50), Instruction(0, Op.END_LOOP, 0, 50), Instruction(0, Op.STOP, 0, 5)]
    with pytest.raises(ValueError, match="END_LOOP"):
        pb.load(PulseProgram(bad, 500e6))


def test_library_errors_and_missing_board():
    pb = PulseBlaster("1", "pulser", binding=SimSpinapi(boards=1))
    with pytest.raises(InstrumentError, match=r"board 1 not present \(1 PulseBlaster board"):
        pb.load(PROGRAM)
    pb = PulseBlaster("0", "pulser", binding=SimSpinapi(boards=0))
    with pytest.raises(InstrumentError, match="board 0 not present"):
        pb.load(PROGRAM)


def test_missing_library_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.delenv("SPINAPI_LIBRARY", raising=False)
    monkeypatch.setattr("ctypes.util.find_library", lambda name: None)
    pb = PulseBlaster("0", "pulser", library=str(tmp_path / "nope.so"))  # constructing never loads it
    with pytest.raises(InstrumentError, match="spinapi library not found .*nope.so.*pip install spinapi"):
        pb.load(PROGRAM)


STUB_C = r"""
#include <stdio.h>
#include <string.h>
static char log_[4096]; static int n_ = 0;
static void add(const char *s) { strncat(log_, s, sizeof(log_) - strlen(log_) - 1); }
const char *pb_get_version(void) { return "stub-1.0"; }
const char *pb_get_error(void) { return "stub error"; }
int pb_count_boards(void) { return 1; }
int pb_select_board(int b) { char s[32]; sprintf(s, "select %d;", b); add(s); return 0; }
int pb_init(void) { add("init;"); return 0; }
void pb_core_clock(double mhz) { char s[48]; sprintf(s, "clock %.1f;", mhz); add(s); }
int pb_start_programming(int d) { n_ = 0; add("prog;"); return 0; }
int pb_inst_pbonly(unsigned int f, int op, int data, double ns) {
  char s[80]; sprintf(s, "%x %d %d %.1f;", f, op, data, ns); add(s); return n_++; }
int pb_stop_programming(void) { add("end;"); return 0; }
int pb_reset(void) { return 0; } int pb_start(void) { return -1; } int pb_stop(void) { return 0; }
int pb_close(void) { return 0; } int pb_read_status(void) { return 4; }
const char *stub_log(void) { return log_; }
"""


@pytest.mark.skipif(shutil.which("cc") is None, reason="needs a C compiler")
def test_ctypes_binding_passes_types_through_a_real_shared_library(tmp_path):
    src, lib = tmp_path / "stub.c", tmp_path / "libspinapi_stub.so"
    src.write_text(STUB_C)
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(lib), str(src)], check=True, capture_output=True)
    pb = PulseBlaster("0", "pulser", library=str(lib), clock_hz=500e6, short_pulse_flags=True)
    pb.load([(0x1, "CONTINUE", 0, 10 * NS), (0x0, "STOP", 0, 12 * NS)])
    log = ctypes.CDLL(str(lib))
    log.stub_log.restype = ctypes.c_char_p
    assert log.stub_log().decode() == "select 0;init;clock 500.0;prog;e00001 0 0 10.0;e00000 1 0 12.0;end;"
    assert pb.identity().endswith("spinapi stub-1.0") and pb.is_running()
    with pytest.raises(InstrumentError, match=r"pb_start failed \(-1\): stub error"):
        pb.start()


@pytest.mark.slow
def test_close_stops_a_running_program_before_releasing_the_board():
    world = SimulatedWorld(seed=0)
    lib = SimSpinapi(world)
    pb = PulseBlaster("0", "pulser", binding=lib)
    pb.load([(0x1, "CONTINUE", 0, 1e-3), (0x0, "STOP", 0, 100 * NS)])  # 1 ms: still running at close
    pb.start()
    assert pb.is_running()
    pb.close()
    assert [c[0] for c in lib.calls[-2:]] == ["pb_stop", "pb_close"]
    assert lib.started_at is None  # the board is not left pulsing
