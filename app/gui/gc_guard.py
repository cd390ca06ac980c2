"""Keep Python's cyclic garbage collection in the GUI thread.

An automatic collection runs in whichever thread happens to allocate. If that is a run's worker
thread and the garbage holds Qt wrappers (closed dialogs, old plot items), their C++ objects are
destroyed off the GUI thread: Qt takes an object mutex and then waits for the GIL, while the GUI
thread, holding the GIL, waits for that mutex in its own deletions. We saw exactly that deadlock
(a worker saving the run's PNG while the window closed). So while any window is open, automatic
collection is off and the GUI thread collects on a timer instead.
"""
from __future__ import annotations

import gc

from app.gui._qt import QtCore


class GuiThreadCollector(QtCore.QObject):
    """Collect garbage from the GUI thread every ``interval`` s; restore automatic GC on stop."""

    _active = 0  # windows holding automatic collection off

    def __init__(self, interval: float = 1.0, parent: QtCore.QObject | None = None):
        super().__init__(parent)
        self._timer = QtCore.QTimer(self)
        self._timer.timeout.connect(self.collect)
        self._running = False
        self._interval_ms = int(interval * 1000)

    def start(self) -> None:
        if self._running:
            return
        self._running = True
        GuiThreadCollector._active += 1
        gc.disable()
        self._timer.start(self._interval_ms)

    def collect(self) -> None:
        """Collect the generations whose counts passed their thresholds (as automatic GC would)."""
        counts, thresholds = gc.get_count(), gc.get_threshold()
        generation = -1
        for g in range(3):
            if counts[g] > thresholds[g]:
                generation = g
            else:
                break
        if generation >= 0:
            gc.collect(generation)

    def stop(self) -> None:
        if not self._running:
            return
        self._running = False
        self._timer.stop()
        gc.collect()  # everything the window left, collected here, in the GUI thread
        GuiThreadCollector._active -= 1
        if GuiThreadCollector._active == 0:
            gc.enable()
