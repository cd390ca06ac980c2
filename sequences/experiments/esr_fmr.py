"""The ESR/FMR spectroscopy experiments (issue 5), for the catalogue."""
from __future__ import annotations

from sequences.experiments.angular import AngularDependence, g_tensor_from_runs
from sequences.experiments.esr_powder import EsrPowderSweep
from sequences.experiments.field_calibration import FieldCalibration
from sequences.experiments.fmr_map import FreqFieldMap
from sequences.experiments.power_saturation import PowerSaturation
from sequences.experiments.temperature_series import TemperatureSeries

ESR_FMR_EXPERIMENTS = (FreqFieldMap, TemperatureSeries, AngularDependence, PowerSaturation, EsrPowderSweep,
                       FieldCalibration)

__all__ = ["ESR_FMR_EXPERIMENTS", "FreqFieldMap", "TemperatureSeries", "AngularDependence", "PowerSaturation",
           "EsrPowderSweep", "FieldCalibration", "g_tensor_from_runs"]
