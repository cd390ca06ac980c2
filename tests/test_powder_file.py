"""``spinbench analyse FILE --kind powder``: principal g-values from a powder spectrum file,
checked against a spectrum computed by the independent orientation sum (tests/test_fit_coverage.py),
written as a BES3T file the way another spectrometer would; bad files are one-line errors."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from test_fit_coverage import G_PRINCIPAL, POWDER_FREQ, POWDER_WIDTHS, _powder_sweep

from analysis.constants import H, MU_B
from app.cli import main
from app.powder_file_analysis import POWDER_RESULTS
from formats.bes3t_write import write_bes3t

DATA = Path(__file__).parent / "data" / "real"


def _write(path: Path, b: np.ndarray, y: np.ndarray, **parameters) -> Path:
    """A BES3T file with the field axis in gauss, as Xepr writes it."""
    dsc, _ = write_bes3t(path, b * 1e4, y, x_unit="G", title="powder", parameters=parameters)
    return dsc


def _analyse(path: Path, capsys, *extra: str) -> dict:
    assert main(["analyse", str(path), "--kind", "powder", "--json", "--png", str(path.with_suffix(".png")),
                 *extra]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.fixture(scope="module")
def clean() -> tuple[np.ndarray, np.ndarray]:
    return _powder_sweep()


def test_powder_file_gives_the_principal_g_values_within_errors(tmp_path, capsys, clean):
    b, y0 = clean
    y = y0 + np.random.default_rng(7).normal(0, 0.01, b.size) + 0.05  # 1 % noise and an offset
    out = _analyse(_write(tmp_path / "p", b, y, MWFQ=POWDER_FREQ), capsys)
    r = out["results"]
    assert out["kind"] == "powder" and out["kind_reason"] == "given with --kind"
    assert set(r) <= {res.name for res in POWDER_RESULTS}
    for k, g_true in enumerate(sorted(G_PRINCIPAL), start=1):  # g1 <= g2 <= g3
        assert abs(r[f"g{k}"]["value"] - g_true) < 4 * r[f"g{k}"]["error"] < 4e-3, (k, r[f"g{k}"])
    assert r["g_iso"]["value"] == pytest.approx(np.mean(G_PRINCIPAL), abs=1e-3)
    assert 0.7 < r["reduced_chi2"] < 1.4
    assert r["fwhm_lorentz"]["unit"] == "T" and r["fwhm_gauss"]["unit"] == "T"
    assert not any("axial" in n for n in out["notes"])
    assert any("independent points" in w for w in out["warnings"])  # no RCTC/SPTP in the file
    assert Path(out["plot"]).stat().st_size > 10_000


def test_auto_kind_stays_cw_for_a_field_sweep(tmp_path, capsys, clean):
    """Powder is never chosen on its own: a single line and a narrow powder look alike."""
    from app.file_analysis import choose_kind
    from formats import load
    b, y0 = clean
    assert choose_kind(load(_write(tmp_path / "p", b, y0, MWFQ=POWDER_FREQ)))[0] == "cw"


def test_an_axial_pattern_is_said(tmp_path, capsys):
    """g_perp = 2.05 twice, g_par = 2.25 (a Cu2+-like envelope without hyperfine lines): the note
    names the equal pair, and g1 = g2 are near g_perp."""
    import test_fit_coverage as ref
    g = (2.05, 2.05, 2.25)
    c = H * POWDER_FREQ / MU_B
    b = np.linspace(c / 2.25 - 5e-3, c / 2.05 + 5e-3, 800)
    y = ref._powder_reference(b, g, 0.8e-3, 1.0e-3, n=400)
    y = y / np.ptp(y) + np.random.default_rng(3).normal(0, 0.01, b.size)
    out = _analyse(_write(tmp_path / "ax", b, y, MWFQ=POWDER_FREQ), capsys)
    r = out["results"]
    assert any("axial pattern: g1 = g2" in n for n in out["notes"]), out["notes"]
    assert abs(r["g3"]["value"] - 2.25) < 4 * r["g3"]["error"]
    assert abs(0.5 * (r["g1"]["value"] + r["g2"]["value"]) - 2.05) < 2e-3


def test_missing_frequency_and_2d_files_are_one_line_errors(tmp_path, capsys, clean):
    b, y0 = clean
    no_f = _write(tmp_path / "nof", b, y0)
    assert main(["analyse", str(no_f), "--kind", "powder", "--png", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("spinbench: error: ") and err.count("\n") == 1 and "MWFQ" in err
    two = write_bes3t(tmp_path / "two", b * 1e4, np.vstack([y0, y0]), y=np.array([0.0, 1.0]), x_unit="G",
                      parameters={"MWFQ": POWDER_FREQ})[0]
    assert main(["analyse", str(two), "--kind", "powder", "--png", str(tmp_path / "y.png")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "1-D spectrum" in err and "2-D" in err


@pytest.mark.slow
def test_sample2_runs_and_gives_plausible_g_or_warns(tmp_path, capsys):
    """A real ESP file (V4+ on titania): we do not know its true g-values; it runs, every g lies in
    1.8-2.1 (S = 1/2 transition-metal / radical range), or the fit says why it is suspect."""
    for name in ("SAMPLE2.PAR", "SAMPLE2.SPC"):
        shutil.copy(DATA / name, tmp_path / name)
    out = _analyse(tmp_path / "SAMPLE2.PAR", capsys)
    r = out["results"]
    assert any("lock-in correlation" in n for n in out["notes"])  # the inflation from RCTC/SPTP
    assert all(1.8 < r[f"g{k}"]["value"] < 2.1 for k in (1, 2, 3)) or out["warnings"]
    assert r["g1"]["value"] <= r["g2"]["value"] <= r["g3"]["value"]
