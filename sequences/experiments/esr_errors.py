"""Error bars of a cw-ESR sweep's line fit that include what the fit itself cannot see.

* Correlated lock-in samples: the output filter (``time_constant``, ``filter_slope``) correlates
  readings taken closer than a few time constants; the fit's residual-scaled covariance assumes
  independent points and is inflated by ``analysis.uncertainty.correlated_scale`` with the
  variance inflation of the filter at the run's measured reading interval
  (``analysis.correlated_noise``). These are instrument settings, recorded with the run.
* The field axis of a stepped sweep: the analysis regresses the Hall readings on the setpoints
  per scan (``EsrFieldSweep.calibrated_field``); the regression's own error at the resonance
  moves the whole line, so it adds in quadrature to the resonance field's error (and g's). (A
  continuous sweep's axis is its Hall line in time: ``esr_continuous.add_axis_error``.)
"""
from __future__ import annotations

import math
from typing import Any, Mapping

import numpy as np

from analysis.correlated_noise import sample_interval, variance_inflation
from analysis.lockin_lag import poles
from analysis.uncertainty import correlated_scale, covariance, propagate
from sequences.experiment import FitValue, RunData

#: Parameters of every line fit of the sweep (centre, width, amplitude, offset).
LINE_PARAMETERS = 4
#: Results whose error comes from the line fit's covariance (scaled for correlated samples).
FIT_ERRORS = ("resonance_field", "g_factor", "linewidth_pp", "linewidth_pp_apparent", "amplitude_pp",
              "mod_amplitude_measured")


def reading_inflation(times: np.ndarray | None, groups: np.ndarray | None, settings: Mapping[str, Any],
                      points: int) -> float:
    """Variance inflation of ``points`` fitted points read at ``times`` (per group: a scan)
    through the lock-in filter of the run's ``time_constant`` and ``filter_slope``; 1 where the
    times give no reading interval."""
    dt = sample_interval(times, groups) if times is not None and points >= 2 else None
    if dt is None:
        return 1.0
    return variance_inflation(points, dt, float(settings["time_constant"]), poles(settings["filter_slope"]))


def error_scale(run: RunData, settings: Mapping[str, Any], points: int) -> float:
    """Factor on the fit's standard errors for the filter's correlation of ``points`` fitted
    points: sqrt(correlated_scale); 1 where the run has no reading times."""
    times = run["time"] if "time" in run.columns else None
    f = reading_inflation(times, run["scan"].astype(int) if "scan" in run.columns else None, settings, points)
    return math.sqrt(correlated_scale(points, LINE_PARAMETERS, f))


def field_axis_error(run: RunData, b0: float) -> float:
    """1-sigma error (T) of the scan-averaged calibrated field axis at ``b0``: each scan's
    straight-line regression of Hall readings on setpoints predicts the field with the error
    sqrt(g C g^T), g = (1, x*) at the setpoint x* that reads b0; the scans' averages divide it."""
    b_set, b_meas, scans = run["field_set"], run["field"], run["scan"].astype(int)
    variances = []
    for scan in np.unique(scans):
        sel = scans == scan
        x, y = b_set[sel], b_meas[sel]
        if sel.sum() < 3 or np.ptp(x) == 0:
            continue
        xc = float(np.mean(x))
        design = np.column_stack([np.ones(len(x)), x - xc])
        coef, *_ = np.linalg.lstsq(design, y, rcond=None)
        cov = covariance(design, y - design @ coef)
        x_star = (b0 - coef[0]) / coef[1] if coef[1] != 0 else 0.0
        variances.append(propagate(cov, np.array([1.0, x_star])) ** 2)
    return math.sqrt(sum(variances)) / len(variances) if variances else 0.0


def honest_errors(out: dict[str, Any], run: RunData, settings: Mapping[str, Any], points: int) -> None:
    """Rewrite the fit results in ``out`` with errors for correlated samples and, for the
    resonance field and g, the field axis' own error."""
    scale = error_scale(run, settings, points)
    for key in FIT_ERRORS:
        v = out.get(key)
        if isinstance(v, FitValue):
            out[key] = FitValue(v.value, v.error * scale, v.unit)
    b = out.get("resonance_field")
    if not isinstance(b, FitValue) or not all(c in run.columns for c in ("field_set", "field", "scan")):
        return
    if settings.get("acquisition", "stepped") == "continuous":
        return  # the axis is the Hall line in time, whose error esr_continuous adds
    axis = field_axis_error(run, b.value)
    total = math.hypot(b.error, axis)
    out["resonance_field"] = FitValue(b.value, total, b.unit)
    g = out.get("g_factor")
    if isinstance(g, FitValue) and b.value != 0:
        out["g_factor"] = FitValue(g.value, abs(g.value) * total / abs(b.value), g.unit)
