"""Per-channel delay compensation: declared in the lab file's channel table, carried by
Constraints, applied by the compiler (each delayed channel's edges emitted its delay early), and
checked against the simulated PulseBlaster's flag words and against the simulated NV bench, whose
AOM and microwave switch really lag their TTL edges."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from drivers.channel_wiring import channel_delays_from_table, channel_map_from_table
from drivers.errors import ConfigError
from drivers.lab import Lab, LabLimits
from drivers.pulse_program import Op
from drivers.pulseblaster import PulseBlaster
from sequences.pulse import (ADC, Block, Constraints, Event, Sequence, WaitTrigger, compile_pulseblaster, decode,
                             delay, errors, loop, pulse, validate)
from sequences.pulse.nv_library import nv_cpmg, nv_rabi, nv_xy8
from sim_backend.nv import NV_CHANNELS
from sim_backend.spinapi_sim import SimSpinapi
from sim_backend.world import SimulatedWorld

WIRING = {"mw_switch": {"bit": 0, "delay": "120 ns"}, "counter_gate": 6, "trigger": 7,
          "laser": {"bit": 8, "delay": 500e-9}}
CLOCK = 500e6  # the ESR-PRO-500: 2 ns ticks, so 120 ns = 60 ticks and 500 ns = 250 ticks


def _edges_sequence() -> Sequence:
    """A 100 ns microwave pulse at t = 0, the light from 1.1 us to 3.1 us, a 300 ns count at 1.1 us."""
    return Sequence("edges", (pulse("100ns", name="p1"), delay("1us", "gap"),
                              Block("2us", (Event("laser", "2us"), Event(ADC, "300ns")), "readout"),
                              delay("2us", "wait")))


def _flag_runs(patterns: list[tuple[int, int]], bit: int) -> list[tuple[int, int]]:
    """(on, off) tick pairs of one output bit, from (pattern, ticks) executed in order."""
    runs, t, start = [], 0, None
    for pattern, ticks in patterns:
        on = bool((pattern >> bit) & 1)
        if on and start is None:
            start = t
        elif not on and start is not None:
            runs.append((start, t))
            start = None
        t += ticks
    return runs + ([(start, t)] if start is not None else [])


def test_wiring_table_declares_each_channels_delay_once():
    assert channel_map_from_table(WIRING, "x") == NV_CHANNELS.__class__(
        tx=0, adc=6, markers=(("trigger", 7), ("laser", 8)))
    assert channel_delays_from_table(WIRING, "x") == {"rf": pytest.approx(120e-9), "laser": pytest.approx(500e-9)}


@pytest.mark.parametrize("entry,message", [
    ({"bit": 8, "delay": "-5 ns"}, r"channels.laser.delay = '-5 ns': a propagation delay is >= 0"),
    ({"bit": 8, "delay": "5 V"}, r"channels.laser.delay = '5 V': give a time"),
    ({"bit": 8, "delai": 1e-9}, r"unknown: \['delai'\]"),
    ({"delay": 1e-9}, r"keys bit \(required\)"),
])
def test_bad_delay_declarations_are_named(entry, message):
    with pytest.raises(ConfigError, match=message):
        channel_delays_from_table({"mw_switch": 0, "laser": entry}, "[sim]")


def test_sim_lab_file_channel_delay_reaches_the_constraints(tmp_path):
    """The example's declared laser delay (its channel table) is what the compiler gets, not the
    simulated AOM's true delay ([sim] true_laser_delay = 400 ns)."""
    from pathlib import Path

    from app.labconfig import lab_from_file

    example = Path(__file__).resolve().parents[1] / "examples" / "lab-sim-nv.toml"
    old = 'laser = {bit = 8, delay = "400 ns"}}'
    assert old in example.read_text()
    path = tmp_path / "nv.toml"
    path.write_text(example.read_text().replace(old, 'laser = {bit = 8, delay = "450 ns"}}'))
    lab = lab_from_file(path)
    c = Constraints.from_lab(lab)
    assert c.delay_of("laser") == pytest.approx(450e-9) and c.delay_of("rf") == 0.0
    assert lab.world.nv.laser_delay == pytest.approx(400e-9)
    path.write_text(example.read_text().replace(old, 'laser = {bit = 8, delay = "1 s"}}'))
    with pytest.raises(ConfigError, match=r"\[sim\]: channels.laser.delay = '1 s'"):
        lab_from_file(path)


#: A simulated NV bench whose [sim] states the hardware's true delays and whose channel table
#: declares what the lab believes; the pump rate and contrast are the closed form's below.
NV_LAB = """
[lab]
name = "NV bench with an AOM delay"
simulated = true
[limits]
max_field = "0.2 T"
max_rf_power = "1 W"
max_rf_duty_cycle = 0.5
[sim]
sample = "nv"
nitrogen = "15N"
{true}
channels = {{mw_switch = 0, counter_gate = 6, trigger = 7, laser = {laser}}}
[sim.sample_parameters]
static_field = 0.01
count_rate = 2.0e7
contrast = 0.3
pump_rate = 4.0e6
"""
T_COUNT, PUMP, CONTRAST = 300e-9, 4.0e6, 0.3


def _nv_lab(tmp_path, true_ns: float | None, declared_ns: float | None, mw_ns: float | None = None):
    from app.labconfig import lab_from_file

    true = "\n".join(f'{key} = "{ns} ns"' for key, ns in (("true_laser_delay", true_ns), ("true_mw_delay", mw_ns))
                     if ns is not None)
    laser = "8" if declared_ns is None else f'{{bit = 8, delay = "{declared_ns} ns"}}'
    path = tmp_path / f"nv-{true_ns}-{declared_ns}-{mw_ns}.toml"
    path.write_text(NV_LAB.format(true=true, laser=laser))
    return lab_from_file(path)


def _lab_file_rabi(tmp_path, true_ns: float | None, declared_ns: float | None) -> np.ndarray:
    """signal / reference of an NV Rabi on the lab file's bench, 6 pulse lengths up to 100 ns."""
    from sequences.experiments.nv_rabi_ramsey_echo import NvRabi

    lab = _nv_lab(tmp_path, true_ns, declared_ns)
    e = NvRabi(frequency=2.59e9, averages=200000, points=6, tp_stop=100e-9, nitrogen="15N", t_gap=500e-9)
    e.validate(lab)
    return np.array([m.data["ratio"] for m in e.plan(lab) if hasattr(m, "data")])


def _misaligned_ratio(r0: np.ndarray, late: float) -> np.ndarray:
    """The ratio when the light arrives ``late`` seconds after the compiler placed it (< 0: early),
    from the aligned ratio ``r0``, in the rate picture the sample states: light gives R (1 - C p)
    while pumping the dark (m_s = +-1) population p away at rate k (Doherty et al., Phys. Rep.
    528, 1 (2013)), so a window of light tc holds R (tc - C p (1 - exp(-k tc)) / k) photons and
    the reference window, at the end of the pulse, R tc. Light late by d leaves the signal window
    tc - d of light; light early by d pumps d before the signal window opens and leaves the
    reference window tc - d. Dark counts (200/s against 2e7/s) are left out."""
    tc, k, c = T_COUNT, PUMP, CONTRAST
    dark = (1 - r0) * k * tc / (c * (1 - math.exp(-k * tc)))  # p at the readout, from the aligned ratio
    if late >= 0:
        lit = max(tc - late, 0.0)
        return (lit - c * dark * (1 - math.exp(-k * lit)) / k) / tc
    d = -late
    return (tc - c * dark * math.exp(-k * d) * (1 - math.exp(-k * tc)) / k) / (tc - d)


def test_the_simulated_true_delays_never_reach_the_compiler(tmp_path):
    """[sim] true_laser_delay and true_mw_delay act in the simulated world only; undeclared, the
    compiler compensates nothing."""
    lab = _nv_lab(tmp_path, 450, None, mw_ns=120)
    assert (lab.world.nv.laser_delay, lab.world.nv.mw_delay) == (pytest.approx(450e-9), pytest.approx(120e-9))
    assert Constraints.from_lab(lab).channel_delays == ()
    assert lab.laser.rise_delay == 0.0


def test_lab_file_declaring_the_true_delay_gives_the_no_delay_rabi(tmp_path):
    """An AOM 450 ns late, declared 450 ns: the compiler starts the laser TTL 450 ns early and the
    Rabi trace is that of a bench without any delay."""
    reference = _lab_file_rabi(tmp_path, None, None)
    assert reference.max() - reference.min() > 0.1  # a Rabi oscillation to compare
    assert _lab_file_rabi(tmp_path, 450, 450) == pytest.approx(reference, abs=0.01)


@pytest.mark.parametrize("true_ns,declared_ns", [(450, 400), (400, 450), (200, None)])
def test_lab_file_declaring_a_wrong_delay_misplaces_the_readout(tmp_path, true_ns, declared_ns):
    """Declared 400 ns for a 450 ns AOM: the light comes 50 ns into the signal window, which loses
    its first, most spin-dependent 50 ns; declared 450 ns for a 400 ns AOM, the light pumps 50 ns
    before the signal window and ends 50 ns inside the reference one; declared not at all, the
    signal window sees 100 ns of light. Each as the closed form predicts from the aligned trace."""
    reference = _lab_file_rabi(tmp_path, None, None)
    late = (true_ns - (declared_ns or 0)) * 1e-9
    measured = _lab_file_rabi(tmp_path, true_ns, declared_ns)
    assert np.max(np.abs(measured - reference)) > 0.1  # measurably off
    assert measured == pytest.approx(_misaligned_ratio(reference, late), abs=0.008)


def test_constraints_refuse_a_negative_delay():
    with pytest.raises(ValueError, match="channel 'rf': delay -1e-09"):
        Constraints(channel_delays={"rf": -1e-9})


def test_spinapi_flag_words_lead_by_exactly_the_declared_delays():
    """The driver (simulated spinapi library) gets flag words whose edges lead the sequence's
    times by the declared delays, in ticks; the pulse at t = 0 sets the program's lead time."""
    world = SimulatedWorld(seed=0)
    lib = SimSpinapi(world, short_pulse_bits=True, wait_latency_ticks=6)
    pb = PulseBlaster("0", "pulser", binding=lib, board="esr-pro-500", channels=WIRING)
    lab = Lab({"pulser": pb}, LabLimits(max_rf_duty_cycle=0.5), world.clock)
    c = Constraints.from_lab(lab)
    assert dict(c.channel_delays) == {"rf": pytest.approx(120e-9), "laser": pytest.approx(500e-9)}
    program = compile_pulseblaster(_edges_sequence(), c)
    pb.load(program)
    assert all(op in (0, 1) for _, op, _, _ in lib.program)  # straight-line: CONTINUE ... STOP
    words = [(pattern, round(length * CLOCK)) for (pattern, _), (_, op, _, length)
             in zip(lib.outputs(), lib.program) if op != 1]
    lead = 60  # the microwave pulse at t = 0 is emitted 120 ns early
    assert _flag_runs(words, 0) == [(lead - 60, lead + 50 - 60)]
    assert _flag_runs(words, 8) == [(lead + 550 - 250, lead + 1550 - 250)]
    assert _flag_runs(words, 6) == [(lead + 550, lead + 700)]  # the counter gate has no delay
    assert program.metadata["lead_time"] == pytest.approx(120e-9)
    warning = [v for v in validate(_edges_sequence(), c) if v.rule == "channel-delay"]
    assert len(warning) == 1 and warning[0].severity == "warning"
    assert "'p1'" in warning[0].message and "lead time of 120 ns" in warning[0].message


@pytest.mark.parametrize("make,values", [(nv_rabi, {}), (nv_xy8, {"tau": 200e-9}), (nv_cpmg, {"tau": 400e-9})])
def test_each_channel_is_the_undelayed_program_shifted_by_its_delay(make, values):
    """Loops (XY8 blocks, CPMG pulses, the averaging loop) keep their counts where they can; the
    executed outputs of every channel, moved back by its delay and the lead, are exactly those of
    the program compiled without delays."""
    seq = make()
    seq = seq.with_cycle(seq.phase_cycle, 6)
    c0 = Constraints(channels=NV_CHANNELS, max_rf_duty_cycle=0.5)
    c1 = c0.with_(channel_delays={"rf": 120e-9, "laser": 500e-9})
    p1 = compile_pulseblaster(seq, c1, values)
    assert any(i.op == Op.LOOP for i in p1.instructions)
    before, after = decode(compile_pulseblaster(seq, c0, values)).normalized(), decode(p1).normalized()
    lead, ticks = p1.metadata["lead_ticks"], {"rf": 60, "laser": 250}
    assert lead == 60
    for channel, runs in before.items():
        d = ticks.get(channel, 0) - lead
        assert [(a + d, b + d, s) for a, b, s in after[channel]] == runs, channel


def test_an_advanced_edge_inside_a_loop_body_wraps_into_the_previous_pass():
    """A pulse at the start of a loop body, on a delayed channel: every pass's edge moves into the
    end of the previous pass, the first one before the loop."""
    seq = Sequence("wrap", (delay("1us"), loop(10, pulse("20ns", name="p"), delay("480ns")), delay("5us")))
    c = Constraints(max_rf_duty_cycle=0.5, channel_delays={"rf": 100e-9})
    on = decode(compile_pulseblaster(seq, c)).channel("rf")
    assert [(e.start, e.stop) for e in on] == [(500 - 50 + 250 * k, 510 - 50 + 250 * k) for k in range(10)]


def _nv_ratios(true: dict[str, float], declared: dict[str, float], t_gap: float) -> np.ndarray:
    from sequences.experiments.nv_rabi_ramsey_echo import NvRabi
    from tests.nv_helpers import nv_bench

    lab = nv_bench(0.01, nitrogen="15N", count_rate=2e7)
    lab.world.nv.laser_delay = true.get("laser", 0.0)  # the simulated AOM's physical delay
    lab.world.nv.mw_delay = true.get("rf", 0.0)  # the simulated microwave switch's
    lab.pulser.channel_delays = declared  # what the lab file declares
    e = NvRabi(frequency=2.59e9, averages=2000, points=5, tp_stop=100e-9, nitrogen="15N", t_gap=t_gap)
    e.validate(lab)
    return np.array([m.data["ratio"] for m in e.plan(lab) if hasattr(m, "data")])


@pytest.mark.parametrize("delays,t_gap", [({"rf": 120e-9, "laser": 500e-9}, 600e-9),
                                          ({"rf": 300e-9, "laser": 100e-9}, 150e-9)])
def test_simulated_nv_rabi_with_compensated_delays_equals_the_no_delay_case(delays, t_gap):
    """The simulated AOM and microwave switch lag their TTLs; with the delays declared, the compiled
    programs compensate them and the Rabi contrast is that of a bench without delays. Declared as
    missing, the readout is wrong (signal window in the dark, or microwave on during the light)."""
    reference = _nv_ratios({}, {}, t_gap)
    assert reference.max() - reference.min() > 0.15  # a Rabi oscillation to compare
    compensated = _nv_ratios(delays, delays, t_gap)
    assert compensated == pytest.approx(reference, abs=0.03)
    wrong = _nv_ratios(delays, {k: v for k, v in delays.items() if k == "laser" and v < 300e-9}, t_gap)
    assert np.max(np.abs(wrong - reference)) > 0.1


def test_sequence_cli_selects_an_awg_profile(capsys):
    from app.cli import main

    assert main(["sequence", "check", "hahn-echo", "--target", "awg", "--awg-profile", "redpitaya-125-14"]) == 1
    out = capsys.readouterr().out
    assert "[memory]" in out and "redpitaya-125-14's memory of 16384 samples" in out
    assert main(["sequence", "compile", "fid", "--target", "awg", "--awg-profile", "generic", "--clock", "250MHz"]) == 0
    assert "at 250 MS/s on the generic profile" in capsys.readouterr().out
    with pytest.raises(SystemExit) as info:
        main(["sequence", "check", "fid", "--target", "awg", "--awg-profile", "tektronix"])
    assert info.value.code == 2
    assert "invalid choice: 'tektronix' (choose from 'redpitaya-125-14', 'generic')" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["sequence", "compile", "--help"])
    assert "redpitaya-125-14, generic" in " ".join(capsys.readouterr().out.split())


_blocks = st.builds(lambda k, chans: Block(f"{k * 2}ns", tuple(Event(ch) for ch in chans)),
                    st.integers(5, 150), st.sampled_from([("rf",), (ADC,), ("trigger",), ("rf", "trigger"), ()]))


@st.composite
def _sequences(draw):
    """Blocks, loops (nested one deep, up to 12 passes) and trigger waits, averaged up to 6 times."""
    items: list = [draw(_blocks)]
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["block", "loop", "nested", "wait"]))
        if kind == "block":
            items.append(draw(_blocks))
        elif kind == "wait":
            items += [WaitTrigger(), draw(_blocks)]
        else:
            body = [draw(_blocks) for _ in range(draw(st.integers(1, 3)))]
            if kind == "nested":
                body.insert(1, loop(draw(st.integers(2, 4)), *[draw(_blocks) for _ in range(2)]))
            items.append(loop(draw(st.integers(2, 12)), *body))
    items.append(delay("1us"))
    return Sequence("random", tuple(items), averages=draw(st.integers(1, 6)))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(_sequences(), st.dictionaries(st.sampled_from(["rf", ADC, "trigger"]), st.integers(0, 200).map(lambda k: k * 2e-9)))
def test_random_sequences_are_translated_channel_by_channel(seq, delays):
    """Whatever the loops and waits, each channel's executed edges are the undelayed program's
    moved by its delay and the lead time; or the compiler says which rule it cannot meet."""
    c0 = Constraints(max_rf_duty_cycle=1.0, max_pulse_length=1.0)
    assume(not errors(validate(seq, c0)))
    c1 = c0.with_(channel_delays=delays)
    problems = errors(validate(seq, c1))
    assume(not problems)  # new intervals between channels shorter than the minimum, or a wait crossed
    program = compile_pulseblaster(seq, c1)
    before, after = decode(compile_pulseblaster(seq, c0)).normalized(), decode(program).normalized()
    lead = program.metadata.get("lead_ticks", 0)
    for channel, runs in before.items():
        d = round(delays.get(channel, 0.0) * CLOCK) - lead
        assert [(a + d, b + d, s) for a, b, s in after[channel]] == runs, channel


def _echo_offsets(true_delay: float, declared: dict[str, float]) -> np.ndarray:
    """Hahn echo on the simulated pulsed spectrometer whose transmitter gate lags its TTL by
    ``true_delay``: where each echo sits in its record, minus 2 tau (s)."""
    from app.engine import MemoryCollector, RunEngine
    from app.simlab import build_sim_lab
    from sequences.experiments import EXPERIMENTS
    from sim_backend.pulsed import PulsedSample, add_pulsed

    world = SimulatedWorld(seed=3)
    sample = PulsedSample(static_field=0.34, t2=1.2e-6)
    add_pulsed(world, sample)
    lab = build_sim_lab(world)
    lab.pulser.rf_gate_delay = true_delay  # the simulated switch's physical delay
    lab.pulser.channel_delays = declared  # what the lab declares
    info = RunEngine(lab).run(EXPERIMENTS["t2-hahn"](frequency=sample.gamma * 0.34, field=0.0, tau_start=700e-9,
                                                      tau_stop=1.3e-6, points=4, averages=2, acq_time=800e-9), [MemoryCollector()])
    assert info.status == "completed", info.error
    return info.results["echo_times"] - 2 * info.results["fit_x"]


def test_simulated_transmitter_gate_delay_is_compensated_for_the_echo():
    """A 120 ns transmitter gate delay: declared, the echo forms where it does without any delay
    (at 2 tau); undeclared, it comes about 120 ns late (an 800 ns window holds it)."""
    period = 1 / 250e6
    reference = _echo_offsets(0.0, {})
    assert np.all(np.abs(reference) < 2 * period)  # the echo centre estimate is good to a sample or two
    assert _echo_offsets(120e-9, {"rf": 120e-9}) == pytest.approx(reference, abs=1e-10)
    assert _echo_offsets(120e-9, {}) == pytest.approx(np.full(4, 120e-9), abs=20e-9)
