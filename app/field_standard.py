"""Field-standard correction of a spectrum file: a line of known g (DPPH) or known field,
recorded in the same spectrum as the sample, gives the offset between the file's field axis and
the field at the sample; the sample's g is reported raw and corrected.

Each of the two lines is fitted alone in a window around it (the line-feature detector finds
both), so neither distorts the other's fit. The standard may also be a companion spectrum
recorded with the same field controller (``--reference-file``).
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


def _standard_in(c: Dataset, reference: str, frequency: float, model: str) -> tuple[Any, float, str]:
    """(fit of the standard's line, its true field, description) in a companion spectrum."""
    f = c.parameter("MWFQ") or frequency
    expected, what = standard_field(reference, f)
    y = c.data.real if np.iscomplexobj(c.data) else c.data
    if y.ndim != 1 or c.x.unit != "T":
        raise ValueError(f"{c.source}: the standard's spectrum must be a 1-D field sweep")
    features = derivative_line_features(c.x.values, y)
    if not features:
        raise ValueError(f"{c.source}: no line of {what} stands out of the noise")
    marker = min(features, key=lambda ft: abs(ft.centre - expected))
    fit = _windowed_fit(c.x.values, y, marker.centre, 5 * marker.width, 0.5 * (c.parameter("B0MA") or 0.0), model)
    return fit, expected, f"{what} in {c.source.name if c.source else 'the companion file'}"


def correct_with_standard(d: Dataset, y: np.ndarray, reference: str, model: str = "auto",
                          companion: Dataset | None = None) -> tuple[dict, list[str]]:
    """Results (sample line raw and corrected, the standard's line, the correction) and notes.
    The standard's line is in the same spectrum, or in ``companion`` (recorded with the same
    field controller right before or after: its field offset is taken to be the sample's)."""
    f = d.require("MWFQ", "the field-standard correction needs the microwave frequency")
    b = d.x.values
    features = derivative_line_features(b, y)
    bm = 0.5 * (d.parameter("B0MA") or 0.0)
    if companion is not None:
        if not features:
            raise ValueError(f"{d.source}: no line stands out of the noise")
        mfit, expected, what = _standard_in(companion, reference, f, model)
        sample = max(features, key=lambda ft: ft.peak_to_peak)
        sfit = _windowed_fit(b, y, sample.centre, 5 * sample.width, bm, model)
    else:
        expected, what = standard_field(reference, f)
        if len(features) < 2:
            raise ValueError(f"field standard: the spectrum must hold the sample's line and the line of {what}; "
                             f"{len(features)} line(s) found (or give the standard's spectrum with "
                             f"--reference-file)")
        marker = min(features, key=lambda ft: abs(ft.centre - expected))
        sample = max((ft for ft in features if ft is not marker), key=lambda ft: ft.peak_to_peak)
        gap = abs(sample.centre - marker.centre)
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
