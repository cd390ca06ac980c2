"""``--json`` on ``run``, ``halbach`` and ``sequence check``: one JSON object on stdout, its numbers
checked against the physics (g from the simulated sample, the ring's closed-form centre field),
its files on disk, its status matching the exit code."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli import main
from magnets.closed_forms import ring_centre_field
from sim_backend.world import SimulatedWorld

ROOT = Path(__file__).resolve().parents[1]
H, MU_B = 6.62607015e-34, 9.2740100783e-24


def _json(capsys) -> dict:
    return json.loads(capsys.readouterr().out)  # fails unless stdout is exactly one JSON object


def test_run_json_holds_results_file_and_status(tmp_path, capsys):
    g_true = SimulatedWorld().sample.g  # the test knows the sample; the run does not
    b_true = H * 9.5e9 / (g_true * MU_B)
    assert main(["run", "esr-sweep", "--sim", "--json", "--out", str(tmp_path), "--set", "points=201",
                 "--set", f"field_start={(b_true - 3e-3) * 1e3}mT", "--set", f"field_stop={(b_true + 3e-3) * 1e3}mT"]) == 0
    out = _json(capsys)
    assert out["status"] == "completed" and out["error"] is None and out["warnings"] == []
    assert Path(out["file"]).is_file() and Path(out["plot"]).is_file() and out["points"] == 201
    g = out["results"]["g_factor"]
    assert g["unit"] == "" and g["value"] == pytest.approx(g_true, abs=1e-4) and g["error"] > 0
    b = out["results"]["resonance_field"]
    assert b["unit"] == "T" and b["value"] == pytest.approx(b_true, abs=20e-6)


def test_run_json_bad_input_is_a_one_line_error_not_json(tmp_path, capsys):
    assert main(["run", "esr-sweep", "--sim", "--json", "--out", str(tmp_path), "--set", "points=banana"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "points" in captured.err and "Traceback" not in captured.err


def test_halbach_json_b0_against_the_closed_form(tmp_path, capsys):
    assert main(["halbach", str(ROOT / "examples" / "halbach_ring.toml"), "--engine", "dipole", "--no-plots",
                 "--json", "--out", str(tmp_path)]) == 0
    out = _json(capsys)
    r = 0.045  # four 16-magnet rings at z = +-12, +-36 mm (the example's design)
    b0 = sum(ring_centre_field(16, 1.305, 0.012**3, r) * (r * r / (r * r + z * z)) ** 2.5
             for z in (-0.036, -0.012, 0.012, 0.036))
    res = out["results"]
    assert res["b0"]["unit"] == "T" and res["b0"]["value"] == pytest.approx(b0, rel=1e-6)
    assert res["larmor_1H"]["value"] == pytest.approx(42.577478e6 * b0, rel=1e-6)
    assert res["magnets"] == 64 and res["homogeneity_pp"]["unit"] == "ppm"
    assert out["status"] == "ok" and Path(out["files"]["magnet_list"]).is_file()
    assert any("B0 (centre)" in line for line in out["log"])


def test_sequence_check_json_lists_violations_with_values(capsys):
    assert main(["sequence", "check", "hahn-echo", "--set", "tau=2us", "--json"]) == 0
    ok = _json(capsys)
    assert ok["status"] == "ok" and ok["violations"] == [] and ok["sequence"] == "hahn-echo"
    assert main(["sequence", "check", "nutation", "--set", "tp=4ns", "--json"]) == 1
    bad = _json(capsys)
    assert bad["status"] == "violations" and bad["errors"] == len(bad["violations"]) >= 1
    v = bad["violations"][0]
    assert v["unit"] and v["rule"] and v["message"]
