"""Lock-in lag of a fast field sweep: the filter delay against closed forms, and the
warning and remedies against the simulated spectrometer (whose lock-in runs its RC poles in
simulated time; the experiment is never told the sample's g)."""
from __future__ import annotations

import math

import pytest

from analysis.lockin_lag import MAX_TERMS, poles, sweep_lag
from app.runner import run_experiment
from app.simlab import build_sim_lab
from sequences.experiments import EsrFieldSweep
from sim_backend.world import SimulatedWorld


# --- the filter delay ------------------------------------------------------------------------
@pytest.mark.parametrize("slope", [6, 12, 18, 24])
def test_continuous_sweep_lags_by_n_time_constants(slope):
    """No wait between steps = a continuous ramp: the group delay of n RC poles is n tau."""
    n, tc, rate = poles(slope), 0.03, 4e-3
    assert sweep_lag(20e-6, rate, 0.0, None, tc, n) == pytest.approx(rate * n * tc, rel=1e-9)


def test_single_pole_staircase_closed_form():
    """Instant steps dB every T, read T_s = T after each: lag = dB sum_m exp(-(m+1)T/tau)."""
    step, period, tc = 10e-6, 4e-3, 10e-3
    expected = step * math.exp(-period / tc) / (1 - math.exp(-period / tc))
    got = sweep_lag(step, 1e6, period - step / 1e6, period, tc, 1)
    assert got == pytest.approx(expected, rel=1e-5)


def test_long_wait_leaves_no_lag_and_dense_steps_match_the_midpoint_limit(monkeypatch):
    # 7 time constants of wait after each step of a 2-pole filter: 8 e^-7 of the step
    assert sweep_lag(25e-6, 0.01, 0.07, None, 0.01, 2) < 25e-6 * 8 * math.exp(-7)
    exact = sweep_lag(1e-7, 0.01, 1e-6, 2e-5, 1.0, 3)
    monkeypatch.setattr("analysis.lockin_lag.MAX_TERMS", 10)
    assert sweep_lag(1e-7, 0.01, 1e-6, 2e-5, 1.0, 3) == pytest.approx(exact, rel=1e-6)
    assert MAX_TERMS >= 1000


def test_bad_slopes_and_inputs_are_refused():
    with pytest.raises(ValueError, match="multiple of 6"):
        poles(9)
    with pytest.raises(ValueError, match="ramp_rate > 0"):
        sweep_lag(1e-6, 0.0, 0.0, None, 0.01, 2)


# --- against the simulated spectrometer --------------------------------------------------------
G_TRUE = 2.0036  # the simulated paramagnet's g: only the test knows it


def fast_sweep(tmp_path, **extra):
    world = SimulatedWorld(seed=5)
    assert world.sample.g == G_TRUE
    exp = EsrFieldSweep(settle_tc=0.0, points=201, **extra)  # continuous 10 mT/s through a 10 ms, 12 dB/oct filter
    outcome = run_experiment(exp, build_sim_lab(world), tmp_path, plot=False)
    return outcome.info.results


def test_a_sweep_too_fast_for_the_time_constant_is_flagged(tmp_path):
    res = fast_sweep(tmp_path)
    lag = res["lockin_lag"].value
    assert lag == pytest.approx(0.01 * 2 * 0.01, rel=1e-3)  # rate x tau x 2 poles
    assert "warning" in res and "lock-in lag" in res["warning"] and "lag_correction=up-down" in res["warning"]
    g = res["g_factor"]
    assert abs(g.value - G_TRUE) > 20 * g.error  # the bias the warning is about


def test_up_down_remedy_recovers_the_true_g(tmp_path):
    res = fast_sweep(tmp_path, lag_correction="up-down")
    assert "warning" not in res and "cancelled" in res["lag_note"]
    assert res["scans_averaged"] == 2
    g = res["g_factor"]
    assert abs(g.value - G_TRUE) < 2 * g.error, (g.value, g.error)


@pytest.mark.slow
def test_filter_delay_correction_removes_most_of_a_moderate_bias(tmp_path):
    """First order in lag/width: at a lag of ~1/5 of the width it removes >= 80 % of the shift."""
    plain = fast_sweep(tmp_path, ramp_rate=2e-3)
    fixed = fast_sweep(tmp_path, ramp_rate=2e-3, lag_correction="filter-delay")
    assert "warning" in plain and "warning" not in fixed and "first-order" in fixed["lag_note"]
    bias = plain["g_factor"].value - G_TRUE
    assert abs(fixed["g_factor"].value - G_TRUE) < 0.2 * abs(bias)


@pytest.mark.slow
def test_a_slow_sweep_is_not_flagged_and_alternating_pairs_count_as_the_remedy(tmp_path):
    slow = EsrFieldSweep(points=101, field_start=0.3358, field_stop=0.3418)
    res = run_experiment(slow, build_sim_lab(SimulatedWorld(seed=5)), tmp_path, plot=False).info.results
    assert "warning" not in res and res["lockin_lag"].value < 1e-2 * res["linewidth_pp"].value
    res = fast_sweep(tmp_path, direction="alternate", scans=2)
    assert "warning" not in res and "1 up and 1 down" in res["lag_note"]


def test_remedies_are_refused_where_the_plan_does_not_do_them():
    from sequences.experiment import ParameterError
    from sequences.experiments import get_experiment

    with pytest.raises(ParameterError, match="lag_correction"):
        get_experiment("esr-drift")(lag_correction="up-down")
