"""``spinbench analyse``, ``show`` and ``export`` on foreign spectrum files: every real file opens,
results are checked against closed forms and the files' own settings, missing parameters are
said (never g = NaN), errors are one line with exit status 2."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from test_formats_bes3t import minimal_read

from analysis.constants import H, MU_B
from app.cli import main
from formats import load

DATA = Path(__file__).parent / "data" / "real"
# Also opened, by the tests below: SAMPLE2 (show), EMX_Acquisit_power2d, the Rabi file, SpecMan;
# be3tintlit holds the same measurement as bes3tint (test_formats_bes3t compares them).
REAL = ["bes3tint.dsc", pytest.param("be3tintlit.dsc", marks=pytest.mark.slow), "SAMPLE2.PAR",
        pytest.param("trityl.xml", marks=pytest.mark.slow)]  # 16618 points, modulation-aware fits: ~7 s


@pytest.fixture
def real(tmp_path):
    """The real files copied to a scratch folder (plots are written next to them)."""
    for f in DATA.iterdir():
        if f.name != "README.md":
            shutil.copy(f, tmp_path / f.name)
    return tmp_path


def analyse_json(path: Path, capsys, *extra: str) -> dict:
    assert main(["analyse", str(path), "--json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("name", REAL)
def test_every_real_file_opens_with_analyse(real, capsys, name):
    out = analyse_json(real / name, capsys)
    assert out["status"] == "ok" and Path(out["plot"]).stat().st_size > 10_000
    assert out["results"] or out["per_slice"]
    assert "NaN" not in json.dumps(out)  # JSON holds values or null, never NaN


@pytest.mark.slow
def test_show_lists_what_the_file_records_and_what_it_does_not(real, capsys):
    assert main(["show", str(real / "SAMPLE2.SPC"), "--png", str(real / "show.png")]) == 0
    text = capsys.readouterr().out
    assert "(ESP file)" in text and "microwave frequency  9.243887 GHz" in text
    assert "not recorded in the file: microwave power" in text and (real / "show.png").exists()
    assert main(["show", str(real / "specman_2pfs.d01"), "--png", str(real / "show2.png")]) == 0
    text = capsys.readouterr().out
    assert "Re + i Im [V] complex, o3 [T]" in text and "echo-sweep" in text


def test_rabi_pi_pulse_matches_the_pulse_length_set_in_the_file(real, capsys):
    """The nutation fit's pi pulse against the 180-degree pulse the experimenters set (p1 in the
    PulseSPEL program stored in the same .DSC)."""
    dsc = real / "2024_08_CaWO4171Yb_rabi_6K_6724G_18dB.DSC"
    p1 = float(re.search(r"p1\s*=\s*(\d+)\s*; 180 pulse", dsc.read_text(encoding="latin-1")).group(1)) * 1e-9
    out = analyse_json(dsc, capsys)
    assert out["kind"] == "nutation" and "rabi" in out["kind_reason"]
    pi = out["results"]["pi_pulse"]
    assert pi["unit"] == "s" and pi["value"] == pytest.approx(p1, rel=0.1) and 0 < pi["error"] < 0.05 * pi["value"]


def test_cw_line_from_a_closed_form_text_file(tmp_path, capsys, rng):
    """A Lorentzian derivative with known centre and width, written as text with header units."""
    f, b0, dbpp = 9.5e9, 0.3390, 0.4e-3
    b = np.linspace(0.3370, 0.3410, 801)
    x = (b - b0) / (np.sqrt(3) / 2 * dbpp)
    y = -2 * x / (1 + x * x) ** 2 + rng.normal(0, 0.01, b.size)
    rows = "\n".join(f"{bi * 1e4:.6f}\t{yi:.6g}" for bi, yi in zip(b, y))
    (tmp_path / "line.txt").write_text(f"# Frequency: {f / 1e9} GHz\nField [G]\tSignal\n{rows}\n")
    out = analyse_json(tmp_path / "line.txt", capsys, "--model", "lorentzian")
    r = out["results"]
    assert abs(r["resonance_field"]["value"] - b0) < 4 * r["resonance_field"]["error"] < 2e-6
    assert abs(r["linewidth_pp"]["value"] - dbpp) < 4 * r["linewidth_pp"]["error"]
    g = H * f / (MU_B * b0)
    assert abs(r["g_factor"]["value"] - g) < 4 * r["g_factor"]["error"]
    # a text file has no lock-in times: the only warning says the errors assume independent points
    assert "lines_found" not in r and len(out["warnings"]) == 1
    assert "assume independent points" in out["warnings"][0] and "time constant" in out["warnings"][0]


def test_two_lines_are_reported_as_two(tmp_path, capsys):
    b = np.linspace(0.336, 0.342, 1201)
    y = sum(-2 * x / (1 + x * x) ** 2 for x in ((b - c) / 0.2e-3 for c in (0.3380, 0.3400)))
    (tmp_path / "two.csv").write_text("B [T],X [V]\n" + "\n".join(f"{float(u)!r},{float(v)!r}" for u, v in zip(b, y)) + "\n")
    out = analyse_json(tmp_path / "two.csv", capsys)
    assert out["results"]["lines_found"] == 2
    assert out["results"]["line_centres_mT"] == pytest.approx([338.0, 340.0], abs=0.01)
    assert any("describes one of them only" in w for w in out["warnings"])


@pytest.mark.slow
def test_missing_frequency_is_said_not_nan(real, capsys):
    out = analyse_json(real / "specman_2pfs.d01", capsys)
    assert "g_factor" not in out["results"]
    assert any("no microwave frequency (MWFQ)" in n or "relative to the centre field" in n for n in out["notes"])
    b = np.linspace(0.33, 0.35, 401)
    x = (b - 0.34) / 1e-3
    (tmp_path := real / "nofreq.txt").write_text("B [T]\tX\n" + "\n".join(
        f"{u}\t{v}" for u, v in zip(b, -2 * x / (1 + x * x) ** 2)) + "\n")
    out = analyse_json(tmp_path, capsys)
    assert "g_factor" not in out["results"] and "resonance_field" in out["results"]
    assert out["notes"] == ["g not computed: the text file has no microwave frequency (MWFQ)"]


@pytest.mark.slow
def test_power_series_signal_grows_as_sqrt_power_below_saturation(real, capsys):
    """WinEPR 2-D power sweep (44 dB down to 8 dB in 3 dB steps): an unsaturated line's double
    integral grows as sqrt(P), i.e. by 10^(3/20) per 3 dB."""
    out = analyse_json(real / "EMX_Acquisit_power2d.par", capsys)
    rows = [r for r in out["per_slice"] if "double_integral" in r]
    att = np.array([r["mw-power-sweep"]["value"] for r in rows])
    di = np.array([r["double_integral"]["value"] for r in rows])
    low = att >= 20  # the low-power slices
    slope = np.polyfit(-att[low] / 10, np.log10(di[low]), 1)[0]  # d log10(DI) / d log10(P)
    assert slope == pytest.approx(0.5, abs=0.1)
    g = [r["g_factor"]["value"] for r in rows]
    assert np.ptp(g) < 1e-4  # one line, the same g in every slice


def test_export_of_foreign_files(real, capsys):
    assert main(["export", str(real / "SAMPLE2.PAR"), "--format", "bes3t", "--out", str(real / "x")]) == 0
    x, data = minimal_read(real / "x" / "SAMPLE2_export.DSC")
    src = load(real / "SAMPLE2.PAR")
    assert np.array_equal(data, src.data) and np.allclose(x, src.x.values * 1e4, rtol=1e-12)  # field in G
    back = load(real / "x" / "SAMPLE2_export.DSC")
    assert back.parameter("MWFQ") == src.parameter("MWFQ") and back.parameter("B0MA") == src.parameter("B0MA")
    assert main(["export", str(real / "EMX_Acquisit_power2d.par"), "--format", "bes3t", "--out", str(real / "x")]) == 0
    two = load(real / "x" / "EMX_Acquisit_power2d_export.DSC")
    assert two.data.shape == (13, 1024) and np.allclose(two.y.values, 44 - 3.0 * np.arange(13))
    assert main(["export", str(real / "trityl.xml"), "--format", "csv", "--out", str(real / "x")]) == 0
    csv = load(real / "x" / "trityl_export.csv")
    xml = load(real / "trityl.xml")
    assert np.array_equal(csv.x.values, xml.x.values) and np.array_equal(csv.data, xml.data)
    assert csv.parameter("MWFQ") == xml.parameter("MWFQ")


@pytest.mark.slow
def test_channel_choice_on_complex_cw_data(tmp_path, capsys):
    b = np.linspace(3350.0, 3450.0, 512)
    x = (b - 3400.0) / 5.0
    line = -2 * x / (1 + x * x) ** 2
    z = line * np.exp(1j * np.radians(30.0))  # detection phase 30 degrees off
    lines = ["#DESC", "BSEQ BIG", "IKKF CPLX", "XTYP IDX", "YTYP NODATA", "ZTYP NODATA", "IRFMT D", "IIFMT D",
             "XPTS 512", "XMIN 3350.0", "XWID 100.0", "XUNI 'G'", "#SPL", "MWFQ 9.5e9"]
    (tmp_path / "c.DSC").write_text("\n".join(lines) + "\n")
    pairs = np.empty(1024)
    pairs[0::2], pairs[1::2] = z.real, z.imag
    pairs.astype(">f8").tofile(tmp_path / "c.DTA")
    auto = analyse_json(tmp_path / "c.DSC", capsys)
    assert auto["channel"] == "auto (phase 30.0 deg)"  # the sign that makes the absorption positive
    only_x = analyse_json(tmp_path / "c.DSC", capsys, "--channel", "x")
    amp = lambda r: r["results"]["double_integral"]["value"]  # noqa: E731
    assert abs(amp(only_x)) == pytest.approx(abs(amp(auto)) * np.cos(np.radians(30.0)), rel=1e-3)
    assert main(["analyse", str(DATA / "SAMPLE2.PAR"), "--channel", "y"]) == 2
    assert "one real channel only" in capsys.readouterr().err


@pytest.mark.parametrize("slope", [0.0, 0.2, -0.2])
@pytest.mark.parametrize("detection_deg", [30.0, -150.0, 120.0, 179.0])
@pytest.mark.parametrize("ascending", [True, False])
def test_auto_phase_puts_the_absorption_up_whatever_the_detection_phase(detection_deg, ascending, slope):
    """The auto phase of a first-derivative cw line has a 180 degree ambiguity: the convention
    (absorption positive, so its derivative's low-field lobe up) decides, in either sweep order."""
    from app.file_analysis import select_channel

    b = np.linspace(0.335, 0.345, 400) if ascending else np.linspace(0.345, 0.335, 400)
    x = (b - 0.3401) / 4e-4
    line = -2 * x / (1 + x * x) ** 2  # d/dB of a positive Lorentzian absorption (B0 = 340.1 mT)
    rng = np.random.default_rng(3)
    baseline = slope * (np.arange(b.size) / (b.size - 1) - 0.5)  # a sloped background: +-0.1 at the ends
    z = (line + baseline + 0.02 * rng.normal(size=b.size) + 0.02j * rng.normal(size=b.size)) \
        * np.exp(1j * np.radians(detection_deg))
    y, used = select_channel(z, "auto", derivative=1.0 if ascending else -1.0)
    assert np.corrcoef(y - np.polyval(np.polyfit(b, y, 1), b), line)[0, 1] > 0.9
    phase = float(used.removeprefix("auto (phase ").removesuffix(" deg)"))
    assert (phase - detection_deg + 180.0) % 360.0 - 180.0 == pytest.approx(0.0, abs=2.0)


def test_bad_files_are_one_line_errors(tmp_path, capsys):
    (tmp_path / "a.xml").write_text("not xml at all")
    (tmp_path / "b.dat").write_text("hello world\n")
    for path in (tmp_path / "a.xml", tmp_path / "b.dat", tmp_path / "missing.DSC"):
        assert main(["analyse", str(path)]) == 2
        err = capsys.readouterr().err
        assert err.startswith("spinbench: error: ") and err.count("\n") == 1 and "Traceback" not in err


def test_exported_run_reads_back_identically_and_refits_the_same(tmp_path, capsys):
    """A simulated esr-sweep exported to BES3T: the independent reader gets the run's own averaged
    spectrum back bit for bit, and `analyse` on the export finds the run's resonance."""
    from app.run_export import T_PER_G, export_bes3t, run_spectra
    from app.runner import run_experiment
    from app.simlab import build_sim_lab
    from app.storage import read_run
    from sequences.experiments import EsrFieldSweep

    outcome = run_experiment(EsrFieldSweep(field_start=0.3375, field_stop=0.3400, points=101, scans=1),
                             build_sim_lab(), tmp_path / "runs", plot=False)
    run = read_run(outcome.path)
    (dsc,) = export_bes3t(run, tmp_path / "x", "set", axis="setpoint")
    (spectrum,) = run_spectra(run, "setpoint")
    x, data = minimal_read(dsc)
    assert np.array_equal(data, spectrum.x)
    assert np.max(np.abs(x - spectrum.field / T_PER_G)) < 1e-6 * (x[1] - x[0])  # linear sweep: IDX
    (dsc,) = export_bes3t(run, tmp_path / "x", "hall", axis="measured")
    (spectrum,) = run_spectra(run, "measured")
    x, data = minimal_read(dsc)  # the measured axis as the run's result used it (regressed: linear, IDX)
    assert np.array_equal(data, spectrum.x)
    assert np.max(np.abs(x - spectrum.field / T_PER_G)) < 1e-6 * abs(x[1] - x[0])
    out = analyse_json(dsc, capsys)
    b_run = outcome.info.results["resonance_field"]
    b_file = out["results"]["resonance_field"]
    # the export holds the axis the run's own result used: the same fit, the same resonance
    assert abs(b_file["value"] - b_run.value) < 3 * np.hypot(b_file["error"], b_run.error)


def test_show_json_for_spectrum_and_run_files(real, tmp_path, capsys):
    assert main(["show", str(real / "SAMPLE2.PAR"), "--json", "--png", str(tmp_path / "a.png")]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["format"] == "ESP" and out["parameters"]["MWFQ"] == 9.243887e9 and "MWPW" not in out["parameters"]
    assert out["results"]["g_factor"]["unit"] == "" and out["plot"] == str(tmp_path / "a.png")
    from app.runner import run_experiment
    from app.simlab import build_sim_lab
    from sequences.experiments import EsrFieldSweep

    outcome = run_experiment(EsrFieldSweep(field_start=0.3375, field_stop=0.3400, points=61, scans=1),
                             build_sim_lab(), tmp_path / "runs", plot=False)
    assert main(["show", str(outcome.path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "completed" and out["experiment"] == "esr-sweep"
    assert out["results"]["g_factor"]["value"] == pytest.approx(outcome.info.results["g_factor"].value)
    assert Path(out["plot"]).exists()
