"""Runs that are aborted, fail, or are killed end safe and keep their data."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import h5py
import numpy as np
import pytest

from app.engine import RunEngine
from app.runner import run_experiment
from app.simlab import build_sim_lab
from app.storage import HDF5Writer, read_run
from drivers.errors import InstrumentError
from sequences.experiments import EsrFieldSweep


class AbortAt:
    def __init__(self, engine: RunEngine, n: int):
        self.engine, self.n = engine, n

    def point(self, index, data):
        if index + 1 == self.n:
            self.engine.abort()


@pytest.mark.slow
def test_abort_leaves_world_safe_and_file_holds_every_point(sim_lab, tmp_path):
    engine = RunEngine(sim_lab)
    outcome = run_experiment(EsrFieldSweep(points=200), sim_lab, tmp_path, engine=engine,
                             subscribers=[AbortAt(engine, 57)])
    assert outcome.info.status == "aborted"
    assert sim_lab.world.is_safe()
    assert not sim_lab.world.microwave.output and sim_lab.world.magnet.true_field == 0.0
    run = read_run(outcome.path)
    assert run.status == "aborted"
    assert len(run["x"]) == 57
    assert np.all(np.diff(run["field_set"]) > 0)


@pytest.mark.slow
def test_instrument_failure_mid_sweep_ends_safe_with_data_kept(sim_lab, tmp_path):
    sim_lab.lockin.fail_after = 150  # setup uses a handful of commands, then one read per point
    with pytest.raises(InstrumentError, match="lockin"):
        run_experiment(EsrFieldSweep(points=300), sim_lab, tmp_path)
    assert sim_lab.world.is_safe()
    [path] = list(tmp_path.glob("*.h5"))
    run = read_run(path)
    assert run.status == "failed"
    assert "lockin" in run.metadata["error"]
    assert 100 < len(run["x"]) < 150


def test_safe_state_ramps_field_at_the_allowed_rate(sim_lab):
    sim_lab.field.ramp_rate = 0.01
    sim_lab.field.ramp_to(0.5)
    t0 = sim_lab.clock.now()
    sim_lab.make_safe()
    assert sim_lab.world.magnet.true_field == 0.0
    assert sim_lab.clock.now() - t0 == pytest.approx(0.5 / 0.01, rel=1e-6)


def test_pause_and_resume_continue_without_duplicates(sim_lab):
    """While paused the plan stands at its checkpoint: across several of the engine's waits for
    ``resume`` no point arrives and simulated time does not move (checked inside those waits, so
    no wall-clock sleep is needed); after resume every index comes exactly once."""
    from app.engine import MemoryCollector

    engine = RunEngine(sim_lab)
    col = MemoryCollector()
    seen: list[tuple[str, int, float]] = []

    class ResumeAfterThreeWaits:  # stands in for the engine's resume event
        def clear(self):
            pass

        def set(self):
            pass

        def wait(self, timeout=None):
            seen.append((engine.state, len(col.rows), sim_lab.clock.now()))
            if len(seen) == 3:
                engine.resume()
            return False

    class PauseAt:
        def point(self, index, data):
            if index == 20:
                engine.pause()

    engine._resume = ResumeAfterThreeWaits()
    info = engine.run(EsrFieldSweep(points=60), [col, PauseAt()])
    assert len(seen) == 3 and {state for state, _, _ in seen} == {"paused"}
    assert len({(n, t) for _, n, t in seen}) == 1  # nothing acquired, no time passed while paused
    assert seen[0][1] == 21
    assert info.status == "completed"
    assert [r["index"] for r in col.rows] == list(range(60))


KILL_SCRIPT = textwrap.dedent("""
    import sys
    from app.simlab import build_sim_lab
    from app.runner import run_experiment
    from sequences.experiments import EsrFieldSweep
    lab = build_sim_lab()
    run_experiment(EsrFieldSweep(points=500000, settle_tc=1), lab, sys.argv[1])
""")


@pytest.mark.slow
def test_sigkill_leaves_a_readable_file_with_flushed_points(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(tmp_path)])
    try:
        seen = 0
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and seen < 2000:
            time.sleep(0.3)
            files = list(tmp_path.glob("*.h5"))
            if files:
                try:
                    with h5py.File(files[0], "r", libver="latest", swmr=True) as f:
                        # a point is a whole row: every column flushed (the writer flushes the
                        # columns one after another, so a kill may fall between two of them)
                        seen = min(len(ds) for ds in f["data"].values())
                except OSError:
                    pass
        assert seen >= 2000, "the writer did not make points visible to a concurrent reader"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    run = read_run(next(tmp_path.glob("*.h5")))
    assert run.status.startswith("incomplete")
    assert len(run["x"]) >= seen
    assert np.isfinite(run["x"]).all()


def test_writer_stays_within_flush_lag(tmp_path, sim_lab):
    """A reader sees points at most ~max_lag behind, even when points stop arriving: the writer's
    flusher wakes every max_lag / 2 and writes what is pending. Its waits are driven by hand
    here (each ``tick`` is one wake-up), so no wall time is involved."""
    import threading

    exp = EsrFieldSweep(points=10)
    writer = HDF5Writer(tmp_path / "lag.h5", max_lag=0.2)
    from app.engine import RunInfo

    class Ticks:  # stands in for the flusher's stop event
        def __init__(self):
            self.timeouts, self.stopped = [], False
            self.go, self.done = threading.Semaphore(0), threading.Semaphore(0)

        def wait(self, timeout=None):
            if self.timeouts:
                self.done.release()  # the previous wake-up has been handled
            self.timeouts.append(timeout)
            self.go.acquire()
            return self.stopped

        def tick(self):
            self.go.release()
            self.done.acquire()

        def set(self):
            self.stopped = True
            self.go.release()

    ticks = writer._stop = Ticks()
    info = RunInfo(exp, exp.columns(), 10, {}, "now")
    writer.start(info)
    for i in range(5):
        writer.point(i, {c.name: float(i) for c in exp.columns()})

    def on_disk() -> int:
        with h5py.File(tmp_path / "lag.h5", "r", libver="latest", swmr=True) as f:
            return len(f["data/x"])

    assert on_disk() == 0  # buffered: no block is full yet
    ticks.tick()
    assert on_disk() == 5 and ticks.timeouts == [0.1, 0.1]  # one wake-up, max_lag / 2 after the last
    info.status = "completed"
    writer.end(info)
    assert read_run(tmp_path / "lag.h5").status == "completed"


def test_temperature_interlock_aborts_and_ends_safe(sim_lab, tmp_path):
    """The sample warming out of the lab's window stops the run (the interlock, not the plan)."""
    from app.engine import Interlock, temperature_interlock

    engine = RunEngine(sim_lab, interlocks=[Interlock(temperature_interlock, period=0.0)])

    class HeatUp:
        def point(self, index, data):
            if index == 30:
                sim_lab.world.thermal.temperature = sim_lab.limits.temperature_max + 5

    outcome = run_experiment(EsrFieldSweep(points=100), sim_lab, tmp_path, engine=engine, subscribers=[HeatUp()])
    assert outcome.info.status == "aborted"
    assert "interlock" in outcome.info.error and "temperature" in outcome.info.error
    assert sim_lab.world.is_safe()
    assert len(read_run(outcome.path)["x"]) == 31


def test_abort_interrupts_a_driver_wait_but_not_the_safe_ramp():
    """Drivers of a real lab wait on the lab's abortable clock: an abort cuts a long wait
    short (within its 50 ms polling step), but the ramp to zero during make_safe always runs to
    the end. The lab's clock is a fake one: an abort arrives when it reads 0.1 s."""
    from drivers.errors import RunAborted
    from drivers.lab import Lab, LabLimits
    from sim_backend.instruments import SimRFSource
    from sim_backend.world import SimulatedWorld

    class FakeClock:
        def __init__(self):
            self.t, self.abort_at, self.lab = 0.0, 0.1, None

        def now(self):
            return self.t

        def sleep(self, seconds):
            self.t += max(0.0, seconds)
            if self.t >= self.abort_at:
                self.lab.abort_event.set()

    rf = SimRFSource(SimulatedWorld())
    rf.clock = FakeClock()  # stands in for a driver that waits on its own clock
    clock = FakeClock()
    lab = Lab({"rf": rf}, LabLimits(), clock)
    clock.lab = lab
    assert rf.clock is not lab.clock and hasattr(rf.clock, "sleep")
    with pytest.raises(RunAborted):
        rf.clock.sleep(5.0)
    assert clock.t <= clock.abort_at + 0.05 + 1e-12
    lab.making_safe = True
    t0 = clock.t
    rf.clock.sleep(0.2)  # abort still set: ignored while making safe
    assert clock.t - t0 == pytest.approx(0.2)
@pytest.mark.parametrize("kind", ["truncated", "text", "directory", "empty"])
def test_unreadable_run_files_get_a_clear_error(tmp_path, sim_lab, kind):
    from app.cli import main

    good = run_experiment(EsrFieldSweep(points=30), sim_lab, tmp_path / "runs", plot=False).path
    bad = tmp_path / "bad.h5"
    if kind == "truncated":
        bad.write_bytes(good.read_bytes()[:3000])
    elif kind == "text":
        bad.write_text("field,x\n0.33,1e-6\n")
    elif kind == "directory":
        bad.mkdir()
    else:
        bad.write_bytes(b"")
    with pytest.raises(ValueError, match=r"truncated|not an HDF5 file|not a regular file"):
        read_run(bad)
    assert main(["show", str(bad)]) == 2
