"""An FMR set from a file (2-D: field sweeps at several frequencies) against the closed-form
Kittel resonance of an in-plane film and a linear Gilbert linewidth."""
from __future__ import annotations

import json

import numpy as np
import pytest

from analysis.constants import H, MU_B
from app.cli import main
from formats import write_bes3t


def test_kittel_and_damping_from_a_2d_file(tmp_path, capsys, rng):
    g, meff, alpha, db0 = 2.09, 0.80, 8e-3, 1.0e-3
    freqs = np.array([8e9, 10e9, 12e9, 14e9, 16e9])
    gp = g * MU_B / H  # Hz/T
    b = np.linspace(0.0, 0.45, 3001)
    rows = []
    for f in freqs:
        b_res = -meff / 2 + np.sqrt(meff ** 2 / 4 + (f / gp) ** 2)  # f = gp sqrt(B (B + Meff)), in plane
        fwhm = db0 + 2 * alpha * f / gp
        x = 2 * (b - b_res) / fwhm
        rows.append(-x / (1 + x * x) ** 2 + rng.normal(0, 0.004, b.size))
    write_bes3t(tmp_path / "fmr", b * 1e4, np.array(rows), y=freqs, y_name="frequency", y_unit="Hz")
    assert main(["analyse", str(tmp_path / "fmr.DSC"), "--json", "--model", "lorentzian"]) == 0
    out = json.loads(capsys.readouterr().out)
    r = out["results"]
    assert r["slices_with_a_line"] == "5 of 5" and r["kittel_geometry"] == "in-plane"
    assert abs(r["g_kittel"]["value"] - g) < 4 * r["g_kittel"]["error"] < 0.01
    assert abs(r["mu0_meff"]["value"] - meff) < 4 * r["mu0_meff"]["error"]
    assert abs(r["gilbert_alpha"]["value"] - alpha) < 4 * r["gilbert_alpha"]["error"]
    slice_g = [row["g_factor"]["value"] for row in out["per_slice"]]  # per slice, from its own frequency
    assert all(gi > g for gi in slice_g)  # the apparent g of an in-plane film lies above the true g
    with pytest.raises(SystemExit) as stop:  # refused by the argument parser, before any file is read
        main(["analyse", str(tmp_path / "fmr.DSC"), "--geometry", "tilted"])
    assert stop.value.code == 2 and "invalid choice: 'tilted'" in capsys.readouterr().err
