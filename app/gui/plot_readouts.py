"""The live plot's text read-outs: the status line, the cursors' values (A, and B − A) and the
mouse position, updated at ~7 Hz (cheap next to 60 frames/s of curves). A mixin of
:class:`~app.gui.live_plot.LivePlot`, which owns the widgets and data these read."""
from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from app.gui.readouts import LABELS, describe


class CursorReadouts:
    """Read-out methods of LivePlot (spec, store, curves, area and the labels are its own)."""

    def _update_texts(self, force: bool = False) -> None:
        """Text read-outs at ~7 Hz: enough to read, and cheap next to 60 frames/s of curves."""
        now = time.monotonic()
        if force or now - self._texts_at >= 0.15:
            self._texts_at, self._texts_stale = now, False
            self._status()
            self._update_readout()

    def _status(self) -> None:
        spec, n = self.spec, self.store.seen
        text = f"{n} points"
        if self.store.stride > 1:
            text += f" (showing 1 in {self.store.stride}: cap {self.max_points})"
        if spec.outer and self._segment is not None:
            text += f" · {spec.outer} {self._segment[0]}"
        if spec.scan and self._segment is not None and self._segment[-1] is not None:
            text += f" · scan {int(self._segment[-1]) + 1} of {spec.scans}"
            if self.average is not None and spec.scans > 1:
                text += f" · average of {self.average.complete_scans} complete scan(s)"
        self.status.setText(text)

    # --- cursor and mouse read-out ------------------------------------------------------------------
    def _mouse_moved(self, pos: Any) -> None:
        plot = self.area.plot_at(pos)
        if plot is None:
            return
        p = plot.vb.mapSceneToView(pos)
        ys = [y for y, pl in self.area.plot_of.items() if pl is plot]
        xu = self.spec.units.get(self.spec.x or "", "") if plot is not self.area.trace_plot else ""
        yu = self.spec.units.get(ys[0], "") if ys else ""
        self._mouse_text = f"mouse: {describe(p.x(), xu)}, {describe(p.y(), yu)}"
        self._update_readout()

    def _update_readout(self, *_: Any) -> None:
        spec = self.spec
        xc = self.area.cursor_x()
        xu = spec.units.get(spec.x or "", "")
        name = LABELS.get(spec.x, spec.x) if spec.x else "point"
        parts = [f"cursor {name} = {describe(xc, xu)}"] if self.curves else []
        at_a = self.values_at(xc)
        for y, value in at_a.items():
            parts.append(f"{LABELS.get(y, y)} = {describe(value, spec.units.get(y, ''))}")
        xb = self.area.cursor_b_x()
        if math.isfinite(xb) and self.curves:  # cursor B: differences B - A
            at_b = self.values_at(xb)
            delta = [f"B − A:  Δ{name} = {describe(xb - xc, xu)}"]
            delta += [f"Δ{LABELS.get(y, y)} = {describe(at_b[y] - v, spec.units.get(y, ''))}"
                      for y, v in at_a.items() if y in at_b]
            at_b_text = "".join(f"   {LABELS.get(y, y)} = {describe(v, spec.units.get(y, ''))}"
                                for y, v in at_b.items())  # x2, y2; then dx, dy
            # two lines: B's values, then the differences (one line is cut off in a narrow view)
            self.delta_readout.setText(f"cursor B {name} = {describe(xb, xu)}{at_b_text}\n" + "   ".join(delta))
        mouse = self._mouse_text
        self.readout.setText("   ".join(parts) + (f"      {mouse}" if mouse else ""))

    def values_at(self, xc: float) -> dict[str, float]:
        """Each trace's value at the data point nearest ``xc`` (the average when shown)."""
        out: dict[str, float] = {}
        curves = self.avg_curves if self.avg_curves and self.show_average.isChecked() else self.curves
        for y, curve in curves.items():
            xs, ys = self._raw[y] if curves is self.curves and y in self._raw else (curve.xData, curve.yData)
            if xs is None or not len(xs) or not np.isfinite(xs).any():
                continue
            out[y] = float(ys[int(np.nanargmin(np.abs(xs - xc)))])
        return out

    def place_cursor(self, x: float) -> None:
        self.area.place_cursor(x)

    def _second_cursor(self, shown: bool) -> None:
        """Cursor B appears three quarters across the current view (A sits mid-data)."""
        if shown and self.plot is not None:
            lo, hi = self.plot.viewRange()[0]
            self.area.place_cursor_b(lo + 0.75 * (hi - lo))
        self.area.show_second_cursor(shown)
        self.delta_readout.setVisible(shown)
        self._update_readout()

    @property
    def cursor(self) -> Any:
        return self.area.cursor
