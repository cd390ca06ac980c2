"""The data browser's tools: processing (channel, baseline, double integral), peak picking with
g, export to CSV/BES3T, notes edited after the run, foreign files in the Compare tab, and the
open dialog's per-format filters. References: closed forms of a Gaussian derivative line
(its double integral is the line's area), g = h f / (mu_B B), and the run file read with h5py."""
from __future__ import annotations

import json
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from scipy.constants import h, physical_constants  # noqa: E402

import app.simlab  # noqa: E402
from app.gui.data_browser import DataBrowser, open_filters  # noqa: E402
from app.runner import run_experiment  # noqa: E402
from formats import load  # noqa: E402
from sequences.experiments import EsrFieldSweep  # noqa: E402

MU_B = physical_constants["Bohr magneton"][0]
B0, SIGMA, AREA, F = 0.3390, 0.3e-3, 1e-7, 9.5e9  # T, T, V T, Hz
SECOND = 0.3420  # T: a second, weaker line for peak picking


def gaussian_derivative(b, centre, area):
    absorption = area / (SIGMA * np.sqrt(2 * np.pi)) * np.exp(-(b - centre) ** 2 / (2 * SIGMA ** 2))
    return -(b - centre) / SIGMA ** 2 * absorption


@pytest.fixture
def line_file(tmp_path):
    """A text spectrum (field in mT, as a user's CSV would be): a Gaussian derivative line on a
    sloping baseline, a weaker second line, a little noise, and the microwave frequency."""
    rng = np.random.default_rng(7)
    b = np.linspace(B0 - 10e-3, B0 + 10e-3, 801)
    y = gaussian_derivative(b, B0, AREA) + gaussian_derivative(b, SECOND, AREA / 3)
    y += 2e-3 + 0.5 * (b - B0) + rng.normal(0, 2e-4 * np.ptp(y), b.size)
    path = tmp_path / "two_lines.txt"
    with path.open("w") as fh:
        fh.write(f"# Frequency: {F / 1e9} GHz\nField [mT], Intensity [V]\n")
        fh.writelines(f"{float(x) * 1e3!r}, {float(v)!r}\n" for x, v in zip(b, y))
    return path


@pytest.fixture
def browser(qtbot, tmp_path):
    w = DataBrowser(tmp_path)
    qtbot.addWidget(w)
    w.resize(1400, 800)
    w.show()
    return w


def open_in(qtbot, browser, path):
    with qtbot.waitSignal(browser.loaded, timeout=20_000):
        browser.open(path)


def process(qtbot, browser, channel, baseline):
    p = browser.processing
    p.channel.setCurrentIndex(p.channel.findData(channel))
    p.baseline.setCurrentIndex(p.baseline.findData(baseline))
    with qtbot.waitSignal(p.processed, timeout=20_000) as got:
        p.process_button.click()
    return got.args[1]


def test_baseline_and_double_integral_of_a_foreign_file(qtbot, browser, line_file):
    open_in(qtbot, browser, line_file)
    assert browser.processing.process_button.isEnabled()
    raw = process(qtbot, browser, "x", None).results["double_integral_numeric"].value
    done = process(qtbot, browser, "x", 1)
    di = done.results["double_integral_numeric"]
    # the double integral of a derivative line is the area of the absorption: both lines
    assert di.value == pytest.approx(AREA * 4 / 3, rel=0.03)
    assert abs(raw / (AREA * 4 / 3) - 1) > 0.3  # the sloping baseline spoils it unless removed
    assert "double integral" in browser.processing.message.text()
    shown = browser.plot.curves["Intensity"]
    assert abs(np.median(shown.yData[:50])) < 0.01 * np.ptp(shown.yData)  # drawn with the baseline off


def test_peaks_of_a_foreign_file_with_g_from_its_frequency(qtbot, browser, line_file):
    open_in(qtbot, browser, line_file)
    peaks = browser.peaks
    assert peaks.frequency_hz() == pytest.approx(F)  # taken from the file
    found = peaks.find()
    assert [p.position for p in found] == pytest.approx([B0, SECOND], abs=0.2 * 25e-6)  # a fifth of a step
    assert peaks.table.rowCount() == 2
    for row, centre in enumerate((B0, SECOND)):
        assert float(peaks.table.item(row, 2).text()) == pytest.approx(h * F / (MU_B * centre), abs=2e-5)
        assert peaks.table.item(row, 1).text().endswith("mT")
    assert peaks.markers is not None and len(peaks.markers.data) == 2
    peaks.table.cellDoubleClicked.emit(1, 0)  # double-click puts cursor A on the peak
    assert browser.plot.area.cursor_x() == pytest.approx(found[1].position)
    assert "Intensity = " in browser.plot.readout.text()  # the read-out names the file's trace


@pytest.fixture(scope="module")
def esr_run(tmp_path_factory):
    from sim_backend.world import SimulatedWorld

    lab = app.simlab.build_sim_lab(SimulatedWorld(seed=1))
    exp = EsrFieldSweep(points=81, scans=1, field_start=0.3375, field_stop=0.34, ramp_rate=0.1)
    return run_experiment(exp, lab, tmp_path_factory.mktemp("runs"), plot=False)


def test_run_processing_peaks_notes_and_export(qtbot, browser, esr_run, tmp_path):
    open_in(qtbot, browser, esr_run.path)
    fitted = esr_run.info.results["g_factor"].value  # the run's own analysis
    with h5py.File(esr_run.path, "r") as f:
        f_mw = json.loads(f["metadata"].attrs["parameters"])["frequency"]
    assert browser.peaks.frequency_hz() == pytest.approx(f_mw)
    (peak,) = browser.peaks.find()
    g_peak = float(browser.peaks.table.item(0, 2).text())
    assert g_peak == pytest.approx(h * f_mw / (MU_B * peak.position), abs=1e-6)
    assert g_peak == pytest.approx(fitted, abs=3e-4)  # zero crossing vs fit: within ~a field step

    browser.processing.phase.setValue(30.0)  # turned by hand: X cos(phi) + Y sin(phi) of the file
    process(qtbot, browser, "x", None)
    mean = lambda v: np.array([v[index == i].mean() for i in range(81)])  # noqa: E731
    with h5py.File(esr_run.path, "r") as f:
        index, x_col, y_col = (f["data"][k][()] for k in ("index", "x", "y"))
    shown = browser.plot.curves["lock-in"].yData
    turned = mean(x_col) * np.cos(np.radians(30)) + mean(y_col) * np.sin(np.radians(30))
    assert np.sort(shown) == pytest.approx(np.sort(turned), rel=1e-9, abs=1e-15)
    assert "at 30 deg" in browser.processing.message.text()
    browser.processing.phase.setValue(0.0)

    assert browser.processing.trace.isHidden()  # one spectrum: nothing to choose
    out = process(qtbot, browser, "auto", 0)
    assert out.results["g_factor"].value == pytest.approx(fitted, abs=3 * out.results["g_factor"].error + 1e-4)

    browser.tools.setCurrentIndex(3)
    browser.notes.sample_name.setText("DPPH")
    browser.notes.details.setPlainText("tube = 4 mm")
    browser.notes.notes.setPlainText("phase looked off by 3 deg")
    assert browser.save_notes_button.isEnabled()
    browser.save_notes_button.click()
    with h5py.File(esr_run.path, "r") as f:
        assert json.loads(f["metadata"].attrs["notes"]) == "phase looked off by 3 deg"
        assert json.loads(f["metadata"].attrs["sample"]) == {"name": "DPPH", "tube": "4 mm"}
        index, field, x = (f["data"][k][()] for k in ("index", "field", "x"))
    open_in(qtbot, browser, esr_run.path)  # read back into the form
    assert browser.notes.sample_name.text() == "DPPH"

    (dsc,) = browser.processing.export("bes3t", tmp_path / "out")
    (csv,) = browser.processing.export("csv", tmp_path / "out")
    d = load(dsc)
    assert d.x.unit == "T" and len(d.x) == 81
    assert np.sort(np.real(d.data)) == pytest.approx(np.sort(x), rel=1e-6)  # one scan: the points themselves
    assert load(csv).x.values == pytest.approx(field, rel=1e-9)


def test_foreign_file_and_run_overlaid_in_compare(qtbot, browser, line_file, esr_run):
    open_in(qtbot, browser, line_file)
    assert browser.compare_button.isEnabled()
    browser.compare_button.click()
    open_in(qtbot, browser, esr_run.path)
    browser.compare_button.click()
    cmp = browser.compare
    assert (cmp.x.currentText(), cmp.y.currentText()) == ("field", "x")
    assert [s.label for s in cmp.shown] == ["two_lines.txt", esr_run.path.stem]
    assert cmp.shown[0].x.min() == pytest.approx(B0 - 10e-3)  # in T, converted from the file's mT
    assert "T" in cmp.plot.getAxis("bottom").labelString()
    cmp.norm.setChecked(True)
    assert all(np.nanmax(np.abs(s.y)) == pytest.approx(1) for s in cmp.shown)


def test_open_dialog_offers_every_format():
    filters = open_filters().split(";;")
    assert filters[0].startswith("runs and spectra (*.h5 ")
    for pattern in ("*.dsc", "*.spc", "*.xml", "*.d01", "acqus", "*.csv"):
        assert any(pattern in f for f in filters[2:]), pattern


def test_a_series_run_is_processed_one_spectrum_at_a_time(qtbot, browser, tmp_path):
    from sequences.experiments import get_experiment
    from sim_backend.world import SimulatedWorld

    lab = app.simlab.build_sim_lab(SimulatedWorld(seed=2))
    run = run_experiment(get_experiment("power-saturation")(n_powers=3, points=41), lab, tmp_path / "ps", plot=False)
    open_in(qtbot, browser, run.path)
    p = browser.processing
    assert not p.trace.isHidden() and p.trace.count() == 3
    assert p.trace.itemText(2) == "t002: power 100 mW"  # the variable that changes, with its unit
    p.trace.setCurrentIndex(2)
    process(qtbot, browser, "x", None)
    with h5py.File(run.path, "r") as f:
        trace, field_set, x = (f["data"][k][()] for k in ("trace", "field_set", "x"))
    mine = trace == 2
    expected = x[mine][np.argsort(field_set[mine], kind="stable")]
    assert browser.plot.curves["lock-in"].yData == pytest.approx(expected, rel=1e-12)
