"""Notes and sample metadata attached to a run: set from the command line, read back with h5py
(the documented /metadata attributes), replaced after the run."""
from __future__ import annotations

import json

import h5py
import pytest

from app.cli import main
from app.storage import read_run, write_notes


def test_cli_note_and_sample_land_in_the_metadata(tmp_path, capsys):
    rc = main(["run", "esr-sweep", "--sim", "--set", "points=11", "--out", str(tmp_path), "--quiet",
               "--note", "after the 4 K cooldown", "--sample", "DPPH powder", "--sample-info", "batch = A7"])
    assert rc == 0
    (path,) = tmp_path.glob("*.h5")
    with h5py.File(path, "r") as f:  # what any HDF5 reader sees
        assert json.loads(f["metadata"].attrs["notes"]) == "after the 4 K cooldown"
        assert json.loads(f["metadata"].attrs["sample"]) == {"name": "DPPH powder", "batch": "A7"}
    main(["show", str(path), "--png", str(tmp_path / "p.png")])
    shown = capsys.readouterr().out
    assert "  sample   DPPH powder, batch: A7\n" in shown and "  notes    after the 4 K cooldown\n" in shown
    write_notes(path, "re-measured: same line", {"name": "DPPH powder"})
    run = read_run(path)
    assert run.metadata["notes"] == "re-measured: same line" and run.metadata["sample"] == {"name": "DPPH powder"}


def test_a_run_without_notes_has_empty_ones(tmp_path):
    assert main(["run", "esr-sweep", "--sim", "--set", "points=11", "--out", str(tmp_path), "--quiet"]) == 0
    run = read_run(next(tmp_path.glob("*.h5")))
    assert run.metadata["notes"] == "" and run.metadata["sample"] == {}


def test_bad_sample_field_is_refused_before_the_run(tmp_path, capsys):
    assert main(["run", "esr-sweep", "--sim", "--out", str(tmp_path), "--sample-info", "A7"]) == 2
    assert "--sample-info 'A7': write KEY=VALUE" in capsys.readouterr().err
    assert not list(tmp_path.glob("*.h5"))
    with pytest.raises(FileNotFoundError, match="no run file at"):
        write_notes(tmp_path / "missing.h5", "x", {})
