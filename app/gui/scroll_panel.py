"""A panel that scrolls when its place is smaller than the panel's minimum, and otherwise fills
that place exactly: the docks and the data browser's tools, so that no panel's minimum size
sets the main window's (a 1280x800 laptop screen must hold the window).

QScrollArea's own ``widgetResizable`` sizes a panel with word-wrapped labels to its preferred
height (``heightForWidth``), which puts a scroll bar on a panel that fits; this one sizes the
panel to its place, never below the panel's minimum size hint."""
from __future__ import annotations

from app.gui._qt import QtCore, QtGui, QtWidgets


class ScrollPanel(QtWidgets.QScrollArea):
    """``widget`` in a frameless scroll area that asks for the widget's preferred size."""

    def __init__(self, widget: QtWidgets.QWidget, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.setFrameShape(QtWidgets.QFrame.NoFrame)
        self.setWidgetResizable(False)
        self.setWidget(widget)
        widget.installEventFilter(self)  # its minimum grows (a message line): fit again

    def panel(self) -> QtWidgets.QWidget:
        return self.widget()

    def sizeHint(self) -> QtCore.QSize:  # noqa: N802 - Qt's name
        return self.widget().sizeHint()

    def minimumSizeHint(self) -> QtCore.QSize:  # noqa: N802 - Qt's name
        return QtCore.QSize(60, 40)

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._fit()

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802 - Qt's name
        if watched is self.widget() and event.type() == QtCore.QEvent.LayoutRequest:
            QtCore.QTimer.singleShot(0, self._fit)
        return False

    def _fit(self) -> None:
        """The panel at the area's size, less a scroll bar's breadth where the other direction
        needs one, and never under its minimum size hint."""
        panel = self.widget()
        if panel is None:
            return
        least = panel.minimumSizeHint().expandedTo(panel.minimumSize())
        room = self.contentsRect().size()
        bar = self.style().pixelMetric(QtWidgets.QStyle.PM_ScrollBarExtent, None, self)
        width, height = room.width(), room.height()
        for _ in range(2):  # a vertical bar can make a horizontal one necessary, and back
            width = room.width() - (bar if least.height() > height else 0)
            height = room.height() - (bar if least.width() > width else 0)
        panel.resize(max(width, least.width()), max(height, least.height()))
