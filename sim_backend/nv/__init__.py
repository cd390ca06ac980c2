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


def add_nv(world: Any, sample: NvSample | None = None, *, seed: int = 7, laser_delay: float = 0.0,
           channels: ChannelMap | None = None, channel_delays: dict[str, float] | None = None
           ) -> dict[str, Instrument]:
    """Attach the NV spins to ``world``; returns {"pulser", "laser", "counter"}. ``laser_delay`` is the
    simulated AOM's true delay; ``channel_delays`` what the lab declares (compensated by the compiler)."""
    world.nv = NvSpins(world, sample, seed=seed)
    return {"pulser": SimNvPulser(world, channel_map=channels, channel_delays=channel_delays), "laser": SimLaser(world, rise_delay=laser_delay),
            "counter": SimPhotonCounter(world)}


__all__ = ["add_nv", "NvSample", "NvSpins", "GAMMA_E", "transition_frequencies", "NV_CHANNELS", "SimLaser",
           "SimNvPulser", "SimPhotonCounter"]
