"""The live plot's view, which tells a simulated run when a frame has been painted.

The plot closes its :class:`~app.gui.pacing.FrameGate` when it pushes new data to the curves
(``LivePlot.refresh``); this view opens it when the paint is done, so a simulated run's worker
does not take the GIL from the GUI thread in the middle of a frame.
"""
from __future__ import annotations

from typing import Any

from app.gui._qt import pg
from app.gui.pacing import FrameGate


class FrameView(pg.GraphicsLayoutWidget):
    """The plots' view; opens the frame gate once a frame is painted (see pacing.FrameGate)."""

    def __init__(self, gate: FrameGate):
        super().__init__()
        self.gate = gate
        self.frames_painted = 0  # paints that drew a new frame (the benchmark counts these)
        self.unpainted = False  # a frame went unpainted: no gating until the view paints again

    def paintEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        try:
            super().paintEvent(event)
        finally:
            self.unpainted = False
            if not self.gate.is_open:
                self.frames_painted += 1
                self.gate.open()
