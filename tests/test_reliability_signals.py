"""The signal matrix: `spinbench run` as a subprocess on the simulated lab in-process (paced
with --speed so the ramps take wall time) and over the wire (`spinbench sim-serve`, real
drivers), signalled at three moments. Each case checks the instruments' final state, the file's
status, that every point the progress bar showed is in the file, and the exit status."""
from __future__ import annotations

import json
import re
import signal

import h5py
import pytest

from app.labconfig import lab_from_file
from app.run_files import recover_run_file
from app.storage import read_run
from tests.reliability_helpers import SIM_ARGS, WIRE_SETS, Child
from tests.served_helpers import sim_serve, stop

KINDS = {"SIGINT": [signal.SIGINT], "SIGINTx2": [signal.SIGINT] * 2, "SIGINTx3": [signal.SIGINT] * 3,
         "SIGTERM": [signal.SIGTERM], "SIGHUP": [signal.SIGHUP], "SIGKILL": [signal.SIGKILL]}
REASON = {signal.SIGINT: "interrupted by user (SIGINT)", signal.SIGTERM: "terminated (SIGTERM)",
          signal.SIGHUP: "hang-up (SIGHUP)"}
MOMENTS = ("ramp-to-start", "mid-sweep", "safe-ramp")
#: The case in the fast lane (pytest -m "not slow"): a second Ctrl-C during the safe ramp. The
#: rest, SIGKILL and the served (wire) lab included, run in the full suite.
FAST = {("in-process", "SIGINTx2", "mid-sweep")}


def cases():
    for lab in ("in-process", "wire"):
        for kind in KINDS:
            for moment in MOMENTS:
                marks = () if (lab, kind, moment) in FAST else (pytest.mark.slow,)
                yield pytest.param(lab, kind, moment, marks=marks, id=f"{lab}-{kind}-{moment}")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    proc, toml = sim_serve(tmp_path_factory.mktemp("served"))
    yield toml
    stop(proc)


def reach(child: Child, moment: str, points: int) -> None:
    if moment == "ramp-to-start":
        child.wait_for(r"\] 0/")  # the bar's first draw: the plan now ramps to the start field
    elif moment == "mid-sweep":
        child.wait_for_saved(points // 3)
    else:
        child.wait_for("ramping field to zero")  # the end of a completed sweep


def signal_case(child: Child, kind: str, moment: str, points: int) -> None:
    reach(child, moment, points)
    for k, sig in enumerate(KINDS[kind]):
        if k:  # the next signal once the previous one was answered
            child.wait_for(rf"spinbench: {signal.Signals(KINDS[kind][k - 1]).name}:", count=k)
            if moment != "ramp-to-start":
                child.wait_for("ramping field to zero")  # the bar's line as the safe ramp begins
        child.send(sig)


@pytest.mark.parametrize("lab,kind,moment", list(cases()))
def test_signal_matrix(lab, kind, moment, tmp_path, request):
    points = 60 if lab == "in-process" else 40
    if lab == "in-process":
        args = ["run", "esr-sweep", *SIM_ARGS, "--out", "runs"]
    else:
        toml = request.getfixturevalue("served")
        args = ["run", "esr-sweep", "--config", str(toml), *WIRE_SETS, "--out", "runs"]
    child = Child(args, tmp_path)
    signal_case(child, kind, moment, points)
    rc = child.finish()
    [path] = (tmp_path / "runs").glob("*.h5")
    first = KINDS[kind][0]

    if first == signal.SIGKILL:
        assert rc == -signal.SIGKILL
        with pytest.raises(OSError):  # still flagged open for writing: plain readers refuse it
            h5py.File(path, "r").close()
        assert read_run(path).status.startswith("incomplete (interrupted")
        before, n = recover_run_file(path)
        assert before == "running"
        with h5py.File(path, "r") as f:  # any HDF5 reader now
            assert f.attrs["status"] == "interrupted" and f.attrs["points"] == n == len(f["data/x"])
        assert n >= child.shown()
        return

    run = read_run(path)
    assert len(run["x"]) == run.metadata["points"] >= child.shown()
    assert f"({len(run['x'])} points)" in child.out and str(path.name) in child.out
    if moment == "safe-ramp":  # the sweep was complete: the signal only waited for the safe state
        assert rc == 0, child.err
        assert run.status == "completed" and len(run["x"]) == points
    else:
        assert rc == 3, child.err
        assert run.status == "aborted" and run.metadata["error"] == REASON[first]
        assert "Traceback" not in child.err
    for k in range(1, len(KINDS[kind])):  # every further signal said what is still being done
        assert len(re.findall(r"spinbench: SIGINT: (aborting|making the lab safe)", child.err)) >= k
    if moment == "safe-ramp" or len(KINDS[kind]) > 1 and moment == "mid-sweep":  # said during the ramp
        assert re.search(r"SIG\w+: making the lab safe: ramping field to zero: \d+ mT, \d+ s left",
                         child.err), child.err
    assert run.metadata["safe_state_errors"] == []

    if lab == "in-process":  # the lab the process held is gone: its final snapshot is in the file
        after = run.metadata["instruments_after"]
        assert after["rf"]["settings"]["output"] is False
        assert after["lockin"]["settings"]["reference_amplitude_V"] == 0.0
        assert after["field"]["settings"]["field_T"] == 0.0
    else:  # ask the served instruments themselves
        check = lab_from_file(toml)
        try:
            assert check.rf.output is False
            assert check.lockin.reference_amplitude == pytest.approx(0.004)  # the SR830's minimum
            assert abs(check.field.field) < 1e-6
        finally:
            check.close()
    assert json.loads(json.dumps(run.metadata["instruments_after"]))  # recorded for every role
