"""Strong coupling of a spin ensemble to the cavity (cw): the simulated transmission against the
closed forms of two coupled modes, the [sim] table's checks, and the avoided-crossing fit
recovering g sqrt(N) (and the widths) from a map measured on the lab built from a TOML file.
The truth sits in the lab file only; the experiment and the fit are not given it."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from app.labconfig import build_lab, lab_from_file
from drivers.errors import ConfigError
from sim_backend.samples import Paramagnet
from sim_backend.strong_coupling import CoupledCavity, CoupledSpinLine

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
MU_B_OVER_H = 9.2740100783e-24 / 6.62607015e-34


def line(coupling: float, kappa: float = 0.2e6, hwhm: float = 0.002e-3) -> CoupledSpinLine:
    return CoupledSpinLine(Paramagnet(g=2.0, lorentz_hwhm=hwhm), CoupledCavity(9.5e9, kappa, coupling))


def test_empty_cavity_is_a_lorentzian_of_full_width_kappa():
    sc = line(0.0, kappa=3e6)
    f = 9.5e9 + np.linspace(-20e6, 20e6, 401)
    t = np.array([sc.absorption(np.array([0.3]), fi, 1e-3, 295.0)[0] for fi in f])
    assert t == pytest.approx(1 / (1 + (2 * (f - 9.5e9) / 3e6) ** 2), rel=1e-12)


@pytest.mark.parametrize("coupling", [5e6, 20e6])
def test_at_the_crossing_the_transmission_splits_by_twice_the_coupling(coupling):
    sc = line(coupling)
    b_cross = 9.5e9 / (2.0 * MU_B_OVER_H)
    f = 9.5e9 + np.linspace(-1.5 * coupling, 1.5 * coupling, 30001)
    t = np.array([sc.absorption(np.array([b_cross]), fi, 1e-3, 295.0)[0] for fi in f])
    lo, hi = f[np.argmax(np.where(f < 9.5e9, t, 0))], f[np.argmax(np.where(f > 9.5e9, t, 0))]
    # two modes f_c +- sqrt(G^2 - (kappa - gamma_s)^2 / 16) (narrow lines: the 2x2 eigenvalues)
    assert hi - lo == pytest.approx(2 * coupling, rel=1e-3)
    # away from the crossing the hybrid mode follows (f - f_c)(f - f_s) = G^2
    b = b_cross + 3 * coupling / (2.0 * MU_B_OVER_H)  # spins 3 G above the cavity
    f_s = 2.0 * MU_B_OVER_H * b
    t = np.array([sc.absorption(np.array([b]), fi, 1e-3, 295.0)[0] for fi in f])
    peak = f[np.argmax(np.where(f < 9.5e9 + coupling, t, 0))]
    expect = (9.5e9 + f_s) / 2 - math.sqrt(coupling ** 2 + ((f_s - 9.5e9) / 2) ** 2)
    assert peak == pytest.approx(expect, abs=2e-3 * coupling)


def config(**sim) -> dict:
    return {"lab": {"simulated": True}, "sim": sim}


@pytest.mark.parametrize("sim, message", [
    ({"sample": "ferromagnet", "line": "strong-coupling"}, "couples a paramagnet"),
    ({"cavity": {"coupling": 1e7}}, "set [sim] line = \"strong-coupling\""),
    ({"line": "strong-coupling", "cavity": {"kappa": -1.0}}, "kappa = -1.0: must be positive"),
    ({"line": "strong-coupling", "cavity": {"q": 3}}, "'q' unknown"),
    ({"line": "strong-coupling", "sample_parameters": {"gauss_sigma": 1e-4}}, "Lorentzian"),
    ({"radiation_damping": {"filling_factor": 2.0}}, "filling_factor = 2.0: must be <= 1"),
])
def test_bad_cavity_tables_are_refused_by_name(sim, message):
    with pytest.raises(ConfigError) as err:
        build_lab(config(**sim))
    assert message in str(err.value)


def test_radiation_damping_table_puts_the_resonator_on_the_pulsed_spins():
    lab = build_lab(config(radiation_damping={"q": 800, "m0": 0.5}))
    cav = lab.world.pulsed.sample.cavity
    assert (cav.q, cav.m0, cav.filling_factor, cav.frequency) == (800, 0.5, 0.5, 9.5e9)
    assert lab.world.pulsed.coupled is not None


@pytest.mark.slow
def test_coupling_map_recovers_the_collective_coupling_from_the_lab_file(tmp_path):
    from app.runner import run_experiment
    from sequences.experiments import get_experiment

    lab = lab_from_file(EXAMPLES / "lab-sim-strong-coupling.toml")
    exp = get_experiment("coupling-map")(g_guess=2.0, mod_amplitude=0.05e-3, time_constant=3e-3)
    out = run_experiment(exp, lab, tmp_path, plot=True)
    assert out.info.status == "completed", out.info.error
    r = out.info.results
    truth = lab.world.sample  # read here only, to compare
    assert r["coupling"].value == pytest.approx(truth.cavity.coupling, rel=0.02)  # measured 0.1 %
    assert abs(r["coupling"].value - truth.cavity.coupling) < 4 * r["coupling"].error
    assert r["cavity_frequency"].value == pytest.approx(truth.cavity.frequency, abs=0.1e6)
    assert r["spin_linewidth"].value == pytest.approx(truth.spin_linewidth(), rel=0.1)
    assert r["cavity_linewidth"].value == pytest.approx(truth.cavity.kappa, rel=0.1)
    coop = 4 * truth.cavity.coupling ** 2 / (truth.cavity.kappa * truth.spin_linewidth())
    assert r["cooperativity"].value == pytest.approx(coop, rel=0.15)
    assert r["strong_coupling"] is True
    assert out.png is not None and out.png.exists()  # the map with the fitted hybrid modes


def test_pulsed_resonator_detuning_follows_the_source_frequency():
    """The resonator's detuning from the carrier is taken when a program runs, not when the lab
    was built (the source is tuned after that)."""
    from sequences.pulse import Constraints, Sequence, acquire, compile_pulseblaster, delay, pulse

    lab = build_lab(config(radiation_damping={"frequency": 9.52e9, "q": 300}))
    lab.rf.frequency = 9.51e9
    lab.rf.power = 0.01
    lab.rf.output = True
    seq = Sequence("fid", (pulse("20ns", name="p1"), delay("60ns"), acquire("256ns")), {}, averages=1)
    lab.pulser.load(compile_pulseblaster(seq, Constraints.from_lab(lab)))
    lab.digitizer.arm()
    lab.pulser.start()
    lab.digitizer.fetch()
    assert lab.world.pulsed.coupled.delta_c == pytest.approx(2 * math.pi * 10e6)
