"""NV experiments end to end on the simulated NV bench, against the simulation's set values.

Each pulsed experiment drives the line that cw-ODMR measured; the set field, Rabi frequency,
T2* and T2 are only read here, to compare.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from sequences.experiments.nv_odmr import PulsedOdmr
from sequences.experiments.nv_rabi_ramsey_echo import NvHahnEcho, NvRabi, NvRamsey
from tests.nv_helpers import nv_bench, odmr, run

RABI_PER_SQRT_W = 40e6  # the sample's default, read for comparison only


def _line(lab, field, nitrogen):
    return odmr(lab, field, nitrogen, points=61)["line_minus"].value


def test_rabi_quick_finds_the_set_nutation_frequency():
    lab = nv_bench(0.01, nitrogen="15N", count_rate=2e7)
    f = _line(lab, 0.01, "15N")
    r = run(NvRabi(frequency=f, power=0.25, averages=5000, points=31, tp_stop=150e-9, nitrogen="15N"), lab)
    truth = RABI_PER_SQRT_W * math.sqrt(0.25)
    # 15N: both hyperfine lines 1.5 MHz off the drive: generalised Rabi frequency
    assert r["rabi_frequency"].value == pytest.approx(math.hypot(truth, 1.515e6), rel=0.02)
    assert 0.05 < r["contrast"].value < 0.3


def test_missing_roles_and_bad_windows_are_reported_before_running():
    from app.simlab import build_sim_lab

    problems = NvRabi().check_lab(build_sim_lab())
    assert any("role 'counter'" in p for p in problems) and any("role 'laser'" in p for p in problems)
    with pytest.raises(Exception, match="t_laser"):
        NvRabi(t_laser=400e-9, t_count=300e-9).validate(nv_bench())


@pytest.mark.slow
@pytest.mark.parametrize("field,angle", [(0.005, 0.0), (0.02, 0.0), (0.05, 0.0)])
def test_cw_odmr_field_along_the_axis_within_0p1_percent(field, angle):
    lab = nv_bench(field, field_angle=angle)
    r = odmr(lab, field, "14N")
    assert r["field_along_axis"].value == pytest.approx(field * math.cos(math.radians(angle)), rel=1e-3)
    # D at the world's 295 K: 2.870 GHz - 74.2 kHz/K x (295 - 300) K
    assert r["zero_field_splitting"].value == pytest.approx(2.870e9 + 74.2e3 * 5, abs=100e3)
    assert r["hyperfine_splitting"].value == pytest.approx(2.16e6, rel=0.05)


@pytest.mark.slow
def test_cw_odmr_off_axis_field_gives_its_axial_component_to_second_order():
    """(f+ - f-)/(2 gamma) is B cos(theta) up to terms ~ (gamma B sin theta)^2 / D: 0.1 % at 10 deg, 20 mT."""
    lab = nv_bench(0.02, field_angle=10.0)
    r = odmr(lab, 0.02, "14N")
    assert r["field_along_axis"].value == pytest.approx(0.02 * math.cos(math.radians(10)), rel=2e-3)


@pytest.mark.slow
def test_cw_sensitivity_matches_the_shot_noise_slope_of_the_simulated_line():
    """Independent reference: eta = sqrt(R) / (gamma |dR/df|max), from the simulation's noiseless
    count rate on a fine grid (the definition the Dreau et al. formula evaluates for a Lorentzian)."""
    lab = nv_bench(0.01, nitrogen="15N")
    r = odmr(lab, 0.01, "15N", points=161)
    nv, s = lab.world.nv, lab.world.nv.sample
    lab.laser.output, lab.rf.output, lab.rf.power = True, True, 2e-3
    f0 = r["line_minus"].value
    grid = np.linspace(f0 - 6e6, f0 + 6e6, 1201)
    rate = []
    for f in grid:
        lab.world.microwave.frequency = f
        rate.append(s.count_rate * (1 - s.contrast * nv.steady_dark()))
    rate = np.array(rate)
    slope = np.gradient(rate, grid)
    k = int(np.argmax(np.abs(slope)))
    eta = math.sqrt(rate[k]) / (28.025e9 * abs(slope[k]))
    assert r["sensitivity_cw"].value == pytest.approx(eta, rel=0.1)


@pytest.mark.slow
def test_pulsed_odmr_finds_the_line():
    lab = nv_bench(0.01, count_rate=2e7)
    f = _line(lab, 0.01, "14N")
    r = run(PulsedOdmr(freq_start=f - 8e6, freq_stop=f + 8e6, points=41, averages=20000, power=0.0025,
                       p180=250e-9), lab)
    assert r["line"].value == pytest.approx(2.870e9 + 74.2e3 * 5 - 28.025e9 * 0.01, abs=100e3)


@pytest.mark.slow
def test_rabi_within_2_percent():
    lab = nv_bench(0.01, count_rate=2e7)
    f = _line(lab, 0.01, "14N")
    r = run(NvRabi(frequency=f, power=1.0, averages=50000, points=81, tp_stop=200e-9), lab)
    truth = RABI_PER_SQRT_W
    assert r["rabi_frequency"].value == pytest.approx(truth, rel=0.02)


@pytest.mark.slow
@pytest.mark.parametrize("nitrogen", ["14N", "15N"])
def test_ramsey_t2star_within_2_percent(nitrogen):
    t2s = 1.5e-6
    # T2 >> T2* as in most NV diamonds (the fit's envelope is the Gaussian free-induction decay alone)
    lab = nv_bench(0.01, nitrogen=nitrogen, count_rate=5e7, t2_star=t2s, t2=1e-3)
    f = _line(lab, 0.01, nitrogen)
    r = run(NvRamsey(frequency=f - 5e6, averages=200000, points=100, t_free_stop=4e-6, nitrogen=nitrogen), lab)
    assert r["T2star"].value == pytest.approx(t2s, rel=0.02)
    assert r["detuning"].value == pytest.approx(5e6, rel=0.02)
    assert r["hyperfine_splitting"].value == pytest.approx(2.16e6 if nitrogen == "14N" else 3.03e6, rel=0.02)


@pytest.mark.slow
def test_hahn_t2_within_2_percent_and_ac_sensitivity_by_the_standard_formula():
    t2 = 40e-6
    # a dense ensemble (2e8 photons/s): T2 to ~0.6 % (1 sigma) in 5e5 shots per point
    lab = nv_bench(0.01, nitrogen="15N", count_rate=2e8, t2=t2)
    s = lab.world.nv.sample
    f = _line(lab, 0.01, "15N")
    r = run(NvHahnEcho(frequency=f, averages=500000, points=40, tau_stop=60e-6, nitrogen="15N"), lab)
    assert r["T2"].value == pytest.approx(t2, rel=0.02)
    assert r["T2"].error < 0.01 * t2
    # Taylor et al. 2008 with the set count rate, contrast and T2: photons per 300 ns window from
    # m_s = 0 and from m_s = -1 (pumped back to m_s = 0 at the set rate during the window)
    tc, k = 300e-9, s.pump_rate
    a0 = s.count_rate * tc
    a1 = s.count_rate * (tc - s.contrast * (1 - math.exp(-k * tc)) / k)
    c = 1 / math.sqrt(1 + 2 * (a0 + a1) / (a0 - a1) ** 2)
    eta = 1 / (4 * 28.025e9 * c * math.sqrt(t2))
    assert r["sensitivity_ac"].value == pytest.approx(eta, rel=0.1)


def test_laser_rise_delay_is_compensated_in_the_program():
    """An AOM that lights the sample 400 ns after its TTL: with the lab's declared delay the signal
    window sits on the light (bright as the reference, with the Rabi contrast); declared as 0, it
    opens in the dark."""
    def ratios(declared: float) -> np.ndarray:
        lab = nv_bench(0.01, nitrogen="15N", count_rate=2e7)
        lab.world.nv.laser_delay = 400e-9  # the simulated AOM's true delay
        lab.laser.rise_delay = declared  # what the lab file says
        e = NvRabi(frequency=2.59e9, averages=2000, points=5, tp_stop=100e-9, nitrogen="15N", t_gap=500e-9)
        e.validate(lab)
        return np.array([m.data["ratio"] for m in e.plan(lab) if hasattr(m, "data")])

    assert np.all(ratios(400e-9) > 0.7)
    assert np.all(ratios(0.0) < 0.1)


def test_gap_shorter_than_the_laser_delay_is_refused():
    lab = nv_bench()
    lab.laser.rise_delay = 400e-9
    assert any("rise delay" in p for p in NvRabi(t_gap=100e-9).check_lab(lab))
