"""The lab GUI driven as a user would (pytest-qt, offscreen) against the simulated lab."""
from __future__ import annotations

import os
import threading

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from PySide6 import QtWidgets  # noqa: E402
from PySide6.QtCore import QSettings, Qt  # noqa: E402

from app.gui.main_window import MainWindow  # noqa: E402
from app.simlab import build_sim_lab  # noqa: E402
from app.storage import read_run  # noqa: E402


@pytest.fixture
def lab(world):
    """The lab ``spinbench gui --sim`` opens."""
    return build_sim_lab(world)


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "gui.ini"), QSettings.IniFormat)


@pytest.fixture
def window(qtbot, tmp_path, lab, settings):
    win = MainWindow(lambda: lab, out_dir=tmp_path / "runs", settings=settings, speed=0, poll_period=0.2)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.ask = lambda question: True  # never leave a modal dialog open in a test
    yield win
    if win.controller.busy:
        win.controller.abort()
        qtbot.waitUntil(lambda: not win.controller.busy, timeout=5000)
    win.close()


def open_window(qtbot, lab, settings, tmp_path, speed: float) -> MainWindow:
    """A shown main window on ``lab`` writing runs under ``tmp_path``."""
    win = MainWindow(lambda: lab, out_dir=tmp_path / "runs", settings=settings, speed=speed, poll_period=0.2)
    qtbot.addWidget(win)
    win.show()
    return win


def settled(qtbot, win) -> None:
    """Wait for the form's background check against the lab (it runs off the GUI thread)."""
    qtbot.waitUntil(lambda: not win.experiment_panel.checking, timeout=5000)


def type_into(qtbot, win, name: str, text: str) -> QtWidgets.QLineEdit:
    editor = win.findChild(QtWidgets.QLineEdit, f"param_{name}")
    assert editor is not None, f"no field for {name}"
    editor.selectAll()
    editor.clear()
    qtbot.keyClicks(editor, text)
    settled(qtbot, win)
    return editor


def choose(win, name: str) -> None:
    combo = win.findChild(QtWidgets.QComboBox, "experiment_choice")
    combo.setCurrentIndex(combo.findData(name))
    assert win.experiment_panel.cls.name == name


def short_sweep(qtbot, win, points: int = 51) -> None:
    choose(win, "esr-sweep")
    type_into(qtbot, win, "field_start", "337.5")  # display unit: mT
    type_into(qtbot, win, "field_stop", "0.34 T")  # any unit of field works
    type_into(qtbot, win, "points", str(points))
    type_into(qtbot, win, "scans", "1")
    type_into(qtbot, win, "ramp_rate", "100")  # mT/s: the lab's limit, short first ramp


def click(qtbot, win, name: str) -> None:
    button = win.findChild(QtWidgets.QPushButton, name)
    assert button.isEnabled(), f"{name} is disabled"
    qtbot.mouseClick(button, Qt.LeftButton)


@pytest.mark.slow
def test_esr_sweep_runs_live_and_writes_its_file(qtbot, window, world, tmp_path):
    win = window
    short_sweep(qtbot, win)
    assert win.experiment_panel.problems == []
    assert "Estimated duration" in win.findChild(QtWidgets.QLabel, "estimated_duration").text()
    win.run_panel.speed.setValue(5.0)  # paced: the run lasts about a second of wall time
    with qtbot.waitSignal(win.controller.run_finished, timeout=30_000) as finished:
        click(qtbot, win, "start")
        # points arrive in the plot while the run is still going
        qtbot.waitUntil(lambda: win.plot.n_points >= 3 and win.controller.state == "running", timeout=10_000)
        assert win.plot.curves["x"].xData is not None and len(win.plot.curves["x"].xData) >= 1
        assert win.findChild(QtWidgets.QLabel, "run_path").text().endswith(".h5")
    outcome, error = finished.args
    assert error == "" and outcome.info.status == "completed"
    assert outcome.path.exists() and outcome.path.parent == tmp_path / "runs"
    run = read_run(outcome.path)
    assert run.status == "completed" and len(run["x"]) == 51
    assert run.parameters["field_start"] == pytest.approx(0.3375)
    assert run.parameters["field_stop"] == pytest.approx(0.34)
    # every point reached the plot, and the plot shows the same numbers as the file
    qtbot.waitUntil(lambda: win.plot.n_points == 51, timeout=5000)
    win.plot.refresh()
    np.testing.assert_allclose(np.sort(win.plot.curves["x"].yData), np.sort(run["x"]))
    # fit overlay and results from the simulated sample (g = 2.0036)
    assert win.plot.fit_curve is not None
    assert win.plot.results.cell("g_factor", "value").startswith("2.003")
    assert run.results["g_factor"].value == pytest.approx(world.sample.g, abs=1e-3)
    assert world.is_safe()
    assert win.findChild(QtWidgets.QLabel, "run_state").text() == "completed"


class ResumeTicks:
    """Stands in for the engine's resume event while paused: each ``wait`` is one of its polls,
    released by the test (``go``) or by ``set`` (resume); ``waits`` counts the polls reached."""

    def __init__(self) -> None:
        self.waits, self.go = threading.Semaphore(0), threading.Semaphore(0)

    def wait(self, timeout=None) -> bool:
        self.waits.release()
        self.go.acquire()
        return False

    def set(self) -> None:
        self.go.release()

    def clear(self) -> None:
        pass


@pytest.mark.slow
def test_pause_stops_the_world_and_resume_finishes_without_double_points(qtbot, window, world):
    win = window
    short_sweep(qtbot, win, points=41)
    win.run_panel.speed.setValue(3.0)
    ticks = ResumeTicks()
    win.controller.engine._resume = ticks  # the paused engine's waits for resume, driven from here
    click(qtbot, win, "start")
    qtbot.waitUntil(lambda: win.plot.n_points >= 3, timeout=10_000)
    click(qtbot, win, "pause")
    qtbot.waitUntil(lambda: win.controller.state == "paused", timeout=5000)
    assert win.findChild(QtWidgets.QPushButton, "pause").text() == "Resume"
    assert ticks.waits.acquire(timeout=10)  # the plan stands at its checkpoint
    n, t_sim = win.controller.engine.current.points, world.clock.now()
    for _ in range(3):  # three of the engine's 50 ms resume polls pass
        ticks.go.release()
        assert ticks.waits.acquire(timeout=10)
    assert win.controller.engine.current.points == n and world.clock.now() == t_sim  # nothing moves while paused
    assert world.microwave.output  # paused, not aborted: the sample is still irradiated
    with qtbot.waitSignal(win.controller.run_finished, timeout=30_000) as finished:
        click(qtbot, win, "pause")  # the same button resumes
    outcome, _ = finished.args
    assert outcome.info.status == "completed"
    run = read_run(outcome.path)
    assert sorted(run["index"].astype(int)) == list(range(41))  # each field point exactly once
    assert world.is_safe()


@pytest.mark.slow
def test_abort_reaches_the_safe_state_at_the_next_point(qtbot, window, world):
    """Abort takes effect at once: the paced run's rest between points wakes on the abort event
    (tests/test_gui_model.py) and the plan stops before its next point or the one after, so the
    time to the safe state is one point's worth, not a wall-clock guess."""
    win = window
    short_sweep(qtbot, win, points=301)
    win.run_panel.speed.setValue(2.0)
    click(qtbot, win, "start")
    qtbot.waitUntil(lambda: win.plot.n_points >= 3, timeout=10_000)
    assert world.microwave.output and not world.is_safe()
    with qtbot.waitSignal(win.controller.run_finished, timeout=30_000) as finished:
        at_abort = win.controller.engine.current.points
        click(qtbot, win, "abort")
    assert world.is_safe()
    outcome, _ = finished.args
    assert outcome.info.points <= at_abort + 2
    assert outcome.info.status == "aborted" and outcome.info.safe_state_errors == []
    assert read_run(outcome.path).status == "aborted"
    assert 0 < outcome.info.points < 301
    assert world.is_safe()


def test_invalid_parameter_shows_inline_error_and_nothing_starts(qtbot, window, world, tmp_path):
    win = window
    choose(win, "esr-sweep")
    editor = type_into(qtbot, win, "field_start", "abc")
    error = win.findChild(QtWidgets.QLabel, "error_field_start")
    assert error.isVisible() and "cannot read 'abc'" in error.text()
    assert "b00020" in editor.styleSheet()
    start = win.findChild(QtWidgets.QPushButton, "start")
    assert not start.isEnabled()
    assert win.run_panel.start() is False  # the menu / F5 path is refused too
    assert "Not started" in win.findChild(QtWidgets.QLabel, "run_message").text()
    # out of the parameter's range: the message gives the range
    type_into(qtbot, win, "field_start", "5 T")
    assert "outside" in error.text() and "T" in error.text()
    # valid field, but beyond the lab's RF power limit: a form-level problem
    type_into(qtbot, win, "field_start", "337")
    assert not error.isVisible()
    type_into(qtbot, win, "power", "500")  # mW
    problems = win.findChild(QtWidgets.QLabel, "form_problems").text()
    assert "max RF power" in problems and not start.isEnabled()
    type_into(qtbot, win, "power", "1")
    type_into(qtbot, win, "field_stop", "337")  # nothing to sweep
    assert "nothing to sweep" in win.findChild(QtWidgets.QLabel, "form_problems").text()
    assert not start.isEnabled()
    assert win.controller.state == "idle" and win.controller._thread is None  # no run was ever started
    assert not (tmp_path / "runs").exists() or not list((tmp_path / "runs").glob("*.h5"))
    # the idle poller only queried: no instrument was set
    assert all("?" in cmd for _, _, cmd in world.command_log), world.command_log[:5]
    assert not world.microwave.output
    type_into(qtbot, win, "field_stop", "340")
    assert start.isEnabled()


@pytest.mark.slow
def test_queue_runs_each_entry_with_its_parameters(qtbot, window):
    win = window
    short_sweep(qtbot, win, points=11)
    qtbot.mouseClick(win.run_panel.add_button, Qt.LeftButton)
    type_into(qtbot, win, "points", "15")
    qtbot.mouseClick(win.run_panel.add_button, Qt.LeftButton)
    assert win.run_panel.queue_list.count() == 2
    assert "points=15" in win.run_panel.queue_list.item(1).text()
    qtbot.mouseClick(win.run_panel.run_queue_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: not win.controller.busy and not win.controller.queue
                    and len(list(win.controller.out_dir.glob("*.h5"))) == 2, timeout=30_000)
    files = sorted(win.controller.out_dir.glob("*.h5"))
    assert sorted(len(read_run(f)["x"]) for f in files) == [11, 15]
    assert win.run_panel.queue_list.count() == 0


@pytest.mark.slow
def test_closing_during_a_run_asks_then_aborts_safely(qtbot, lab, world, settings, tmp_path):
    win = open_window(qtbot, lab, settings, tmp_path, speed=2.0)
    short_sweep(qtbot, win, points=301)
    questions: list[str] = []
    answers = iter([False, True])
    win.ask = lambda q: questions.append(q) or next(answers)
    click(qtbot, win, "start")
    qtbot.waitUntil(lambda: win.plot.n_points >= 2, timeout=10_000)
    win.close()  # answered "no": keeps running
    assert win.isVisible() and win.controller.busy
    win.close()  # answered "yes": abort, then close when the lab is safe
    qtbot.waitUntil(lambda: win._closed, timeout=5000)
    assert len(questions) == 2 and "in progress" in questions[0]
    assert world.is_safe()
    assert read_run(win.controller.last_outcome.path).status == "aborted"


@pytest.mark.slow
def test_settings_and_layout_persist(qtbot, lab, settings, tmp_path):
    win = MainWindow(lambda: lab, out_dir=tmp_path / "runs", settings=settings, speed=0)
    win.ask = lambda question: True
    qtbot.addWidget(win)
    win.show()
    choose(win, "esr-sweep")
    type_into(qtbot, win, "points", "77")
    win.docks["Magnet designer"].hide()
    win.run_panel.speed.setValue(7.5)
    win.close()
    again = MainWindow(lambda: lab, settings=settings)
    again.ask = lambda question: True
    qtbot.addWidget(again)
    again.show()
    assert again.experiment_panel.cls.name == "esr-sweep"
    assert again.findChild(QtWidgets.QLineEdit, "param_points").text() == "77"
    assert again.controller.speed == 7.5 and again.controller.out_dir == tmp_path / "runs"
    assert not again.docks["Magnet designer"].isVisible()
    assert again.docks["Experiment"].isVisible()
    again.close()
