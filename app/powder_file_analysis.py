"""``spinbench analyse FILE --kind powder``: the three principal g-values of a first-derivative
powder / frozen-solution cw spectrum from another spectrometer, fitted with the closed-form
powder pattern the ``esr-powder`` experiment uses (``analysis.powder_fit``).

The file supplies what the fit needs: the microwave frequency (MWFQ, required: without it there
is no g), the modulation amplitude (Bruker B0MA is peak-to-peak, the model takes the peak
amplitude) and the lock-in times for the correlated-noise inflation of the errors
(``app.file_analysis_noise``). Only S = 1/2 centres without resolved hyperfine structure are
modelled (Weil and Bolton, *Electron Paramagnetic Resonance*, 2nd ed., Wiley 2007, sec. 4.4): a
Cu2+ or VO2+ spectrum with resolved hyperfine lines gets g-values of the envelope only, and the
reduced chi-square says how well the pattern fits.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from analysis.baseline import polynomial_baseline
from analysis.constants import H, MU_B
from analysis.line_count import derivative_line_features, trace_noise
from analysis.line_profiles import MIN_SNR, tch_width
from analysis.powder_fit import fit_powder
from app.file_analysis_noise import lockin_inflation
from sequences.experiment import FitValue
from sequences.result import Result

if TYPE_CHECKING:
    from app.file_analysis import FileAnalysis
    from formats import Dataset

#: The results ``--kind powder`` reports (the keys of ``FileAnalysis.results``).
POWDER_RESULTS = (
    Result("g1", "", "smallest principal g-value (high-field edge)"),
    Result("g2", "", "middle principal g-value"),
    Result("g3", "", "largest principal g-value (low-field edge)"),
    Result("g_iso", "", "mean of the principal g-values"),
    Result("fwhm_lorentz", "T", "Lorentzian FWHM of the single-crystal line"),
    Result("fwhm_gauss", "T", "Gaussian FWHM of the single-crystal line"),
    Result("intensity", "", "fitted pattern area (arbitrary units)"),
    Result("residual_rms", "", "rms of the fit residual (the file's signal unit)"),
    Result("reduced_chi2", "", "residual variance over the trace's own noise variance per degree of freedom"),
    Result("snr", "", "fitted pattern peak-to-peak over the residual rms"),
)
#: Free parameters of the powder fit: three g, two widths, area, offset.
FREE_PARAMETERS = 7


def _pattern_window(b: np.ndarray, y: np.ndarray) -> list[tuple[float, float]]:
    """One window over the whole pattern (all derivative features, 5 peak-to-peak widths beyond
    the outermost): a powder spectrum's signal is continuous between its edges."""
    feats = derivative_line_features(b, y)
    if not feats:
        return []
    lo = min(f.centre - 5 * f.width for f in feats)
    hi = max(f.centre + 5 * f.width for f in feats)
    return [(lo, hi)]


def _axial_pairs(g: np.ndarray, e: np.ndarray, frequency: float, fwhm: float) -> list[tuple[int, int]]:
    """Pairs (1-based, ascending g) the spectrum does not resolve: within two combined standard
    errors, or resonance fields closer than half the line's FWHM. The fit can split an equal pair
    by several of its (approximate) error bars (``analysis.powder_fit``), so the error alone
    misses axial patterns; a splitting under half a line width is not resolved either way."""
    fields = H * frequency / (MU_B * g)
    return [(i + 1, j + 1) for i, j in ((0, 1), (1, 2))
            if abs(g[j] - g[i]) <= 2 * np.hypot(e[i], e[j]) or abs(fields[i] - fields[j]) < 0.5 * fwhm]


def analyse_powder(out: FileAnalysis, d: Dataset, y: np.ndarray, baseline: int | None = None) -> None:
    """Fit the powder pattern of the 1-D first-harmonic field-swept trace ``y`` into ``out``."""
    if d.x.unit != "T":
        raise ValueError(f"{d.source}: --kind powder needs a field axis (T), the file's x axis is in {d.x.unit!r}")
    if y.ndim != 1:
        raise ValueError(f"{d.source}: --kind powder fits one 1-D spectrum; this file holds {y.ndim}-D data "
                         f"{y.shape} (export one slice, e.g. with 'spinbench export')")
    frequency = d.parameter("MWFQ")
    if frequency is None or not frequency > 0:
        raise ValueError(f"{d.source}: --kind powder needs the microwave frequency (MWFQ), which the "
                         f"{d.format} file does not record: without it there are no g-values")
    harmonic = int(d.parameter("RCHM") or 1)
    if harmonic != 1:
        raise ValueError(f"{d.source}: --kind powder models the first-harmonic (derivative) spectrum; this file "
                         f"was recorded at harmonic {harmonic} (RCHM)")
    b = np.asarray(d.x.values, float)
    if baseline is not None:
        windows = _pattern_window(b, y)
        y = y - polynomial_baseline(b, y, baseline, windows)
        out.signal = y
        out.notes.append(f"baseline: polynomial of order {baseline} fitted outside the pattern and subtracted")
    bm = 0.5 * (d.parameter("B0MA") or 0.0)  # Bruker B0MA is peak-to-peak; the model takes the peak amplitude
    inflation, message, warn = lockin_inflation(d, len(b))
    (out.warnings if warn else out.notes).append(message)
    try:
        fit = fit_powder(b, y, float(frequency), bm=bm, inflation=inflation)
    except (ValueError, RuntimeError, np.linalg.LinAlgError) as exc:
        out.warnings.append(f"no powder pattern found: the fit failed ({exc})")
        return
    out.curves["fit"] = fit.curve
    snr = float(np.ptp(fit.curve - fit.offset)) / max(fit.residual_rms, 1e-300)
    if not snr >= MIN_SNR:
        out.results["snr"] = round(snr, 1)
        out.warnings.append(f"no powder pattern found: SNR {snr:.2g} below {MIN_SNR:g}; no g-values")
        return
    g, e = fit.g[::-1], fit.g_errors[::-1]  # ascending: g1 <= g2 <= g3
    results: dict[str, Any] = {f"g{k}": FitValue(float(gk), float(ek), "") for k, (gk, ek) in
                               enumerate(zip(g, e), start=1)}
    results["g_iso"] = FitValue(float(np.mean(g)), float(np.sqrt(np.sum(e**2)) / 3), "")
    results["fwhm_lorentz"] = FitValue(fit.fwhm_lorentz, fit.errors["fwhm_lorentz"], "T")
    results["fwhm_gauss"] = FitValue(fit.fwhm_gauss, fit.errors["fwhm_gauss"], "T")
    results["intensity"] = FitValue(float(fit.area), fit.errors["area"], "")
    results["residual_rms"] = FitValue(fit.residual_rms, float("nan"), d.ordinates[0].unit)
    noise = trace_noise(y - fit.curve)
    dof = max(len(b) - FREE_PARAMETERS, 1)
    if noise > 0:
        results["reduced_chi2"] = round(fit.residual_rms**2 * len(b) / dof / noise**2, 3)
    results["snr"] = round(snr, 1)
    out.results.update(results)
    pairs = _axial_pairs(g, e, float(frequency), float(tch_width(fit.fwhm_lorentz, fit.fwhm_gauss)[0]))
    if pairs:
        names = " and ".join(f"g{i} = g{j}" for i, j in pairs)
        out.notes.append(f"axial pattern: {names} (within two errors or half a line width); the values and errors "
                         f"of an equal pair are approximate (the spectrum depends on their splitting only to second "
                         f"order), their mean is well determined")
    if "reduced_chi2" in results and results["reduced_chi2"] > 2:
        out.warnings.append(f"reduced chi-square {results['reduced_chi2']:.3g}: the S = 1/2 powder pattern does "
                            f"not describe the spectrum to its noise (resolved hyperfine lines, several species, "
                            f"or a baseline?); the g-values are those of the envelope")
