"""The built-in simulated lab (``--sim``): one SimulatedWorld and simulated instruments."""
from __future__ import annotations

from typing import Any, Callable

from drivers.lab import Lab, LabLimits
from drivers.roles import Instrument
from sim_backend.instruments import (SimFieldController, SimGaussmeter, SimLockIn, SimRFSource,
                                     SimTemperatureController)
from sim_backend.world import SimulatedWorld

#: Functions that add further simulated subsystems: world -> {role: instrument}.
EXTRA_SUBSYSTEMS: list[Callable[[SimulatedWorld], dict[str, Instrument]]] = []


def _optional_subsystems() -> list[Callable[[SimulatedWorld], dict[str, Instrument]]]:
    found = list(EXTRA_SUBSYSTEMS)
    for module, func in (("sim_backend.pulsed", "add_pulsed"), ("sim_backend.membrane", "add_membrane"),
                         ("sim_backend.goniometer", "add_goniometer")):
        try:
            mod = __import__(module, fromlist=[func])
            found.append(getattr(mod, func))
        except (ImportError, AttributeError):
            continue
    return found


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
    for add in _optional_subsystems():
        instruments.update(add(world))
    return Lab(instruments, limits, world.clock, name="simulated lab", config=config or {"sim": True},
               modulation_t_per_v=world.modulation_t_per_v, world=world)
