"""PulseBlaster board profiles: a profile named or changed in the lab TOML sets what the
validator accepts and what the compiler emits, and an ESR-PRO gets its short-pulse field set
(bits 21-23 = 111) in every flag word that reaches spinapi. Reference numbers are the manuals'
(850 ns delay field on the 400 MHz ESR-PRO, LONG_DELAY multiplier up to 1048576, 6-cycle WAIT
latency), worked out by hand here, never read back from the profile code."""
from __future__ import annotations

import pytest

from app.labconfig import lab_from_file
from drivers.errors import ConfigError
from drivers.pulse_program import Op
from drivers.pulseblaster import PulseBlaster
from sequences.pulse import (Constraints, Sequence, WaitTrigger, compile_pulseblaster, decode, delay, get_sequence,
                             pulse, resolve, validate)
from sim_backend.spinapi_sim import SimSpinapi

LOOSE = {"max_rf_duty_cycle": 1.0}


def lab_with_board(tmp_path, board: str) -> object:
    path = tmp_path / "lab.toml"
    path.write_text(f'[lab]\nname = "pulsed"\n[instruments.pulser]\ndriver = "pulseblaster"\naddress = "0"\n'
                    f'options = {{ board = {board} }}\n')
    return lab_from_file(path)


def constraints(tmp_path, board: str) -> Constraints:
    return Constraints.from_lab(lab_with_board(tmp_path, board), **LOOSE)


def rules(seq: Sequence, c: Constraints) -> dict[str, str]:
    return {v.rule: v.message for v in validate(seq, c) if v.severity == "error"}


def test_minimum_instruction_from_the_toml_profile(tmp_path):
    """16 ns = 8 ticks at 500 MHz: fine on an ESR-PRO 500 (5 ticks), refused once the table
    raises the minimum to 9 ticks (18 ns)."""
    seq = Sequence("short", (delay("100ns"), pulse("16ns"), delay("1us")))
    assert rules(seq, constraints(tmp_path, '"esr-pro-500"')) == {}
    tighter = constraints(tmp_path, '{ profile = "esr-pro-500", min_instruction_ticks = 9 }')
    found = rules(seq, tighter)
    assert set(found) == {"min-instruction"} and "(9 ticks)" in found["min-instruction"]


def test_longest_delay_from_the_profile(tmp_path):
    """The 400 MHz ESR-PRO's delay field ends at 850 ns; with LONG_DELAY's multiplier of at most
    2^20 the longest interval is 850 ns x 1048576 = 0.891 s (+ two 12.5 ns edges): a 1 s
    repetition delay is refused there and accepted on the 500 MHz board."""
    seq = Sequence("slow", (pulse("20ns"), delay("1s")))
    found = rules(seq, constraints(tmp_path, '"esr-pro-400"'))
    assert set(found) == {"max-delay"}
    longest = 850e-9 * 1048576 + 2 * 5 / 400e6
    assert f"{longest * 1e3:.6g} ms" in found["max-delay"]
    assert rules(seq, constraints(tmp_path, '"esr-pro-500"')) == {}


def test_compiler_keeps_every_delay_field_within_the_board(tmp_path):
    c = constraints(tmp_path, '"esr-pro-400"')
    seq = get_sequence("hahn-echo")
    program = compile_pulseblaster(seq, c)
    assert program.clock_hz == 400e6
    assert all(i.ticks <= 340 for i in program.instructions)  # 850 ns x 400 MHz
    assert any(i.op == Op.LONG_DELAY for i in program.instructions)
    r = resolve(seq, c.clock_hz)
    assert decode(program).normalized() == r.flatten(max(r.averages, 1)).normalized()


def test_longer_minimum_for_continue_on_some_esr_pro_designs(tmp_path):
    """min_flow_ticks = 6: a 10 ns (5-tick) CONTINUE is refused, a 12 ns one is not."""
    c = constraints(tmp_path, '{ profile = "esr-pro-500", min_flow_ticks = 6 }')
    found = rules(Sequence("gap", (pulse("20ns"), delay("10ns"), pulse("20ns"), delay("1us"))), c)
    assert set(found) == {"min-instruction"} and "a CONTINUE" in found["min-instruction"]
    assert rules(Sequence("gap", (pulse("20ns"), delay("12ns"), pulse("20ns"), delay("1us"))), c) == {}


def test_wait_latency_is_taken_out_of_the_wait_delay_field(tmp_path):
    """ESR-PRO: after the trigger the board holds the WAIT for its delay + 6 cycles, so a 40 ns
    interval after the trigger (20 ticks at 500 MHz) is programmed as a 14-tick WAIT; the timeline decodes
    back exactly, and spinapi receives 14 x 2 ns = 28 ns."""
    lab = lab_with_board(tmp_path, '"esr-pro-500"')
    c = Constraints.from_lab(lab, **LOOSE)
    seq = Sequence("trig", (delay("20ns"), WaitTrigger(), delay("40ns"), pulse("20ns"), delay("1us")))
    program = compile_pulseblaster(seq, c)
    wait = next(i for i in program.instructions if i.op == Op.WAIT)
    assert wait.ticks == 20 - 6
    r = resolve(seq, c.clock_hz)
    assert decode(program).normalized() == r.flatten(1).normalized()
    lib = SimSpinapi()
    lab.pulser._lib = lib
    lab.pulser.load(program)
    assert [p[3] for p in lib.program if p[1] == 8] == [pytest.approx(28e-9)]
    too_short = Sequence("trig", (delay("20ns"), WaitTrigger(), delay("16ns"), pulse("20ns"), delay("1us")))
    assert "WAIT latency of 6 ticks" in rules(too_short, c)["min-instruction"]


def test_esr_pro_sets_bits_21_to_23_in_every_flag_word(tmp_path):
    lab = lab_with_board(tmp_path, '"esr-pro-500"')
    program = compile_pulseblaster(get_sequence("hahn-echo"), Constraints.from_lab(lab))
    lib = SimSpinapi()
    lab.pulser._lib = lib
    lab.pulser.load(program)
    words = [p[0] for p in lib.program]
    assert len(words) == len(program.instructions)
    assert all(w >> 21 == 0b111 for w in words)  # short-pulse field ON, nothing above bit 23
    assert [w & 0x1FFFFF for w in words] == [i.flags for i in program.instructions]
    assert any(w & 1 for w in words)  # the transmit gate is still there


@pytest.mark.parametrize("options, bits", [({"board": "pulseblaster-24-100"}, 0),
                                           ({"board": "esr-pro-500", "short_pulse_flags": False}, 0),
                                           ({"board": "esr-pro-400"}, 0b111)])
def test_short_pulse_field_follows_the_board(options, bits):
    pb = PulseBlaster("0", "pulser", binding=SimSpinapi(), **options)
    clock = pb.clock_hz
    pb.load([(0x1, "CONTINUE", 0, 20 / clock), (0x0, "STOP", 0, 10 / clock)])
    assert {f >> 21 for f, *_ in pb.lib.program} == {bits}


def test_esr_pro_short_pulse_bits_are_not_outputs():
    with pytest.raises(ConfigError, match=r"flag bit\(s\) \[22\] are the short-pulse field"):
        PulseBlaster("0", "pulser", board="esr-pro-500", channels={"mw_switch": 0, "counter_gate": 6, "laser": 22})


def test_raw_instruction_past_the_delay_field_is_refused_before_any_library_call():
    lib = SimSpinapi()
    pb = PulseBlaster("0", "pulser", binding=lib, board="esr-pro-400")
    with pytest.raises(ValueError, match="longest delay of 340 ticks"):
        pb.load([(0x1, "CONTINUE", 0, 1e-6), (0x0, "STOP", 0, 25e-9)])
    assert lib.calls == []


def test_program_compiled_for_another_wait_latency_is_refused():
    program = compile_pulseblaster(Sequence("trig", (delay("20ns"), WaitTrigger(), delay("40ns"), pulse("20ns"),
                                                     delay("1us"))), Constraints(**LOOSE))
    pb = PulseBlaster("0", "pulser", binding=SimSpinapi(), board="esr-pro-500")
    with pytest.raises(ValueError, match="WAIT latency of 0 clock ticks; the esr-pro-500 board's is 6"):
        pb.load(program)


@pytest.mark.parametrize("board, message", [
    ('"esr-pro-999"', "board profile 'esr-pro-999' unknown; built-in profiles: esr-pro-500"),
    ('{ profile = "esr-pro-500", min_instruction_ticks = 0 }', "min_instruction_ticks = 0 must be an integer >= 1"),
    ('{ profile = "esr-pro-500", clok = "1 GHz" }', "board profile key(s) ['clok'] unknown"),
    ('{ clock = "fast" }', "clock = 'fast'"),
    ('{ short_pulse_bits = "yes" }', "short_pulse_bits = 'yes' must be true or false"),
    ('{ max_delay_ticks = 2.5 }', "max_delay_ticks = 2.5 must be a whole number"),
])
def test_bad_profile_is_a_clear_error_naming_it(tmp_path, board, message):
    with pytest.raises(ConfigError) as info:
        lab_with_board(tmp_path, board)
    assert "[instruments.pulser]" in str(info.value) and message in str(info.value)


def test_custom_clock_with_a_unit():
    pb = PulseBlaster("0", "pulser", board={"profile": "esr-pro-500", "clock": "400 MHz"})
    assert pb.clock_hz == 400e6 and pb.short_pulse_flags and pb.wait_latency_ticks == 6


@pytest.mark.parametrize("board", ["esr-pro-400", "esr-pro-500", "esr-pro-300"])
@pytest.mark.parametrize("name", ["fid", "hahn-echo", "cpmg", "inversion-recovery"])
def test_library_compiles_within_each_board_and_decodes_exactly(board, name):
    """Every instruction within the board's delay field and minimum; the decoded timeline is
    the sequence's own, to the tick, on the board's clock."""
    pb = PulseBlaster("0", "pulser", board=board)
    seq = get_sequence(name)
    seq = seq.with_cycle(seq.phase_cycle, 2)
    c = Constraints(clock_hz=pb.clock_hz, min_instruction_ticks=pb.min_instruction_ticks,
                    max_delay_ticks=pb.max_delay_ticks, min_flow_ticks=pb.min_flow_ticks,
                    wait_latency_ticks=pb.wait_latency_ticks, max_instructions=pb.max_instructions, **LOOSE)
    program = compile_pulseblaster(seq, c)
    assert all(pb.min_instruction_ticks <= i.ticks <= pb.max_delay_ticks for i in program.instructions)
    r = resolve(seq, c.clock_hz)
    assert decode(program).normalized() == r.flatten(max(r.averages, 1)).normalized()
    pb._lib = SimSpinapi()
    pb.load(program)  # the driver's own checks agree with the compiler's


def test_an_esr_pro_without_its_short_pulse_field_puts_out_nothing():
    """The simulated ESR-PRO decodes bits 21-23 as the board does: with 000 (the driver's old
    default) no instruction drives any output; with the profile's default the pulses are there."""
    program = [(0x41, "CONTINUE", 0, 20e-9), (0x0, "CONTINUE", 0, 1e-6), (0x0, "STOP", 0, 10e-9)]
    silent = SimSpinapi(short_pulse_bits=True)
    PulseBlaster("0", "pulser", binding=silent, board="esr-pro-500", short_pulse_flags=False).load(program)
    assert [pattern for pattern, _ in silent.outputs()] == [0, 0, 0]
    working = SimSpinapi(short_pulse_bits=True)
    PulseBlaster("0", "pulser", binding=working, board="esr-pro-500").load(program)
    assert working.outputs() == [(0x41, None), (0x0, None), (0x0, None)]
