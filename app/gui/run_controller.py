"""Run control logic (no widgets): start, pause/resume, abort, the run queue, ETA.

A run is exactly what ``spinbench run`` does: :func:`app.runner.run_experiment` (validate, HDF5
writer, engine, analysis, PNG), called in a worker thread with the GUI's
:class:`~app.gui.bridge.RunBridge` (and, on a simulated lab, a
:class:`~app.gui.pacing.RealTimePacer`) as extra subscribers. The GUI thread only sends
commands to the thread-safe engine and receives queued signals; it never waits for the worker.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from app.engine import RunEngine
from app.gui._qt import QObject, QTimer, Signal
from app.gui.bridge import RunBridge
from app.gui.pacing import paced_subscribers
from app.runner import run_experiment
from drivers.lab import Lab
from sequences.experiment import Experiment
from sequences.experiments import get_experiment


@dataclass
class QueuedRun:
    """An experiment name and its SI parameter values, waiting in the queue."""

    name: str
    values: dict[str, Any]
    label: str = ""

    def build(self) -> Experiment:
        return get_experiment(self.name)(**self.values)

    @classmethod
    def of(cls, exp: Experiment) -> "QueuedRun":
        """Labelled with the parameters that differ from their defaults, in display units
        ('field_start=337.5 mT'). Compared as shown, so a default typed back (1 us read as
        1.0000000000000002e-06 s) is not listed as changed."""
        parts = []
        for k, v in exp.values.items():
            p = exp.parameter(k)
            if p.text(v) != p.text(p.default):
                parts.append(f"{k}={p.text(v)}" + (f" {p.shown_unit}" if p.shown_unit and p.kind is not str else ""))
        text = ", ".join(parts)
        return cls(exp.name, dict(exp.values), f"{exp.name}" + (f" ({text})" if text else " (defaults)"))


@dataclass
class Progress:
    """Points done of total and the time left, on ``clock`` (the wall clock; tests pass a fake).

    Paused time is not run time: while paused the time left stands still, and after resuming
    the rate is measured over the time the run actually ran."""

    done: int = 0
    total: int = 0
    clock: Callable[[], float] = time.monotonic
    started: float = float("nan")
    estimate: float = float("nan")  # s, before enough points arrived
    paused_for: float = 0.0  # s paused, finished pauses
    paused_since: float | None = None

    def __post_init__(self) -> None:
        if self.started != self.started:
            self.started = self.clock()

    @property
    def fraction(self) -> float:
        return min(1.0, self.done / self.total) if self.total else 0.0

    def pause(self) -> None:
        if self.paused_since is None:
            self.paused_since = self.clock()

    def resume(self) -> None:
        if self.paused_since is not None:
            self.paused_for += self.clock() - self.paused_since
            self.paused_since = None

    def running_time(self) -> float:
        """Seconds since the start, less every pause (a pause in progress included)."""
        now = self.paused_since if self.paused_since is not None else self.clock()
        return now - self.started - self.paused_for

    def time_left(self) -> float:
        elapsed = self.running_time()
        if self.done >= 3:
            return elapsed / self.done * max(0, self.total - self.done)
        return max(0.0, self.estimate - elapsed) if self.estimate == self.estimate else float("nan")


#: Points waiting in the bridge are handed on at most this often (ms): once a 60 Hz frame.
DRAIN_MS = 16


class RunController(QObject):
    """Owns the engine of one lab; every method is called in the GUI thread."""

    state_changed = Signal(str)  # idle | starting | running | paused | aborting | <final status>
    run_started = Signal(object)  # RunInfo (its ``path`` is the file being written)
    points = Signal(list)  # list of data dicts, in arrival order
    note = Signal(str)
    run_ended = Signal(object)  # RunInfo with results (file still closing)
    run_finished = Signal(object, str)  # RunOutcome or None, error text
    queue_changed = Signal()

    def __init__(self, lab: Lab, out_dir: str | Path = "runs", *, speed: float = 1.0,
                 io_lock: threading.Lock | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.out_dir = Path(out_dir)
        self.speed = float(speed)
        self.io_lock = io_lock or threading.Lock()  # shared with the instrument poller
        self.queue: list[QueuedRun] = []
        self.queue_running = False
        self.state = "idle"
        self.progress = Progress()
        self.last_outcome: Any = None
        self.current_path: Path | None = None
        self.write_png = True
        self.frame_gate: Any = None  # a pacing.FrameGate: a simulated run waits while the plot draws
        self._thread: threading.Thread | None = None
        self._pacers: list[Any] = []
        self._abort_requested = threading.Event()
        self.wall: Callable[[], float] = time.monotonic  # the clock of the time left (tests: a fake)
        self.bridge = RunBridge(self)
        self.bridge.started.connect(self._on_started)
        # points are handed on at most once a frame: a fast run's points arrive one by one, and
        # every hand-on costs each listener (plot, instruments, progress) its fixed overhead
        self._drain_timer = QTimer(self)
        self._drain_timer.setSingleShot(True)
        self._drain_timer.setInterval(DRAIN_MS)
        self._drain_timer.timeout.connect(self._drain)
        self.bridge.points_ready.connect(self._drain_soon)
        self.bridge.noted.connect(self._on_note)
        self.bridge.ended.connect(self._on_ended)
        self._finished_bridge = _Finished(self)
        self._finished_bridge.finished.connect(self._on_finished)
        self.set_lab(lab)

    def set_lab(self, lab: Lab | None) -> None:
        if self.busy:
            raise RuntimeError("cannot change the lab while a run is in progress")
        self.lab = lab
        self.engine = RunEngine(lab) if lab is not None else None

    # --- state ------------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self._thread is not None and self._thread.is_alive() or self.state in ("starting", "running", "pausing", "paused", "aborting")

    def _set_state(self, state: str) -> None:
        if state != self.state:
            if state == "paused":
                self.progress.pause()
            elif self.state == "paused":
                self.progress.resume()
            self.state = state
            self.state_changed.emit(state)

    def set_speed(self, speed: float) -> None:
        self.speed = float(speed)
        for p in self._pacers:
            p.speed = self.speed

    # --- commands ---------------------------------------------------------------------------------
    def start(self, experiment: Experiment) -> None:
        """Validate against the lab (raises ParameterError before anything is sent), then run."""
        if self.busy:
            raise RuntimeError("a run is already in progress; wait for it, or abort it")
        if self.lab is None:
            raise RuntimeError("no lab connected: press Connect in the Instruments panel")
        experiment.validate(self.lab)
        self._pacers = paced_subscribers(self.lab, self.speed, gate=self.frame_gate)
        self._abort_requested = threading.Event()
        subs = [_AbortBeforeStart(self._abort_requested, self.engine), self.bridge, *self._pacers]
        self.progress = Progress(0, experiment.total_points(), clock=self.wall, estimate=self._estimate(experiment))
        self.current_path = None
        self._set_state("starting")
        self._thread = threading.Thread(target=self._work, args=(experiment, subs), name="gui-run", daemon=True)
        self._thread.start()

    def _estimate(self, exp: Experiment) -> float:
        est = exp.estimated_duration()
        if getattr(self.lab, "world", None) is not None:
            return est / self.speed if self.speed > 0 else float("nan")
        return est

    def _work(self, experiment: Experiment, subs: list[Any]) -> None:
        with self.io_lock:  # wait for an instrument poll in progress to finish
            pass
        try:
            outcome = run_experiment(experiment, self.lab, self.out_dir, subscribers=subs,
                                     engine=self.engine, plot=self.write_png)
        except Exception as exc:  # the engine has already made the lab safe
            self._finished_bridge.finished.emit(None, f"{type(exc).__name__}: {exc}")
            return
        self._finished_bridge.finished.emit(outcome, "")

    def pause(self) -> None:
        if self.state == "running":
            self.engine.pause()
            self._set_state("pausing")

    def resume(self) -> None:
        if self.state in ("paused", "pausing"):
            self.engine.resume()
            self._set_state("running")

    def abort(self) -> None:
        """Stop at once: the plan is interrupted and the lab driven to its safe state."""
        self.queue_running = False
        if self.busy:
            self._abort_requested.set()  # an abort before the engine began is not lost
            self.engine.abort()
            self._set_state("aborting")

    def wait(self, timeout: float | None = None) -> bool:
        """Join the worker (tests and shutdown only: never from a slot)."""
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return True

    # --- queue ------------------------------------------------------------------------------------
    def enqueue(self, experiment: Experiment) -> QueuedRun:
        if self.lab is not None:
            experiment.validate(self.lab)
        item = QueuedRun.of(experiment)
        self.queue.append(item)
        self.queue_changed.emit()
        return item

    def remove(self, index: int) -> None:
        del self.queue[index]
        self.queue_changed.emit()

    def clear_queue(self) -> None:
        self.queue.clear()
        self.queue_changed.emit()

    def run_queue(self) -> None:
        if not self.queue or self.busy:
            return
        self.queue_running = True
        self._next_from_queue()

    def _next_from_queue(self) -> None:
        if not self.queue_running or not self.queue:
            self.queue_running = False
            return
        item = self.queue.pop(0)
        self.queue_changed.emit()
        try:
            self.start(item.build())
        except Exception as exc:
            self.queue_running = False
            self.note.emit(f"queue stopped: {item.label}: {exc}")

    # --- engine events (GUI thread) ----------------------------------------------------------------
    def _on_started(self, info: Any) -> None:
        self.current_path = Path(info.path) if info.path else None
        self.progress.total = info.total_points
        if self.state == "starting":
            self._set_state("running")
        self.run_started.emit(info)

    def _drain_soon(self) -> None:
        if not self._drain_timer.isActive():
            self._drain_timer.start()

    def _drain(self) -> None:
        self._drain_timer.stop()
        items = self.bridge.take()
        if items:
            self.progress.done = items[-1][0] + 1
            self.points.emit([data for _, data in items])

    def _on_note(self, text: str) -> None:
        if text == "paused":
            self._set_state("paused")
        elif text == "resumed" and self.state != "aborting":
            self._set_state("running")
        self.note.emit(text)

    def _on_ended(self, info: Any) -> None:
        self._drain()
        self.run_ended.emit(info)

    def _on_finished(self, outcome: Any, error: str) -> None:
        self._drain()
        if self._thread is not None:
            self._thread.join(1.0)  # it has returned already: the signal is its last act
        self.last_outcome = outcome
        status = outcome.info.status if outcome is not None else ("failed" if error else "idle")
        self._pacers = []
        self._set_state(status)
        self.run_finished.emit(outcome, error)
        if status == "completed" and self.queue_running:
            self._next_from_queue()
        else:
            self.queue_running = False


class _Finished(QObject):
    finished = Signal(object, str)


class _AbortBeforeStart:
    """Engine subscriber (worker thread): the engine clears its abort flag when its run begins,
    so an Abort (or a close) pressed between Start and that moment is re-issued here, before the
    plan's first step."""

    def __init__(self, requested: threading.Event, engine: RunEngine):
        self.requested, self.engine = requested, engine

    def start(self, run: Any) -> None:
        if self.requested.is_set():
            self.engine.abort()
