"""Every command in docs/sequences.md's command block runs as documented (exit code 0, or the
documented exit 1 of a check that finds errors); pulsed runs use small point counts."""
from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from app.cli import main
from sequences.experiments import EXPERIMENTS

DOC = Path(__file__).resolve().parents[1] / "docs" / "sequences.md"


def documented_commands() -> list[tuple[list[str], str]]:
    """(argv, comment) of each ``spinbench ...`` line in the doc's first code block (Commands)."""
    text = DOC.read_text()
    block = re.search(r"## Commands\s+```\n(.*?)```", text, re.S).group(1)
    out = []
    for line in block.splitlines():
        command, _, comment = line.partition("#")
        words = shlex.split(command)
        if words and words[0] == "spinbench":
            out.append((words[1:], comment.strip()))
    return out


COMMANDS = documented_commands()


def test_the_doc_lists_the_pulsed_runs():
    runs = [argv for argv, _ in COMMANDS if argv[0] == "run"]
    assert {argv[1] for argv in runs} == {"nutation", "t1", "t2-hahn", "cpmg", "fid"}
    assert all("--sim" in argv for argv in runs)


@pytest.mark.parametrize("argv,comment", COMMANDS, ids=[" ".join(a[:2]) + f" #{i}" for i, (a, _) in
                                                         enumerate(COMMANDS)])
def test_documented_command_runs(argv, comment, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # PNG/JSON outputs named in the doc land here
    argv = list(argv)
    if argv[0] == "run":
        exp = EXPERIMENTS[argv[1]]
        given = {a.split("=", 1)[0] for a in argv if "=" in a}
        if any(p.name == "points" for p in exp.parameters) and "points" not in given:
            argv += ["--set", "points=8"]  # keeps the test fast; the doc's ranges stay as written
        argv += ["--out", str(tmp_path / "runs"), "--quiet"]
    expected = 1 if "exit 1" in comment and argv[:2] == ["sequence", "check"] else 0
    rc = main(argv)
    captured = capsys.readouterr()
    assert rc == expected, f"spinbench {' '.join(argv)} -> {rc}\n{captured.out}\n{captured.err}"
    if argv[0] == "run":
        assert "status:   completed" in captured.out, captured.out
        assert list((tmp_path / "runs").glob("*.h5"))
