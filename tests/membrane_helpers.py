"""Helpers shared by the membrane / MRFM tests: the default simulated lab with a
configured membrane, and running an experiment through the engine."""
from __future__ import annotations

from typing import Any

from app.engine import MemoryCollector, RunEngine
from app.simlab import build_sim_lab
from drivers.lab import Lab
from sequences.experiment import Experiment, RunData
from sim_backend.membrane import MembraneMode, SpinSample, add_membrane
from sim_backend.world import SimulatedWorld


def membrane_lab(seed: int = 1, *, temperature: float | None = None, mode: MembraneMode | None = None,
                 sample: SpinSample | None = None, **options: Any) -> Lab:
    world = SimulatedWorld(seed=seed)
    if temperature is not None:
        world.thermal.temperature = world.thermal.setpoint = temperature
    if sample is not None:
        options["sample"] = sample
    add_membrane(world, mode, **options)
    lab = build_sim_lab(world)
    # The idle cw-ESR lock-in bounds the world's clock step to tc/8; it plays no part here.
    lab.lockin.time_constant = 0.1
    return lab


def run(lab: Lab, experiment: Experiment) -> tuple[Any, RunData]:
    collector = MemoryCollector()
    info = RunEngine(lab).run(experiment, [collector])
    assert info.status == "completed", info.error
    return info, collector.run_data(info)
