"""The membrane's mode and a temperature-dependent Q set from the lab file's [sim.membrane] table,
checked by measuring the simulated thermal force noise at 300 K and 4 K against
sqrt(4 kB T k / (w0 Q(T))) (Saulson, Phys. Rev. D 42, 2437 (1990)), written here."""
from __future__ import annotations

import math

import pytest

from app.labconfig import lab_from_file
from app.simconfig import sim_problems, world_from_config
from app.simlab import build_sim_lab
from drivers.errors import ConfigError
from sequences.experiments.membrane_noise import MembraneThermalSpectrum
from sim_backend.constants import KB
from membrane_helpers import run

F0, M_EFF = 1.0e6, 150e-12


def thermal_limit(temperature: float, q: float) -> float:
    w0 = 2 * math.pi * F0
    return math.sqrt(4 * KB * temperature * M_EFF * w0**2 / (w0 * q))


def measure(q_table: list[list[float]], temperature: float, **settings) -> dict:
    world = world_from_config({"seed": 5, "membrane": {"f0": F0, "m_eff": M_EFF, "q_table": q_table}})
    world.thermal.temperature = world.thermal.setpoint = temperature
    lab = build_sim_lab(world)
    lab.lockin.time_constant = 0.1  # the idle cw lock-in plays no part
    info, _ = run(lab, MembraneThermalSpectrum(center_frequency=F0 + 0.01, **settings))
    return info.results


def test_lab_file_sets_the_mode_and_q_of_the_simulated_membrane(tmp_path):
    path = tmp_path / "lab.toml"
    path.write_text('[lab]\nsimulated = true\n[sim.membrane]\nf0 = 412345.6\nm_eff = 40e-12\n'
                    'q_table = [[4.0, 2.0e7], [300.0, 1.0e6]]\n')
    mode = lab_from_file(path).world.membrane.mode
    assert (mode.f0, mode.m_eff) == (412345.6, 40e-12)
    assert mode.quality(300.0) == pytest.approx(1e6) and mode.quality(4.0) == pytest.approx(2e7)
    assert mode.quality(1.0) == pytest.approx(2e7) and mode.quality(400.0) == pytest.approx(1e6)  # held
    # log Q linear in T between the points: halfway in T is the geometric mean.
    assert mode.quality(152.0) == pytest.approx(math.sqrt(2e7 * 1e6), rel=1e-9)


@pytest.mark.parametrize("membrane, fragment", [
    ({"q": -1.0}, "q = -1.0: must be positive"),
    ({"Q": 1e6}, "'Q' unknown; accepted: f0, q"),
    ({"q_table": [[300.0, 1e6], [4.0, 1e8]]}, "temperatures must increase strictly"),
    ({"q_table": [4.0, 1e8]}, "give [temperature K, Q] pairs"),
    ({"m_eff": "150 ng"}, "m_eff = '150 ng': give a finite number in kg"),
    ("q = 1e6", "must be a table"),
])
def test_bad_membrane_table_is_one_clear_line(membrane, fragment):
    problems = sim_problems({"membrane": membrane})
    assert len(problems) == 1 and fragment in problems[0] and "\n" not in problems[0]
    with pytest.raises(ConfigError, match="membrane"):
        world_from_config({"membrane": membrane})


def test_cold_membrane_with_higher_q_reaches_its_thermal_limit():
    results = measure([[4.0, 1e7], [300.0, 1e6]], 4.0, records=10, record_length=200.0, sample_rate=5.0,
                      fit_span=1.0, settle=20.0)
    assert results["q"].value == pytest.approx(1e7, rel=0.10)
    assert results["force_noise"].value == pytest.approx(thermal_limit(4.0, 1e7), rel=0.10)


@pytest.mark.slow
def test_one_membrane_gives_4fN_warm_and_25aN_cold():
    """The seed membrane: 4 fN/sqrt(Hz) at 300 K (Q = 1e6) and its projected 25 aN/sqrt(Hz) at 4 K,
    which needs Q(4 K) = 4 kB (4 K) m w0 / (25 aN)^2 = 3.33e8 for the same mode."""
    table = [[4.0, 3.33e8], [300.0, 1.0e6]]
    warm = measure(table, 300.0, records=40, sample_rate=50.0, fit_span=12.0)
    cold = measure(table, 4.0, records=16, record_length=8000.0, sample_rate=1.0, fit_span=0.05, settle=600.0)
    assert warm["force_noise"].value == pytest.approx(thermal_limit(300.0, 1e6), rel=0.10)
    assert cold["force_noise"].value == pytest.approx(thermal_limit(4.0, 3.33e8), rel=0.10)
    assert warm["force_noise"].value == pytest.approx(4e-15, rel=0.10)
    assert cold["force_noise"].value == pytest.approx(25e-18, rel=0.10)
    assert cold["q"].value == pytest.approx(3.33e8, rel=0.15)


def test_superconducting_magnet_profile_reaches_9T_with_limits_from_the_lab_file():
    lab = lab_from_file("examples/lab-sim-mrfm-gaas.toml")
    field, gauss = lab.instruments["field"], lab.instruments["gaussmeter"]
    assert field.field_range.high == pytest.approx(9.0)
    assert lab.limits.max_field == pytest.approx(9.0)
    field.setpoint = 8.5
    field.wait_until_settled(timeout=3600.0)  # simulated clock: 8.5 T at 5 mT/s
    assert gauss.read_field() == pytest.approx(8.5, abs=1e-4)  # no yoke remanence
    with pytest.raises(Exception, match="9"):
        field.setpoint = 9.5
    mode = lab.world.membrane.mode
    assert mode.quality(4.0) == pytest.approx(5e3) and mode.quality(300.0) == pytest.approx(1e3)


@pytest.mark.parametrize("magnet, fragment", [
    ({"max_field": 0.0}, "max_field = 0.0: must be positive"),
    ({"max_feild": 9.0}, "'max_feild' unknown; accepted: max_field"),
    ({"remanence": -1e-3}, "must not be negative"),
])
def test_bad_magnet_table_is_one_clear_line(magnet, fragment):
    problems = sim_problems({"magnet": magnet})
    assert len(problems) == 1 and fragment in problems[0]
