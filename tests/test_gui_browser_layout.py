"""The data browser's layout on a desktop (1600x1000) and a laptop (1280x800) screen: the window
fits, the plot keeps most of the browser's width, the file and tools column a quarter, and no
status or read-out line is cut off mid-text (it is whole, or shortened with "…" and whole in
its tooltip). The column's width is kept with the window's layout."""
from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

from app.gui._qt import QtWidgets  # noqa: E402
from app.gui.data_browser import DataBrowser  # noqa: E402
from app.gui.elided_label import ElidedLabel  # noqa: E402
from app.gui.main_window import MainWindow  # noqa: E402
from app.gui.scroll_panel import ScrollPanel  # noqa: E402
from tests.test_gui_layout import two_scan_run  # noqa: E402,F401 - fixture
from tests.test_gui_run import lab, settings  # noqa: E402,F401 - fixtures


def line_is_whole(label: QtWidgets.QLabel) -> bool:
    """The text fits, or is drawn shortened with "…" and the tooltip holds all of it."""
    if label.sizeHint().width() <= label.width():
        return True
    return isinstance(label, ElidedLabel) and label.shown_text().endswith("…") and label.toolTip() == label.text()


@pytest.mark.parametrize("size", [(1600, 1000), (1280, 800)])
def test_browser_gives_the_plot_most_of_the_width_on_desktop_and_laptop_screens(qtbot, tmp_path, lab, settings,
                                                                               two_scan_run, size):
    win = MainWindow(lambda: lab, out_dir=tmp_path / "runs", settings=settings, speed=0, poll_period=0.2)
    qtbot.addWidget(win)
    win.ask = lambda question: True
    win.resize(*size)
    win.show()
    qtbot.waitExposed(win)
    # the window's minimum fits the screen: no panel's minimum makes it larger than asked
    assert win.minimumSizeHint().width() <= size[0] and win.minimumSizeHint().height() <= size[1]
    with qtbot.waitSignal(win.browser.loaded, timeout=10_000):
        win.browser.open(two_scan_run.path)
    browser = win.browser
    qtbot.waitUntil(lambda: browser.plot.width() > 0.5 * browser.width(), timeout=5000)
    status = browser.plot.status  # its text and place settle at the next refresh (~7 Hz)
    qtbot.waitUntil(lambda: "scan 2 of 2" in status.text() and line_is_whole(status), timeout=5000)
    assert win.size().toTuple() == size
    assert browser.plot.width() >= 0.6 * browser.width()
    assert browser.column.width() <= 0.3 * browser.width()
    assert browser.column.width() >= 160  # the file names stay readable
    assert "scan 2 of 2" in status.text()
    assert status.isVisible() and status.width() > 100
    assert line_is_whole(status), (status.text(), status.width())
    assert line_is_whole(browser.plot.readout)
    assert "completed" in browser.message.text() and browser.message.width() >= 0.9 * browser.plot.width()
    # the form, the run control and the instruments at full width (no sideways scrolling)
    docks = ("Experiment", "Run control", "Instruments")
    scrolled = lambda: [n for n in docks if win.docks[n].widget().horizontalScrollBar().isVisible()]  # noqa: E731
    qtbot.waitUntil(lambda: not scrolled(), timeout=3000)  # once the layout has settled
    assert not scrolled()
    win.close()


def test_browser_column_width_is_kept_with_the_layout(qtbot, tmp_path, lab, settings):
    win = MainWindow(lambda: lab, out_dir=tmp_path / "runs", settings=settings, speed=0, poll_period=0.2)
    qtbot.addWidget(win)
    win.ask = lambda question: True
    win.resize(1600, 1000)
    win.show()
    win.centre.setCurrentWidget(win.browser)
    split = win.browser.split
    qtbot.waitUntil(lambda: split.sizes()[0] > 0, timeout=5000)
    total = sum(split.sizes())
    split.setSizes([300, total - 300])  # the user drags the column wider
    win.save_settings()
    win.close()
    again = DataBrowser(tmp_path / "runs")
    qtbot.addWidget(again)
    assert again.restore_split(settings.value("browser/split"))
    again.resize(win.browser.size())
    again.show()
    qtbot.waitExposed(again)
    assert again.split.sizes()[0] == 300
    assert not DataBrowser(tmp_path / "runs").restore_split(None)  # nothing saved: the first-start place


def test_elided_label_shortens_with_an_ellipsis_and_tooltip(qtbot):
    text = "302 points · scan 2 of 2 · average of 2 complete scan(s)"
    label = ElidedLabel(text)
    qtbot.addWidget(label)
    label.setToolTip("the plot's status")
    full = label.fontMetrics().horizontalAdvance(text)
    label.resize(full // 2, 20)
    label.show()
    shown = label.shown_text()
    assert label.text() == text and shown.endswith("…") and text.startswith(shown[:-1])
    assert label.fontMetrics().horizontalAdvance(shown) <= label.contentsRect().width()
    assert label.toolTip() == text
    label.resize(full + 20, 20)
    assert label.shown_text() == text and label.toolTip() == "the plot's status"  # the caller's tooltip back


def test_scroll_panel_fills_its_place_and_scrolls_only_below_the_panel_minimum(qtbot):
    panel = QtWidgets.QWidget()
    lay = QtWidgets.QVBoxLayout(panel)
    note = QtWidgets.QLabel("a message long enough to wrap onto several lines in a narrow panel " * 3)
    note.setWordWrap(True)  # QScrollArea's widgetResizable would size this to its preferred height
    lay.addWidget(note)
    lay.addWidget(QtWidgets.QPushButton("a button of some width"))
    area = ScrollPanel(panel)
    qtbot.addWidget(area)
    least = panel.minimumSizeHint()
    area.resize(least.width() + 40, least.height() + 30)
    area.show()
    qtbot.waitExposed(area)
    assert panel.size() == area.viewport().size()
    assert not area.verticalScrollBar().isVisible() and not area.horizontalScrollBar().isVisible()
    area.resize(least.width() // 2, least.height() // 2)
    qtbot.waitUntil(lambda: area.verticalScrollBar().isVisible(), timeout=2000)
    assert panel.width() >= least.width() and panel.height() >= least.height()
    assert area.minimumSizeHint().width() < least.width()  # the panel's minimum is not the area's
