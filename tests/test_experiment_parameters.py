"""Experiment parameters are typed descriptors declared on the class: read as attributes, typed,
ranged, bound to a lab limit, and read the same way by the CLI, the GUI form and scripts, with
one rule for a bare number (the parameter's display unit)."""
from __future__ import annotations

from fractions import Fraction

import pytest

from app.cli import main
from app.gui.experiment_panel import display_text, parse_field
from app.runner import experiment_from_settings
from app.simlab import build_sim_lab
from drivers.lab import LabLimits
from sequences.experiment import Experiment, Parameter, ParameterError
from sequences.experiments import (EXPERIMENTS, EsrFieldSweep, ForceDetectedEsr, MembraneDrivenSweep,
                                   TemperatureSeries)
from units.quantity import UnitError, parse_quantity, parse_quantity_list, unit_scale


def test_parameters_are_class_attributes_read_on_the_instance():
    assert "__getattr__" not in vars(Experiment)
    for cls in EXPERIMENTS.values():
        assert cls.parameters, cls.name
        for p in cls.parameters:
            assert isinstance(getattr(cls, p.name), Parameter) and getattr(cls, p.name).name == p.name
    exp = EsrFieldSweep(field_start=0.335, points=11)
    assert exp.field_start == 0.335 and exp.points == 11 and exp.direction == "up"
    assert "field_start" not in vars(exp)  # held in exp.values, reached through the descriptor
    with pytest.raises(AttributeError, match="field_start is fixed"):
        exp.field_start = 0.2


def test_types_ranges_and_every_problem_at_once():
    with pytest.raises(ParameterError) as err:
        EsrFieldSweep(field_start=2.5, field_stop="335 Hz", points=2.5, direction="sideways", scans=True,
                      harmonic=3, nonsense=1)
    problems = err.value.problems
    assert len(problems) == 6
    expected = ["unknown parameter 'nonsense'",
                "field_start = 2500 mT is outside [-2000, 2000] mT",
                "field_stop: '335 Hz' is in Hz, expected T",
                "points = 2.5 must be a whole number",
                "direction = 'sideways' is not one of ['up', 'down', 'alternate']",
                "harmonic = 3 is not one of [1, 2]"]
    for problem, text in zip(problems, expected):
        assert problem.startswith(text), problem
    assert EsrFieldSweep(scans=True).scans == 1  # bool is an int in Python; kept as 1 scan
    assert ForceDetectedEsr.parameter("protocol").parse("field_modulation") == "field_modulation"
    assert TemperatureSeries(temperatures="300, 150, 4.2K").temperatures == [300.0, 150.0, 4.2]
    with pytest.raises(ParameterError, match="temperatures: unknown unit 'warm'"):
        TemperatureSeries(temperatures="300, 5 warm")


def test_a_parameter_bound_to_a_lab_limit_is_checked_by_the_base_class():
    lab = build_sim_lab(limits=LabLimits(max_field=0.35, max_rf_power=2e-3, max_piezo_amplitude=1.0,
                                         temperature_min=4.0, temperature_max=310.0))
    assert EsrFieldSweep.field_stop.limit == "max_field" and EsrFieldSweep.power.limit == "max_rf_power"
    assert EsrFieldSweep(field_stop=0.345, power=2e-3).check_lab(lab) == []
    problems = EsrFieldSweep(field_start=-0.36, field_stop=0.34, power=3e-3).check_lab(lab)
    assert problems == ["field_start = -360 mT exceeds the lab's max field 350 mT "
                        "(the field controller reaches [-1000, 1000] mT)",
                        "power = 3 mW exceeds the lab's max RF power 2 mW"]
    # experiments whose check_lab does not start from super() still check their bindings
    assert any("field_stop = 373 mT exceeds" in p for p in ForceDetectedEsr().check_lab(lab))
    assert MembraneDrivenSweep(drive_amplitude=1.5).check_lab(lab) == [
        "drive_amplitude = 1.5 V exceeds the lab's max piezo amplitude 1 V"]
    assert "temperatures = 2 K is outside the lab's temperature window [4, 310] K" in \
        TemperatureSeries(temperatures="300, 2").check_lab(lab)
    with pytest.raises(ValueError, match="limit 'max_speed' is not a lab limit"):
        Parameter(1.0, "T", limit="max_speed")


def test_quantity_parser_is_exact_and_names_the_bare_unit():
    assert parse_quantity("335mT", "T") == 0.335  # exactly the float nearest 0.335
    assert parse_quantity("335", "T", bare="mT") == 0.335
    assert parse_quantity("335", "T") == 335.0  # no display unit given: SI
    assert parse_quantity("2 us", "s") == 2e-6 and parse_quantity("1.5 min", "s") == 90.0
    assert parse_quantity("10 dBm", "W", bare="mW") == pytest.approx(10e-3)
    assert unit_scale("us", "s") == Fraction(1, 10**6)
    with pytest.raises(UnitError) as err:
        parse_quantity_list("5, x, 3 Hz", "K")
    assert "cannot read 'x'" in str(err.value) and "'3 Hz' is in Hz, expected K" in str(err.value)


@pytest.mark.parametrize("text, si", [("335", 0.335), ("335 mT", 0.335), ("0.335T", 0.335), ("3350 G", 0.335)])
def test_bare_number_rule_is_the_same_in_the_cli_and_the_gui(text, si):
    cli = experiment_from_settings("esr-sweep", [f"field_start={text}", "field_stop=345"])
    assert cli.field_start == pytest.approx(si, rel=1e-15) and cli.field_stop == pytest.approx(0.345, rel=1e-15)
    assert parse_field(EsrFieldSweep.field_start, text) == cli.field_start


def test_every_parameter_reads_its_own_display_text_back():
    """What the GUI shows (and `spinbench list` prints) parses back to the value, CLI and GUI alike."""
    for cls in EXPERIMENTS.values():
        for p in cls.parameters:
            text = display_text(p, p.default)
            same = (lambda v: v == pytest.approx(p.default, rel=1e-9)) if p.kind in (float, list) and not p.choices \
                else (lambda v: v == p.default)
            assert same(parse_field(p, text)), (cls.name, p.name, text)
            assert same(experiment_from_settings(cls.name, [f"{p.name}={text}"]).values[p.name]), (cls.name, p.name)


def test_cli_reports_out_of_range_in_the_display_unit(capsys, tmp_path):
    assert main(["run", "esr-sweep", "--sim", "--out", str(tmp_path), "--set", "field_start=2500",
                 "--set", "time_constant=2e6"]) == 2
    err = capsys.readouterr().err
    assert "field_start = 2500 mT is outside [-2000, 2000] mT" in err
    assert "time_constant = 2e+06 ms is outside [0.01, 100000] ms" in err
    assert list(tmp_path.iterdir()) == []
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "a bare number in --set means that unit" in out
    line = next(l for l in out.splitlines() if l.strip().startswith("field_start") and "sweep" in l)
    assert "333.8 mT" in line and "[-2000, 2000] mT (and the lab's max field)" in line
