"""The built-in simulated lab (``--sim``): one SimulatedWorld and simulated instruments."""
from __future__ import annotations

from typing import Any

from drivers.lab import Lab, LabLimits
from drivers.roles import Instrument
from sim_backend.goniometer import add_goniometer
from sim_backend.instruments import (SimFieldController, SimGaussmeter, SimLockIn, SimRFSource,
                                     SimTemperatureController)
from sim_backend.membrane import add_membrane
from sim_backend.pulsed import add_pulsed
from sim_backend.world import SimulatedWorld

SIM_LIMITS = LabLimits(max_field=1.5, max_ramp_rate=0.1, max_rf_power=0.2)


def build_sim_lab(world: SimulatedWorld | None = None, *, limits: LabLimits = SIM_LIMITS,
                  config: dict[str, Any] | None = None) -> Lab:
    world = world or SimulatedWorld()
    instruments: dict[str, Instrument] = {
        "rf": SimRFSource(world),
        "lockin": SimLockIn(world),
        "field": SimFieldController(world),
        "gaussmeter": SimGaussmeter(world),
        "temperature": SimTemperatureController(world),
    }
    for add in (add_pulsed, add_membrane, add_goniometer):  # the pulsed, MRFM and rotation subsystems
        instruments.update(add(world))
    return Lab(instruments, limits, world.clock, name="simulated lab", config=config or {"sim": True},
               modulation_t_per_v=world.modulation_t_per_v, world=world)
