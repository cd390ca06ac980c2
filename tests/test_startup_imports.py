"""`spinbench --help` and `spinbench list` must not pay for scipy, matplotlib, h5py or Qt.

Those are imported inside the functions that fit, plot or write; importing one at module level
(in an experiment, an analysis module or a package ``__init__``) costs `list` about a second,
so this checks ``sys.modules`` in a fresh interpreter after each command has run.
"""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("scipy", "matplotlib", "h5py", "PySide6")

PROBE = """
import contextlib, io, json, sys
import app.cli
with contextlib.redirect_stdout(io.StringIO()) as out:
    try:
        code = app.cli.main({argv!r})
    except SystemExit as exit_:
        code = exit_.code
heavy = sorted({{m.split('.')[0] for m in sys.modules}} & set({heavy!r}))
print(json.dumps({{"code": code, "heavy": heavy, "lines": out.getvalue().count(chr(10))}}))
"""


@pytest.mark.parametrize("argv", [["list"], ["--help"]])
def test_command_imports_no_heavy_library(argv: list[str]) -> None:
    proc = subprocess.run([sys.executable, "-c", PROBE.format(argv=argv, heavy=HEAVY)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["code"] in (0, None)
    assert report["lines"] > 10  # the command really printed its listing / help
    assert report["heavy"] == [], f"`spinbench {' '.join(argv)}` imported {report['heavy']}"


def test_experiment_catalogue_imports_no_heavy_library() -> None:
    """The catalogue itself (what the GUI's experiment menu and `run` resolve names with)."""
    code = ("import sys, json, sequences.experiments; "
            f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == []
