"""Manual instrument control from the Instruments panel: within the lab's limits, read like the
form, refused with a clear message before anything is sent, off while a run owns the lab."""
from __future__ import annotations

import os
import threading

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

from app.gui.manual_control import CONTROLS, ManualControl  # noqa: E402


@pytest.fixture
def manual(qtbot, sim_lab):
    widget = ManualControl(sim_lab, threading.Lock())
    qtbot.addWidget(widget)
    return widget


def choose(widget, label: str) -> None:
    widget.choice.setCurrentIndex([c.label for c in CONTROLS].index(label))


def test_set_field_and_rf_by_hand_in_display_units(manual, sim_lab, world):
    choose(manual, "field setpoint")
    manual.value.setText("250")  # a bare number is mT, as in the form
    assert manual.apply() and "250 mT" in manual.message.text()
    assert world.magnet.target_current * world.magnet.tesla_per_amp == pytest.approx(0.25)
    choose(manual, "RF frequency")
    manual.value.setText("9.4 GHz")
    assert manual.apply() and world.microwave.frequency == pytest.approx(9.4e9)
    choose(manual, "lock-in time constant")
    manual.value.setText("30")  # ms
    assert manual.apply() and sim_lab.lockin.time_constant == pytest.approx(0.03)


def test_beyond_the_lab_limit_or_unreadable_is_refused_before_anything_is_sent(manual, sim_lab, world):
    sent = len(world.command_log)
    choose(manual, "RF power")
    manual.value.setText("500")  # mW, beyond the lab's max RF power
    assert not manual.apply()
    text = manual.message.text()
    assert text.startswith("Not set:") and "W" in text and "\n" not in text
    choose(manual, "field setpoint")
    manual.value.setText("12 T")
    assert not manual.apply() and "field" in manual.message.text()
    manual.value.setText("abc")
    assert not manual.apply() and "abc" in manual.message.text()
    assert len(world.command_log) == sent  # nothing reached an instrument


def test_manual_control_is_off_while_a_run_owns_the_instruments(qtbot, sim_lab):
    from app.gui.instruments_panel import InstrumentPoller, InstrumentsPanel

    panel = InstrumentsPanel(sim_lab, InstrumentPoller(sim_lab, threading.Lock(), period=10.0))
    qtbot.addWidget(panel)
    assert panel.manual.isEnabled()
    panel.set_run_active(True)
    assert not panel.manual.isEnabled() and panel.manual.apply() is False
    panel.set_run_active(False)
    assert panel.manual.isEnabled()
