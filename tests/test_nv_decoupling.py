"""XY8-N spectroscopy of a 1H sample on the simulated NV: the dip sits at tau = 1/(2 f_L)."""
from __future__ import annotations

import pytest

from sequences.experiments.nv_decoupling import NvCpmg, NvXY8
from tests.nv_helpers import nv_bench, odmr, run

GAMMA_1H = 42.577478e6  # Hz/T (CODATA), the reference the dip is compared with


@pytest.mark.slow
@pytest.mark.parametrize("field", [0.02, 0.03, 0.04])
def test_xy8_proton_dip_within_1_percent_of_half_the_larmor_period(field):
    lab = nv_bench(field, nitrogen="15N", count_rate=2e7, bath_1h_rms=2e-6)
    f = odmr(lab, field, "15N", points=61)["line_minus"].value
    tau0 = 1 / (2 * GAMMA_1H * field)
    r = run(NvXY8(frequency=f, averages=100000, tau_start=0.85 * tau0, tau_stop=1.15 * tau0, points=41, n_blocks=4,
                  nitrogen="15N"), lab)
    assert r["dip_tau"].value == pytest.approx(tau0, rel=0.01)
    assert r["field_from_dip"].value == pytest.approx(field, rel=0.01)
    assert r["dip_depth"].value > 0.02


@pytest.mark.slow
def test_cpmg_dip():
    field = 0.02
    lab = nv_bench(field, nitrogen="15N", count_rate=5e7, bath_1h_rms=2e-6)
    f = odmr(lab, field, "15N", points=41)["line_minus"].value
    tau0 = 1 / (2 * GAMMA_1H * field)
    r = run(NvCpmg(frequency=f, averages=20000, tau_start=0.8 * tau0, tau_stop=1.2 * tau0, points=25, n_pulses=32,
                   nitrogen="15N"), lab)
    assert r["dip_tau"].value == pytest.approx(tau0, rel=0.02)


def test_overlapping_pulses_are_refused():
    with pytest.raises(Exception, match="p180"):
        NvXY8(tau_start=10e-9, tau_stop=100e-9).validate(nv_bench())


@pytest.mark.slow
def test_xy8_13c_bath_dip_gives_the_field_for_13c():
    field, gamma_13c = 0.03, 10.7084e6
    lab = nv_bench(field, nitrogen="15N", count_rate=2e7, bath_13c_rms=0.5e-6, t2=1e-3)
    f = odmr(lab, field, "15N", points=61)["line_minus"].value
    tau0 = 1 / (2 * gamma_13c * field)
    r = run(NvXY8(frequency=f, averages=50000, tau_start=0.9 * tau0, tau_stop=1.1 * tau0, points=41, n_blocks=2,
                  nitrogen="15N", species="13C"), lab)
    assert r["dip_tau"].value == pytest.approx(tau0, rel=0.01)
    assert r["field_from_dip"].value == pytest.approx(field, rel=0.01)
