"""Auto-range for a plot whose data grow every frame: the range moves in steps, not every frame.

pyqtgraph's auto-range fits the view to the data at every paint. While a run streams points
that means a new view range every frame, and a new range is expensive: the grid and axis
pictures are regenerated, and clip-to-view and peak downsampling of every curve run a second
time (the curves re-plot on a range change) and the view paints twice. :class:`SteppedViewBox`
keeps pyqtgraph's auto-range (the "A" button, "View all", mouse interaction turning it off) but
holds the range while the data stay inside it and still fill at least half of it; when they
leave it, the new range takes 10 % headroom on each side. A 1e5-point sweep then changes its
range a few dozen times per run instead of 60 times a second. Stepping is on from
``LivePlot.configure`` (a run starts) until :meth:`SteppedViewBox.fit_now` (its results: the
data are complete), which fits the view to the data without headroom; a replayed run or a
file ends the same way, and a plot never configured for a run auto-ranges as pyqtgraph does.
"""
from __future__ import annotations

from typing import Any

from app.gui._qt import pg

#: Headroom added on each side when the data leave the held range (fraction of their span).
HEADROOM = 0.2
#: The held range is refitted when the data fill less than this fraction of it.
MIN_FILL = 0.5


def stepped(held: list[float] | None, lo: float, hi: float, headroom: float = HEADROOM) -> list[float]:
    """The range to show for data spanning ``[lo, hi]`` given the range held so far."""
    if held is not None and held[0] <= lo and hi <= held[1] and hi - lo >= MIN_FILL * (held[1] - held[0]):
        return list(held)
    pad = headroom * (hi - lo)
    return [lo - pad, hi + pad]


class SteppedViewBox(pg.ViewBox):
    """A ViewBox whose auto-range follows growing data in steps (see the module doc)."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._held: list[list[float] | None] = [None, None]
        self._headroom = HEADROOM
        self.stepping = False  # on while a run's data grow (LivePlot.configure .. show_results)

    def childrenBounds(self, frac: Any = None, orthoRange: Any = (None, None), items: Any = None) -> Any:  # noqa: N802,N803
        bounds = super().childrenBounds(frac=frac, orthoRange=orthoRange, items=items)
        if not self.stepping or items is not None or not self._updatingRange:  # only auto-range is held
            return bounds
        out = []
        for ax, r in enumerate(bounds):
            if r is None:
                out.append(None)
                continue
            self._held[ax] = stepped(self._held[ax], float(r[0]), float(r[1]), self._headroom)
            out.append(list(self._held[ax]))
        return out

    def enableAutoRange(self, *args: Any, **kwargs: Any) -> None:  # noqa: N802 - Qt's name
        self._held = [None, None]  # asked for again: fit the data as they are now
        super().enableAutoRange(*args, **kwargs)

    def fit_now(self) -> None:
        """Stop stepping (the data are complete) and fit the auto-ranged axes to them now."""
        self.stepping = False
        self._held, self._headroom = [None, None], 0.0
        try:
            if any(self.state["autoRange"]):
                self.updateAutoRange()
        finally:
            self._headroom = HEADROOM
