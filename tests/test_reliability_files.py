"""Run files under stress: a SWMR reader open across the end of a run, runs started in the same
second (HDF5 file locking on and off), recovery of a killed run, unusable --out and run files,
and the exit statuses and messages of runs that do not complete or leave the lab unsafe."""
from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
import textwrap

import h5py
import numpy as np
import pytest

from app import cli
from app.run_files import reserve_run_file
from app.simlab import build_sim_lab
from app.storage import FORMAT, read_run
from drivers.errors import InstrumentError
from sim_backend.world import SimulatedWorld
from tests.reliability_helpers import ROOT, SIM_ARGS, Child


@pytest.mark.slow
def test_a_swmr_reader_open_across_the_end_does_not_break_completion(tmp_path):
    child = Child(["run", "esr-sweep", *SIM_ARGS, "--out", "runs"], tmp_path)
    child.wait_for_saved(10)
    [path] = (tmp_path / "runs").glob("*.h5")
    with h5py.File(path, "r", libver="latest", swmr=True) as reader:  # held until the end
        x = reader["data/x"]
        seen = len(x)
        assert seen >= 10
        assert child.finish() == 0, child.err
        x.refresh()
        assert len(x) == 60 and np.isfinite(x[...]).all()
    assert "status:   completed" in child.out and "(60 points)" in child.out
    run = read_run(path)
    assert run.status == "completed" and run.metadata["points"] == 60
    assert "g_factor" in run.results and path.with_suffix(".png").exists()
    with h5py.File(path, "r") as f:  # closed cleanly: any reader opens it
        assert f.attrs["status"] == "completed"


SAME_SECOND = textwrap.dedent("""
    import multiprocessing as mp, sys, time
    from pathlib import Path
    from app.simlab import build_sim_lab
    from app.runner import run_experiment
    from sequences.experiments import EsrFieldSweep

    def run(barrier, out):
        lab = build_sim_lab()
        exp = EsrFieldSweep(points=5, field_start=0.3380, field_stop=0.3390, ramp_rate=0.1)
        barrier.wait()
        outcome = run_experiment(exp, lab, out, plot=False)
        sys.exit(0 if outcome.info.status == "completed" else 1)

    ctx = mp.get_context("fork")
    for trial in range(int(sys.argv[2])):
        while time.time() % 1.0 > 0.5:  # start early in a second: both names are the same second's
            time.sleep(0.01)
        barrier = ctx.Barrier(2)
        procs = [ctx.Process(target=run, args=(barrier, Path(sys.argv[1]) / f"trial{trial}")) for _ in range(2)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(60)
        print(trial, *(p.exitcode for p in procs), flush=True)
""")


@pytest.mark.parametrize("locking,trials", [pytest.param("TRUE", 20, marks=pytest.mark.slow),
                                             pytest.param("FALSE", 20, marks=pytest.mark.slow),
                                             ("FALSE", 3)])
def test_runs_started_in_the_same_second_get_their_own_files(tmp_path, locking, trials):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HDF5_USE_FILE_LOCKING": locking}
    done = subprocess.run([sys.executable, "-c", SAME_SECOND, str(tmp_path), str(trials)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:trials] == [f"{t} 0 0" for t in range(trials)], done.stdout + done.stderr
    collided = 0
    for trial in range(trials):
        files = sorted((tmp_path / f"trial{trial}").glob("*.h5"))
        assert len(files) == 2, files
        uuids = set()
        for path in files:
            with h5py.File(path, "r") as f:  # each closed cleanly, holding one whole run
                assert f.attrs["status"] == "completed" and f.attrs["points"] == 5 == len(f["data/x"])
                uuids.add(f.attrs["uuid"])
        assert len(uuids) == 2
        collided += any(re.fullmatch(r"\d{8}-\d{6}-2_esr-sweep\.h5", p.name) for p in files)
    assert collided >= 1  # the same-second case really happened


def test_a_taken_name_gets_a_numbered_suffix(tmp_path):
    when = dt.datetime(2026, 12, 2, 13, 5, 7)
    names = [reserve_run_file("esr-sweep", tmp_path, when).name for _ in range(3)]
    assert names == ["20261202-130507_esr-sweep.h5", "20261202-130507-2_esr-sweep.h5",
                     "20261202-130507-3_esr-sweep.h5"]


def test_out_pointing_at_a_regular_file_is_one_clear_line(tmp_path, capsys):
    target = tmp_path / "notadir"
    target.write_text("x")
    assert cli.main(["run", "esr-sweep", "--sim", "--out", str(target)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is a regular file, not a folder" in err[0] and str(target) in err[0]


def test_show_of_a_spinbench_file_without_data_is_a_clear_error(tmp_path, capsys):
    path = tmp_path / "nodata.h5"
    with h5py.File(path, "w") as f:
        f.attrs["format"] = FORMAT
        f.create_group("metadata")
    assert cli.main(["show", str(path)]) == 2
    err = capsys.readouterr().err
    assert "without its /data group" in err and "Traceback" not in err and "KeyError" not in err


@pytest.mark.slow
def test_recover_refuses_a_file_still_being_written_and_leaves_finished_ones(tmp_path, sim_lab, capsys):
    from app.runner import run_experiment
    from sequences.experiments import EsrFieldSweep

    path = run_experiment(EsrFieldSweep(points=8), sim_lab, tmp_path, plot=False).path
    assert cli.main(["recover", str(path)]) == 0
    assert "nothing to recover (status completed, 8 points)" in capsys.readouterr().out
    with h5py.File(path, "r+") as f:  # as if this (live) process had been writing it
        f.attrs["status"] = "running"
    assert cli.main(["recover", str(path)]) == 2
    assert f"still being written by process {os.getpid()}" in capsys.readouterr().err


def _lab_with(monkeypatch, fault):
    world = SimulatedWorld(seed=3)
    lab = build_sim_lab(world)
    fault(lab, world)
    monkeypatch.setattr(cli, "_sim_lab", lambda args: lab)
    return lab, world


def test_an_instrument_fault_exits_3_with_the_file_and_its_points(tmp_path, monkeypatch, capsys):
    lab, world = _lab_with(monkeypatch, lambda lab, world: setattr(lab.lockin, "fail_after", 60))
    rc = cli.main(["run", "esr-sweep", "--sim", "--quiet", "--set", "points=100", "--out", str(tmp_path)])
    out, err = capsys.readouterr()
    assert rc == 3
    [path] = tmp_path.glob("*.h5")
    n = len(read_run(path)["x"])
    assert 0 < n < 60 and f"run file: {path}  ({n} points)" in out
    assert "status:   failed" in out and "lockin" in err and "Traceback" not in err
    assert world.is_safe()


@pytest.mark.slow
def test_a_field_supply_that_drops_out_in_the_safe_state_exits_4_with_a_warning(tmp_path, monkeypatch, capsys):
    def drop_out(lab, world):
        def make_safe():  # the supply stops answering as the ramp to zero starts
            raise InstrumentError("field", "no reply within 2 s (timeout)")
        lab.field.make_safe = make_safe

    lab, world = _lab_with(monkeypatch, drop_out)
    rc = cli.main(["run", "esr-sweep", "--sim", "--quiet", "--set", "points=20", "--out", str(tmp_path)])
    out, err = capsys.readouterr()
    assert rc == 4
    last = world.magnet.supply_field * 1e3
    line = f"WARNING: lab NOT safe: field controller did not confirm 0 T (last reading {last:.4g} mT)"
    assert line in out and line in err
    assert not world.microwave.output and world.modulation_amplitude_v == 0.0  # the rest is safe
    [path] = tmp_path.glob("*.h5")
    run = read_run(path)
    assert run.status == "completed" and "field controller did not confirm" in run.metadata["safe_state_errors"][0]
    assert "field" not in run.metadata["instruments_after"]  # not asked again once it stopped answering
    assert f"run file: {path}  (20 points)" in out
    assert cli.main(["show", str(path)]) == 0
    assert "WARNING: lab NOT safe" in capsys.readouterr().out


def test_the_gui_run_panel_shows_a_red_banner_when_the_lab_is_not_safe(qtbot, tmp_path):
    from app.engine import RunInfo
    from app.gui.run_control import RunControlPanel
    from app.gui.run_controller import RunController
    from app.runner import RunOutcome
    from sequences.experiments import EsrFieldSweep

    exp = EsrFieldSweep(points=5)
    panel = RunControlPanel(RunController(build_sim_lab(), tmp_path, speed=0), lambda: exp)
    qtbot.addWidget(panel)
    info = RunInfo(exp, exp.columns(), 5, {}, "now", status="aborted",
                   safe_state_errors=["field: field controller did not confirm 0 T (last reading 334 mT): timeout"])
    panel._on_finished(RunOutcome(info, tmp_path / "x.h5", None), "")
    assert panel.message.text().startswith(
        "WARNING: lab NOT safe: field controller did not confirm 0 T (last reading 334 mT)")
    assert "background: #b00020" in panel.message.styleSheet()


def test_ctrl_c_in_a_script_aborts_safely_then_reaches_the_script(sim_lab, tmp_path):
    """A KeyboardInterrupt raised inside the run (Ctrl-C in a script or notebook) ends the run
    `aborted` with the reason, after the safe state; the script still sees the interrupt."""
    from app.engine import RunEngine
    from app.runner import run_experiment
    from sequences.experiments import EsrFieldSweep

    class CtrlC:
        def point(self, index, data):
            if index == 11:
                raise KeyboardInterrupt

    engine = RunEngine(sim_lab)
    with pytest.raises(KeyboardInterrupt):
        run_experiment(EsrFieldSweep(points=50), sim_lab, tmp_path, engine=engine, subscribers=[CtrlC()])
    assert sim_lab.world.is_safe()
    run = read_run(next(tmp_path.glob("*.h5")))
    assert run.status == "aborted" and run.metadata["error"] == "interrupted by user (SIGINT)"
    assert len(run["x"]) == 12


def test_a_signal_during_the_safe_state_does_not_cut_the_ramp_short(sim_lab, tmp_path, capsys):
    """In the main thread (a script), SIGINT and SIGTERM arriving while the field ramps to zero
    are answered with the progress; the ramp runs to its end."""
    import signal

    from app.engine import RunEngine
    from sequences.experiments import EsrFieldSweep

    field = sim_lab.field
    ramp = field.make_safe

    def make_safe_while_signalled():
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            os.kill(os.getpid(), sig)  # handled before the next line runs
        ramp()

    field.make_safe = make_safe_while_signalled
    info = RunEngine(sim_lab).run(EsrFieldSweep(points=10))
    assert info.status == "completed" and info.safe_state_errors == []
    assert sim_lab.world.is_safe() and sim_lab.world.magnet.true_field == 0.0
    err = capsys.readouterr().err
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        assert re.search(rf"spinbench: {name}: making the lab safe: ramping field to zero: \d+ mT, \d+ s left", err)


@pytest.mark.slow
def test_a_served_field_supply_dropping_out_in_the_safe_ramp_exits_4(tmp_path):
    """Over the wire with the real magnet-supply driver: the supply stops answering as the ramp
    to zero ends: the second `CURR 0.00000` (the first is the driver's set-up, the second the
    ramp's last step) closes the connection, and so does every later one. The run's data are
    complete, but the lab is not safe, and the user is told."""
    from app.labconfig import lab_from_file
    from tests.reliability_helpers import WIRE_SETS
    from tests.served_helpers import sim_serve, stop

    server, toml = sim_serve(tmp_path, "--fault", "field=drop,match=CURR 0.00000,times=0,after=1")
    try:
        child = Child(["run", "esr-sweep", "--config", str(toml), *WIRE_SETS, "--out", "runs"], tmp_path)
        assert child.finish() == 4, child.err
        line = re.search(r"WARNING: lab NOT safe: field controller did not confirm 0 T \(last reading ([\d.]+) mT\)",
                         child.out)
        assert line and f"spinbench: {line.group(0)}" in child.err
        last = float(line.group(1))  # read back after the failure: where the ramp stopped
        [path] = (tmp_path / "runs").glob("*.h5")
        run = read_run(path)
        assert run.status == "completed" and len(run["x"]) == 40 and run.metadata["safe_state_errors"]
        assert f"({len(run['x'])} points)" in child.out
        check = lab_from_file(toml)
        try:  # the supply still answers queries: the magnet really was left at field
            assert check.rf.output is False
            assert check.field.field * 1e3 == pytest.approx(last, rel=1e-3) and 0 < last < 20
        finally:
            check.close()
    finally:
        stop(server)
