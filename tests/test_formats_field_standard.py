"""Field-standard correction on a spectrum holding the sample and a DPPH line, with the file's
field axis off by a known offset: the corrected g is the true one, the raw g is not."""
from __future__ import annotations

import json

import numpy as np
import pytest

from analysis.constants import DPPH_G, H, MU_B
from app.cli import main
from formats import write_bes3t


def d_lorentzian(b: np.ndarray, b0: float, dbpp: float, amp: float) -> np.ndarray:
    x = (b - b0) / (np.sqrt(3) / 2 * dbpp)
    return -amp * x / (1 + x * x) ** 2


@pytest.fixture
def two_line_file(tmp_path, rng):
    f, g_sample, offset = 9.5e9, 2.0080, 0.15e-3  # the axis reads 0.15 mT high
    true_b = lambda g: H * f / (g * MU_B)  # noqa: E731
    axis = np.linspace(0.3370, 0.3400, 1501)
    y = (d_lorentzian(axis, true_b(g_sample) + offset, 0.25e-3, 1.0)
         + d_lorentzian(axis, true_b(DPPH_G) + offset, 0.15e-3, 0.6) + rng.normal(0, 0.004, axis.size))
    write_bes3t(tmp_path / "s", axis * 1e4, y, parameters={"MWFQ": f})
    return tmp_path / "s.DSC", g_sample, offset, true_b(DPPH_G)


def test_dpph_standard_corrects_g(two_line_file, capsys):
    path, g_true, offset, _ = two_line_file
    assert main(["analyse", str(path), "--reference", "dpph", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)["results"]
    assert abs(r["field_correction"]["value"] + offset) < 4 * r["field_correction"]["error"]
    assert abs(r["g_factor_corrected"]["value"] - g_true) < 4 * r["g_factor_corrected"]["error"] < 2e-5
    assert abs(r["g_factor"]["value"] - g_true) > 20 * r["g_factor"]["error"]  # raw g: off by the axis error


def test_marker_at_a_given_field_and_bad_reference(two_line_file, capsys):
    path, g_true, offset, b_dpph = two_line_file
    assert main(["analyse", str(path), "--reference", f"marker={b_dpph * 1e3:.6f}mT", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)["results"]
    assert abs(r["g_factor_corrected"]["value"] - g_true) < 4 * r["g_factor_corrected"]["error"]
    assert main(["analyse", str(path), "--reference", "bdpa2"]) == 2
    assert "use dpph, g=VALUE or marker=FIELD" in capsys.readouterr().err


def test_standard_in_a_companion_file(tmp_path, capsys, rng):
    """The sample alone in one file, DPPH alone in another recorded with the same (offset) axis."""
    f, g_sample, offset = 9.5e9, 2.0080, -0.12e-3
    axis = np.linspace(0.3370, 0.3400, 1201)
    true_b = lambda g: H * f / (g * MU_B)  # noqa: E731
    sample = d_lorentzian(axis, true_b(g_sample) + offset, 0.25e-3, 1.0) + rng.normal(0, 0.004, axis.size)
    dpph = d_lorentzian(axis, true_b(DPPH_G) + offset, 0.15e-3, 1.0) + rng.normal(0, 0.004, axis.size)
    write_bes3t(tmp_path / "sample", axis * 1e4, sample, parameters={"MWFQ": f})
    write_bes3t(tmp_path / "dpph", axis * 1e4, dpph, parameters={"MWFQ": f})
    assert main(["analyse", str(tmp_path / "sample.DSC"), "--reference", "dpph", "--reference-file",
                 str(tmp_path / "dpph.DSC"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    r = out["results"]
    assert abs(r["g_factor_corrected"]["value"] - g_sample) < 4 * r["g_factor_corrected"]["error"]
    assert "dpph.DSC" in out["notes"][0] and not out["warnings"]
    assert main(["analyse", str(tmp_path / "sample.DSC"), "--reference-file", str(tmp_path / "dpph.DSC")]) == 2
