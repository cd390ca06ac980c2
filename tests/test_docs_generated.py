"""The generated reference pages say what the code declares: docs/generate.py --check finds no
stale section, every [sim] key, sample field and experiment appears, and every field a
[sim.sample_parameters] table can set has a declared unit and meaning."""
from __future__ import annotations

import dataclasses
import runpy
from pathlib import Path

from app.simconfig import SAMPLE_PARAMETERS, SAMPLES, SIM_TABLE, sample_class
from sequences.experiments import EXPERIMENTS

DOCS = Path(__file__).resolve().parents[1] / "docs"
GENERATE = runpy.run_path(str(DOCS / "generate.py"))


def test_generated_sections_are_up_to_date():
    assert GENERATE["stale"]() == [], "run: python docs/generate.py"


def test_every_sample_field_has_a_declared_unit_and_meaning():
    fields = {f.name for kind in SAMPLES for f in dataclasses.fields(sample_class(kind)) if f.init}
    assert fields <= set(SAMPLE_PARAMETERS), sorted(fields - set(SAMPLE_PARAMETERS))
    assert set(SAMPLE_PARAMETERS) <= fields, sorted(set(SAMPLE_PARAMETERS) - fields)  # none left over


def test_every_sim_key_and_experiment_is_on_its_page():
    simulator = (DOCS / "simulator.md").read_text(encoding="utf-8")
    assert all(f"| `{key.name}` |" in simulator for key in SIM_TABLE)
    experiments = (DOCS / "experiments.md").read_text(encoding="utf-8")
    for name, cls in EXPERIMENTS.items():
        assert f"### `{name}`: " in experiments and cls.__qualname__ in experiments
        assert all(f"| `{p.name}` |" in experiments for p in cls.parameters)


def test_render_replaces_only_the_generated_section():
    page = "intro\n<!-- generated:x -->\nold\n<!-- /generated:x -->\nend\n"
    assert GENERATE["render"](page, "x", "new") == "intro\n<!-- generated:x -->\nnew\n<!-- /generated:x -->\nend\n"
