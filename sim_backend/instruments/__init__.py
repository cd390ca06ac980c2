"""Simulated instruments: each implements a driver role by acting on a SimulatedWorld."""
from sim_backend.instruments.cw import SimFieldController, SimGaussmeter, SimRFSource
from sim_backend.instruments.lockin import SimLockIn
from sim_backend.instruments.temperature import SimTemperatureController

__all__ = ["SimRFSource", "SimLockIn", "SimFieldController", "SimGaussmeter", "SimTemperatureController"]
