"""Simulated SiN-membrane force detector: mode, thermal force, piezo, spin force, interferometer.

``add_membrane(world)`` attaches one :class:`MembraneSystem` to a SimulatedWorld (as
``world.membrane``, a clock process) and returns the instruments that fill the roles
``displacement`` (interferometer, with its demodulator) and ``piezo``. ``app.simlab`` calls it
for every simulated lab; calling it again on the same world returns instruments on the same
system, so a test can configure the membrane before building the lab.
"""
from __future__ import annotations

from typing import Any

from drivers.roles import Instrument
from sim_backend.membrane.bloch import Protocol, packet_harmonics
from sim_backend.membrane.instruments import SimInterferometer, SimMembraneLockIn, SimPiezo, SimPumpLaser
from sim_backend.membrane.nuclear import GA71_DENSITY, NuclearSample, NuclearSpinForce
from sim_backend.membrane.readout import Demodulator, Interferometer
from sim_backend.membrane.resonator import MembraneMode
from sim_backend.membrane.spins import GA71, SpinSample, SpinSpecies, electron
from sim_backend.membrane.system import MembraneSystem, Piezo


def phantom_sample(**overrides: Any) -> SpinSample:
    """The default sample: a 2 um electron-spin film (g = 2.0023, inhomogeneous sigma 1.5 mT,
    T1 = 300 ns, T2 = 200 ns, 1e27 spins/m^3 over 10 um x 10 um) with two spin-depleted
    regions 150 nm wide, 500 nm apart (at z = -250 nm and +250 nm), like the seed's 1D image."""
    kwargs: dict[str, Any] = dict(thickness=2e-6, density=1e27, depleted=((-250e-9, 150e-9, 0.1),
                                                                          (250e-9, 150e-9, 0.1)),
                                  area=1e-10, t1=300e-9, t2=200e-9, inhomogeneous_sigma=1.5e-3)
    kwargs.update(overrides)
    return SpinSample.film(**kwargs)


def add_membrane(world: Any, mode: MembraneMode | None = None, **options: Any) -> dict[str, Instrument]:
    """Attach the membrane setup to ``world`` (once) and return {'displacement', 'piezo'}, and
    the pump 'laser' when the sample is nuclear (optical pumping).

    ``options`` go to :class:`MembraneSystem` (sample, gradient, b1_per_sqrt_w, coil_t_per_v,
    interferometer, seed) when the system is created."""
    system = getattr(world, "membrane", None)
    if system is None:
        options.setdefault("sample", phantom_sample())
        system = MembraneSystem(world, mode, **options)
        world.membrane = system
        world.add_process(system)
    elif mode is not None or options:
        raise ValueError("this world already has a membrane; configure world.membrane directly")
    instruments: dict[str, Instrument] = {"displacement": SimInterferometer(system), "piezo": SimPiezo(system)}
    if system.nuclear is not None:
        instruments["laser"] = SimPumpLaser(system)
    return instruments


__all__ = ["add_membrane", "phantom_sample", "MembraneSystem", "MembraneMode", "Piezo", "Interferometer",
           "Demodulator", "SpinSample", "SpinSpecies", "electron", "GA71", "Protocol", "packet_harmonics",
           "SimInterferometer", "SimMembraneLockIn", "SimPiezo", "SimPumpLaser", "NuclearSample", "NuclearSpinForce",
           "GA71_DENSITY"]
