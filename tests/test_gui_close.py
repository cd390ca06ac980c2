"""Ending a run from the window: closing during a run ends in the same confirmed safe state as
Abort, in both labs (in-process and served over the wire); the time left stands still while
paused; Start does not hand the keyboard focus to the simulation speed."""
from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

from PySide6 import QtWidgets  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402

from app.gui.run_controller import Progress, RunController  # noqa: E402
from app.labconfig import lab_from_file  # noqa: E402
from app.storage import read_run  # noqa: E402
from tests.served_helpers import sim_serve, stop  # noqa: E402
from tests.test_gui_run import click, open_window, settings, short_sweep, lab, window  # noqa: E402,F401 - fixtures


class FakeWall:
    """A wall clock the test moves by hand."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def close_during_run(qtbot, win) -> list[str]:
    """Start a short sweep, close the window after two points (answering yes), wait until it has
    closed; returns the status-bar messages shown meanwhile."""
    win.ask = lambda question: True
    shown: list[str] = []
    win.statusBar().messageChanged.connect(shown.append)
    click(qtbot, win, "start")
    qtbot.waitUntil(lambda: win.plot.n_points >= 2, timeout=20_000)
    assert win.controller.busy
    win.close()
    assert not win._closed and win.controller.state == "aborting"  # closing waits for the lab
    qtbot.waitUntil(lambda: win._closed, timeout=60_000)
    return shown


@pytest.mark.slow
def test_close_during_a_run_in_process_leaves_zero_field_and_rf_off(qtbot, lab, world, settings, tmp_path):
    win = open_window(qtbot, lab, settings, tmp_path, speed=2.0)
    short_sweep(qtbot, win, points=201)
    shown = close_during_run(qtbot, win)
    assert any(m.startswith("Closing when the lab is safe") for m in shown)
    m = world.magnet
    assert m.current == 0.0 and m.target_current == 0.0  # the supply is at exactly 0 A
    assert m.true_field == 0.0 and not world.microwave.output and world.is_safe()
    outcome = win.controller.last_outcome
    assert outcome.info.status == "aborted" and outcome.info.safe_state_errors == []
    assert read_run(outcome.path).status == "aborted"


@pytest.mark.slow
def test_close_during_a_run_over_the_wire_counts_down_and_leaves_zero_field(qtbot, settings, tmp_path):
    """The served lab ramps in real time (100 mT/s here), so the safe ramp is long enough to watch:
    the run panel counts it down, and the window closes only when it has ended."""
    proc, toml = sim_serve(tmp_path)
    try:
        lab = lab_from_file(toml)
        win = open_window(qtbot, lab, settings, tmp_path, speed=1.0)
        short_sweep(qtbot, win, points=201)
        countdowns: list[str] = []
        win.statusBar().messageChanged.connect(
            lambda text: countdowns.append(text) if "ramping field to zero" in text else None)
        close_during_run(qtbot, win)
        assert countdowns and "mT" in countdowns[0] and "left" in countdowns[0]
        outcome = win.controller.last_outcome
        assert outcome.info.status == "aborted" and outcome.info.safe_state_errors == []
        check = lab_from_file(toml)  # a new connection asks the served instruments
        try:
            assert check.field.field == 0.0 and check.field.setpoint == 0.0
            assert check.rf.output is False
            # the Hall probe sees the true field (1 uT noise): no remanent -30 uT left behind
            assert abs(check.gaussmeter.read_field()) < 5e-6
        finally:
            check.close()
    finally:
        stop(proc)


def test_time_left_stands_still_while_paused(world):
    from app.simlab import build_sim_lab

    wall = FakeWall()
    controller = RunController(build_sim_lab(world))
    controller.wall = wall
    controller.progress = Progress(10, 40, clock=wall)
    controller.state = "running"
    wall.t += 20.0  # 10 points in 20 s: 30 points left, 60 s
    assert controller.progress.time_left() == pytest.approx(60.0)
    controller._set_state("paused")
    wall.t += 500.0
    assert controller.progress.time_left() == pytest.approx(60.0)  # paused time is not run time
    controller._set_state("running")
    assert controller.progress.time_left() == pytest.approx(60.0)
    controller.progress.done = 20
    wall.t += 20.0  # 20 points in 40 s of running
    assert controller.progress.time_left() == pytest.approx(40.0)


def test_start_keeps_the_focus_off_the_simulation_speed(qtbot, window, world):
    win = window
    short_sweep(qtbot, win, points=201)
    win.run_panel.speed.setValue(1.0)
    win.activateWindow()
    start = win.findChild(QtWidgets.QPushButton, "start")
    start.setFocus()
    qtbot.waitUntil(start.hasFocus, timeout=5000)
    qtbot.keyClick(start, Qt.Key_Space)  # Start from the keyboard
    qtbot.waitUntil(lambda: win.controller.busy and not start.isEnabled(), timeout=5000)
    focused = QtWidgets.QApplication.focusWidget()
    assert focused is not None and not win.run_panel.speed.isAncestorOf(focused) and focused is not win.run_panel.speed
    qtbot.keyClicks(focused, "7")  # a stray digit
    assert win.run_panel.speed.value() == 1.0 and win.controller.speed == 1.0
    win.controller.abort()  # pressed at once after Start: not lost while the engine starts
    qtbot.waitUntil(lambda: not win.controller.busy, timeout=10_000)
    assert win.controller.state == "aborted" and world.is_safe()

