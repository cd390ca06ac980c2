"""Start the Qt application around a :class:`MainWindow`."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable

from app.gui._qt import QtWidgets
from app.gui.main_window import MainWindow, default_settings
from drivers.lab import Lab


#: The GUI thread needs the GIL back quickly when a run's worker computes (a simulated lab runs
#: its physics in Python): the default 5 ms switch interval costs a frame several handoffs.
GIL_SWITCH_INTERVAL = 0.0005


def run_app(lab_factory: Callable[[], Lab], *, out_dir: str | Path | None = None, speed: float | None = None,
            reset: bool = False, argv: list[str] | None = None) -> int:
    sys.setswitchinterval(GIL_SWITCH_INTERVAL)
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(argv or ["spinbench"])
    app.setApplicationName("spinbench")
    app.setOrganizationName("spinbench")
    settings = default_settings()
    if reset:
        settings.clear()
    window = MainWindow(lab_factory, out_dir=out_dir, settings=settings, speed=speed)
    window.show()
    return int(app.exec())
