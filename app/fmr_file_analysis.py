"""FMR from a file: a 2-D set of field sweeps at several microwave frequencies (y axis in Hz),
one line fit per frequency, then the Kittel fit of the resonance fields (g and the effective
field for the sample geometry) and the Gilbert damping from the linewidths (analysis.kittel)."""
from __future__ import annotations

from typing import Any

import numpy as np

from analysis.kittel import FIELD_PARAMETER, GEOMETRIES, fit_damping, fit_kittel, kittel_warnings
from sequences.experiment import FitValue


def kittel_from_slices(rows: list[dict[str, Any]], frequencies: np.ndarray, geometry: str,
                       fit_offset: bool) -> tuple[dict[str, Any], list[str]]:
    """(results, warnings) of the Kittel and damping fits over the slices that hold a line."""
    if geometry not in GEOMETRIES:
        raise ValueError(f"--geometry {geometry!r}: use one of {', '.join(GEOMETRIES)}")
    used = [i for i, r in enumerate(rows) if "resonance_field" in r]
    if len(used) < 3:
        return {}, [f"Kittel fit skipped: only {len(used)} frequencies with a line (3 or more needed)"]
    f = frequencies[used]
    b = np.array([rows[i]["resonance_field"].value for i in used])
    be = np.array([rows[i]["resonance_field"].error for i in used])
    fit = fit_kittel(f, b, be, geometry=geometry, fit_bk=fit_offset)
    results: dict[str, Any] = {"kittel_geometry": geometry, "g_kittel": FitValue(fit.g, fit.errors["g"], "")}
    name = FIELD_PARAMETER[geometry]
    if name:
        results[name] = FitValue(fit.bfield, fit.errors["bfield"], "T")
    if fit_offset:
        results["mu0_h_offset"] = FitValue(fit.bk, fit.errors["bk"], "T")
    results["kittel_reduced_chi2"] = round(fit.reduced_chi2, 2)
    if name:
        results["kittel_correlation"] = round(fit.g_field_correlation, 4)
    warnings = kittel_warnings(fit)
    widths = np.array([rows[i]["fwhm"].value for i in used])
    width_err = np.array([rows[i]["fwhm"].error for i in used])
    damping = fit_damping(f, widths, width_err, fit.g, fit.errors["g"])
    results["gilbert_alpha"] = FitValue(damping.alpha, damping.alpha_error, "")
    results["inhomogeneous_fwhm"] = FitValue(damping.db0, damping.db0_error, "T")
    return results, warnings
