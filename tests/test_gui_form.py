"""The experiment form and the queue as a user reads them: queue entries in display units,
Defaults leaves nothing marked as changed; the log's levels, clock and numbers."""
from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

from PySide6.QtCore import QSettings  # noqa: E402

from app.gui.experiment_panel import ExperimentPanel  # noqa: E402
from app.gui.run_controller import QueuedRun  # noqa: E402
from sequences.experiments import EXPERIMENTS  # noqa: E402


@pytest.fixture
def panel(qtbot, sim_lab, tmp_path):
    p = ExperimentPanel(EXPERIMENTS, sim_lab, QSettings(str(tmp_path / "gui.ini"), QSettings.IniFormat))
    qtbot.addWidget(p)
    return p


@pytest.mark.parametrize("name", ["t1", "esr-sweep", "fmr-map"])
def test_after_defaults_the_queue_entry_lists_no_changed_parameter(qtbot, panel, name):
    panel.select(name)
    assert panel.cls.name == name
    panel.reset_defaults()
    qtbot.waitUntil(lambda: not panel.checking, timeout=10_000)
    exp = panel.experiment()
    assert QueuedRun.of(exp).label == f"{name} (defaults)"


def test_queue_entry_shows_changed_values_in_display_units(sim_lab):
    from sequences.experiments import EsrFieldSweep

    label = QueuedRun.of(EsrFieldSweep(field_start=0.3375, points=41, power=2e-3)).label
    assert label.startswith("esr-sweep (") and "field_start=337.5 mT" in label and "power=2 mW" in label
    assert "points=41" in label and "field_stop" not in label  # defaults are not listed


def test_log_defaults_to_info_with_wall_clock_times_and_tidy_numbers(qtbot, sim_lab, world):
    import re

    from app.gui.log_panel import LogPanel

    log = LogPanel()
    qtbot.addWidget(log)
    log.watch_world(world)
    assert log.level.currentText() == "INFO"
    for _ in range(3):  # what the idle poller does: queries only
        sim_lab.gaussmeter.read_field()
    sim_lab.field.setpoint = 0.33565000000000006  # a sweep point with binary float noise
    log.flush()
    lines = log.visible_lines()
    assert len(lines) == 1 and "field: FIELD 0.33565 " in lines[0] + " "  # polling only at DEBUG
    assert re.match(r"\d\d:\d\d:\d\d\.\d{3} ", lines[0])  # the wall clock, not simulated time
    assert "simulated" in lines[0]
    log.level.setCurrentText("DEBUG")
    assert sum("RDGFIELD?" in ln for ln in log.visible_lines()) == 3
    log.close_handlers()


def test_results_table_digits_follow_the_uncertainty_in_the_axes_units(qtbot):
    from app.gui.results_table import ResultsTable
    from sequences.experiment import FitValue

    table = ResultsTable()
    qtbot.addWidget(table)
    table.show_results({"g_factor": FitValue(2.0036, 4.6019e-5, ""),
                        "resonance_field": FitValue(0.338767, 1.2e-6, "T"),
                        "amplitude_pp": FitValue(1.2345e-5, 3e-8, "V"),
                        "model": "lorentzian", "fit_curve": [0.0, 1.0]})
    assert (table.cell("g_factor", "value"), table.cell("g_factor", "uncertainty")) == ("2.003600", "4.6e-05")
    assert table.cell("resonance_field", "value") == "338.7670" and table.cell("resonance_field", "unit") == "mT"
    assert table.cell("resonance_field", "uncertainty") == "0.0012"
    assert table.cell("amplitude_pp", "unit") == "µV" and table.cell("amplitude_pp", "value") == "12.345"
    assert table.cell("fit_curve", "value") == ""  # arrays are drawn, not listed
    assert "model: lorentzian" in table.notes.text()


def test_presets_save_load_and_refuse_foreign_keys(qtbot, panel, tmp_path):
    panel.select("esr-sweep")
    panel.set_text("field_start", "337.5")
    panel.set_text("points", "41")
    path = panel.save_preset(tmp_path / "narrow.preset.toml")
    text = path.read_text()
    assert 'experiment = "esr-sweep"' in text and 'field_start = "337.5 mT"' in text
    panel.select("t1")
    panel.reset_defaults()
    assert panel.load_preset(path) and panel.cls.name == "esr-sweep"
    qtbot.waitUntil(lambda: not panel.checking, timeout=10_000)
    exp = panel.experiment()
    assert exp.field_start == pytest.approx(0.3375) and exp.points == 41
    bad = tmp_path / "bad.preset.toml"
    bad.write_text('experiment = "esr-sweep"\n[parameters]\nfield_strat = "1 mT"\n')
    assert not panel.load_preset(bad)
    assert "field_strat" in panel.preset_message.text() and str(bad) in panel.preset_message.text()
