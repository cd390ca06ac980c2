"""Peak picking on the main window's live/finished plot (the Peaks dock): after a simulated ESR
sweep, the one line's zero crossing gives g = h f / (mu_B B) with the run's own frequency,
agreeing with the run's fitted g."""
from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from scipy.constants import h, physical_constants  # noqa: E402

from tests.test_gui_run import lab, settings, short_sweep, window  # noqa: E402,F401 - fixtures and helpers


def test_peaks_dock_on_the_finished_run(qtbot, window):
    win = window
    assert "Peaks" in win.docks
    short_sweep(qtbot, win, points=61)
    qtbot.waitUntil(lambda: win.run_panel.start_button.isEnabled(), timeout=5000)  # the form's lab check
    qtbot.mouseClick(win.run_panel.start_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: win.controller.state == "completed", timeout=30_000)
    f = win.peaks.frequency_hz()
    assert f == pytest.approx(win.controller.last_outcome.info.experiment.values["frequency"])
    (peak,) = win.peaks.find()
    g = float(win.peaks.table.item(0, 2).text())
    assert g == pytest.approx(h * f / (physical_constants["Bohr magneton"][0] * peak.position), abs=1e-6)
    assert g == pytest.approx(win.controller.last_outcome.info.results["g_factor"].value, abs=3e-4)
