"""The other panels (instruments, data browser, log, live-plot cursor/export, sequence, magnet
designer, CLI) against the simulated lab and real run files."""
from __future__ import annotations

import os
import threading

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from PySide6 import QtGui  # noqa: E402

import app.simlab  # noqa: E402
from app.gui.data_browser import DataBrowser  # noqa: E402
from app.gui.instruments_panel import InstrumentPoller, InstrumentsPanel  # noqa: E402
from app.gui.live_plot import LivePlot  # noqa: E402
from app.gui.log_panel import LogPanel  # noqa: E402
from app.gui.magnet_panel import MagnetPanel  # noqa: E402
from app.gui.sequence_panel import SequencePanel  # noqa: E402
from app.runner import run_experiment  # noqa: E402
from app.storage import read_run  # noqa: E402
from sequences.experiments import EsrFieldSweep  # noqa: E402


@pytest.fixture
def esr_lab(world):
    return app.simlab.build_sim_lab(world)  # the lab ``spinbench gui --sim`` opens


@pytest.fixture
def two_scan_file(esr_lab, tmp_path):
    exp = EsrFieldSweep(points=41, scans=2, field_start=0.3375, field_stop=0.34, ramp_rate=0.1)
    return run_experiment(exp, esr_lab, tmp_path / "runs", plot=False)


class PollTicks:
    """Stands in for the poller's stop event: each ``wait`` is one poll period, released by the
    test (``go``); ``waits`` counts the periods the loop has reached."""

    def __init__(self) -> None:
        self.waits, self.go, self.stopped = threading.Semaphore(0), threading.Semaphore(0), False

    def is_set(self) -> bool:
        return self.stopped

    def wait(self, timeout=None) -> bool:
        self.waits.release()
        self.go.acquire()
        return self.stopped

    def set(self) -> None:
        self.stopped = True
        self.go.release()


def test_instruments_panel_shows_identities_readings_and_inline_errors(qtbot, esr_lab, world):
    esr_lab.field.ramp_rate = 0.1
    esr_lab.field.ramp_to(0.25)  # the world's magnet is now at 250 mT
    poller = InstrumentPoller(esr_lab, threading.Lock(), period=0.05)
    panel = InstrumentsPanel(esr_lab, poller)
    qtbot.addWidget(panel)
    poller.start()
    try:
        # one poll emits role by role: wait for the last role polled, not just the field
        qtbot.waitUntil(lambda: panel.reading_text("field", "field") != ""
                        and panel.reading_text("temperature", "temperature") != "", timeout=5000)
        assert panel.reading_text("field", "field") == "250 mT"
        assert panel.items["lockin"].text(1).endswith(esr_lab.lockin.identity())
        temp = float(panel.reading_text("temperature", "temperature").split()[0])
        assert temp == pytest.approx(world.temperature, abs=0.05)
        assert panel.items["rf"].text(2) == "connected"
        esr_lab.lockin.fail_after = 0  # the simulated lock-in stops answering
        qtbot.waitUntil(lambda: panel.items["lockin"].text(2) == "error", timeout=5000)
        assert "simulated fault" in panel.items["lockin"].text(1)
        assert panel.items["field"].text(2) == "connected"  # the others carry on
        esr_lab.lockin.fail_after = None
        qtbot.waitUntil(lambda: panel.items["lockin"].text(2) == "connected", timeout=5000)
        # while a run owns the instruments the poller stays off them: its waits between polls
        # are driven by hand from here, so "several poll periods" need no wall-clock sleep
        poller.suspended.set()
        ticks = PollTicks()
        poller._stop = ticks
        assert ticks.waits.acquire(timeout=10)  # the loop is between polls (any poll in flight is done)
        n = len(world.command_log)
        for _ in range(3):
            ticks.go.release()  # one poll period passes
            assert ticks.waits.acquire(timeout=10)
        assert len(world.command_log) == n
    finally:
        poller.stop()


@pytest.mark.slow
def test_data_browser_lists_opens_replots_and_reanalyses(qtbot, two_scan_file, tmp_path):
    browser = DataBrowser(tmp_path / "runs")
    qtbot.addWidget(browser)
    assert browser.files.count() == 1
    with qtbot.waitSignal(browser.loaded, timeout=10_000):
        browser.open(two_scan_file.path)
    keys = {browser.meta.topLevelItem(i).text(0): browser.meta.topLevelItem(i) for i in range(browser.meta.topLevelItemCount())}
    assert keys["status"].text(1) == "completed" and keys["experiment"].text(1) == "esr-sweep"
    assert "instruments" in keys and "parameters" in keys
    assert browser.plot.n_points == 82 and browser.plot.average.complete_scans == 2
    stored = two_scan_file.info.results
    with qtbot.waitSignal(browser.analysed, timeout=10_000) as sig:
        browser.analyse_button.click()
    again = sig.args[0]
    assert again["g_factor"].value == pytest.approx(stored["g_factor"].value, rel=1e-9)
    assert browser.plot.fit_curve is not None
    browser.save_button.click()
    assert "saved" in browser.message.text()
    assert read_run(two_scan_file.path).results["g_factor"].value == pytest.approx(again["g_factor"].value)


@pytest.mark.slow
def test_live_plot_cursor_readout_map_and_png_export(qtbot, two_scan_file, tmp_path):
    run = read_run(two_scan_file.path)
    plot = LivePlot()
    qtbot.addWidget(plot)
    plot.resize(900, 650)
    plot.show()
    exp = EsrFieldSweep(**{k: v for k, v in run.parameters.items()})
    plot.load_run(exp, run)
    b_res = run.results["resonance_field"].value
    i = int(np.argmin(np.abs(plot.average.mean("field") - (b_res + 0.3e-3))))
    x_at = plot.average.mean("field")[i]
    plot.place_cursor(x_at)
    assert plot.values_at(x_at)["x"] == pytest.approx(plot.average.mean("x")[i])
    assert "cursor field" in plot.readout.text() and "mT" in plot.readout.text()
    assert plot.map_plot.isVisible() and plot.grid.filled().shape == (2, 41)
    path = plot.export_png(tmp_path / "out" / "plot.png")
    image = QtGui.QImage(str(path))
    assert not image.isNull() and image.width() > 400 and image.height() > 300


def test_log_panel_filters_by_text_and_source(qtbot, esr_lab, world):
    log = LogPanel()
    qtbot.addWidget(log)
    log.watch_world(world)
    esr_lab.field.setpoint = 0.1
    esr_lab.rf.output = True
    log.engine("run started: esr-sweep")
    log.flush()
    lines = log.visible_lines()
    assert any("field: FIELD 0.1" in ln for ln in lines) and any("rf: OUTP 1" in ln for ln in lines)
    log.filter.setText("outp")
    assert [ln for ln in log.visible_lines()] and all("OUTP" in ln for ln in log.visible_lines())
    log.filter.setText("")
    log.source_boxes["instrument"].setChecked(False)
    assert log.visible_lines() == [ln for ln in log.visible_lines() if " engine " in ln]
    assert any("run started" in ln for ln in log.visible_lines())
    log.close_handlers()


def test_sequence_panel_says_what_it_can_show(qtbot):
    panel = SequencePanel()
    qtbot.addWidget(panel)
    panel.set_experiment(EsrFieldSweep())
    panel.redraw()
    assert "no pulse sequence" in panel.message.text()  # a cw experiment has none


@pytest.mark.slow
def test_live_plot_ranges_onto_microsecond_delays(qtbot):
    """Pulsed runs plot against delays ~1e-7 s (pyqtgraph's auto-downsampling alone never ranged
    onto such data)."""
    from app.engine import MemoryCollector, RunEngine
    from sequences.experiments import EXPERIMENTS

    lab = app.simlab.build_sim_lab()
    exp = EXPERIMENTS["t2-hahn"]()
    collector = MemoryCollector()
    info = RunEngine(lab).run(exp, [collector])
    plot = LivePlot()
    qtbot.addWidget(plot)
    plot.resize(800, 600)
    plot.show()
    plot.configure(exp)
    plot.add_rows(collector.rows)
    plot.refresh()
    plot.show_results(info.results)
    qtbot.wait(50)
    x = np.array([r[plot.spec.x] for r in collector.rows])
    lo, hi = plot.plot.viewRange()[0]
    assert lo <= x.min() and hi >= x.max() and hi - lo < 10 * (x.max() - x.min())
    assert plot.map_plot.isVisible() and plot.grid.filled().shape[0] == len(collector.rows)
    assert plot.trace_curves and plot.fit_curve is not None


def test_magnet_designer_matches_the_ring_closed_form(qtbot):
    from magnets.closed_forms import ring_centre_field
    from magnets.materials import material

    panel = MagnetPanel()
    qtbot.addWidget(panel)
    panel.rings.setValue(1)
    panel.n.setValue(16)
    panel.compute()
    qtbot.waitUntil(lambda: panel.report is not None and panel._generation == 1, timeout=10_000)
    expected = ring_centre_field(16, material("N42").br, 0.012**3, 0.045)
    assert panel.report.b0 == pytest.approx(expected, rel=1e-6)  # point dipoles: the same sum
    assert panel.report.report.n_magnets == 16 and "B0 (centre)" in panel.result.text()
    assert panel.report.report.drift.ppm_per_k < 0  # NdFeB loses field when warm
    panel.radius.setValue(10.0)  # 16 cubes of 12 mm cannot sit on a 10 mm circle
    panel.compute()
    qtbot.waitUntil(lambda: "overlap" in panel.message.text(), timeout=10_000)


def test_cli_registers_the_gui_subcommand():
    from app.cli import build_parser

    args = build_parser().parse_args(["gui", "--sim", "--speed", "3"])
    assert args.func.__name__ == "cmd_gui" and args.speed == 3.0 and args.sim
    with pytest.raises(SystemExit):
        build_parser().parse_args(["gui", "--sim", "--config", "lab.toml"])
