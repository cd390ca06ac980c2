"""The membrane force-detection and MRFM experiments (issue 6), for the catalogue."""
from __future__ import annotations

from sequences.experiments.membrane_noise import MembraneThermalSpectrum
from sequences.experiments.membrane_resonator import MembraneDrivenSweep, MembraneRingdown
from sequences.experiments.mrfm_esr import ForceDetectedEsr
from sequences.experiments.mrfm_imaging import MrfmImaging1D

MEMBRANE_EXPERIMENTS = (MembraneDrivenSweep, MembraneRingdown, MembraneThermalSpectrum, ForceDetectedEsr,
                        MrfmImaging1D)

__all__ = ["MEMBRANE_EXPERIMENTS", "MembraneDrivenSweep", "MembraneRingdown", "MembraneThermalSpectrum",
           "ForceDetectedEsr", "MrfmImaging1D"]
