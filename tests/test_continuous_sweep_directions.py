"""Continuous sweep up and down: a constant timing offset between the lock-in's samples and the
Hall readings, injected in the simulated lock-in (its buffer's first sample is taken 5 ms after
the start command; the experiment is not told), biases a one-way sweep's g by the closed form
g x rate x dt / B, cancels in the alternate scans' average, and is measured by their difference."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.constants import h, physical_constants

from app.runner import run_experiment
from app.simlab import build_sim_lab
from sequences.experiment import ParameterError
from sequences.experiments import EsrFieldSweep
from sim_backend.world import SimulatedWorld

G_TRUE = 2.0036  # the simulated paramagnet's g: only the test knows it
MU_B = physical_constants["Bohr magneton"][0]
DELAY = 5e-3  # s: the simulated buffer's first sample after the start command
RATE = 0.5e-3  # T/s
CONT = dict(acquisition="continuous", ramp_rate=RATE)


def run(tmp_path, seed: int, delay: float = DELAY, **params) -> dict:
    world = SimulatedWorld(seed=seed)
    assert world.sample.g == G_TRUE
    lab = build_sim_lab(world)
    lab.lockin.buffer_start_delay = delay  # the simulated instrument's hook, not a parameter
    outcome = run_experiment(EsrFieldSweep(**CONT, **params), lab, tmp_path, plot=False)
    assert outcome.info.status == "completed", outcome.info.error
    return outcome.info.results


def pull(value, expected: float) -> float:
    return (value.value - expected) / value.error


def test_one_way_continuous_g_is_biased_by_rate_times_the_offset(tmp_path):
    """Samples dated dt early put the line at B0 - rate dt on an up sweep: g x B0 / (B0 - r dt)."""
    res = run(tmp_path, 6, sweep_direction="up")
    b0 = h * 9.5e9 / (G_TRUE * MU_B)  # the default microwave frequency
    biased = G_TRUE * b0 / (b0 - RATE * DELAY)  # 1.5e-5 above G_TRUE
    assert abs(pull(res["g_factor"], biased)) < 3
    assert pull(res["g_factor"], G_TRUE) > 10  # the bias is many standard errors
    assert "timing_offset" not in res and "swept up" in res["direction_note"]


@pytest.mark.slow
def test_alternate_scans_cancel_the_offset_and_measure_it(tmp_path):
    res = run(tmp_path, 6, scans=2)  # 'auto' alternates with two scans
    assert abs(pull(res["g_factor"], G_TRUE)) < 3
    assert abs(pull(res["timing_offset"], DELAY)) < 3
    assert res["timing_offset"].error < 0.1 * DELAY
    assert res["direction_shift"].value == pytest.approx(-RATE * DELAY, abs=3 * res["direction_shift"].error)
    assert "1 up and 1 down" in res["direction_note"]


@pytest.mark.slow
def test_alternate_scans_without_an_offset_measure_none(tmp_path):
    res = run(tmp_path, 8, delay=0.0, sweep_direction="alternate", scans=2)
    assert abs(pull(res["timing_offset"], 0.0)) < 3
    assert abs(pull(res["g_factor"], G_TRUE)) < 3


@pytest.mark.slow
def test_an_uneven_split_still_cancels_and_says_so(tmp_path):
    """Three scans, two up and one down: the directions weigh equally, so the offset still cancels."""
    res = run(tmp_path, 9, scans=3)
    assert abs(pull(res["g_factor"], G_TRUE)) < 3
    assert abs(pull(res["timing_offset"], DELAY)) < 3
    assert "2 up and 1 down scans (an uneven split)" in res["direction_note"]


def test_sweep_direction_auto_alternates_with_two_scans_and_conflicts_are_named():
    def downs(**p) -> list[bool]:
        exp = EsrFieldSweep(**CONT, **p)
        return [exp.sweeps_down(s) for s in range(exp.sweeps())]

    assert downs() == [False]
    assert downs(scans=2) == [False, True]
    assert downs(scans=2, sweep_direction="up") == [False, False]
    assert downs(scans=2, direction="down") == [True, True]  # 'auto' follows an explicit direction
    assert downs(scans=1, sweep_direction="down") == [True]
    assert EsrFieldSweep(scans=2).sweeps_down(1) is False  # stepped: direction only, unchanged
    with pytest.raises(ParameterError, match="sweep_direction = 'alternate' applies to acquisition = 'continuous'"):
        EsrFieldSweep(sweep_direction="alternate")
    with pytest.raises(ParameterError, match="direction = 'down' and sweep_direction = 'up' disagree"):
        EsrFieldSweep(**CONT, direction="down", sweep_direction="up")
    with pytest.raises(ParameterError, match="not one of"):
        EsrFieldSweep(**CONT, sweep_direction="sideways")
    assert EsrFieldSweep.sweep_direction.default == "auto"


def test_axis_error_weights_the_directions_as_the_traces_are():
    """Two up scans and one down scan of equal axis error e: the directions' averages count once
    each, so the error is sqrt(e^2/2 + e^2) / 2 = 0.612 e (a plain scan average would say 0.577 e)."""
    from sequences.experiments.esr_errors import AxisLine, axis_error

    e = 2e-6
    cov = np.diag([e * e, 0.0])

    def line(slope: float) -> AxisLine:
        return AxisLine(xc=10.0, a=0.34, slope=slope, cov=cov, points=50)

    lines = {0: line(1e-3), 1: line(-1e-3), 2: line(1e-3)}
    reads = lambda ln: ln.a  # noqa: E731  (at the centre: the error is e)
    assert axis_error(lines, reads, by_direction=True) == pytest.approx(e * math.sqrt(1.5) / 2)
    assert axis_error(lines, reads) == pytest.approx(e * math.sqrt(3) / 3)


def test_up_down_lag_correction_with_a_one_way_continuous_sweep_is_refused():
    with pytest.raises(ParameterError, match="needs scans in both directions"):
        EsrFieldSweep(acquisition="continuous", lag_correction="up-down", sweep_direction="up", scans=2)
    EsrFieldSweep(acquisition="continuous", lag_correction="up-down", scans=2)  # auto: alternate
