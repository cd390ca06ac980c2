"""The run engine: executes an experiment's plan, streams points to subscribers, and always
leaves the hardware safe.

Qt-free. The CLI runs it in the calling thread's worker; the GUI subscribes through signals.
Pause happens only at the plan's :class:`Checkpoint`; on resume the plan is told so (the
checkpoint's ``yield`` returns True) and re-issues its setpoints rather than replaying data.
"""
from __future__ import annotations

import datetime as _dt
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

from app.interrupts import shield_safe_state
from drivers.errors import RunAborted
from drivers.lab import Lab
from sequences.experiment import Block, Checkpoint, Column, Experiment, Note, Point


class Subscriber(Protocol):
    """Receives a run as it happens. Every method is optional."""

    def start(self, run: "RunInfo") -> None: ...
    def point(self, index: int, data: dict[str, Any]) -> None: ...
    def block(self, index: int, data: dict[str, Any]) -> None: ...
    def note(self, text: str) -> None: ...
    def making_safe(self, run: "RunInfo") -> None: ...
    def safe_step(self, text: str) -> None: ...
    def end(self, run: "RunInfo") -> None: ...


@dataclass
class RunInfo:
    experiment: Experiment
    columns: list[Column]
    total_points: int
    lab_snapshot: dict[str, Any]
    started: str
    ended: str = ""
    status: str = "running"  # running | completed | aborted | failed
    error: str = ""
    safe_state_errors: list[str] = field(default_factory=list)
    lab_after: dict[str, Any] = field(default_factory=dict)  # every setting after the safe state
    points: int = 0
    results: dict[str, Any] = field(default_factory=dict)
    path: Any = None
    wall_start: float = field(default_factory=time.monotonic)


def not_safe_warning(errors: list[str]) -> str:
    """The one prominent line for a run whose safe state did not complete (CLI and GUI)."""
    return "WARNING: lab NOT safe: " + "; ".join(e.split(": ", 1)[1] if e.startswith("field: ") else e
                                                 for e in errors)


def _now_iso() -> str:
    return _dt.datetime.now(_dt.timezone.utc).astimezone().isoformat(timespec="seconds")


class Interlock:
    """A condition checked by the engine while the run goes, at most every ``period`` s of wall
    time; when ``check`` returns a message the run is aborted and the message recorded."""

    def __init__(self, check: Callable[[Lab], str | None], period: float = 1.0):
        self.check, self.period, self._last = check, period, -1e9

    def due(self) -> bool:
        now = time.monotonic()
        if now - self._last >= self.period:
            self._last = now
            return True
        return False

    def next_due(self) -> float:
        """The ``time.monotonic()`` from which :meth:`due` is true again."""
        return self._last + self.period


def temperature_interlock(lab: Lab) -> str | None:
    if not lab.has("temperature"):
        return None
    t = lab.temperature.read_temperature()
    lim = lab.limits
    if not lim.temperature_min <= t <= lim.temperature_max:
        return f"sample temperature {t:.2f} K left the lab window [{lim.temperature_min}, {lim.temperature_max}] K"
    return None


class RunEngine:
    def __init__(self, lab: Lab, interlocks: list[Interlock] | None = None):
        self.lab = lab
        self.subscribers: list[Any] = []
        self.interlocks = interlocks if interlocks is not None else [Interlock(temperature_interlock, 1.0)]
        self._pause = threading.Event()
        self._resume = threading.Event()
        self._thread: threading.Thread | None = None
        self.state = "idle"
        #: Where the run is: idle | starting | running | making safe | finishing | done.
        self.phase = "idle"
        self.current: RunInfo | None = None
        self.analyse = True
        self._abort_reason = ""
        #: Before this monotonic time no interlock is due: the per-point check is one comparison.
        self._interlocks_due = 0.0

    # --- control (thread-safe, callable from the GUI thread) ------------------------------
    def subscribe(self, subscriber: Any) -> None:
        self.subscribers.append(subscriber)

    def pause(self) -> None:
        self._pause.set()

    def resume(self) -> None:
        self._pause.clear()
        self._resume.set()

    def abort(self, reason: str = "") -> None:
        """Stop at the next step and make the lab safe; ``reason`` is recorded as the error."""
        self._abort_reason = self._abort_reason or reason
        self.lab.abort_event.set()
        self._resume.set()

    @property
    def paused(self) -> bool:
        return self.state == "paused"

    # --- running ----------------------------------------------------------------------------
    def start(self, experiment: Experiment, subscribers: list[Any] = ()) -> threading.Thread:
        """Run in a worker thread; returns it. ``join()`` it or watch ``state``."""
        experiment.validate(self.lab)  # raise in the caller's thread, before any command
        self._thread = threading.Thread(target=self._run_quiet, args=(experiment, list(subscribers)),
                                        name=f"run-{experiment.name}", daemon=True)
        self.state = "running"
        self._thread.start()
        return self._thread

    def _run_quiet(self, experiment: Experiment, subscribers: list[Any]) -> None:
        try:
            self.run(experiment, subscribers)
        except Exception:
            pass  # recorded in RunInfo and delivered to subscribers' end()

    def run(self, experiment: Experiment, subscribers: list[Any] = ()) -> RunInfo:
        """Execute the plan in this thread. Raises the plan's error after the safe state."""
        experiment.validate(self.lab)
        subs = list(self.subscribers) + list(subscribers)
        lab = self.lab
        lab.abort_event.clear()
        self._abort_reason = ""
        self._pause.clear()
        self.phase = "starting"  # from here on every end goes through the safe state
        info = RunInfo(experiment, experiment.columns(), experiment.total_points(), {}, _now_iso())
        self.current, self.state = info, "running"
        interlocks, monotonic, aborted = bool(self.interlocks), time.monotonic, lab.abort_event.is_set
        self._interlocks_due = 0.0
        if interlocks:
            lab.watchers.append(self._check_interlocks)
        error: BaseException | None = None
        plan = None
        try:
            info.lab_snapshot = lab.snapshot()
            self._emit(subs, "start", info)
            self.phase = "running"
            plan = experiment.plan(lab)
            # Taken after start(): a subscriber may bind a leaner per-point handler there. One
            # handler (the run file) is called directly: the per-point path is the hot loop.
            point_handlers = [s.point for s in subs if hasattr(s, "point")]
            only = point_handlers[0] if len(point_handlers) == 1 else None
            send, index = plan.send, 0
            reply: Any = None
            while True:
                try:
                    msg = send(reply)
                except StopIteration:
                    break
                reply = None
                if aborted():
                    raise RunAborted("run aborted")
                if type(msg) is Point:
                    data = msg.data
                    if only is not None:
                        only(index, data)
                    else:
                        for handler in point_handlers:
                            handler(index, data)
                    index += 1
                    info.points = index
                    if interlocks and monotonic() >= self._interlocks_due:
                        self._check_interlocks()
                elif type(msg) is Block:
                    n = len(msg)
                    self._emit_block(subs, index, msg.data, n)
                    index += n
                    info.points = index
                    if self.interlocks:
                        self._check_interlocks()
                elif type(msg) is Checkpoint:
                    if self._pause.is_set():
                        reply = self._wait_paused(subs)
                elif type(msg) is Note:
                    self._emit(subs, "note", msg.text)
            info.status = "completed"
        except RunAborted as exc:
            reason = self._abort_reason if not str(exc).startswith("interlock") else ""
            info.status, info.error, error = "aborted", reason or str(exc) or "aborted by user", None
        except KeyboardInterrupt as exc:  # Ctrl-C in a script: abort, then let the script stop
            info.status, info.error, error = "aborted", "interrupted by user (SIGINT)", exc
        except BaseException as exc:  # noqa: BLE001 - every failure must end safe
            info.status, error = "failed", exc
            info.error = f"{type(exc).__name__}: {exc}"
            self._emit(subs, "note", traceback.format_exc())
        finally:
            self._end_safe(info, plan, subs)
        self.phase = "finishing"
        if info.status == "completed" and self.analyse and info.points:
            info.results = self._analyse(experiment, subs, info)
        self.state = info.status
        self._emit(subs, "end", info)
        self.phase = "done"
        if error is not None:
            raise error
        return info

    def _end_safe(self, info: RunInfo, plan: Any, subs: list[Any]) -> None:
        """Close the plan and make the lab safe; signals cannot interrupt this (they print the
        progress instead), and the state the lab was left in is recorded."""
        lab = self.lab
        with shield_safe_state(lab, self):
            self.phase = "making safe"
            if self._check_interlocks in lab.watchers:
                lab.watchers.remove(self._check_interlocks)
            if plan is not None:
                try:
                    plan.close()
                except Exception:
                    pass
            lab.abort_event.clear()
            self._emit(subs, "making_safe", info)
            info.safe_state_errors = lab.make_safe(progress=lambda text: self._emit(subs, "safe_step", text))
            failed = [e.split(":", 1)[0] for e in info.safe_state_errors]
            info.lab_after = lab.snapshot(skip=failed)  # what the lab was left in
            info.ended = _now_iso()

    def _analyse(self, experiment: Experiment, subs: list[Any], info: RunInfo) -> dict[str, Any]:
        source = next((s for s in subs if hasattr(s, "run_data")), None)
        if source is None:
            return {}
        try:
            return experiment.analyse(source.run_data(info))
        except Exception as exc:  # a failed fit must not lose the data
            info.error = f"analysis failed: {type(exc).__name__}: {exc}"
            return {}

    def _wait_paused(self, subs: list[Any]) -> bool:
        self.state = "paused"
        self._emit(subs, "note", "paused")
        self._resume.clear()
        while self._pause.is_set() and not self.lab.abort_event.is_set():
            self._resume.wait(0.05)
        if self.lab.abort_event.is_set():
            raise RunAborted("run aborted while paused")
        self.state = "running"
        self._emit(subs, "note", "resumed")
        return True

    def _check_interlocks(self) -> None:
        for lock in self.interlocks:
            if lock.due():
                message = lock.check(self.lab)
                if message:
                    raise RunAborted(f"interlock: {message}")
        self._interlocks_due = min(lock.next_due() for lock in self.interlocks)

    @staticmethod
    def _emit_block(subs: list[Any], index: int, data: dict[str, Any], n: int) -> None:
        """Subscribers without ``block`` receive the rows one by one."""
        for s in subs:
            if hasattr(s, "block"):
                s.block(index, data)
            elif hasattr(s, "point"):
                for k in range(n):
                    s.point(index + k, {name: col[k] for name, col in data.items()})

    @staticmethod
    def _emit(subs: list[Any], method: str, arg: Any) -> None:
        for s in subs:
            fn = getattr(s, method, None)
            if fn is not None:
                fn(arg)


class MemoryCollector:
    """Keeps every point in memory (for scripts, tests and the analysis)."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.info: RunInfo | None = None

    def start(self, run: RunInfo) -> None:
        self.rows, self.info = [], run

    def point(self, index: int, data: dict[str, Any]) -> None:
        self.rows.append(data)

    def block(self, index: int, data: dict[str, Any]) -> None:
        n = len(next(iter(data.values())))
        self.rows.extend({k: v[i] for k, v in data.items()} for i in range(n))

    def run_data(self, info: RunInfo):
        import numpy as np

        from sequences.experiment import RunData

        # A column a point does not carry reads as NaN, as in the HDF5 file.
        cols = {c.name: np.asarray([r.get(c.name, np.nan) for r in self.rows]) for c in info.columns}
        return RunData(cols, dict(info.experiment.values), status=info.status)
