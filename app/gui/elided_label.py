"""A one-line label that never cuts its text off mid-glyph: when the text is wider than the
label it is drawn shortened with "…" and the whole text goes into the tooltip. ``text()`` and
``sizeHint()`` stay the full text's, so code and layouts see what was set, not what fits."""
from __future__ import annotations

from app.gui._qt import QtCore, QtGui, QtWidgets, Signal


class ElidedLabel(QtWidgets.QLabel):
    """A QLabel for status and read-out lines in a column that may be narrower than the text."""

    changed = Signal(str)  # the text (QLabel has no such signal): a layout may re-place the label

    def __init__(self, text: str = "", parent: QtWidgets.QWidget | None = None):
        super().__init__(text, parent)
        self._own_tip = ""  # a tooltip set by the caller, kept when the text fits
        self._update_tip()

    def setText(self, text: str) -> None:  # noqa: N802 - Qt's name
        if text == self.text():
            return
        super().setText(text)
        self._update_tip()
        self.changed.emit(text)

    def setToolTip(self, tip: str) -> None:  # noqa: N802 - Qt's name
        self._own_tip = tip
        super().setToolTip(tip)

    def minimumSizeHint(self) -> QtCore.QSize:  # noqa: N802 - Qt's name
        """As narrow as "…" (the layout decides the width; the text adapts)."""
        hint = super().minimumSizeHint()
        return QtCore.QSize(self.fontMetrics().horizontalAdvance("…") + 4, hint.height())

    def shown_text(self) -> str:
        """The text as drawn: the whole text, or its start and "…" when the label is narrower."""
        width = self.contentsRect().width() - 2 * self.margin() - (self.indent() if self.indent() > 0 else 0)
        return self.fontMetrics().elidedText(self.text(), QtCore.Qt.ElideRight, max(0, width))

    def is_elided(self) -> bool:
        return self.shown_text() != self.text()

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._update_tip()

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:  # noqa: N802 - Qt's name
        if not self.is_elided():  # QLabel's own drawing (selection highlight included)
            super().paintEvent(event)
            return
        painter = QtGui.QPainter(self)
        self.style().drawItemText(painter, self.contentsRect(), int(self.alignment()), self.palette(),
                                  self.isEnabled(), self.shown_text(), self.foregroundRole())

    def _update_tip(self) -> None:
        tip = self.text() if self.is_elided() else self._own_tip
        if tip != super().toolTip():
            super().setToolTip(tip)
