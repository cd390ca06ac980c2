"""Log panel: instrument traffic and engine messages, filterable by source, level and text.

Sources: ``engine`` (run notes, state changes, errors), ``instrument`` (every command a
simulated instrument sends, from the world's command log, queries at DEBUG and settings at INFO;
real drivers' ``logging`` records under ``drivers.*``), ``gui`` (files written, exports). The
view starts at INFO, so idle polling stays out of sight; every line carries the wall-clock time,
and numbers lose their binary float noise. Entries are kept in a bounded deque and
appended in batches, so a fast run's traffic cannot slow the window down.
"""
from __future__ import annotations

import collections
import datetime as _dt
import logging
import re
from dataclasses import dataclass
from typing import Any, Callable

from app.gui._qt import QtGui, QtWidgets, QTimer
from app.gui.bridge import QtLogHandler

SOURCES = ("engine", "instrument", "gui")
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
DEFAULT_LEVEL = "INFO"  # instrument polling (queries) is DEBUG: idle polling does not flood the log
_LONG_NUMBER = re.compile(r"(?<![\w.])-?\d+\.\d{7,}(?:[eE][-+]?\d+)?|(?<![\w.])-?\d\.\d+[eE][-+]?\d+")


def tidy_numbers(text: str) -> str:
    """Binary float noise out of logged commands: 'FIELD 0.33565000000000006' -> 'FIELD 0.33565'
    (ten significant digits, more than any instrument takes)."""
    return _LONG_NUMBER.sub(lambda m: f"{float(m.group()):.10g}", text)


def traffic_level(command: str) -> str:
    """A query ('FIELD?', 'OUTP?') is polling: DEBUG; a command that sets something: INFO."""
    return "DEBUG" if "?" in command else "INFO"


def wall_time() -> str:
    """The wall clock as the log shows it, e.g. '14:03:27.412'."""
    return _dt.datetime.now().strftime("%H:%M:%S.%f")[:-3]


@dataclass(frozen=True)
class Entry:
    """One log line; ``raw`` text is tidied (float noise out) only when it is shown: a fast
    simulated run logs thousands of instrument commands a second, most of them queries that
    the INFO level never shows."""

    time: str
    source: str
    level: str
    raw: str

    @property
    def text(self) -> str:
        return tidy_numbers(self.raw)

    def line(self) -> str:
        return f"{self.time} {self.source:10s} {self.level:7s} {self.text}"


class LogPanel(QtWidgets.QWidget):
    def __init__(self, parent: QtWidgets.QWidget | None = None, *, max_entries: int = 50_000):
        super().__init__(parent)
        self.entries: collections.deque[Entry] = collections.deque(maxlen=max_entries)
        self._pending: list[Entry] = []
        self._world: Any = None
        self._world_seen = 0
        self.filter = QtWidgets.QLineEdit()
        self.filter.setObjectName("log_filter")
        self.filter.setPlaceholderText("filter text (e.g. FIELD, lockin, error)")
        self.filter.textChanged.connect(lambda _: self.rerender())
        self.source_boxes = {}
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.filter, 1)
        for s in SOURCES:
            box = QtWidgets.QCheckBox(s)
            box.setChecked(True)
            box.toggled.connect(lambda _: self.rerender())
            self.source_boxes[s] = box
            row.addWidget(box)
        self.level = QtWidgets.QComboBox()
        self.level.addItems(LEVELS)
        self.level.setCurrentText(DEFAULT_LEVEL)
        self.level.currentTextChanged.connect(lambda _: self.rerender())
        row.addWidget(self.level)
        clear = QtWidgets.QPushButton("Clear")
        clear.clicked.connect(self.clear)
        row.addWidget(clear)
        self.view = QtWidgets.QPlainTextEdit()
        self.view.setObjectName("log_view")
        self.view.setReadOnly(True)
        self.view.setMaximumBlockCount(20_000)
        self.view.setLineWrapMode(QtWidgets.QPlainTextEdit.NoWrap)
        # a font, not a style sheet: a style sheet would keep the light theme's colours
        self.view.setFont(QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.FixedFont))
        lay = QtWidgets.QVBoxLayout(self)
        lay.addLayout(row)
        lay.addWidget(self.view)
        self.handler = QtLogHandler("instrument")
        self.handler.setLevel(logging.DEBUG)
        self.handler.emitter.record_ready.connect(self.add)
        self._loggers = [logging.getLogger("drivers")]
        for lg in self._loggers:
            lg.addHandler(self.handler)
            if lg.level == logging.NOTSET or lg.level > logging.DEBUG:
                lg.setLevel(logging.DEBUG)
        self.timer = QTimer(self)
        self.timer.setInterval(200)
        self.timer.timeout.connect(self.flush)
        self.timer.start()

    def close_handlers(self) -> None:
        for lg in self._loggers:
            lg.removeHandler(self.handler)

    def watch_world(self, world: Any) -> None:
        """Tail a simulated world's command log (instrument traffic of the simulated lab)."""
        self._world = world
        self._world_seen = len(world.command_log) if world is not None else 0

    # --- entries ------------------------------------------------------------------------------------
    def add(self, source: str, level: str, text: str) -> None:
        self._pending.append(Entry(wall_time(), source, level, text.rstrip()))

    def engine(self, text: str, level: str = "INFO") -> None:
        self.add("engine", level, text)

    def gui(self, text: str, level: str = "INFO") -> None:
        self.add("gui", level, text)

    def flush(self) -> None:
        """Move pending entries (and new world traffic) into the view; the timer calls this."""
        world = self._world
        if world is not None:
            log = world.command_log
            n = len(log)
            if n < self._world_seen:  # the log was replaced
                self._world_seen = 0
            if n > self._world_seen:
                now = wall_time()  # when it was seen (within the 200 ms flush); t= is simulated time
                for t, inst, cmd in log[self._world_seen:n]:
                    self._pending.append(Entry(now, "instrument", traffic_level(cmd),
                                               f"{inst}: {cmd}  (t={t:.3f} s simulated)"))
                self._world_seen = n
        if not self._pending:
            return
        batch, self._pending = self._pending, []
        self.entries.extend(batch)
        accepts = self._accepts()
        shown = [e.line() for e in batch if accepts(e)]
        if shown:
            self.view.appendPlainText("\n".join(shown[-self.view.maximumBlockCount():]))

    def accepts(self, e: Entry) -> bool:
        return self._accepts()(e)

    def _accepts(self) -> Callable[[Entry], bool]:
        """The filters as they are now, read once for a whole batch of entries."""
        hidden = {s for s, box in self.source_boxes.items() if not box.isChecked()}
        floor = LEVELS.index(self.level.currentText())
        rank = {lv: i for i, lv in enumerate(LEVELS)}
        text = self.filter.text().strip().lower()

        def accepts(e: Entry) -> bool:
            if e.source in hidden or rank.get(e.level, floor) < floor:
                return False
            return not text or text in e.line().lower()
        return accepts

    def rerender(self) -> None:
        accepts = self._accepts()
        lines = [e.line() for e in self.entries if accepts(e)]
        self.view.setPlainText("\n".join(lines[-self.view.maximumBlockCount():]))
        self.view.moveCursor(self.view.textCursor().MoveOperation.End)

    def visible_lines(self) -> list[str]:
        text = self.view.toPlainText()
        return text.splitlines() if text else []

    def clear(self) -> None:
        self.entries.clear()
        self.view.clear()
