"""Bad input is refused with a clear message before any instrument command is sent."""
from __future__ import annotations

import subprocess
import sys

import pytest

from app.cli import main
from app.labconfig import build_lab
from app.runner import experiment_from_settings, parse_settings, run_experiment
from units.quantity import UnitError, parse_quantity
from drivers.errors import ConfigError, LimitError
from sequences.experiment import ParameterError
from sequences.experiments import EsrFieldSweep


def test_field_beyond_lab_limit_is_refused_before_any_command(sim_lab, tmp_path):
    exp = EsrFieldSweep(field_start=1.6, field_stop=1.7)
    with pytest.raises(ParameterError, match="max field"):
        run_experiment(exp, sim_lab, tmp_path)
    assert sim_lab.world.command_log == []
    assert list(tmp_path.iterdir()) == []


def test_role_level_limit_refuses_setpoint(sim_lab):
    with pytest.raises(LimitError, match="field setpoint"):
        sim_lab.field.setpoint = 1.6
    with pytest.raises(LimitError, match="power"):
        sim_lab.rf.power = 0.5
    assert sim_lab.world.command_log == []


@pytest.mark.parametrize("settings, message", [
    (["points=0"], "points = 0"),
    (["points=-3"], "points = -3"),
    (["nonsense=1"], r"unknown parameter\(s\) 'nonsense'"),
    (["field_start=320 mQ"], "unknown unit 'mQ'"),
    (["field_start=320Hz"], "expected T"),
    (["direction=sideways"], "not one of"),
    (["field_start"], "expected name=value"),
])
def test_bad_parameters_are_named(settings, message):
    with pytest.raises(ParameterError, match=message):
        experiment_from_settings("esr-sweep", settings)


def test_unknown_experiment_lists_available():
    with pytest.raises(ConfigError, match="available: .*esr-sweep"):
        experiment_from_settings("nmr-magic", [])


def test_units_parse_at_the_edge():
    assert parse_quantity("320mT", "T") == pytest.approx(0.32)
    assert parse_quantity("3.2 kG", "T") == pytest.approx(0.32)
    assert parse_quantity("9.5GHz", "Hz") == 9.5e9
    assert parse_quantity("0dBm", "W") == pytest.approx(1e-3)
    assert parse_quantity("10 mT/s", "T/s") == pytest.approx(0.01)
    assert parse_settings(EsrFieldSweep, ["time_constant=30ms"]) == {"time_constant": pytest.approx(0.03)}
    with pytest.raises(UnitError, match="cannot read"):
        parse_quantity("fast", "s")


def test_config_errors_are_reported_together():
    config = {"limits": {"max_field": "1 banana", "max_speed": 3},
              "instruments": {"lockin": {"driver": "sr9000", "address": "x"},
                              "oscilloscope": {"driver": "sr830", "address": "y"}}}
    with pytest.raises(ConfigError) as err:
        build_lab(config, source="lab.toml")
    text = str(err.value)
    for expected in ("unknown unit 'banana'", "'max_speed' is not a limit", "unknown driver 'sr9000'",
                     "unknown role", "accepted"):
        assert expected in text


def test_simulated_config_applies_its_limits():
    lab = build_lab({"lab": {"simulated": True, "name": "bench"}, "limits": {"max_field": "400 mT"}})
    assert lab.limits.max_field == pytest.approx(0.4)
    with pytest.raises(LimitError):
        lab.field.setpoint = 0.45


def test_cli_reports_errors_with_exit_code_2(capsys):
    assert main(["run", "esr-sweep", "--sim", "--set", "points=0"]) == 2
    assert "points = 0" in capsys.readouterr().err
    assert main(["run", "nope", "--sim"]) == 2
    assert "unknown experiment" in capsys.readouterr().err
    assert main(["run", "esr-sweep", "--sim", "--set", "field_stop=1.8T"]) == 2
    assert "max field" in capsys.readouterr().err


@pytest.mark.slow
def test_cli_run_end_to_end(tmp_path):
    out = subprocess.run([sys.executable, "-m", "app.cli", "run", "esr-sweep", "--sim", "--set", "points=201",
                          "--set", "field_start=335mT", "--set", "field_stop=342mT", "--out", str(tmp_path)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "g_factor" in out.stdout and "linewidth_pp" in out.stdout and "resonance_field" in out.stdout
    assert "100%" in out.stderr  # the progress bar
    [h5] = list(tmp_path.glob("*_esr-sweep.h5"))
    assert h5.with_suffix(".png").exists()
    show = subprocess.run([sys.executable, "-m", "app.cli", "show", str(h5)], capture_output=True, text=True,
                          timeout=60)
    assert show.returncode == 0 and "completed" in show.stdout


def test_metadata_snapshot_is_complete(sim_lab, tmp_path):
    outcome = run_experiment(EsrFieldSweep(points=50), sim_lab, tmp_path, plot=False)
    from app.storage import read_run

    run = read_run(outcome.path)
    meta = run.metadata
    assert meta["parameters"]["points"] == 50
    assert meta["parameter_units"]["field_start"] == "T"
    assert set(meta["instruments"]) >= {"rf", "lockin", "field", "gaussmeter"}
    assert meta["instruments"]["lockin"]["settings"]["time_constant_s"] == pytest.approx(0.01)
    assert meta["spinbench_version"] and meta["started"] and meta["ended"]
    assert meta["status"] == "completed"
    assert run.results["g_factor"].value == pytest.approx(2.0036, abs=2e-4)


def test_every_problem_is_reported_at_once(sim_lab, capsys):
    with pytest.raises(ParameterError) as err:
        experiment_from_settings("esr-sweep", ["bogus=1", "nix=2", "field_start=1.9T", "points=x", "power=3W",
                                               "mod_frequency=1MHz"], sim_lab)
    problems = err.value.problems
    assert len(problems) == 5
    assert "'bogus', 'nix'" in problems[0] and problems[0].count("accepts") == 1
    text = " ".join(problems)
    for expected in ("points = 'x'", "mod_frequency", "max field", "max RF power"):
        assert expected in text
    assert sim_lab.world.command_log == []
    assert main(["run", "esr-sweep", "--sim", "--set", "points=x", "--set", "power=3W"]) == 2
    assert "2 problems" in capsys.readouterr().err


def test_options_are_never_abbreviated(capsys):
    """`sim-serve --config X` once meant `--config-out X` (argparse prefix matching)."""
    with pytest.raises(SystemExit) as exit_info:
        main(["sim-serve", "--config", "lab.toml"])
    assert exit_info.value.code == 2
    assert "unrecognized arguments: --config" in capsys.readouterr().err
