"""The shell examples of docs/esr-fmr.md stay valid: every `spinbench run` command names a real
experiment and lab config, and its settings pass the experiment's and the lab's checks (running
them all takes about a minute; they were run by hand with the results quoted in the docs)."""
from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from app.labconfig import lab_from_file
from app.runner import experiment_from_settings
from app.simlab import build_sim_lab

ROOT = Path(__file__).resolve().parents[1]


def doc_commands() -> list[list[str]]:
    text = (ROOT / "docs" / "esr-fmr.md").read_text(encoding="utf-8").replace("\\\n", " ")
    return [shlex.split(line.split("#")[0]) for line in text.splitlines() if line.startswith("spinbench run ")]


@pytest.mark.parametrize("argv", doc_commands(), ids=lambda a: a[2])
def test_documented_command_is_accepted(argv):
    name, settings, config = argv[2], [], None
    rest = iter(argv[3:])
    for arg in rest:
        if arg == "--set":
            settings.append(next(rest))
        elif arg == "--config":
            config = next(rest)
        else:
            assert arg == "--sim", f"unexpected argument {arg!r}"
    lab = lab_from_file(ROOT / config) if config else build_sim_lab()
    try:
        experiment_from_settings(name, settings, lab)  # raises ParameterError naming every problem
    finally:
        lab.close()


def test_docs_show_the_fmr_examples_with_a_sim_config():
    names = {a[2]: a for a in doc_commands()}
    for name in ("fmr-map", "temperature-series"):
        assert "--config" in names[name], f"{name} needs a [sim] lab with a ferromagnet to see a line"
