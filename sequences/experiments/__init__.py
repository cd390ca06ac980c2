"""The experiment catalogue: name -> Experiment class."""
from __future__ import annotations

from sequences.experiment import Experiment
from sequences.experiments.afmr_map import AfmrMap
from sequences.experiments.angular import AngularDependence, g_tensor_from_runs
from sequences.experiments.coupling_map import AvoidedCrossingMap
from sequences.experiments.esr_drift import EsrDriftSweep
from sequences.experiments.esr_powder import EsrPowderSweep
from sequences.experiments.esr_sweep import EsrFieldSweep
from sequences.experiments.field_calibration import FieldCalibration
from sequences.experiments.fmr_map import FreqFieldMap
from sequences.experiments.membrane_noise import MembraneThermalSpectrum
from sequences.experiments.membrane_resonator import MembraneDrivenSweep, MembraneRingdown
from sequences.experiments.mrfm_esr import ForceDetectedEsr
from sequences.experiments.mrfm_imaging import MrfmImaging1D
from sequences.experiments.mrfm_nuclear import MrfmImagingNuclear
from sequences.experiments.nutation_relaxation_fid import PULSED_EXPERIMENTS
from sequences.experiments.nv_decoupling import NV_DECOUPLING
from sequences.experiments.nv_odmr import NV_ODMR
from sequences.experiments.nv_rabi_ramsey_echo import NV_PULSED
from sequences.experiments.power_saturation import PowerSaturation
from sequences.experiments.temperature_series import TemperatureSeries

EXPERIMENTS: dict[str, type[Experiment]] = {cls.name: cls for cls in (
    EsrFieldSweep, EsrDriftSweep, *PULSED_EXPERIMENTS,
    FreqFieldMap, AvoidedCrossingMap, AfmrMap, TemperatureSeries, AngularDependence, PowerSaturation, EsrPowderSweep, FieldCalibration,
    MembraneDrivenSweep, MembraneRingdown, MembraneThermalSpectrum, ForceDetectedEsr, MrfmImaging1D,
    MrfmImagingNuclear, *NV_ODMR, *NV_PULSED, *NV_DECOUPLING,
)}


def get_experiment(name: str) -> type[Experiment]:
    from drivers.errors import ConfigError

    try:
        return EXPERIMENTS[name]
    except KeyError:
        raise ConfigError(f"unknown experiment {name!r}; available: {', '.join(sorted(EXPERIMENTS))}") from None


__all__ = ["EXPERIMENTS", "get_experiment", "EsrFieldSweep", "EsrDriftSweep", "FreqFieldMap", "AvoidedCrossingMap", "AfmrMap", "TemperatureSeries",
           "AngularDependence", "PowerSaturation", "EsrPowderSweep", "FieldCalibration", "MembraneDrivenSweep",
           "MembraneRingdown", "MembraneThermalSpectrum", "ForceDetectedEsr", "MrfmImaging1D", "MrfmImagingNuclear",
           "g_tensor_from_runs"]
