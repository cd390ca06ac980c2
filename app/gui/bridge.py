"""Hand results from worker threads to the GUI thread without ever blocking the worker.

:class:`RunBridge` is a run-engine subscriber. ``point`` only appends to a deque and, when the
deque was empty, emits one queued signal; the GUI drains every waiting point in one go. So the
worker never waits for the GUI (no blocking queued call, no lock held across Qt), and a fast run
costs the GUI one event per frame, not one per point.

:class:`Task` runs a function in a thread and delivers its result by a queued signal (file
loading, re-analysis, magnet field maps). :class:`QtLogHandler` forwards Python logging records.
"""
from __future__ import annotations

import collections
import logging
import threading
import traceback
from typing import Any, Callable

import shiboken6

from app.gui._qt import QObject, Signal


class RunBridge(QObject):
    """Engine subscriber living in the GUI thread; its signals cross threads queued."""

    started = Signal(object)  # RunInfo
    points_ready = Signal()
    noted = Signal(str)
    ended = Signal(object)  # RunInfo, after the analysis

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._points: collections.deque[tuple[int, dict[str, Any]]] = collections.deque()
        self._flag = threading.Event()  # set while a points_ready signal is in flight

    # --- subscriber interface (called in the worker thread) ---------------------------------
    def start(self, run: Any) -> None:
        self._points.clear()
        self.started.emit(run)

    def point(self, index: int, data: dict[str, Any]) -> None:
        self._points.append((index, data))
        if not self._flag.is_set():
            self._flag.set()
            self.points_ready.emit()

    def note(self, text: str) -> None:
        self.noted.emit(text)

    def end(self, run: Any) -> None:
        self.ended.emit(run)

    # --- GUI side ---------------------------------------------------------------------------
    def take(self) -> list[tuple[int, dict[str, Any]]]:
        """Every point waiting, oldest first (call in the GUI thread)."""
        self._flag.clear()  # before draining: a point appended from now on signals again
        out = []
        pop = self._points.popleft
        try:
            while True:
                out.append(pop())
        except IndexError:
            pass
        return out

    @property
    def backlog(self) -> int:
        return len(self._points)


class Task(QObject):
    """``fn()`` in a daemon thread; ``done(result, error_text)`` arrives in the GUI thread."""

    done = Signal(object, str)
    _alive: set["Task"] = set()  # keep a reference until the result is delivered

    def __init__(self, fn: Callable[[], Any], on_done: Callable[[Any, str], None], name: str = "gui-task",
                 owner: QObject | None = None):
        super().__init__()
        self._fn = fn
        self._on_done = on_done
        self._owner = owner  # the widget that asked: no delivery once it is deleted
        self.done.connect(self._deliver)
        Task._alive.add(self)
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.thread.start()

    def _deliver(self, result: Any, error: str) -> None:
        Task._alive.discard(self)
        if self._owner is not None and not shiboken6.isValid(self._owner):
            return
        self._on_done(result, error)

    def _run(self) -> None:
        try:
            result = self._fn()
        except Exception as exc:  # delivered to the GUI, never lost
            self.done.emit(None, f"{type(exc).__name__}: {exc}")
            logging.getLogger("spinbench.gui").debug("task failed\n%s", traceback.format_exc())
            return
        self.done.emit(result, "")


class _LogEmitter(QObject):
    record_ready = Signal(str, str, str)  # source, level, text


class QtLogHandler(logging.Handler):
    """A logging handler whose records arrive in the GUI thread: connect to
    ``handler.emitter.record_ready(source, level, text)``."""

    def __init__(self, source: str):
        super().__init__()
        self.source = source
        self.emitter = _LogEmitter()
        self.setFormatter(logging.Formatter("%(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:  # noqa: A003 - logging's name
        try:
            self.emitter.record_ready.emit(self.source, record.levelname, self.format(record))
        except RuntimeError:  # the receiver was deleted at shutdown
            pass
