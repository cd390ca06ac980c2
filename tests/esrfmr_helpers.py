"""Helpers shared by the ESR/FMR and field-lock tests: simulated labs with just the cw instruments.

The labs are built from the public pieces (Lab, SIM_LIMITS, the simulated cw instruments) so
that other subsystems attached to the default simulated lab do not slow these tests down.
"""
from __future__ import annotations

from typing import Any

from app.engine import MemoryCollector, RunEngine
from app.simlab import SIM_COIL_T_PER_V, SIM_LIMITS
from drivers.lab import Lab
from sim_backend.instruments import (SimFieldController, SimGaussmeter, SimLockIn, SimRFSource,
                                     SimTemperatureController)
from sim_backend.world import SimulatedWorld


def esr_lab(world: SimulatedWorld, *, goniometer: bool = False, gaussmeter: bool = True) -> Lab:
    instruments: dict[str, Any] = {"rf": SimRFSource(world), "lockin": SimLockIn(world),
                                   "field": SimFieldController(world), "temperature": SimTemperatureController(world)}
    if gaussmeter:
        instruments["gaussmeter"] = SimGaussmeter(world)
    if goniometer:
        from sim_backend.goniometer import SimGoniometer

        instruments["goniometer"] = SimGoniometer(world)
    return Lab(instruments, SIM_LIMITS, world.clock, name="esr/fmr test lab", config={"sim": True},
               modulation_t_per_v=SIM_COIL_T_PER_V, world=world)


class PowerAtSample:
    """Stands in for ``world.sample`` and records, per microwave frequency, the power that reaches
    the real sample through the world's line (``power_at_sample`` of a broadband line; the
    source power for the cavity) whenever the simulator evaluates the sample."""

    def __init__(self, world: SimulatedWorld):
        self.world, self.sample = world, world.sample
        self.seen: dict[float, set[float]] = {}
        world.sample = self

    def absorption(self, field: Any, frequency: float, power: float, temperature: float) -> Any:
        line = self.world.resonator
        at_sample = line.power_at_sample(power, frequency) if hasattr(line, "power_at_sample") else power
        self.seen.setdefault(float(frequency), set()).add(float(at_sample))
        return self.sample.absorption(field, frequency, power, temperature)

    def __getattr__(self, name: str) -> Any:  # set_stage_rotation etc. reach the real sample
        if name == "sample":
            raise AttributeError(name)
        return getattr(self.sample, name)


def run(lab: Lab, experiment: Any):
    """Run to completion in this thread; returns (RunInfo, RunData)."""
    collector = MemoryCollector()
    info = RunEngine(lab).run(experiment, [collector])
    return info, collector.run_data(info)


def assert_safe(world: SimulatedWorld) -> None:
    """RF off, modulation off, magnet current at zero (to rounding: the simulated supply's last
    ramp step can leave ~1e-12 A, which world.is_safe() counts as a field)."""
    assert not world.microwave.output
    assert world.modulation_amplitude_v == 0.0
    assert abs(world.magnet.current) < 1e-9 and world.magnet.target_current == 0.0
