"""Simulated instruments: each implements a driver role by acting on a SimulatedWorld."""
from sim_backend.instruments.cw import SimFieldController, SimGaussmeter, SimLockIn, SimRFSource
from sim_backend.instruments.temperature import SimTemperatureController

__all__ = ["SimRFSource", "SimLockIn", "SimFieldController", "SimGaussmeter", "SimTemperatureController"]
