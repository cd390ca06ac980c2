"""``spinbench analyse FILE --hyperfine 14N`` (or '1Hx2', '14N,1Hx2', '55Mn', 'Cu' ...): the
isotropic hyperfine multiplet fitted to a cw spectrum file, start values from the detected lines.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from analysis.hyperfine import fit_hyperfine, parse_groups
from analysis.line_count import derivative_line_features
from formats import Dataset
from sequences.experiment import FitValue

#: multipliers of the first group's starting coupling tried (the lowest residual is kept)
_STARTS = (1.0, 0.8, 1.25)


def hyperfine_results(d: Dataset, y: np.ndarray, spec: str, model: str) -> tuple[dict[str, Any], np.ndarray]:
    """(results, fitted curve) of the multiplet ``spec`` in the 1-D spectrum ``y`` of ``d``."""
    groups = parse_groups(spec)
    frequency = d.require("MWFQ", "g and couplings in MHz of a hyperfine fit need the microwave frequency")
    b = d.x.values
    features = derivative_line_features(b, y)
    if len(features) < 2:
        raise ValueError(f"--hyperfine {spec}: {len(features)} line(s) stand out of the noise; a multiplet "
                         f"needs its lines resolved")
    centres = np.array(sorted(f.centre for f in features))
    spins = [max(i[1] for i in g.isotopes) for g in groups]
    a_first = (centres[-1] - centres[0]) / max(2 * groups[0].count * spins[0], 1.0)
    spacing = float(np.min(np.diff(centres)))
    fwhm = float(np.median([f.width for f in features])) * np.sqrt(3)
    bm = 0.5 * (d.parameter("B0MA") or 0.0)
    harmonic = int(d.parameter("RCHM") or 1)
    model = "lorentzian" if model == "auto" else model
    # the lines' mean lies below B0 by the mean second-order shift a^2/(2 B0) x 2/3 I(I+1) (single nuclei)
    b0 = float(centres.mean())
    if groups[0].count == 1:
        b0 += a_first ** 2 / (2 * b0) * 2 / 3 * spins[0] * (spins[0] + 1)
    best = None
    for k in _STARTS:
        start = [a_first * k] + [spacing] * (len(groups) - 1)
        try:
            fit = fit_hyperfine(b, y, frequency, groups, b0=b0, couplings=start, fwhm=fwhm,
                                model=model, bm=bm, harmonic=harmonic)
        except (ValueError, RuntimeError, np.linalg.LinAlgError):
            continue
        if best is None or fit.residual_rms < best.residual_rms:
            best = fit
    if best is None:
        raise ValueError(f"--hyperfine {spec}: the multiplet fit did not converge")
    results: dict[str, Any] = {"model": f"{spec} multiplet, {model} lines",
                               "g_factor": FitValue(best.g, best.g_error, ""),
                               "centre_field": FitValue(best.b0, best.g_error / best.g * best.b0, "T")}
    for group, a, ae, mhz, mhze in zip(groups, best.couplings_T, best.couplings_error_T, best.couplings_MHz,
                                       best.couplings_error_MHz):
        name = f"A({group.nucleus}{'x' + str(group.count) if group.count > 1 else ''})"
        results[name] = FitValue(a, ae, "T")
        results[name + "/h"] = FitValue(mhz * 1e6, mhze * 1e6, "Hz")
    for label, w in zip(("fwhm_lorentz", "fwhm_gauss") if model == "voigt" else (f"fwhm_{model[:5]}",),
                        best.widths):
        results[label] = FitValue(w, float("nan"), "T")
    return results, best.curve
