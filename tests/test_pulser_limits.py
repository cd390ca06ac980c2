"""PulseProgrammer.load refuses programs beyond the lab's RF duty cycle and pulse length, whoever
compiled them, before anything reaches the board. The duty and the longest transmission are
checked against a brute-force reference: the board's own executor (drivers.pulse_program
.iter_segments) run instruction by instruction, and hand arithmetic."""
from __future__ import annotations

import random

import pytest

from app.simlab import build_sim_lab
from drivers.lab import LabLimits
from drivers.pulse_duty import transmit_load
from drivers.pulse_program import ChannelMap, Instruction, Op, PulseProgram, iter_segments
from drivers.pulseblaster import PulseBlaster
from drivers.roles.pulser_digitizer import TransmitLimitError
from sequences.pulse import Constraints, compile_pulseblaster, delay, pulse, Sequence
from sim_backend.spinapi_sim import SimSpinapi

TX = 1 << ChannelMap().tx
CLOCK = 500e6  # the simulated board's clock: 2 ns ticks
US = int(CLOCK * 1e-6)  # ticks per microsecond


def brute_force(program: PulseProgram) -> tuple[float, float]:
    """Duty and longest continuous transmission by executing every instruction."""
    total = on = run = longest = 0
    for seg in iter_segments(program):
        tx = (seg.flags & TX) != 0
        total += seg.ticks
        on += seg.ticks if tx else 0
        run = run + seg.ticks if tx else 0
        longest = max(longest, run)
    return on / total, longest / program.clock_hz


def lab_with(**limits):
    return build_sim_lab(limits=LabLimits(**limits))


def test_over_duty_program_is_refused_and_nothing_is_loaded():
    # 10 us on, 20 us off: duty 1/3
    program = PulseProgram([Instruction(TX, Op.CONTINUE, 0, 10 * US), Instruction(0, Op.CONTINUE, 0, 20 * US),
                            Instruction(0, Op.STOP, 0, 5)], CLOCK)
    lab = lab_with(max_rf_duty_cycle=0.05)
    with pytest.raises(TransmitLimitError, match=r"pulser: program refused, nothing loaded: RF duty cycle "
                                                 r"33\.333% exceeds the lab's max_rf_duty_cycle 5\.000%"):
        lab.pulser.load(program)
    assert lab.pulser.loaded == []
    lab_with(max_rf_duty_cycle=0.34).pulser.load(program)  # within a looser lab's limit


def test_continuous_transmission_across_instructions_is_one_pulse():
    # 30 us + 30 us with the transmitter on in both: one 60 us pulse, beyond 50 us
    program = PulseProgram([Instruction(TX, Op.CONTINUE, 0, 30 * US), Instruction(TX | 0b10, Op.CONTINUE, 0, 30 * US),
                            Instruction(0, Op.LONG_DELAY, 1000, 10 * US), Instruction(0, Op.STOP, 0, 5)],
                           CLOCK)
    lab = lab_with(max_pulse_length=50e-6, max_rf_duty_cycle=0.5)
    with pytest.raises(TransmitLimitError, match="transmits continuously for 60 us; the lab's max_pulse_length is "
                                                 "50 us"):
        lab.pulser.load(program)
    assert lab.pulser.loaded == []


def test_a_program_compiled_for_looser_limits_is_refused_by_the_role():
    """The compiler's validator passed it (its constraints allowed 10 %); the stricter lab's pulser
    still refuses: the role does not trust whoever compiled the program."""
    seq = Sequence("burst", [pulse("2us"), delay("18us")])  # 10 % duty
    program = compile_pulseblaster(seq, Constraints(clock_hz=CLOCK, max_rf_duty_cycle=0.1))
    strict = lab_with(max_rf_duty_cycle=0.02)
    with pytest.raises(TransmitLimitError, match="duty cycle 10.000%"):
        strict.pulser.load(program)
    assert transmit_load(program) == pytest.approx(brute_force(program))


def test_nested_loops_match_the_executor():
    """Random nested-loop programs: the closed-form summary equals instruction-by-instruction execution."""
    rng = random.Random(4)
    for _ in range(40):
        ins = []

        def block(depth):
            for _ in range(rng.randint(1, 3)):
                if depth < 3 and rng.random() < 0.35:
                    start = len(ins)
                    ins.append(Instruction(rng.choice((0, TX)), Op.LOOP, rng.randint(1, 7), rng.randint(5, 40)))
                    block(depth + 1)
                    ins.append(Instruction(rng.choice((0, TX)), Op.END_LOOP, start, rng.randint(5, 40)))
                else:
                    op = rng.choice((Op.CONTINUE, Op.CONTINUE, Op.LONG_DELAY))
                    ins.append(Instruction(rng.choice((0, TX)), op, rng.randint(2, 5) if op == Op.LONG_DELAY else 0,
                                           rng.randint(5, 40)))

        block(0)
        ins.append(Instruction(0, Op.STOP, 0, 5))
        program = PulseProgram(ins, CLOCK)
        assert transmit_load(program) == pytest.approx(brute_force(program), rel=1e-12)


def test_a_forever_repeating_program_is_judged_by_its_cycle():
    # 1 us preamble off, then forever: 1 us on, 3 us off (duty 25 %)
    program = PulseProgram([Instruction(0, Op.CONTINUE, 0, US), Instruction(TX, Op.CONTINUE, 0, US),
                            Instruction(0, Op.BRANCH, 1, 3 * US)], CLOCK)
    duty, longest = transmit_load(program)
    assert duty == pytest.approx(0.25) and longest == pytest.approx(1e-6)
    always_on = PulseProgram([Instruction(TX, Op.CONTINUE, 0, US), Instruction(TX, Op.BRANCH, 0, US)], CLOCK)
    with pytest.raises(TransmitLimitError, match="duty cycle 100.000%.*transmits continuously for inf"):
        lab_with(max_rf_duty_cycle=0.5).pulser.load(always_on)


def test_real_pulseblaster_refuses_before_any_library_call():
    """A raw instruction list to the SpinCore driver: 20 us on, 20 us off against a 10 % lab."""
    lib = SimSpinapi()
    pb = PulseBlaster("0", "pulser", binding=lib)
    pb.max_rf_duty_cycle = 0.1  # what a Lab with max_rf_duty_cycle = 0.1 sets
    with pytest.raises(TransmitLimitError, match="duty cycle 50.000%"):
        pb.load([(TX, "CONTINUE", 0, 20e-6), (0, "CONTINUE", 0, 20e-6), (0, "STOP", 0, 100e-9)])
    assert lib.calls == []
    with pytest.raises(ValueError, match="must be STOP or BRANCH"):  # malformed: the driver's own message first
        pb.load([(TX, "CONTINUE", 0, 20e-6)])
