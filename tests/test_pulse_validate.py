"""Validation: every rule has a case with a clear message and a nearest valid value; all
violations come back at once; an invalid sequence never reaches a driver."""
from __future__ import annotations

import pytest

from drivers.pulse_program import ChannelMap
from sequences.experiment import ParameterError
from sequences.pulse import (RULES, Block, Constraints, Event, Sequence, SequenceError, WaitTrigger, acquire,
                             compile_pulseblaster, delay, loop, pulse, validate)

C = Constraints(clock_hz=500e6, min_instruction_ticks=5, ringdown_time=60e-9, rf_dead_time=20e-9,
                max_rf_duty_cycle=0.1, max_pulse_length=100e-6)
REP = delay("100us", "rep")


def seq(*items, **kw) -> Sequence:
    return Sequence("test", items, **kw)


CASES = {
    "parameter": (seq(pulse("20ns"), delay("tau"), REP), {}, "needs parameter 'tau'", None),
    "negative": (seq(pulse("20ns"), delay("tau - 100ns"), REP, parameters={"tau": 50e-9}), {}, "is negative", 0.0),
    "zero-length": (seq(pulse("p90"), delay("100ns"), acquire("100ns"), REP, parameters={"p90": 0.0}), {},
                    "lasts 'p90' = 0 s, less than one clock tick", 2e-9),
    "outside-block": (seq(pulse("20ns"), Block("20ns", (Event("adc", "30ns"),)), REP), {},
                      "after its block ends", 20e-9),
    "overlap": (seq(Block("40ns", (Event("rf", "20ns"), Event("rf", "20ns", "10ns", phase="y"))), REP), {},
                "overlaps", 20e-9),
    "granularity": (seq(pulse("20ns"), loop(4, pulse("20ns"), delay("13ns")), REP), {},
                    "whole number of ticks", 34e-9),
    "min-instruction": (seq(pulse("6ns"), REP), {}, "shorter than the minimum instruction 10 ns", 10e-9),
    "channel": (seq(pulse("20ns", markers=("laser",)), REP), {}, "TTL channel 'laser' has no flag bit", None),
    "registers": (seq(pulse("20ns", 45.0), REP), {}, "phase 45 deg is not one of the phase shifter's", 0.0),
    "shape": (seq(pulse("2us", shape="gauss"), REP), {}, "plays only rectangular pulses", None),
    "max-pulse-length": (seq(pulse("60us", "x"), pulse("60us", "y"), delay("10ms")), {},
                         "transmits continuously for 120 us", 100e-6),
    "duty-cycle": (seq(pulse("10us"), delay("20us")), {}, "duty cycle 33.333% exceeds", 100e-6),
    "rx-during-tx": (seq(Block("100ns", (Event("rf", "40ns"), Event("adc", "50ns", "20ns"))), REP), {},
                     "receiver open", None),
    "ring-down": (seq(pulse("20ns"), delay("30ns"), acquire("100ns"), REP), {}, "ring-down time is 60 ns", 60e-9),
    "dead-time": (seq(pulse("20ns"), delay("100ns"), acquire("100ns"), delay("10ns"), pulse("20ns"), REP), {},
                  "T/R dead time is 20 ns", 20e-9),
    "loop": (seq(pulse("20ns"), loop(0, delay("20ns"), delay("30ns")), REP), {}, "loop count 0 is outside", 1),
    "wait": (seq(WaitTrigger(), pulse("20ns"), REP), {}, "WAIT cannot be the first instruction", None),
    "memory": (seq(*[pulse("20ns", name=f"p{k}") if k % 2 == 0 else delay("20ns") for k in range(8)], REP),
               {"max_instructions": 4}, "the target holds 4", 4),
    "max-delay": (seq(pulse("20ns"), delay("tau"), REP, parameters={"tau": 1e9}), {},
                  "longer than the target's longest delay", (2**32 - 1) * 2**20 / 500e6 + 20e-9),
    "empty": (seq(), {}, "no duration", None),
    "channel-delay": (seq(delay("100ns"), WaitTrigger(), delay("40ns"), pulse("20ns"), REP),
                      {"channel_delays": {"rf": 100e-9}}, "would need its edge before the trigger arrives", 100e-9),
}


@pytest.mark.parametrize("rule", list(CASES))
def test_each_rule_is_found_with_a_clear_message(rule):
    sequence, overrides, fragment, nearest = CASES[rule]
    found = [v for v in validate(sequence, C.with_(**overrides)) if v.rule == rule]
    assert found, f"rule {rule!r} not reported; got {validate(sequence, C.with_(**overrides))}"
    v = found[0]
    assert fragment in v.message, str(v)
    assert v.element and str(v).startswith(f"[{rule}]")
    if nearest is not None:
        assert v.nearest == pytest.approx(nearest, rel=1e-9, abs=1e-15)
    with pytest.raises(SequenceError, match=rule):
        compile_pulseblaster(sequence, C.with_(**overrides))


def test_every_rule_has_a_case():
    assert set(CASES) == set(RULES)


def test_all_violations_are_returned_not_just_the_first():
    bad = seq(pulse("6ns", markers=("laser",)), delay("30ns"), acquire("100ns"), pulse("200us"), delay("1us"))
    rules = {v.rule for v in validate(bad, C)}
    assert {"min-instruction", "channel", "ring-down", "max-pulse-length", "duty-cycle"} <= rules
    with pytest.raises(SequenceError) as info:
        compile_pulseblaster(bad, C)
    assert len(info.value.violations) >= 5
    assert "problem(s) found before anything was sent" in str(info.value)


def test_off_grid_durations_warn_but_compile_with_cumulative_rounding():
    s = seq(pulse("21ns"), delay("3ns"), delay("101ns"), acquire("100ns"), REP)
    found = validate(s, C)
    assert found and all(v.severity == "warning" and v.rule == "granularity" for v in found)
    program = compile_pulseblaster(s, C)
    assert program.instructions[0].ticks == 11  # 21 ns -> 10.5 ticks, edge rounded up (half up)
    assert program.instructions[1].ticks == 52  # 21 + 3 + 101 = 125 ns -> edge at 62.5 -> 63 ticks, 63 - 11


def test_too_short_is_an_error_never_stretched():
    with pytest.raises(SequenceError, match="min-instruction"):
        compile_pulseblaster(seq(pulse("8ns"), REP), C)
    assert compile_pulseblaster(seq(pulse("10ns"), REP), C).instructions[0].ticks == 5


def test_violations_repeated_by_a_loop_are_reported_once_with_a_count():
    s = seq(pulse("20ns"), loop(10, pulse("40ns", "y"), delay("20ns"), acquire("100ns"), delay("100ns")), REP)
    ring = [v for v in validate(s, C) if v.rule == "ring-down"]
    assert len(ring) == 1 and "(10 occurrences)" in ring[0].message


def test_loop_depth_and_structure():
    deep = seq(pulse("20ns"), loop(2, delay("20ns"), loop(2, delay("20ns"), loop(2, pulse("20ns"), delay("20ns")))),
               REP)
    assert any("nest 3 deep" in v.message for v in validate(deep, C.with_(max_loop_depth=2)))
    waits = seq(pulse("20ns"), loop(3, WaitTrigger(), pulse("20ns"), delay("20ns")), REP)
    assert any(v.rule == "loop" and "cannot start" in v.message for v in validate(waits, C))


def test_dead_time_across_the_averaging_wrap():
    # the shot ends with the receiver open and starts with a pulse: only averaging joins them
    s = seq(pulse("20ns"), delay("100ns"), acquire("1us"))
    assert not [v for v in validate(s, C.with_(max_rf_duty_cycle=1)) if v.rule == "dead-time"]
    assert [v for v in validate(s.with_cycle(s.phase_cycle, 4), C.with_(max_rf_duty_cycle=1)) if v.rule == "dead-time"]


def test_register_bits_limit_distinct_amplitudes():
    amps = seq(*[pulse("20ns", amplitude=a) for a in (1.0, 0.8, 0.6, 0.4, 0.2)], REP)
    found = [v for v in validate(amps, C) if v.rule == "registers"]
    assert found and "5 distinct amplitudes" in found[0].message
    free = ChannelMap(amplitude=(3, 4, 9))
    assert not [v for v in validate(amps, C.with_(channels=free)) if v.rule == "registers"]


def test_an_invalid_sequence_never_reaches_a_driver(world):
    from app.engine import MemoryCollector, RunEngine
    from app.simlab import build_sim_lab
    from sequences.experiments import EXPERIMENTS

    lab = build_sim_lab(world)
    exp = EXPERIMENTS["t2-hahn"](tau_start=100e-9, tau_stop=1e-6, points=4, field=0.0)  # echo window overlaps pi
    problems = exp.check_lab(lab)
    assert any("[negative]" in p for p in problems) and any("[ring-down]" in p for p in problems)
    with pytest.raises(ParameterError, match="negative"):
        RunEngine(lab).run(exp, [MemoryCollector()])
    with pytest.raises(SequenceError):  # the plan itself refuses before its first command
        next(exp.plan(lab))
    assert lab.pulser.loaded == []
    assert not [c for c in world.command_log if c[1] in ("pulser", "digitizer", "rf")]
    assert world.pulsed.programs_run == 0


def test_zero_length_pulses_and_acquisitions_are_errors_not_silently_dropped():
    """A zero-length pulse used to vanish from the program and the run went ahead (p90 = 0 gave a
    'T1'); now the validator, the experiment parameters and the CLI all refuse it."""
    from app.cli import main
    from sequences.experiments import EXPERIMENTS
    from sequences.pulse import get_sequence

    for name, values in (("nutation", {"tp": 0.0}), ("hahn-echo", {"p90": 0.0}), ("cpmg", {"p180": 0.0}),
                         ("fid", {"acq_time": 0.0})):
        found = [v for v in validate(get_sequence(name), C.with_(max_rf_duty_cycle=1), values)
                 if v.rule == "zero-length"]
        assert found and found[0].severity == "error", (name, values)
    for settings in ({"p90": 0.0}, {"p180": 0.0}):
        with pytest.raises(ParameterError, match="outside"):
            EXPERIMENTS["t1"](**settings)
    with pytest.raises(ParameterError, match="tp_start"):
        EXPERIMENTS["nutation"](tp_start=0.0)
    assert all(p.low > 0 for p in EXPERIMENTS["cpmg"].parameters if p.name in ("p90", "p180"))
    assert main(["run", "t1", "--sim", "--set", "p90=0ns"]) == 2
    assert main(["sequence", "compile", "cpmg", "--averages", "0"]) == 2
    assert main(["sequence", "check", "nutation", "--set", "tp=0ns"]) == 1
