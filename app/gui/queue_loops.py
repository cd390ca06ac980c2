"""The queue's loop controls under the run-control panel: repeat N times, and a series of values
for one parameter (``app.gui.queue_series`` expands them into queue entries)."""
from __future__ import annotations

from typing import Callable

from app.gui._qt import QtWidgets
from app.gui.queue_series import MAX_ENTRIES, expand, series_values
from app.gui.run_controller import QueuedRun
from sequences.experiment import Experiment

NO_SERIES = "(no series)"


class SeriesChoice(QtWidgets.QComboBox):
    """The parameter to step; its list is the current experiment's parameters, refreshed as it opens."""

    def __init__(self, names: Callable[[], list[str]], parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.names = names
        self.refresh()

    def refresh(self) -> None:
        keep = self.currentText()
        self.blockSignals(True)
        self.clear()
        self.addItems([NO_SERIES, *self.names()])
        self.setCurrentIndex(max(0, self.findText(keep)))
        self.blockSignals(False)

    def showPopup(self) -> None:  # noqa: N802 (Qt's name)
        self.refresh()
        super().showPopup()


class QueueLoops(QtWidgets.QWidget):
    """Repeat count, series parameter and its values; :meth:`entries` makes the queue entries."""

    def __init__(self, experiment_source: Callable[[], Experiment], parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.experiment_source = experiment_source
        self.repeat = QtWidgets.QSpinBox()
        self.repeat.setObjectName("queue_repeat")
        self.repeat.setRange(1, MAX_ENTRIES)
        self.repeat.setPrefix("× ")
        self.repeat.setToolTip("queue the run this many times (each series value this many times)")
        self.parameter = SeriesChoice(self._names)
        self.parameter.setObjectName("series_parameter")
        self.parameter.setToolTip("a parameter to step through a list of values, one queue entry each")
        self.values = QtWidgets.QLineEdit()
        self.values.setObjectName("series_values")
        self.values.setPlaceholderText("e.g. 4, 10, 20 K  or  0:15:90")
        self.values.setToolTip("comma-separated values (a bare number is in the parameter's unit; the last "
                               "item's unit applies to bare ones) or start:step:stop, stop included")
        self.unit = QtWidgets.QLabel("")
        self.parameter.currentTextChanged.connect(self._show_unit)
        top, values = QtWidgets.QHBoxLayout(), QtWidgets.QHBoxLayout()  # two rows: the dock is narrow
        top.addWidget(QtWidgets.QLabel("Repeat"))
        top.addWidget(self.repeat)
        top.addWidget(QtWidgets.QLabel("Series"))
        top.addWidget(self.parameter, 1)
        values.addWidget(QtWidgets.QLabel("values"))
        values.addWidget(self.values, 1)
        values.addWidget(self.unit)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(top)
        lay.addLayout(values)

    def _names(self) -> list[str]:
        try:
            return [p.name for p in type(self.experiment_source()).parameters if p.kind is not list]
        except Exception:  # an invalid form, or one still being checked against the lab
            pass
        cls = getattr(getattr(self.experiment_source, "__self__", None), "cls", None)  # ExperimentPanel.experiment
        if cls is not None:
            return [p.name for p in cls.parameters if p.kind is not list]
        box = getattr(self, "parameter", None)  # no experiment known: keep the last list
        return [box.itemText(i) for i in range(1, box.count())] if box is not None else []

    def _show_unit(self, name: str) -> None:
        cls = getattr(getattr(self.experiment_source, "__self__", None), "cls", None)
        try:
            cls = cls or type(self.experiment_source())
            self.unit.setText(cls.parameter(name).shown_unit if name != NO_SERIES else "")
        except Exception:  # no experiment, or a name it does not have
            self.unit.setText("")

    def set_series(self, name: str | None, text: str = "", repeat: int = 1) -> None:
        """Choose the loop as a user would (tests, scripts)."""
        self.parameter.refresh()
        self.parameter.setCurrentText(name or NO_SERIES)
        self.values.setText(text)
        self.repeat.setValue(repeat)

    def entries(self) -> list[QueuedRun]:
        """The queue entries the form and the loop settings describe (ValueError/ParameterError
        when the form or a series value is invalid)."""
        exp = self.experiment_source()
        name = self.parameter.currentText()
        if name in ("", NO_SERIES):
            return expand(exp, self.repeat.value())
        return expand(exp, self.repeat.value(), name, series_values(exp.parameter(name), self.values.text()))
