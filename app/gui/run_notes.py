"""Notes and sample metadata of a run: a small form (free-text notes, sample name, further sample
fields as ``key = value`` lines) used twice: in the run-control panel for the runs about to be
made, and in the data browser to edit a finished run's (``app.storage.write_notes``: /metadata
attributes ``notes`` and ``sample``)."""
from __future__ import annotations

from typing import Any

from app.gui._qt import QtWidgets, Signal
from app.gui.theme import error_style


def parse_sample(name: str, details: str) -> dict[str, str]:
    """Sample mapping from the name and ``key = value`` lines (or ``;``-separated); ValueError
    names a line without ``=``."""
    sample = {"name": name.strip()} if name.strip() else {}
    for line in details.replace(";", "\n").splitlines():
        if not line.strip():
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"sample field {line.strip()!r}: write key = value, e.g. mass = 2.1 mg")
        sample[key.strip()] = value.strip()
    return sample


def sample_details(sample: dict[str, Any]) -> str:
    """The fields other than the name, one ``key = value`` line each."""
    return "\n".join(f"{k} = {v}" for k, v in sample.items() if k != "name")


class RunNotes(QtWidgets.QWidget):
    """Notes + sample form; ``edited`` whenever the user changes anything."""

    edited = Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.notes = QtWidgets.QPlainTextEdit()
        self.notes.setObjectName("run_notes")
        self.notes.setPlaceholderText("notes (what, why, anything unusual)")
        self.notes.setMaximumHeight(70)
        self.sample_name = QtWidgets.QLineEdit()
        self.sample_name.setObjectName("sample_name")
        self.sample_name.setPlaceholderText("sample name")
        self.details = QtWidgets.QPlainTextEdit()
        self.details.setObjectName("sample_details")
        self.details.setPlaceholderText("more sample fields, one a line: mass = 2.1 mg")
        self.details.setMaximumHeight(50)
        self.error = QtWidgets.QLabel("")
        self.error.setStyleSheet(error_style())
        self.error.setWordWrap(True)
        self.error.hide()
        form = QtWidgets.QFormLayout(self)
        form.setRowWrapPolicy(QtWidgets.QFormLayout.WrapLongRows)  # a label over its field when narrow
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Sample", self.sample_name)
        form.addRow("Fields", self.details)
        form.addRow("Notes", self.notes)
        form.addRow(self.error)
        for w in (self.notes, self.details):
            w.textChanged.connect(self._changed)
        self.sample_name.textChanged.connect(self._changed)

    def _changed(self) -> None:
        try:
            parse_sample(self.sample_name.text(), self.details.toPlainText())
            self.error.hide()
        except ValueError as exc:
            self.error.setText(str(exc))
            self.error.show()
        self.edited.emit()

    def values(self) -> tuple[str, dict[str, str]]:
        """(notes, sample); ValueError when a sample field line is malformed."""
        return self.notes.toPlainText().strip(), parse_sample(self.sample_name.text(), self.details.toPlainText())

    def set_values(self, notes: Any, sample: Any) -> None:
        sample = sample if isinstance(sample, dict) else {}
        for w in (self.notes, self.details, self.sample_name):
            w.blockSignals(True)
        self.notes.setPlainText(str(notes or ""))
        self.sample_name.setText(str(sample.get("name", "")))
        self.details.setPlainText(sample_details(sample))
        for w in (self.notes, self.details, self.sample_name):
            w.blockSignals(False)
        self.error.hide()

    def is_empty(self) -> bool:
        return not (self.notes.toPlainText().strip() or self.sample_name.text().strip()
                    or self.details.toPlainText().strip())
