"""Sequence model: exact timing expressions, cumulative rounding, phase cycles, serialisation."""
from __future__ import annotations

from fractions import Fraction

import pytest

from sequences.pulse import (LIBRARY, Constraints, Expr, ExprError, PhaseCycle, Sequence, acquire, cyclops, delay,
                             exorcycle, get_sequence, loop, pulse, resolve, two_step)
from sequences.pulse.expr import exact


def test_expressions_are_exact_rationals_with_units():
    assert Expr("2us").evaluate({}) == Fraction(1, 500_000)
    assert Expr("tau - p90/2 - p180/2").evaluate({"tau": 400e-9, "p90": 20e-9, "p180": 40e-9}) == Fraction(370, 10**9)
    assert Expr(2e-6) == Expr("2us")
    assert Expr("2*(tau + 1 ns)").names == {"tau"}
    assert exact(100 * 1e-9) == Fraction(1, 10**7)  # float noise from unit conversion is not a new duration


@pytest.mark.parametrize("text, fragment", [("2 furlongs", "furlongs"), ("tau +", "ends too early"),
                                            ("(tau", "missing ')'"), ("us", "without a number"), ("1/0", "zero")])
def test_bad_expressions_say_what_is_wrong(text, fragment):
    with pytest.raises(ExprError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        Expr(text).evaluate({"tau": 1e-6, "furlongs": 1})


def test_cumulative_time_is_rounded_not_each_duration():
    # Nine 2.4 ns delays on a 500 MHz clock (1.2 ticks each): rounding each would give 9 ticks;
    # rounding the running total keeps every edge within half a tick of the ideal time.
    items = [pulse("2.4ns", name=f"q{k}") if k % 2 == 0 else delay("2.4ns") for k in range(9)]
    r = resolve(Sequence("edges", items), 500e6)
    events = sorted((e for s in r.shots for n in s.nodes for e in getattr(n, "events", ())), key=lambda e: e.start)
    for j, e in enumerate(events):  # pulse j is item 2j: ideal edges 1.2 * 2j and 1.2 * (2j + 1) ticks
        assert abs(e.start - Fraction(12, 10) * 2 * j) <= Fraction(1, 2)
        assert abs(e.stop - Fraction(12, 10) * (2 * j + 1)) <= Fraction(1, 2)
    assert r.pass_ticks == 11  # 9 x 1.2 = 10.8 -> 11, not 9 x 1 = 9


def test_phase_cycles_combine_and_set_receiver_phases():
    both = two_step("p1") * cyclops()
    assert len(both) == 8
    assert both.receiver[:4] == (0.0, 90.0, 180.0, 270.0)
    assert both.receiver[4:] == (180.0, 270.0, 0.0, 90.0)
    assert both.increment(5, "p1") == 270.0 and both.increment(5, "p2") == 90.0
    assert exorcycle().receiver == (0.0, 180.0, 0.0, 180.0)
    seq = get_sequence("hahn-echo").with_cycle(both)
    r = resolve(seq, 500e6)
    p1 = [next(e for n in s.nodes for e in getattr(n, "events", ()) if e.name == "p1") for s in r.shots]
    assert [e.phase for e in p1] == [0.0, 90.0, 180.0, 270.0, 180.0, 270.0, 0.0, 90.0]
    with pytest.raises(ExprError, match="receiver phases"):
        PhaseCycle(((),), (0.0, 90.0))


@pytest.mark.parametrize("name", list(LIBRARY))
def test_library_sequences_round_trip_through_json(name):
    seq = get_sequence(name).with_cycle(cyclops(), 3)
    back = Sequence.from_json(seq.to_json())
    assert back == seq
    c = Constraints()
    assert resolve(back, c.clock_hz).flatten(3).normalized() == resolve(seq, c.clock_hz).flatten(3).normalized()
    text = seq.to_text()
    assert text.startswith(f"sequence {name}") and "param" in text


def test_with_values_rejects_unknown_parameters():
    with pytest.raises(ExprError, match="no parameter"):
        get_sequence("fid").with_values(tau=1e-6)


def test_builders_make_the_expected_blocks():
    seq = Sequence("s", (pulse("10ns", "y", amplitude=0.5, offset=1e6, name="a", markers=("trigger",)),
                         loop(3, delay("tau"), acquire("20ns")), delay("1us")), {"tau": 30e-9})
    r = resolve(seq, 1e9)
    tl = r.flatten()
    rf = tl.channel("rf")[0]
    assert (rf.start, rf.stop, rf.phase, rf.amplitude, rf.offset) == (0, 10, 90.0, 0.5, 1e6)
    assert [(e.start, e.stop) for e in tl.channel("adc")] == [(40, 60), (90, 110), (140, 160)]
    assert tl.channel("trigger")[0].stop == 10
    assert tl.total == 10 + 3 * 50 + 1000
