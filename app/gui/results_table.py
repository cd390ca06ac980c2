"""Fit results as a table: name, value, uncertainty, unit.

Digits follow the uncertainty (to its second digit, as ``spinbench run`` prints them), value and
uncertainty share the unit column (one SI prefix, written with µ as the plot axes write it), and
text results (the model chosen, notes, warnings) are listed under the table, wrapped.
"""
from __future__ import annotations

import math
from typing import Any

from app.gui._qt import QtCore, QtWidgets
from sequences.experiment import FitValue
from units.display import digits_for, format_quantity
from units.quantity import unit_scale

COLUMNS = ("result", "value", "uncertainty", "unit")


def shown_unit(unit: str) -> str:
    """'uT' -> 'µT' (the axes' spelling); other units unchanged."""
    return "µ" + unit[1:] if unit.startswith("u") and len(unit) > 1 else unit


def result_rows(results: dict[str, Any]) -> tuple[list[tuple[str, str, str, str]], list[str]]:
    """(rows of name, value, uncertainty, unit; text lines) for display. Arrays (fit curves) and
    values that were not determined (NaN) are left out."""
    rows: list[tuple[str, str, str, str]] = []
    texts: list[str] = []
    for name, value in results.items():
        if isinstance(value, FitValue):
            v, e = float(value.value), float(value.error)
            if not math.isfinite(v):
                continue
            has_err = math.isfinite(e) and e > 0
            digits = digits_for(v, e) if has_err else 6
            unit, scale = value.unit, 1.0
            if value.unit and value.unit not in ("deg", "%"):  # the prefix format_quantity picks
                unit = (format_quantity(v, value.unit, digits).split(" ", 1) + [""])[1]
                scale = float(unit_scale(unit, value.unit)) if unit else 1.0
            number = f"{v / scale:#.{digits}g}".rstrip(".")  # '#': trailing zeros are digits too
            rows.append((name, number, f"{e / scale:.2g}" if has_err else "", shown_unit(unit)))
        elif isinstance(value, bool) or isinstance(value, str):
            texts.append(f"{name}: {value}")
        elif isinstance(value, (int, float)) and math.isfinite(value):
            rows.append((name, f"{value:.6g}", "", ""))
    return rows, texts


class ResultsTable(QtWidgets.QWidget):
    """The table and the text lines under it; hidden while there is nothing to show."""

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.table = QtWidgets.QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("results_table")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setWordWrap(True)
        self.table.setMinimumHeight(110)
        self.notes = QtWidgets.QLabel("")  # the text results as one string (copy, tests); not shown
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.table, 1)
        self.show_results({})

    def show_results(self, results: dict[str, Any]) -> None:
        rows, texts = result_rows(results)
        self.table.clearSpans()
        self.table.setRowCount(len(rows) + len(texts))
        for r, cells in enumerate(rows):
            for c, text in enumerate(cells):
                item = QtWidgets.QTableWidgetItem(text)
                if c in (1, 2):
                    item.setTextAlignment(QtCore.Qt.AlignRight | QtCore.Qt.AlignVCenter)
                self.table.setItem(r, c, item)
        for r, text in enumerate(texts, start=len(rows)):  # notes span the value columns
            name, _, rest = text.partition(": ")
            self.table.setItem(r, 0, QtWidgets.QTableWidgetItem(name))
            item = QtWidgets.QTableWidgetItem(rest)
            item.setToolTip(rest)
            self.table.setItem(r, 1, item)
            self.table.setSpan(r, 1, 1, len(COLUMNS) - 1)
        self._fit_columns(rows)
        self.table.resizeRowsToContents()
        self.notes.setText("\n".join(texts))
        self.setVisible(bool(rows or texts))

    def _fit_columns(self, rows: list[tuple[str, str, str, str]]) -> None:
        """Widths from the numbers only (Qt's own fit would widen them to the notes spanning them)."""
        metrics = self.table.fontMetrics()
        for col, title in enumerate(COLUMNS[:-1]):
            texts = [title, *(r[col] for r in rows)] + ([] if col else [self.table.item(r, 0).text()
                                                              for r in range(len(rows), self.table.rowCount())])
            self.table.setColumnWidth(col, max(metrics.horizontalAdvance(t) for t in texts) + 16)

    def cell(self, name: str, column: str) -> str:
        """The text shown for result ``name`` in ``column`` ('' when absent; for tests)."""
        col = COLUMNS.index(column)
        for r in range(self.table.rowCount()):
            if self.table.item(r, 0).text() == name:
                return self.table.item(r, col).text()
        return ""
