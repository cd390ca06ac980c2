"""The antiferromagnet in the simulated cw lab ([sim] sample = "antiferromagnet"): its mode table
against the closed-form branches, the table's checks, and afmr-map on the lab built from the TOML
file recovering H_E, H_A, g and the spin-flop field (the truth sits in the lab file only)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from analysis.afmr import MU_B_OVER_H, easy_axis_branches, spin_flop_field
from app.labconfig import build_lab, lab_from_file
from drivers.errors import ConfigError
from sim_backend.antiferromagnet import AntiferromagnetSample

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.mark.slow
def test_mode_table_follows_the_closed_form_branches_across_the_spin_flop():
    s = AntiferromagnetSample(h_e=1.5, h_a=0.3, g=2.0, frequency_hwhm=0.3e9, max_field=2.0)
    b = np.linspace(0.0, 1.99, 997)
    ref = easy_axis_branches(b, 1.5, 0.3) * 2.0 * MU_B_OVER_H
    hsf = spin_flop_field(1.5, 0.3)
    seen, worst = 0, 0.0
    for mask, freqs in s.mode_frequencies(b, 295.0):
        r = np.sort(np.where(np.isnan(ref[:, mask]), np.inf, ref[:, mask]), axis=0)[:freqs.shape[0]]
        worst = max(worst, np.max(np.abs(np.sort(freqs, axis=0) - r)))
        seen += mask.sum()
        assert np.all(b[mask] < hsf) or np.all(b[mask] > hsf)  # one phase per segment, split at H_sf
    assert seen == len(b)
    # piecewise-cubic table: measured 76 kHz worst, the normal modes' own difference from the closed
    # form (3e-6); straight lines between table points were up to 0.5 MHz low on the concave
    # spin-flop branch, a coherent bias of the branch fit
    assert worst < 1e-3 * s.frequency_hwhm, worst


def test_exchange_and_anisotropy_follow_the_mean_field_sublattice_magnetisation():
    """m(T) against closed forms of the molecular-field equation m = B_S(3S/(S+1) m/t): S = 1/2 is
    m = tanh(m/t), so 1 - m -> 2 exp(-2/t) at low t; near T_N m^2 -> 10/3 (S+1)^2/((S+1)^2+S^2)
    (1 - t) for any S (J. S. Smart, Effective Field Theories of Magnetism, 1966, ch. 4). H_E ~ m,
    H_A ~ m^2 (Callen-Callen)."""
    from sim_backend.antiferromagnet import sublattice_magnetisation

    for t in (0.1, 0.15):
        assert 1 - sublattice_magnetisation(t, 1.0, 0.5) == pytest.approx(2 * np.exp(-2 / t), rel=1e-3)
    for t in (0.3, 0.6, 0.9):  # S = 1/2: the root satisfies tanh(m/t) = m itself
        m = sublattice_magnetisation(t, 1.0, 0.5)
        assert np.tanh(m / t) == pytest.approx(m, rel=1e-12)
    for spin in (0.5, 1.0, 2.5):
        c = 10 / 3 * (spin + 1) ** 2 / ((spin + 1) ** 2 + spin ** 2)
        assert sublattice_magnetisation(0.9999, 1.0, spin) ** 2 == pytest.approx(c * 1e-4, rel=2e-3)
    s = AntiferromagnetSample(h_e=1.5, h_a=0.3, neel_temperature=60.0, spin=1.0)
    for t in (5.0, 30.0, 55.0):
        m = s.model(t).h_e / 1.5
        assert s.model(t).h_a == pytest.approx(0.3 * m ** 2, rel=1e-12)
        # the m the model uses solves the S = 1 equation, B_1(x) = 3/2 coth(3x/2) - 1/2 coth(x/2), x = 3/2 m T_N/T
        x = 1.5 * m * 60.0 / t
        assert 1.5 / np.tanh(1.5 * x) - 0.5 / np.tanh(0.5 * x) == pytest.approx(m, rel=1e-12)
    with pytest.raises(ValueError, match="above T_N"):
        s.model(61.0)
    with pytest.raises(ValueError, match="spin"):
        AntiferromagnetSample(spin=0.0)


@pytest.mark.parametrize("params, message", [
    ({"h_e": 1.0, "h_a": 2.5}, "|H_A| < 2 H_E"),
    ({"h_e": 1.0, "k0": 1e5}, "'k0'] unknown for antiferromagnet"),
    ({"frequency_hwhm": -1e9}, "must not be negative"),
])
def test_bad_antiferromagnet_parameters_are_refused_by_name(params, message):
    with pytest.raises(ConfigError) as err:
        build_lab({"lab": {"simulated": True}, "sim": {"sample": "antiferromagnet", "sample_parameters": params}})
    assert message in str(err.value)


@pytest.mark.slow
def test_afmr_map_from_the_lab_file_recovers_exchange_anisotropy_and_g(tmp_path):
    from app.runner import run_experiment
    from sequences.experiments import get_experiment

    lab = lab_from_file(EXAMPLES / "lab-sim-afm.toml")
    out = run_experiment(get_experiment("afmr-map")(), lab, tmp_path, plot=False)
    assert out.info.status == "completed", out.info.error
    r = out.info.results
    truth = lab.world.sample  # read here only, to compare
    assert r["h_e"].value == pytest.approx(truth.h_e, rel=0.01)  # measured 0.04 %
    assert r["h_a"].value == pytest.approx(truth.h_a, rel=0.01)
    assert r["g_factor"].value == pytest.approx(truth.g, rel=0.01)
    hsf = spin_flop_field(truth.h_e, truth.h_a)
    assert abs(r["spin_flop_field"].value - hsf) < max(4 * r["spin_flop_field"].error, 1e-3 * hsf)
    assert len(r["line_field"]) >= 12  # lower, upper and spin-flop branches, 4 .. 49 GHz
