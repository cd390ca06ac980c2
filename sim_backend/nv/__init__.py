"""Simulated NV centre in diamond (optically detected magnetic resonance).

``add_nv(world, sample)`` attaches ``world.nv`` and returns the NV bench's pulser, laser and
photon counter; the microwave source and the magnet are the world's.
"""
from __future__ import annotations

from typing import Any

from drivers.pulse_program import ChannelMap
from drivers.roles import Instrument
from sim_backend.nv.centre import GAMMA_E, NvSample, transition_frequencies
from sim_backend.nv.instruments import NV_CHANNELS, SimLaser, SimNvPulser, SimPhotonCounter
from sim_backend.nv.spins import NvSpins


def add_nv(world: Any, sample: NvSample | None = None, *, seed: int = 7, true_laser_delay: float = 0.0,
           true_mw_delay: float = 0.0, channels: ChannelMap | None = None,
           channel_delays: dict[str, float] | None = None) -> dict[str, Instrument]:
    """Attach the NV spins to ``world``; returns {"pulser", "laser", "counter"}. ``true_laser_delay``
    and ``true_mw_delay`` are the simulated hardware's physical delays (they stay in ``world.nv``);
    ``channel_delays`` is what the lab declares, the only delays the compiler compensates."""
    world.nv = NvSpins(world, sample, seed=seed)
    world.nv.laser_delay, world.nv.mw_delay = float(true_laser_delay), float(true_mw_delay)
    return {"pulser": SimNvPulser(world, channel_map=channels, channel_delays=channel_delays),
            "laser": SimLaser(world), "counter": SimPhotonCounter(world)}


__all__ = ["add_nv", "NvSample", "NvSpins", "GAMMA_E", "transition_frequencies", "NV_CHANNELS", "SimLaser",
           "SimNvPulser", "SimPhotonCounter"]
