"""The tutorial's worked examples (examples/*.py) measure what they claim on simulated physics
whose truth only the test knows."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from scipy.constants import h, physical_constants

from app.runner import run_experiment
from app.simlab import build_sim_lab
from sim_backend.samples import Paramagnet
from sim_backend.world import SimulatedWorld

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def load_example(name: str):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_find_line_measures_the_g_of_a_sample_it_is_not_told(tmp_path):
    FindLine = load_example("find_line").FindLine
    world = SimulatedWorld(Paramagnet(g=2.05))  # a g the experiment is never told
    outcome = run_experiment(FindLine(), build_sim_lab(world), tmp_path, plot=False)
    assert outcome.info.status == "completed"
    g, b = outcome.info.results["g_factor"], outcome.info.results["resonance_field"]
    mu_b = physical_constants["Bohr magneton"][0]
    assert abs(b.value - h * 9.5e9 / (2.05 * mu_b)) <= b.error  # within half a field step
    assert abs(g.value - 2.05) <= g.error


def test_find_line_refuses_an_empty_window():
    FindLine = load_example("find_line").FindLine
    with pytest.raises(ValueError, match="field_stop must be above field_start"):
        FindLine(field_start=0.4, field_stop=0.3)
