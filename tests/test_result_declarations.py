"""Every key an experiment's analysis returns is declared on its class, with the unit it carries.

The declarations (``Experiment.results``) are what docs/experiments.md lists; these runs on the
simulated lab hold the analyses to them, so a new key or a changed unit cannot go undocumented.
"""
from __future__ import annotations

import pytest

from app.engine import MemoryCollector, RunEngine
from app.simlab import build_sim_lab
from sequences.experiment import FitValue
from sequences.experiments import EXPERIMENTS
from sequences.result import undeclared
from sim_backend.pulsed import PulsedSample, add_pulsed
from sim_backend.samples import Paramagnet
from sim_backend.world import SimulatedWorld

H, MU_B = 6.62607015e-34, 9.2740100783e-24
B0 = 0.34  # fixed field of the pulsed sample: the carrier is set on resonance


def check_against_declaration(name: str, results: dict) -> None:
    cls = EXPERIMENTS[name]
    assert undeclared(results, cls.results) == [], f"{name} returns keys its class does not declare"
    units = {r.name: r.unit for r in cls.results}
    wrong = {k: (v.unit, units[k]) for k, v in results.items() if isinstance(v, FitValue) and v.unit != units[k]}
    assert wrong == {}, f"{name}: returned unit vs declared unit"


def test_every_experiment_declares_its_result_keys_once():
    for name, cls in EXPERIMENTS.items():
        names = [r.name for r in cls.results]
        assert names, f"{name} declares no result keys"
        assert len(names) == len(set(names)), f"{name} declares a key twice"
        assert all(r.doc for r in cls.results), f"{name} has a result key without a meaning"


def test_esr_sweep_returns_only_declared_keys():
    sample = Paramagnet(g=2.00512, lorentz_hwhm=0.21e-3, n_spins=3e15)
    world = SimulatedWorld(sample, seed=7)
    world.resonator.frequency = 9.62e9
    b_res = H * 9.62e9 / (sample.g * MU_B)
    info = RunEngine(build_sim_lab(world)).run(
        EXPERIMENTS["esr-sweep"](field_start=b_res - 4e-3, field_stop=b_res + 4e-3, points=201, frequency=9.62e9,
                                 mod_amplitude=0.05e-3), [MemoryCollector()])
    assert info.status == "completed", info.error
    assert "g_factor" in info.results  # the line was found: the full set of keys is in play
    check_against_declaration("esr-sweep", info.results)


@pytest.mark.parametrize("name, settings", [
    ("nutation", {}),
    ("t1", {"t_rec_start": 0.3e-6, "t_rec_stop": 60e-6, "points": 10}),
    ("t2-hahn", {"tau_start": 400e-9, "tau_stop": 1.8e-6, "points": 6}),
    ("cpmg", {"tau": 800e-9, "n_echoes": 6}),
    ("fid", {}),
])
def test_pulsed_experiments_return_only_declared_keys(name, settings):
    world = SimulatedWorld(seed=3)
    sample = PulsedSample(static_field=B0)
    add_pulsed(world, sample)
    exp = EXPERIMENTS[name](frequency=sample.gamma * B0, field=0.0, **settings)
    info = RunEngine(build_sim_lab(world)).run(exp, [MemoryCollector()])
    assert info.status == "completed", info.error
    check_against_declaration(name, info.results)


def test_nv_experiments_return_only_declared_keys():
    from tests.nv_helpers import nv_bench, odmr, run

    lab = nv_bench(0.01, nitrogen="15N", count_rate=2e7)
    cw = odmr(lab, 0.01, "15N", points=61)
    check_against_declaration("nv-cw-odmr", cw)
    f = cw["line_minus"].value  # measured, not read from the simulation
    for name, settings in (("nv-rabi", {"power": 0.25, "averages": 5000, "points": 31, "tp_stop": 150e-9}),
                           ("nv-hahn", {"averages": 5000, "points": 20, "tau_stop": 20e-6})):
        check_against_declaration(name, run(EXPERIMENTS[name](frequency=f, nitrogen="15N", **settings), lab))


def test_membrane_sweep_returns_only_declared_keys():
    from tests.membrane_helpers import membrane_lab, run

    lab = membrane_lab()
    cls = EXPERIMENTS["membrane-sweep"]
    nominal = cls.parameter("freq_start").default  # the experiment's own default, not the simulation's f0
    info, _ = run(lab, cls(freq_start=nominal - 6, freq_stop=nominal + 6, points=49))
    assert info.status == "completed", info.error
    assert "f0" in info.results
    check_against_declaration("membrane-sweep", info.results)
