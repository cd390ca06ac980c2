"""Instruments panel: each role's driver, address, connection state, identity, settings and live
readings, with errors shown in the row of the instrument that raised them.

Instruments are read by :class:`InstrumentPoller` in its own thread (a slow GPIB query never
freezes the window). While a run goes the poller stays off the instruments (one owner at a
time: the run's worker) and the readings come from the run's points instead.
"""
from __future__ import annotations

import math
import threading
from typing import Any, Callable

from app.gui import theme
from app.gui._qt import QObject, Qt, QtGui, QtWidgets, QTimer, Signal
from app.gui.manual_control import ManualControl
from units.display import format_quantity
from drivers.lab import Lab
from drivers.roles import FieldController, Gaussmeter, LockInAmplifier, RFSource, TemperatureController

#: Point columns that are live readings of a role while a run goes.
POINT_READINGS = {"field": ("field", "field", "T"), "x": ("lockin", "X", "V"), "y": ("lockin", "Y", "V"),
                  "temperature": ("temperature", "temperature", "K")}
SUFFIX_UNITS = {"Hz": "Hz", "T": "T", "W": "W", "V": "V", "s": "s", "K": "K", "deg": "deg", "T_per_s": "T/s",
                "A": "A", "m": "m", "N": "N"}


def read_role(inst: Any) -> dict[str, tuple[float, str]]:
    """The live readings of one instrument: name -> (SI value, unit)."""
    out: dict[str, tuple[float, str]] = {}
    if isinstance(inst, FieldController):
        out["setpoint"] = (inst.setpoint, "T")
        out["field"] = (inst.field, "T")
    if isinstance(inst, Gaussmeter):
        out["field"] = (inst.read_field(), "T")
    if isinstance(inst, TemperatureController):
        out["temperature"] = (inst.read_temperature(), "K")
    if isinstance(inst, LockInAmplifier):
        x, y = inst.read_xy()
        out["X"], out["Y"] = (x, "V"), (y, "V")
    if isinstance(inst, RFSource):
        out["frequency"] = (inst.frequency, "Hz")
        out["power"] = (inst.power, "W")
        out["output"] = (float(inst.output), "on/off")
    return out


def show(value: Any, unit: str) -> str:
    if unit == "on/off":
        return "on" if value else "off"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    return format_quantity(float(value), unit, 6) if math.isfinite(value) else str(value)


def setting_text(key: str, value: Any) -> tuple[str, str]:
    """('frequency_Hz', 9.5e9) -> ('frequency', '9.5 GHz')."""
    for suffix, unit in sorted(SUFFIX_UNITS.items(), key=lambda kv: -len(kv[0])):
        if key.endswith("_" + suffix) and isinstance(value, (int, float)) and not isinstance(value, bool):
            return key[: -len(suffix) - 1], show(value, unit)
    return key, str(value)


class InstrumentPoller(QObject):
    """Reads every instrument every ``period`` seconds in a daemon thread."""

    readings = Signal(str, object, str)  # role, {name: (value, unit)}, error text
    snapshot = Signal(str, str, object, str)  # role, identity, settings dict, error text

    def __init__(self, lab: Lab, io_lock: threading.Lock, period: float = 1.0):
        super().__init__()
        self.lab, self.io_lock, self.period = lab, io_lock, period
        self.suspended = threading.Event()  # set while a run owns the instruments
        self._stop = threading.Event()
        self._want_snapshot = threading.Event()
        self._want_snapshot.set()
        self._thread = threading.Thread(target=self._loop, name="instrument-poller", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2.0)

    def request_snapshot(self) -> None:
        self._want_snapshot.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            if not self.suspended.is_set():
                with self.io_lock:
                    if not self.suspended.is_set():
                        self.poll_once()
            self._stop.wait(self.period)

    def poll_once(self) -> None:
        lab = self.lab
        snap = self._want_snapshot.is_set()
        self._want_snapshot.clear()
        for role, inst in list(lab.instruments.items()):
            if self._stop.is_set() or self.suspended.is_set():
                return
            if snap:
                try:
                    self.snapshot.emit(role, inst.identity(), inst.snapshot(), "")
                except Exception as exc:
                    self.snapshot.emit(role, "", {}, f"{type(exc).__name__}: {exc}")
            try:
                self.readings.emit(role, read_role(inst), "")
            except Exception as exc:  # shown in the row; the next poll tries again
                self.readings.emit(role, {}, f"{type(exc).__name__}: {exc}")


#: The run's readings in the tree are updated at most this often (ms).
POINT_READOUT_MS = 200


class InstrumentsPanel(QtWidgets.QWidget):
    """A tree: one row per role, children for readings and settings."""

    COLUMNS = ["instrument", "value", "state"]
    VALUE, STATE = 1, 2

    def __init__(self, lab: Lab, poller: InstrumentPoller, reconnect: Callable[[], None] | None = None,
                 disconnect: Callable[[], None] | None = None, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.tree = QtWidgets.QTreeWidget()
        self.tree.setObjectName("instruments")
        self.tree.setColumnCount(len(self.COLUMNS))
        self.tree.setHeaderLabels(self.COLUMNS)
        self.tree.setAlternatingRowColors(True)
        self.connect_button = QtWidgets.QPushButton("Connect")
        self.disconnect_button = QtWidgets.QPushButton("Disconnect")
        self.refresh_button = QtWidgets.QPushButton("Read settings")
        self.connect_button.setEnabled(reconnect is not None)
        self.disconnect_button.setEnabled(disconnect is not None)
        if reconnect:
            self.connect_button.clicked.connect(reconnect)
        if disconnect:
            self.disconnect_button.clicked.connect(disconnect)
        self.refresh_button.clicked.connect(lambda: self.poller.request_snapshot())
        row = QtWidgets.QHBoxLayout()
        for b in (self.connect_button, self.disconnect_button, self.refresh_button):
            row.addWidget(b)
        row.addStretch(1)
        self.manual = ManualControl(lab, poller.io_lock if poller is not None else threading.Lock())
        lay = QtWidgets.QVBoxLayout(self)
        lay.addLayout(row)
        lay.addWidget(self.tree, 1)
        lay.addWidget(self.manual)
        self.items: dict[str, QtWidgets.QTreeWidgetItem] = {}
        self.readings: dict[str, dict[str, QtWidgets.QTreeWidgetItem]] = {}
        self.settings_items: dict[str, QtWidgets.QTreeWidgetItem] = {}
        self._last_point: dict[str, Any] | None = None  # the run's latest point, shown at ~5 Hz
        self._point_timer = QTimer(self)
        self._point_timer.setSingleShot(True)
        self._point_timer.setInterval(POINT_READOUT_MS)
        self._point_timer.timeout.connect(self._show_last_point)
        self.set_lab(lab, poller)

    def set_lab(self, lab: Lab | None, poller: InstrumentPoller | None) -> None:
        self.lab, self.poller = lab, poller
        self.manual.set_lab(lab)
        if poller is not None:
            self.manual.io_lock = poller.io_lock
        self.tree.clear()
        self.items, self.readings, self.settings_items = {}, {}, {}
        if lab is None:
            item = QtWidgets.QTreeWidgetItem(["(no lab)", "press Connect", "disconnected"])
            self.tree.addTopLevelItem(item)
            return
        table = lab.config.get("instruments", {}) if isinstance(lab.config, dict) else {}
        for role, inst in lab.instruments.items():
            address = table.get(role, {}).get("address", "") or ("simulated" if lab.world is not None else "")
            item = QtWidgets.QTreeWidgetItem([role, type(inst).__name__, "connecting…"])
            item.setToolTip(0, f"{role}: {type(inst).__name__} at {address or '?'}")
            self.tree.addTopLevelItem(item)
            item.addChild(QtWidgets.QTreeWidgetItem(["address", str(address), ""]))
            settings = QtWidgets.QTreeWidgetItem(["settings", "", ""])
            item.addChild(settings)
            item.setExpanded(True)
            self.items[role], self.readings[role], self.settings_items[role] = item, {}, settings
        for i in range(len(self.COLUMNS)):
            self.tree.resizeColumnToContents(i)
        if poller is not None:
            poller.readings.connect(self.on_readings)
            poller.snapshot.connect(self.on_snapshot)

    def _state(self, role: str, error: str) -> None:
        item = self.items.get(role)
        if item is None:
            return
        t = theme.current()
        item.setText(self.STATE, "error" if error else "connected")
        item.setForeground(self.STATE, QtGui.QBrush(QtGui.QColor(t.error if error else t.ok)))
        item.setToolTip(self.STATE, error)
        if error:
            item.setText(self.VALUE, error)
            item.setToolTip(self.VALUE, error)
            item.setForeground(self.VALUE, QtGui.QBrush(QtGui.QColor(t.error)))

    def apply_theme(self, new: theme.Theme) -> None:
        """Connected/error states in the new theme's colours."""
        for item in self.items.values():
            state = item.text(self.STATE)
            if state in ("connected", "error"):
                item.setForeground(self.STATE, QtGui.QBrush(QtGui.QColor(new.ok if state == "connected" else new.error)))
                if state == "error":
                    item.setForeground(self.VALUE, QtGui.QBrush(QtGui.QColor(new.error)))

    def on_readings(self, role: str, values: dict[str, tuple[float, str]], error: str) -> None:
        if role not in self.items:
            return
        self._state(role, error)
        for name, (value, unit) in values.items():
            child = self._reading(role, name)
            child.setText(self.VALUE, show(value, unit))
            self._mark_live(child, "live")

    def set_run_active(self, active: bool) -> None:
        """While a run owns the instruments, polled readings are marked as older than the run;
        the run's own points keep the ones it measures live."""
        self._run_active = active
        self.manual.setEnabled(not active and self.lab is not None)  # the run owns the instruments
        if active:
            for role, readings in self.readings.items():
                for child in readings.values():
                    child.setText(self.STATE, "before run")
                    child.setForeground(self.VALUE, QtGui.QBrush(QtGui.QColor("#888")))
                    child.setForeground(self.STATE, QtGui.QBrush(QtGui.QColor("#888")))

    def _mark_live(self, child: QtWidgets.QTreeWidgetItem, text: str) -> None:
        child.setText(self.STATE, text)
        for column in (self.VALUE, self.STATE):  # the palette's text colour (light or dark theme)
            child.setData(column, Qt.ForegroundRole, None)

    def _reading(self, role: str, name: str) -> QtWidgets.QTreeWidgetItem:
        child = self.readings[role].get(name)
        if child is None:
            child = QtWidgets.QTreeWidgetItem([name, "", "live"])
            self.items[role].insertChild(len(self.readings[role]), child)
            self.readings[role][name] = child
        return child

    def on_snapshot(self, role: str, identity: str, settings: dict[str, Any], error: str) -> None:
        item = self.items.get(role)
        if item is None:
            return
        self._state(role, error)
        if not error:
            item.setText(self.VALUE, f"{type(self.lab.instruments[role]).__name__} · {identity}")
            item.setToolTip(self.VALUE, identity)
            item.setData(self.VALUE, Qt.ForegroundRole, None)
        parent = self.settings_items[role]
        parent.takeChildren()
        for key, value in settings.items():
            name, text = setting_text(key, value)
            parent.addChild(QtWidgets.QTreeWidgetItem([name, text, ""]))

    def on_points(self, rows: list[dict[str, Any]]) -> None:
        """Readings from the run's latest point (the poller is off while a run goes), shown at
        most every :data:`POINT_READOUT_MS`: readable, and cheap next to the plot's frames."""
        if not rows:
            return
        self._last_point = rows[-1]
        if not self._point_timer.isActive():
            self._point_timer.start()

    def _show_last_point(self) -> None:
        last, self._last_point = self._last_point, None
        if last is None:
            return
        for column, (role, name, unit) in POINT_READINGS.items():
            if column in last and role in self.items:
                child = self._reading(role, name)
                child.setText(self.VALUE, show(last[column], unit))
                self._mark_live(child, "live (run)")

    def reading_text(self, role: str, name: str) -> str:
        child = self.readings.get(role, {}).get(name)
        return child.text(self.VALUE) if child is not None else ""
