"""The simulated NV bench: the world's magnet and microwave source, and the NV centre's
pulser, laser and photon counter (``[sim] sample = "nv"``)."""
from __future__ import annotations

from typing import Any

from drivers.lab import Lab, LabLimits
from drivers.pulse_program import ChannelMap
from sim_backend.instruments import SimFieldController, SimGaussmeter, SimRFSource, SimTemperatureController
from sim_backend.nv import NvSample, add_nv
from sim_backend.world import SimulatedWorld

NV_LIMITS = LabLimits(max_field=0.2, max_ramp_rate=0.1, max_rf_power=1.0, max_rf_duty_cycle=0.5)


def build_nv_lab(sample: NvSample | None = None, world: SimulatedWorld | None = None, *,
                 limits: LabLimits = NV_LIMITS, seed: int = 7, true_laser_delay: float = 0.0,
                 true_mw_delay: float = 0.0, channels: ChannelMap | None = None,
                 channel_delays: dict[str, float] | None = None, config: dict[str, Any] | None = None) -> Lab:
    """The NV bench. ``true_laser_delay`` and ``true_mw_delay`` are the simulated AOM's and
    microwave switch's physical delays (``[sim] true_*_delay``), which only the simulation knows;
    ``channels`` is the pulse programmer's wiring and ``channel_delays`` the delays its ``[sim]
    channels`` table declares, the lab's calibration and all that the compiler compensates."""
    world = world or SimulatedWorld(seed=seed)
    instruments = {"rf": SimRFSource(world), "field": SimFieldController(world), "gaussmeter": SimGaussmeter(world),
                   "temperature": SimTemperatureController(world)}
    instruments.update(add_nv(world, sample, seed=seed, true_laser_delay=true_laser_delay,
                              true_mw_delay=true_mw_delay, channels=channels, channel_delays=channel_delays))
    return Lab(instruments, limits, world.clock, name="simulated NV bench", config=config or {"sim": True},
               world=world)
