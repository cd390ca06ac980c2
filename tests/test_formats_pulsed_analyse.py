"""`spinbench analyse` on pulsed files: the kind chosen from the file's name or pulse program,
fits checked against the closed forms the files were written from."""
from __future__ import annotations

import json

import numpy as np
import pytest
from test_formats_pulsed import write_topspin

from app.cli import main
from formats import write_bes3t


def analyse(path, capsys, *extra):
    assert main(["analyse", str(path), "--json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


def test_topspin_fid_line_offset(tmp_path, capsys):
    sw, grpdly, f = 20_000.0, 67.9842376709, 1234.0
    t = (np.arange(4096) - grpdly) / sw
    fid = np.where(t >= 0, 1e6 * np.exp(2j * np.pi * f * t - t / 0.02), 0.0)
    write_topspin(tmp_path / "1", np.round(fid.real) + 1j * np.round(fid.imag), sw=sw, grpdly=grpdly)
    out = analyse(tmp_path / "1", capsys)
    assert out["kind"] == "fid" and "fid" in out["kind_reason"]
    assert out["results"]["peak_offset"]["value"] == pytest.approx(f, abs=2.0)
    assert out["results"]["fwhm"]["value"] == pytest.approx(1 / (np.pi * 0.02), rel=0.1)  # 1/(pi T2*)


def test_inversion_recovery_and_echo_decay_files(tmp_path, capsys, rng):
    t = np.linspace(0, 5e-3, 80)
    t1 = 1.2e-3
    y = 1.0 - 1.9 * np.exp(-t / t1) + rng.normal(0, 0.01, t.size)
    write_bes3t(tmp_path / "T1_inversion", t * 1e9, y, x_name="Time", x_unit="ns")
    out = analyse(tmp_path / "T1_inversion.DSC", capsys)
    assert out["kind"] == "recovery"
    r = out["results"]["T1"]
    assert abs(r["value"] - t1) < 4 * r["error"] and r["unit"] == "s"
    assert out["results"]["inversion_factor"]["value"] == pytest.approx(1.9, abs=0.05)
    tm = 2.5e-6
    t = np.linspace(0.4e-6, 8e-6, 60)
    z = np.exp(-t / tm) * np.exp(1j * 0.7) + (rng.normal(0, 0.005, t.size) + 1j * rng.normal(0, 0.005, t.size))
    write_bes3t(tmp_path / "hahn_echo", t * 1e9, z, x_name="Time", x_unit="ns")
    out = analyse(tmp_path / "hahn_echo.DSC", capsys)
    assert out["kind"] == "decay" and "hahn" in out["kind_reason"]
    assert float(out["channel"].split("phase ")[1].split()[0]) == pytest.approx(np.degrees(0.7), abs=1.0)
    r = out["results"]["decay_time"]
    assert abs(r["value"] - tm) < 4 * r["error"]
