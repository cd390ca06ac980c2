"""Field-standard correction of a spectrum file: a line of known g (DPPH) or known field,
recorded in the same spectrum as the sample, gives the offset between the file's field axis and
the field at the sample; the sample's g is reported raw and corrected.

Each of the two lines is fitted alone in a window around it (the line-feature detector finds
both), so neither distorts the other's fit.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from analysis.constants import DPPH_G
from analysis.field_correction import g_from_field, marker_field
from analysis.line_count import derivative_line_features
from analysis.line_profiles import fit_significant_line
from formats import Dataset
from sequences.experiment import FitValue
from units.quantity import parse_quantity

STANDARDS = {"dpph": DPPH_G}


def standard_field(reference: str, frequency: float) -> tuple[float, str]:
    """(true field of the standard's line in T, description) from 'dpph', 'g=2.0036' or
    'marker=339.2mT'."""
    name, _, value = reference.partition("=")
    name = name.strip().lower()
    if name in STANDARDS and not value:
        return marker_field(frequency, STANDARDS[name]), f"{name.upper()} (g = {STANDARDS[name]})"
    if name == "g" and value:
        g = parse_quantity(value, "", name="--reference g")
        return marker_field(frequency, g), f"a standard of g = {g}"
    if name == "marker" and value:
        return parse_quantity(value, "T", name="--reference marker"), f"a marker line at {value}"
    raise ValueError(f"--reference {reference!r}: use dpph, g=VALUE or marker=FIELD (e.g. marker=339.2mT)")


def _windowed_fit(b: np.ndarray, y: np.ndarray, centre: float, half: float, bm: float, model: str) -> Any:
    keep = np.abs(b - centre) <= half
    fit, why = fit_significant_line(b[keep], y[keep], model, bm=bm)
    if fit is None:
        raise ValueError(f"field standard: the line near {centre * 1e3:.4f} mT could not be fitted alone ({why})")
    return fit


def correct_with_standard(d: Dataset, y: np.ndarray, reference: str, model: str = "auto") -> tuple[dict, list[str]]:
    """Results (sample line raw and corrected, the standard's line, the correction) and notes."""
    f = d.require("MWFQ", "the field-standard correction needs the microwave frequency")
    expected, what = standard_field(reference, f)
    b = d.x.values
    features = derivative_line_features(b, y)
    if len(features) < 2:
        raise ValueError(f"field standard: the spectrum must hold the sample's line and the line of {what}; "
                         f"{len(features)} line(s) found")
    marker = min(features, key=lambda ft: abs(ft.centre - expected))
    sample = max((ft for ft in features if ft is not marker), key=lambda ft: ft.peak_to_peak)
    gap = abs(sample.centre - marker.centre)
    bm = 0.5 * (d.parameter("B0MA") or 0.0)
    mfit = _windowed_fit(b, y, marker.centre, min(5 * marker.width, 0.5 * gap), bm, model)
    sfit = _windowed_fit(b, y, sample.centre, min(5 * sample.width, 0.5 * gap), bm, model)
    shift, shift_err = expected - mfit.b0, mfit.errors["b0"]  # additive: measured -> field at the sample
    g_raw, g_raw_err = g_from_field(sfit.b0, sfit.errors["b0"], f)
    g_cor, g_cor_err = g_from_field(sfit.b0, sfit.errors["b0"], f, shift, shift_err)
    results = {"resonance_field": FitValue(sfit.b0, sfit.errors["b0"], "T"),
               "g_factor": FitValue(g_raw, g_raw_err, ""),
               "g_factor_corrected": FitValue(g_cor, g_cor_err, ""),
               "standard_line_field": FitValue(mfit.b0, mfit.errors["b0"], "T"),
               "field_correction": FitValue(shift, shift_err, "T"),
               "linewidth_pp": FitValue(sfit.dbpp, sfit.errors["dbpp"], "T")}
    notes = [f"field axis corrected by {shift * 1e3:+.4f} mT from {what} at {mfit.b0 * 1e3:.4f} mT "
             f"(expected {expected * 1e3:.4f} mT); g_factor is the raw value"]
    return results, notes
