"""Signals during a run: SIGINT (Ctrl-C), SIGTERM (kill, systemd, a scheduler) and SIGHUP (the
terminal or ssh session went away) all abort the run the same way, and none of them can cut
the safe state short.

The first signal asks the engine to abort (the run ends ``aborted`` with the signal as the
reason: the engine then makes the lab safe and closes the file). Every further signal only
prints what is still being done and how long it will take; the process ends when the lab is
safe and the file is closed. Only SIGKILL, which no program can catch, stops it earlier.

Python runs signal handlers in the main thread only; off it (a GUI worker) these context
managers do nothing and the caller's own abort path applies.
"""
from __future__ import annotations

import signal
import sys
import threading
from contextlib import contextmanager
from typing import Any, Callable, Iterator, TextIO

#: The signals handled, with the reason recorded in the run file.
REASONS = {signal.SIGINT: "interrupted by user (SIGINT)",
           signal.SIGTERM: "terminated (SIGTERM)",
           signal.SIGHUP: "hang-up (SIGHUP)"}


def _say(stream: TextIO | None, text: str) -> None:
    stream = stream or sys.stderr
    try:
        stream.write(f"\nspinbench: {text}\n")
        stream.flush()
    except (OSError, ValueError):  # the terminal is gone (SIGHUP): keep making the lab safe
        pass


@contextmanager
def _handlers(handler: Callable[[int, Any], None]) -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, handler) for sig in REASONS}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def progress_text(lab: Any, engine: Any) -> str:
    """What the run is still doing after an abort was asked for."""
    phase = getattr(engine, "phase", "")
    if lab.making_safe or phase == "making safe":
        return f"making the lab safe: {lab.safe_state_progress() or 'in progress'}; please wait"
    if phase == "finishing":
        return "the lab is safe; analysing and closing the run file"
    if phase == "done":
        return "the run has ended (lab safe, file closed); writing the plot"
    return "aborting: finishing the current instrument step, then making the lab safe"


@contextmanager
def shield_safe_state(lab: Any, engine: Any = None, stream: TextIO | None = None) -> Iterator[None]:
    """Around ``Lab.make_safe``: a signal prints the progress instead of interrupting."""
    def handler(signum: int, frame: Any) -> None:
        _say(stream, f"{signal.Signals(signum).name}: {progress_text(lab, engine)} "
                     f"(only SIGKILL stops it now)")

    with _handlers(handler):
        yield


@contextmanager
def abort_on_signals(engine: Any, stream: TextIO | None = None) -> Iterator[dict[str, str]]:
    """For the whole of a CLI run: the first signal aborts the run, later ones report progress.
    Yields a dict that receives ``reason`` once a signal has arrived. Before the engine has
    started (nothing touched yet) a signal raises KeyboardInterrupt as usual."""
    got: dict[str, str] = {}

    def handler(signum: int, frame: Any) -> None:
        name = signal.Signals(signum).name
        if engine.phase in ("idle", ""):
            raise KeyboardInterrupt(REASONS[signum])
        if not got:
            got["reason"] = REASONS[signum]
            engine.abort(REASONS[signum])
            if engine.phase in ("starting", "running"):
                _say(stream, f"{name}: aborting the run; the lab is then made safe (RF off, "
                             f"modulation off, field ramped to zero) and the file closed")
                return
        _say(stream, f"{name}: {progress_text(engine.lab, engine)} (only SIGKILL stops it now)")

    with _handlers(handler):
        yield got
