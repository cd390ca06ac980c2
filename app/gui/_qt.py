"""Single import point for Qt and pyqtgraph, so the binding is chosen once (PySide6)."""
from __future__ import annotations

import os

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

import pyqtgraph as pg  # noqa: E402
from PySide6 import QtCore, QtGui, QtWidgets  # noqa: E402
from PySide6.QtCore import QObject, QSettings, Qt, QTimer, Signal, Slot  # noqa: E402

pg.setConfigOptions(antialias=False, useOpenGL=False, background="w", foreground="k",
                    imageAxisOrder="row-major")

__all__ = ["pg", "QtCore", "QtGui", "QtWidgets", "QObject", "QSettings", "Qt", "QTimer", "Signal", "Slot"]
