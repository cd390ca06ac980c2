"""Simulated pulsed spectrometer: spin ensemble (Bloch), pulse programmer, digitizer.

``add_pulsed(world)`` attaches ``world.pulsed`` (unless one is already there, so a test can
choose the sample first) and returns ``{"pulser": ..., "digitizer": ...}``; the microwave
source is the world's (``SimRFSource``), shared with the cw experiments.
"""
from __future__ import annotations

from typing import Any

from drivers.roles import Instrument
from sim_backend.pulsed.bloch import Ensemble
from sim_backend.pulsed.instruments import SimDigitizer, SimPulseBlaster
from sim_backend.pulsed.spins import PulsedSample, PulsedSpins


def add_pulsed(world: Any, sample: PulsedSample | None = None, *, seed: int = 5) -> dict[str, Instrument]:
    """Attach the pulsed spins to ``world`` and return the simulated pulser and digitizer."""
    if sample is not None or getattr(world, "pulsed", None) is None:
        world.pulsed = PulsedSpins(world, sample, seed=seed)
    return {"pulser": SimPulseBlaster(world), "digitizer": SimDigitizer(world)}


__all__ = ["add_pulsed", "PulsedSample", "PulsedSpins", "Ensemble", "SimPulseBlaster", "SimDigitizer"]
