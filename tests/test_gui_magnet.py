"""The magnet designer in the main window at 1600x1000: the form needs no horizontal scroll bar,
the map's axes span the map (a +-20 mm map in a +-20 mm axis) with square pixels, and the colour
bar is labelled with its unit and has round ticks."""
from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

from app.gui.magnet_panel import colour_bar_ticks, nice_ceil  # noqa: E402
from tests.test_gui_run import lab, open_window, settings  # noqa: E402,F401 - fixtures


def test_nice_limits_and_ticks():
    assert [nice_ceil(v) for v in (0.7, 1.0, 1.3, 3.1, 7.0, 2.6e5)] == pytest.approx([1, 1, 2, 5, 10, 5e5])
    ticks = [v for v, _ in colour_bar_ticks(2.6e5)[0]]
    assert ticks == pytest.approx([-2e5, -1e5, 0, 1e5, 2e5])


@pytest.mark.parametrize("half_width_mm", [20.0, 8.0])
def test_magnet_designer_at_the_default_window_size(qtbot, lab, settings, tmp_path, half_width_mm):
    win = open_window(qtbot, lab, settings, tmp_path, speed=0)
    win.resize(1600, 1000)
    win.docks["Magnet designer"].raise_()
    panel = win.magnet
    panel.half_width.setValue(half_width_mm)
    panel.compute()
    qtbot.waitUntil(lambda: panel.report is not None and panel.report.half_width == half_width_mm * 1e-3,
                    timeout=20_000)
    qtbot.wait(50)
    panel._fit_map_width()  # as a resize does
    qtbot.wait(50)
    assert not panel.form_scroll.horizontalScrollBar().isVisible()
    assert panel.form_scroll.horizontalScrollBar().maximum() == 0
    hw = half_width_mm * 1e-3
    (x0, x1), (y0, y1) = panel.map_plot.viewRange()
    assert (x0, x1, y0, y1) == pytest.approx((-hw, hw, -hw, hw), rel=1e-9)
    vb = panel.map_plot.vb.sceneBoundingRect()
    assert vb.width() / vb.height() == pytest.approx(1.0, abs=0.1)  # the DSV circle is a circle
    bar = panel.bar.axis
    assert "ppm" in bar.labelText
    assert len(bar._tickLevels[0]) >= 3
    lo, hi = panel.bar.levels()
    assert all(lo <= v <= hi for v, _ in bar._tickLevels[0])
    assert panel.bar.sceneBoundingRect().right() <= panel.graphics.width()  # the bar is not cut off
    win.close()
