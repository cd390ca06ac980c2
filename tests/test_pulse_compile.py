"""Compilers and decoders: a compiled program decodes back to the sequence's timeline, exactly
to the clock tick (PulseBlaster), or to the sample (AWG)."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from drivers.pulse_program import Instruction, Op, ProgramError, PulseProgram, expand
from sim_backend.nv import NV_CHANNELS
from sequences.pulse import (LIBRARY, Block, Constraints, Event, Sequence, WaitTrigger, acquire, compile_awg,
                             compile_pulseblaster, cyclops, decode, decode_sampled, delay, errors, get_sequence, loop,
                             pulse, resolve, validate)
from sequences.pulse.library import CYCLES

C = Constraints()
LOOSE = Constraints(max_rf_duty_cycle=1.0, max_pulse_length=1.0)


def assert_round_trip(seq: Sequence, c: Constraints = C, values=None) -> PulseProgram:
    program = compile_pulseblaster(seq, c, values)
    r = resolve(seq, c.clock_hz, values)
    expected = r.flatten(max(r.averages, 1))
    got = decode(program)
    assert got.normalized() == expected.normalized()
    assert got.total == expected.total
    assert got.waits == expected.waits
    return program


@pytest.mark.parametrize("name", list(LIBRARY))
@pytest.mark.parametrize("cycle", ["none", "default", "full"])
@pytest.mark.parametrize("averages", [1, 3])
def test_library_round_trips_exactly(name, cycle, averages):
    seq = get_sequence(name)
    seq = seq.with_cycle(CYCLES[cycle](seq), averages)
    # the NV sequences gate a laser: compiled for a board wired with one
    program = assert_round_trip(seq, C.with_(channels=NV_CHANNELS) if name.startswith("nv-") else C)
    assert program.instructions[-1].op == Op.STOP
    assert len(program.instructions) <= C.max_instructions


def test_round_trip_with_swept_values_off_the_tick_grid():
    for tau in (401e-9, 1.2345e-6, 2.0001e-6):
        assert_round_trip(get_sequence("hahn-echo"), values={"tau": tau})
    assert_round_trip(get_sequence("cpmg"), values={"tau": 777e-9, "n_echoes": 5})


def test_long_intervals_use_long_delay_and_decode_exactly():
    c = LOOSE.with_(max_delay_ticks=1000)
    seq = Sequence("long", (pulse("20ns"), delay("10us"), loop(3, pulse("20ns", "y"), delay("7us")), delay("3us")))
    program = assert_round_trip(seq.with_cycle(seq.phase_cycle, 2), c)
    ops = [i.op for i in program.instructions]
    assert Op.LONG_DELAY in ops
    assert all(i.ticks <= 1000 for i in program.instructions)
    assert all(i.data >= 2 for i in program.instructions if i.op == Op.LONG_DELAY)


def test_trigger_wait_becomes_wait_on_the_following_instruction():
    seq = Sequence("trig", (delay("20ns"), WaitTrigger(), pulse("20ns"), delay("1us")))
    program = assert_round_trip(seq, LOOSE)
    assert program.instructions[1].op == Op.WAIT
    assert decode(program).waits == [10]


def test_nested_loop_at_body_start_is_peeled_not_rejected():
    seq = Sequence("nest", (loop(3, pulse("20ns"), delay("1us")), delay("10us")))
    program = assert_round_trip(seq.with_cycle(cyclops(), 4), LOOSE)
    loops = [i for i in program.instructions if i.op == Op.LOOP]
    # step 0's loop opens the averaging body: its first pass is unrolled and LOOP 2 runs the rest;
    # steps 1-3 keep LOOP 3; the averaging LOOP 4 wraps all
    assert sorted(i.data for i in loops) == [2, 3, 3, 3, 4]


def test_repeat_forever_ends_in_branch_and_decodes_pass_after_pass():
    seq = get_sequence("fid")
    c = C.with_(repeat_forever=True)
    program = compile_pulseblaster(seq, c)
    assert program.instructions[-1].op == Op.BRANCH and program.instructions[-1].data == 0
    assert all(i.op != Op.STOP for i in program.instructions)
    r = resolve(seq, c.clock_hz)
    got = decode(program, max_steps=10_000, until=3 * r.pass_ticks)
    assert got.normalized() == r.flatten(3).normalized()
    with pytest.raises(ProgramError, match="did not reach STOP"):
        expand(program, max_steps=1000)
    assert any(v.rule == "loop" and "averages = 1" in v.message
               for v in validate(seq.with_cycle(seq.phase_cycle, 2), c))


def test_program_serialises_verbatim():
    program = compile_pulseblaster(get_sequence("cpmg").with_cycle(cyclops(), 2), C)
    back = PulseProgram.from_json(program.to_json())
    assert back.instructions == program.instructions and back.channels == program.channels
    assert decode(back).normalized() == decode(program).normalized()
    listing = program.listing()
    assert "END_LOOP" in listing and "STOP" in listing and "500 MHz" in listing


@pytest.mark.parametrize("instructions, message", [
    ([Instruction(0, Op.CONTINUE, 0, 10)], "ran off the program"),
    ([Instruction(0, Op.LOOP, 2, 10), Instruction(0, Op.END_LOOP, 5, 10), Instruction(0, Op.STOP, 0, 5)],
     "not the open LOOP"),
    ([Instruction(0, Op.CONTINUE, 0, 10), Instruction(0, Op.BRANCH, 0, 10)], "did not reach STOP"),
    ([Instruction(0, Op.WAIT, 0, 10), Instruction(0, Op.STOP, 0, 5)], "WAIT cannot be the first"),
    ([Instruction(0, Op.LONG_DELAY, 1, 10), Instruction(0, Op.STOP, 0, 5)], "multiplier"),
])
def test_interpreter_rejects_malformed_programs(instructions, message):
    with pytest.raises(ProgramError, match=message):
        expand(PulseProgram(instructions, 500e6), max_steps=1000)


def test_interpreter_runs_subroutines_and_branches():
    ins = [Instruction(1, Op.JSR, 3, 10), Instruction(2, Op.JSR, 3, 10), Instruction(0, Op.BRANCH, 5, 10),
           Instruction(4, Op.CONTINUE, 0, 7), Instruction(0, Op.RTS, 0, 5), Instruction(0, Op.STOP, 0, 5)]
    segs = expand(PulseProgram(ins, 100e6))
    assert [s.flags for s in segs] == [1, 4, 0, 2, 4, 0, 0]
    assert segs[-1].start + segs[-1].ticks == 10 + 7 + 5 + 10 + 7 + 5 + 10


durations = st.integers(min_value=5, max_value=60).map(lambda k: f"{k * 2}ns")
channels = st.sampled_from([("rf",), ("adc",), ("trigger",), ("rf", "trigger"), ()])


@st.composite
def blocks(draw):
    dur = draw(durations)
    events = tuple(Event(ch, phase=draw(st.sampled_from(["x", "y", "-x", "-y"])) if ch == "rf" else 0.0)
                   for ch in draw(channels))
    return Block(dur, events)


@st.composite
def sequences(draw):
    items = []
    for _ in range(draw(st.integers(1, 5))):
        if draw(st.booleans()):
            items.append(draw(blocks()))
        else:
            body = [draw(blocks()) for _ in range(draw(st.integers(1, 3)))]
            items.append(loop(draw(st.integers(1, 4)), *body))
    items.append(delay("1us"))
    return Sequence("random", tuple(items), averages=draw(st.integers(1, 3)))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sequences())
def test_random_sequences_round_trip(seq):
    assume(not errors(validate(seq, LOOSE)))
    assert_round_trip(seq, LOOSE)


def test_awg_samples_decode_to_the_same_timeline():
    seq = Sequence("awg", (pulse("20ns", "y", amplitude=0.5, markers=("trigger",)), delay("40ns"),
                           pulse("30ns", "x", offset=25e6), pulse("10ns", "-x"), delay("60ns"), acquire("100ns"),
                           delay("200ns")))
    c = Constraints.for_awg(1e9, ringdown_time=50e-9, max_rf_duty_cycle=1.0)
    prog = compile_awg(seq.with_cycle(seq.phase_cycle, 2), c)
    expected = resolve(seq.with_cycle(seq.phase_cycle, 2), 1e9).flatten(2)
    got = decode_sampled(prog)
    exp_runs, got_runs = expected.normalized(), got.normalized()
    assert set(exp_runs) == set(got_runs)
    for ch in exp_runs:
        assert [(a, b) for a, b, _ in got_runs[ch]] == [(a, b) for a, b, _ in exp_runs[ch]]
        for (_, _, s_got), (_, _, s_exp) in zip(got_runs[ch], exp_runs[ch]):
            assert s_got == pytest.approx(s_exp, abs=1e-6)


def test_awg_quantum_is_a_violation_not_padding():
    seq = Sequence("q", (pulse("20ns"), delay("981ns")))
    found = validate(seq, Constraints.for_awg(1e9, waveform_quantum=16, max_rf_duty_cycle=1.0))
    assert [v for v in found if v.rule == "memory" and "quantum of 16" in v.message and v.nearest == 1008]


def test_simulated_pulser_refuses_a_program_for_another_clock(world):
    from drivers.errors import InstrumentError
    from sim_backend.pulsed import add_pulsed

    pulser = add_pulsed(world)["pulser"]
    program = compile_pulseblaster(get_sequence("fid"), C.with_(clock_hz=400e6, min_instruction_ticks=4))
    with pytest.raises(InstrumentError, match="400 MHz"):
        pulser.load(program)
    assert pulser.loaded == []
