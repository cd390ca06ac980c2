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
#: The modulation-coil calibration the built-in lab states (peak T per V of the lock-in's sine
#: output), as ``[lab] modulation_coil`` does for a configured one.
SIM_COIL_T_PER_V = 1e-3


def build_sim_lab(world: SimulatedWorld | None = None, *, limits: LabLimits = SIM_LIMITS,
                  config: dict[str, Any] | None = None, modulation_t_per_v: float = SIM_COIL_T_PER_V) -> Lab:
    """The simulated instruments on ``world``. ``modulation_t_per_v`` is the lab's calibration of
    its modulation coil, what experiments are told; the simulated coil has its own true constant
    (``world.modulation_t_per_v``), which no experiment is given."""
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
               modulation_t_per_v=modulation_t_per_v, world=world)
