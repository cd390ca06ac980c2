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


@pytest.mark.slow
def test_modulation_amplitude_and_lock_in_times_come_from_the_file(tmp_path, capsys, clean):
    """A first-harmonic spectrum modulated at Bm = 0.15 mT (peak; B0MA holds the peak-to-peak
    0.3 mT), built from the orientation sum as the lock-in sees it: the derivative averaged with
    weight (2 / pi) sin^2(theta) over the modulation cycle (test_fit_coverage). The g-values and
    the line widths come back (a fit ignoring B0MA would put the modulation into the widths)."""
    import test_fit_coverage as ref
    b, _ = clean
    bm = 0.15e-3
    theta = (np.arange(64) + 0.5) * np.pi / 64
    weights = 2 * np.sin(theta) ** 2 / 64
    wide = np.linspace(b[0] - bm, b[-1] + bm, 2 * len(b))
    deriv = ref._powder_reference(wide, G_PRINCIPAL, *POWDER_WIDTHS, n=400)
    y = sum(w * np.interp(b + bm * np.cos(t), wide, deriv) for t, w in zip(theta, weights))
    y = y / np.ptp(y) + np.random.default_rng(11).normal(0, 0.01, b.size)
    out = _analyse(_write(tmp_path / "m", b, y, MWFQ=POWDER_FREQ, B0MA=2 * bm, RCTC=1e-3, SPTP=20e-3), capsys)
    r = out["results"]
    for k, g_true in enumerate(sorted(G_PRINCIPAL), start=1):
        assert abs(r[f"g{k}"]["value"] - g_true) < 4 * r[f"g{k}"]["error"], (k, r[f"g{k}"])
    from analysis.line_profiles import tch_width
    total = tch_width(r["fwhm_lorentz"]["value"], r["fwhm_gauss"]["value"])[0]
    assert total == pytest.approx(tch_width(*POWDER_WIDTHS)[0], rel=0.1)
    assert any("lock-in correlation" in n for n in out["notes"]) and not out["warnings"]


def test_baseline_option_removes_a_sloped_background(tmp_path, capsys, clean):
    """A straight background of 0.3 peak-to-peak across the sweep: --baseline 1 (fitted outside the
    pattern) takes it out and the g-values come back within their errors."""
    b, y0 = clean
    slope = 0.3 * (b - b[0]) / np.ptp(b)
    y = y0 + slope + np.random.default_rng(5).normal(0, 0.01, b.size)
    out = _analyse(_write(tmp_path / "s", b, y, MWFQ=POWDER_FREQ), capsys, "--baseline", "1")
    r = out["results"]
    assert any(n.startswith("baseline: polynomial of order 1") for n in out["notes"])
    for k, g_true in enumerate(sorted(G_PRINCIPAL), start=1):
        assert abs(r[f"g{k}"]["value"] - g_true) < 4 * r[f"g{k}"]["error"], (k, r[f"g{k}"])


def test_noise_only_is_a_warning_not_g_values(tmp_path, capsys, clean):
    b, _ = clean
    out = _analyse(_write(tmp_path / "n", b, np.random.default_rng(2).normal(0, 1, b.size), MWFQ=POWDER_FREQ), capsys)
    assert "g1" not in out["results"] and any("no powder pattern found" in w for w in out["warnings"])


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
