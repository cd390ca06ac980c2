"""Malformed lab files through the CLI: each is refused with exit status 2 and a message naming
the file, the table and key, and no traceback, before any instrument is contacted."""
from __future__ import annotations

import socket

import pytest

from app.cli import main

#: A lab with one real instrument (its address is never dialled: the file is refused first).
REAL = '[instruments.lockin]\ndriver = "sr830"\naddress = "TCPIP0::127.0.0.1::1::SOCKET"\n'
SIM = "[lab]\nsimulated = true\n"


def limits(line: str) -> str:
    return REAL + f"[limits]\n{line}\n"


# (id, file text, substrings the message must contain)
CASES = [
    # limits: NaN, infinity, sign, zero, units, types, unknown keys, ordering
    ("nan-field", limits("max_field = nan"), ["[limits] max_field", "nan", "finite"]),
    ("inf-field", limits("max_field = inf"), ["[limits] max_field", "inf", "finite"]),
    ("minus-inf-field", limits("max_field = -inf"), ["[limits] max_field", "finite"]),
    ("nan-text-field", limits('max_field = "nan T"'), ["[limits] max_field", "'nan T'"]),
    ("negative-field", limits('max_field = "-1000 mT"'), ["[limits] max_field", "-1000 mT", "> 0 T"]),
    ("zero-field", limits('max_field = "0 T"'), ["[limits] max_field", "'0 T'", "> 0 T"]),
    ("unknown-unit", limits('max_field = "1 banana"'), ["[limits] max_field", "banana"]),
    ("wrong-unit-field", limits('max_field = "1 GHz"'), ["[limits] max_field", "expected T"]),
    ("bool-field", limits("max_field = true"), ["[limits] max_field", "True"]),
    ("list-field", limits("max_field = [1, 2]"), ["[limits] max_field", "[1, 2]"]),
    ("zero-ramp", limits("max_ramp_rate = 0"), ["[limits] max_ramp_rate", "> 0 T/s"]),
    ("negative-ramp", limits('max_ramp_rate = "-10 mT/s"'), ["[limits] max_ramp_rate", "-10 mT/s"]),
    ("wrong-unit-ramp", limits('max_ramp_rate = "10 mT"'), ["[limits] max_ramp_rate", "expected T/s"]),
    ("nan-power", limits("max_rf_power = nan"), ["[limits] max_rf_power", "finite"]),
    ("negative-power", limits('max_rf_power = "-3 mW"'), ["[limits] max_rf_power", "-3 mW", "> 0 W"]),
    ("wrong-unit-power", limits('max_rf_power = "500 K"'), ["[limits] max_rf_power", "expected W"]),
    ("inverted-window", limits('temperature_min = "300 K"\ntemperature_max = "4 K"'),
     ["[limits]", "temperature_min = 300 K", "temperature_max = 4 K", "ordered"]),
    ("empty-window", limits('temperature_min = "300 K"\ntemperature_max = "300 K"'),
     ["temperature_min", "temperature_max", "ordered"]),
    ("min-above-default-max", limits('temperature_min = "500 K"'), ["temperature_min = 500 K", "temperature_max"]),
    ("negative-temperature", limits('temperature_min = "-1 K"'), ["[limits] temperature_min", ">= 0 K"]),
    ("inf-temperature", limits("temperature_max = inf"), ["[limits] temperature_max", "finite"]),
    ("duty-above-one", limits("max_rf_duty_cycle = 1.5"), ["[limits] max_rf_duty_cycle", "<= 1"]),
    ("duty-zero", limits("max_rf_duty_cycle = 0"), ["[limits] max_rf_duty_cycle", "> 0"]),
    ("negative-pulse", limits('max_pulse_length = "-1 us"'), ["[limits] max_pulse_length", "> 0 s"]),
    ("nan-piezo", limits("max_piezo_amplitude = nan"), ["[limits] max_piezo_amplitude", "finite"]),
    ("unknown-limit", limits('max_speed = "3 T"'), ["[limits] 'max_speed' is not a limit", "accepted", "max_field"]),
    # wrong types of whole tables
    ("limits-string", 'limits = "1 T"\n' + REAL, ["[limits] must be a table", "'1 T'"]),
    ("lab-int", "lab = 5\n" + REAL, ["[lab] must be a table", "5"]),
    ("instruments-int", "instruments = 5\n", ["[instruments] must be a table"]),
    ("instrument-string", '[instruments]\nlockin = "sr830"\n', ["[instruments] lockin = 'sr830'", "must be a table"]),
    ("sim-int", SIM.replace("[lab]", "sim = 5\n[lab]"), ["[sim] must be a table", "5"]),
    ("unknown-section", REAL + '[limit]\nmax_field = "1 T"\n', ["unknown section [limit]", "[limits]"]),
    # instrument tables
    ("options-int", REAL + "options = 5\n", ["[instruments.lockin] options", "must be a table", "5"]),
    ("options-string", REAL + 'options = "fast"\n', ["[instruments.lockin] options", "'fast'"]),
    ("unknown-option", REAL + "options = { turbo = 1 }\n", ["[instruments.lockin] options", "turbo"]),
    ("address-int", '[instruments.lockin]\ndriver = "sr830"\naddress = 5\n', ["[instruments.lockin] address", "5"]),
    ("address-missing", '[instruments.lockin]\ndriver = "sr830"\n', ["[instruments.lockin]", "missing 'address'"]),
    ("address-empty", '[instruments.lockin]\ndriver = "sr830"\naddress = ""\n', ["[instruments.lockin] address", "''"]),
    ("unknown-driver", REAL.replace('"sr830"', '"sr9000"'), ["[instruments.lockin] driver", "'sr9000'", "sr830"]),
    ("driver-int", REAL.replace('"sr830"', "830"), ["[instruments.lockin] driver", "830"]),
    ("driver-wrong-role", REAL.replace('"sr830"', '"lakeshore336"'),
     ["[instruments.lockin] driver = 'lakeshore336'", "fills the role", "temperature"]),
    ("negative-timeout", REAL + 'timeout = "-2 s"\n', ["[instruments.lockin] timeout", "> 0 s"]),
    ("wrong-unit-timeout", REAL + 'timeout = "2 V"\n', ["[instruments.lockin] timeout", "expected s"]),
    ("nan-timeout", REAL + "timeout = nan\n", ["[instruments.lockin] timeout", "finite"]),
    ("unknown-instrument-key", REAL + 'adress = "x"\n', ["[instruments.lockin]", "'adress'", "accepted"]),
    ("unknown-role", REAL.replace("lockin", "oscilloscope"), ["[instruments.oscilloscope]", "unknown role", "lockin"]),
    ("kepco-no-calibration", '[instruments.field]\ndriver = "kepco-bop"\naddress = "GPIB0::6::INSTR"\n',
     ["[instruments.field] options", "tesla_per_amp"]),
    ("kepco-negative-calibration",
     '[instruments.field]\ndriver = "kepco-bop"\naddress = "GPIB0::6::INSTR"\noptions = { tesla_per_amp = -0.02 }\n',
     ["[instruments.field] options", "tesla_per_amp", "-0.02"]),
    ("kepco-calibration-text",
     '[instruments.field]\ndriver = "kepco-bop"\naddress = "GPIB0::6::INSTR"\noptions = { tesla_per_amp = "x" }\n',
     ["[instruments.field] options", "'tesla_per_amp': 'x'", "kepco-bop"]),
    ("no-instruments", '[lab]\nname = "bench"\n', ["no [instruments.<role>] tables", "simulated = true"]),
    # [lab]
    ("simulated-string", '[lab]\nsimulated = "no"\n', ["[lab] simulated = 'no'", "boolean"]),
    ("simulated-int", "[lab]\nsimulated = 1\n", ["[lab] simulated = 1", "boolean"]),
    ("name-int", "[lab]\nname = 5\nsimulated = true\n", ["[lab] name = 5", "string"]),
    ("negative-coil", SIM + 'modulation_coil = "-1 mT/V"\n', ["[lab] modulation_coil", "> 0 T/V"]),
    ("wrong-unit-coil", SIM + 'modulation_coil = "1 mT"\n', ["[lab] modulation_coil", "expected T/V"]),
    ("unknown-lab-key", SIM + 'colour = "red"\n', ["[lab] 'colour' unknown", "simulated"]),
    # [sim]
    ("seed-string", SIM + '[sim]\nseed = "abc"\n', ["[sim] seed = 'abc'", "whole number"]),
    ("seed-negative", SIM + "[sim]\nseed = -1\n", ["[sim] seed = -1", ">= 0"]),
    ("seed-float", SIM + "[sim]\nseed = 1.5\n", ["[sim] seed = 1.5", "whole number"]),
    ("line-loss-string", SIM + '[sim]\nline_loss = "1.5 dB"\n', ["[sim] line_loss = '1.5 dB'", "number"]),
    ("line-loss-negative", SIM + "[sim]\nline_loss = -1\n", ["[sim] line_loss = -1", ">= 0"]),
    ("sample-int", SIM + "[sim]\nsample = 5\n", ["[sim] sample 5 unknown", "paramagnet"]),
    ("sample-parameters-int", SIM + "[sim]\nsample_parameters = 5\n", ["[sim] sample_parameters = 5", "table"]),
    ("sample-parameter-nan", SIM + "[sim.sample_parameters]\ng = nan\n", ["[sim.sample_parameters] g = nan", "finite"]),
    ("unknown-sim-key", SIM + "[sim]\ntemperature = 4\n", ["[sim] 'temperature' unknown", "seed"]),
    ("sim-without-simulated", REAL + "[sim]\nseed = 3\n", ["[sim]", "simulated = true"]),
    ("simulated-with-instruments", SIM + REAL, ["[instruments] lockin", "simulated = true"]),
    ("sim-limits-nan", SIM + "[limits]\nmax_rf_power = nan\n", ["[limits] max_rf_power", "finite"]),
    # not TOML at all
    ("toml-syntax", '[limits]\nmax_field = = "1 T"\n', ["not valid TOML", "line 2"]),
    ("toml-unterminated", '[lab]\nname = "bench\n', ["not valid TOML"]),
    ("toml-duplicate-key", '[lab]\nname = "a"\nname = "b"\n', ["not valid TOML"]),
]


@pytest.fixture
def no_dialling(monkeypatch):
    """Any attempt to open a socket fails the test: a malformed file must contact nothing."""
    calls = []

    def refuse(*args, **kwargs):
        calls.append(args)
        raise AssertionError("an instrument was contacted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    return calls


def run_cli(path, tmp_path, capsys):
    out = tmp_path / "runs"
    rc = main(["run", "esr-sweep", "--config", str(path), "--out", str(out), "--quiet"])
    captured = capsys.readouterr()
    assert not out.exists() or not any(out.iterdir()), "a run file was started for a malformed lab file"
    return rc, captured.out, captured.err


def test_battery_is_large_enough():
    assert len(CASES) >= 40


@pytest.mark.parametrize("text, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_malformed_lab_file_is_refused_clearly(text, expected, tmp_path, capsys, no_dialling):
    path = tmp_path / "lab.toml"
    path.write_text(text)
    rc, out, err = run_cli(path, tmp_path, capsys)
    assert rc == 2
    assert "Traceback" not in err and "Traceback" not in out
    assert str(path) in err
    for fragment in expected:
        assert fragment in err, f"{fragment!r} not in {err!r}"
    assert no_dialling == []


def test_every_problem_is_reported_together(tmp_path, capsys, no_dialling):
    path = tmp_path / "lab.toml"
    path.write_text('[lab]\nsimulated = "no"\n[limits]\nmax_field = nan\nmax_ramp_rate = 0\n'
                    'temperature_min = "300 K"\ntemperature_max = "4 K"\n'
                    '[instruments]\nlockin = "sr830"\n[sim]\nseed = "abc"\n')
    rc, _, err = run_cli(path, tmp_path, capsys)
    assert rc == 2 and "Traceback" not in err
    assert "6 problems" in err
    for fragment in ("[lab] simulated", "[limits] max_field", "[limits] max_ramp_rate", "ordered",
                     "[instruments] lockin", "[sim] seed"):
        assert fragment in err
    # one line per problem, each naming the file
    lines = [ln for ln in err.splitlines() if ln.startswith("  - ")]
    assert len(lines) == 6 and all(str(path) in ln for ln in lines)


def test_not_utf8_and_directory_are_one_line_errors(tmp_path, capsys):
    path = tmp_path / "lab.toml"
    path.write_bytes(b'[lab]\nname = "b\xe4nch"\n')
    rc, _, err = run_cli(path, tmp_path, capsys)
    assert rc == 2 and "Traceback" not in err and str(path) in err
    rc, _, err = run_cli(tmp_path, tmp_path, capsys)
    assert rc == 2 and "not a file" in err
    rc, _, err = run_cli(tmp_path / "missing.toml", tmp_path, capsys)
    assert rc == 2 and "does not exist" in err
