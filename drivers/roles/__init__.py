"""Abstract instrument roles: one per job in the MR chain."""
from drivers.roles.base import Instrument, Range
from drivers.roles.field import FieldController, Gaussmeter
from drivers.roles.goniometer import Goniometer
from drivers.roles.lockin import LockInAmplifier
from drivers.roles.mechanical import DisplacementSensor, PiezoDrive
from drivers.roles.optical import LaserGate, PhotonCounter
from drivers.roles.pulser_digitizer import Digitizer, PulseProgrammer
from drivers.roles.rf import RFSource
from drivers.roles.temperature import TemperatureController

#: Role name in a lab config -> abstract class.
ROLES: dict[str, type[Instrument]] = {
    "rf": RFSource,
    "lockin": LockInAmplifier,
    "field": FieldController,
    "gaussmeter": Gaussmeter,
    "temperature": TemperatureController,
    "pulser": PulseProgrammer,
    "digitizer": Digitizer,
    "displacement": DisplacementSensor,
    "piezo": PiezoDrive,
    "goniometer": Goniometer,
    "laser": LaserGate,
    "counter": PhotonCounter,
}

__all__ = [
    "Instrument", "Range", "RFSource", "LockInAmplifier", "FieldController", "Gaussmeter",
    "TemperatureController", "PulseProgrammer", "Digitizer", "DisplacementSensor", "PiezoDrive",
    "Goniometer", "LaserGate", "PhotonCounter", "ROLES",
]
