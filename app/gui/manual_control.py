"""Manual instrument control: set one quantity of one role by hand, between runs.

The text is read by the same quantity parser as the experiment form (a bare number is in the
display unit shown beside the field; '0.3 T', '-10 dBm' work too), and the value goes through the
role's own setter, whose range is the instrument's range intersected with the lab's limits: a
value outside them raises LimitError before anything is sent, and the message names the
quantity, the value and the allowed range. Disabled while a run owns the instruments.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from app.gui import theme
from app.gui._qt import QtWidgets
from drivers.errors import LimitError
from drivers.lab import Lab
from units.display import format_quantity
from units.quantity import parse_quantity



@dataclass(frozen=True)
class Control:
    """One settable quantity: the role, how to set it, its SI unit and the unit a bare number means."""

    label: str
    role: str
    attribute: str
    unit: str
    display: str

    def apply(self, instrument: Any, value: float) -> None:
        if self.attribute == "set_setpoint":  # temperature controllers set per loop
            instrument.set_setpoint(value)
        else:
            setattr(instrument, self.attribute, value)


CONTROLS = (
    Control("field setpoint", "field", "setpoint", "T", "mT"),
    Control("RF frequency", "rf", "frequency", "Hz", "GHz"),
    Control("RF power", "rf", "power", "W", "mW"),
    Control("lock-in sensitivity", "lockin", "sensitivity", "V", "mV"),
    Control("lock-in time constant", "lockin", "time_constant", "s", "ms"),
    Control("temperature setpoint", "temperature", "set_setpoint", "K", "K"),
)


def set_by_hand(lab: Lab, control: Control, text: str, io_lock: threading.Lock) -> str:
    """Parse ``text`` and set it; returns what was done. Raises ValueError (LimitError included)
    with a one-line message naming what is wrong and what is accepted."""
    instrument = lab.instruments.get(control.role)
    if instrument is None:
        raise ValueError(f"{control.label}: this lab has no {control.role} instrument")
    value = parse_quantity(text, control.unit, bare=control.display, name=control.label)
    with io_lock:  # not while the poller talks to the instruments
        control.apply(instrument, value)
    return f"{control.label} set to {format_quantity(value, control.unit, 6)}"


class ManualControl(QtWidgets.QGroupBox):
    """A quantity chooser, a value field and Set; the result or the reason it was refused below."""

    def __init__(self, lab: Lab | None, io_lock: threading.Lock, parent: QtWidgets.QWidget | None = None):
        super().__init__("Set by hand (within the lab's limits)", parent)
        self.lab, self.io_lock = lab, io_lock
        self.choice = QtWidgets.QComboBox()
        self.choice.setObjectName("manual_choice")
        for c in CONTROLS:
            self.choice.addItem(f"{c.label} [{c.display}]", c)
        self.value = QtWidgets.QLineEdit()
        self.value.setObjectName("manual_value")
        self.value.setPlaceholderText("value")
        self.value.setToolTip("a bare number is in the unit shown; '0.3 T' or '300 mT' work too")
        self.value.returnPressed.connect(self.apply)
        self.set_button = QtWidgets.QPushButton("Set")
        self.set_button.setObjectName("manual_set")
        self.set_button.clicked.connect(self.apply)
        self.message = QtWidgets.QLabel("")
        self.message.setObjectName("manual_message")
        self.message.setWordWrap(True)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.choice)
        row.addWidget(self.value, 1)
        row.addWidget(self.set_button)
        lay = QtWidgets.QVBoxLayout(self)
        lay.addLayout(row)
        lay.addWidget(self.message)
        self.set_lab(lab)

    def set_lab(self, lab: Lab | None) -> None:
        self.lab = lab
        self.setEnabled(lab is not None)

    def apply(self) -> bool:
        """Set the chosen quantity; False (with the reason shown) when refused."""
        if self.lab is None or not self.isEnabled():
            return False
        control: Control = self.choice.currentData()
        try:
            done = set_by_hand(self.lab, control, self.value.text(), self.io_lock)
        except (ValueError, LimitError) as exc:
            self.message.setStyleSheet(theme.error_style())
            self.message.setText(f"Not set: {exc}")
            return False
        except Exception as exc:  # an instrument error: shown, never raised into Qt
            self.message.setStyleSheet(theme.error_style())
            self.message.setText(f"Not set: {type(exc).__name__}: {exc}")
            return False
        self.message.setStyleSheet("")
        self.message.setText(done)
        return True
