"""Analyse a spectrum file (any format ``formats.load`` reads) without an experiment: the kind
of measurement is taken from the file's own parameters, axes and name, and the fits are the
same ``analysis`` fits the experiments use. Path: app -> formats -> analysis.

Kinds: 'cw' (field-swept lock-in spectrum; 2-D: one fit per slice, a power series adds the
saturation fit), 'powder' (principal g-values, only with --kind: app.powder_file_analysis), 'echo-sweep' (echo-detected field sweep), 'nutation', 'decay', 'recovery',
'fid'. Nothing the file lacks is invented: without a microwave frequency no g is reported, and
the note says so.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from analysis.field_correction import g_from_field
from analysis.baseline import line_windows, polynomial_baseline
from app.field_standard import correct_with_standard
from app.file_analysis_kinds import CHANNELS, KINDS
from app.file_analysis_noise import lockin_inflation
from app.fmr_file_analysis import kittel_from_slices
from app.hyperfine_analysis import hyperfine_results
from analysis.double_integration import double_integral
from analysis.line_count import derivative_line_features, trace_noise
from analysis.line_profiles import MODELS, fit_significant_line
from analysis.pulsed_fits import fid_spectrum, fit_damped_sine, fit_decay, fit_recovery, principal_phase
from analysis.saturation import fit_saturation
from formats import Dataset
from sequences.experiment import FitValue

#: time-domain kinds recognised from words in the file name, title or experiment name
_HINTS = (("nutation", r"rabi|nut"), ("recovery", r"inv|recov|satrec|t1"), ("fid", r"\bfid\b|zg"),
          ("decay", r"decay|hahn|t2|cpmg|echo|ese"))


@dataclass
class FileAnalysis:
    kind: str
    reason: str  # why this kind
    channel: str
    results: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    signal: np.ndarray | None = None  # the analysed real trace(s)
    curves: dict[str, np.ndarray] = field(default_factory=dict)  # fitted curves, same x as the data
    table: list[dict[str, Any]] = field(default_factory=list)  # one row of results per slice of a 2-D file


def choose_kind(d: Dataset) -> tuple[str, str]:
    """(kind, why) from the axes, EXPT and the names in the file."""
    unit = d.x.unit
    if unit == "T":
        if d.parameters.get("EXPT") == "PLS":
            return "echo-sweep", "field axis, pulsed experiment (EXPT PLS)"
        return "cw", "field axis, continuous-wave"
    if unit == "s":
        words = " ".join(str(v) for v in (d.source.name if d.source else "", d.title,
                                          d.raw.get("PlsSPELEXPSlct", ""), d.parameters.get("PULPROG", "")))
        for kind, pattern in _HINTS:
            if re.search(pattern, words, re.I):
                return kind, f"time axis; {kind} from the name {re.search(pattern, words, re.I).group(0)!r}"
        return "decay", "time axis, no name hint: fitted as an echo decay"
    raise ValueError(f"{d.source}: spinbench analyses spectra over a field (T) or time (s) axis; this file's "
                     f"x axis {d.x.name!r} is in {unit or 'no unit'!r} ('spinbench show' lists its columns)")


def select_channel(z: np.ndarray, channel: str, derivative: float = 0.0) -> tuple[np.ndarray, str]:
    """The real trace to fit from complex data; 'auto' rotates the phase onto the channel with
    the most signal (the absorption for a cw quadrature pair, the echo for pulsed data).

    The rotation has a 180 degree ambiguity. For pulsed data the largest point is made positive;
    for a first-derivative cw spectrum (``derivative``: +1 for points in increasing field, -1 for
    decreasing) the sign is the one that makes the absorption (the running integral along the
    field) positive, the convention of every cw
    spectrometer (the low-field lobe of the derivative up), so line finders and fits see the
    lines the right way round."""
    if channel not in CHANNELS:
        raise ValueError(f"--channel {channel!r}: use one of {', '.join(CHANNELS)}")
    if not np.iscomplexobj(z):
        if channel in ("y",):
            raise ValueError("--channel y: the file has one real channel only (use x, magnitude or auto)")
        return (np.abs(z), "magnitude") if channel == "magnitude" else (np.asarray(z, float), "x")
    if channel == "x":
        return z.real, "x"
    if channel == "y":
        return z.imag, "y"
    if channel == "magnitude":
        return np.abs(z), "magnitude"
    flat, phase = principal_phase(z.reshape(-1))
    y = flat.reshape(z.shape)
    if derivative:
        trace = y.reshape(-1, y.shape[-1]).mean(axis=0)  # a series: its mean spectrum decides
        k = max(2, trace.size // 10)  # a sloped baseline, from the ends (lines sit inside the sweep)
        ends = np.r_[0:k, trace.size - k:trace.size]
        trace = trace - np.polyval(np.polyfit(ends, trace[ends], 1), np.arange(trace.size))
        absorption = derivative * np.cumsum(trace)
        if absorption[np.argmax(np.abs(absorption))] < 0:
            y, phase = -y, (phase + 2 * np.pi) % (2 * np.pi) - np.pi
    return y, f"auto (phase {np.degrees(phase):.1f} deg)"


def _fv(value: float, error: float, unit: str) -> FitValue:
    return FitValue(float(value), float(error), unit)


def _g(out: FileAnalysis, d: Dataset, b0: float, b_err: float, frequency: float | None = None) -> FitValue | None:
    """g from ``frequency`` or the file's microwave frequency; None (and a note) when neither."""
    f = frequency if frequency is not None else d.parameter("MWFQ")
    if f is None:
        note = f"g not computed: the {d.format} file has no microwave frequency (MWFQ)"
        if note not in out.notes:
            out.notes.append(note)
        return None
    g, ge = g_from_field(b0, b_err, f)
    return _fv(g, ge, "")


def _cw_trace(out: FileAnalysis, d: Dataset, b: np.ndarray, y: np.ndarray, model: str, prefix: str = "",
              into: dict[str, Any] | None = None, frequency: float | None = None) -> Any:
    """Fit one trace; results go to ``into`` (default: the analysis' results); ``frequency``:
    this trace's microwave frequency where it differs from the file's (FMR sets)."""
    res = out.results if into is None else into
    bm = 0.5 * (d.parameter("B0MA") or 0.0)  # Bruker B0MA is peak-to-peak; the fits take the peak amplitude
    harmonic = int(d.parameter("RCHM") or 1)
    inflation, message, warn = lockin_inflation(d, len(b))
    said = out.warnings if warn else out.notes
    if message not in said:
        said.append(message)
    fit, why = fit_significant_line(b, y, model, bm=bm, harmonic=harmonic, inflation=inflation)
    if fit is None:
        out.warnings.append(f"{prefix}no line found: {why}")
        return None
    res["resonance_field"] = _fv(fit.b0, fit.errors["b0"], "T")
    g = _g(out, d, fit.b0, fit.errors["b0"], frequency)
    if g is not None:
        res["g_factor"] = g
    res["linewidth_pp"] = _fv(fit.dbpp, fit.errors["dbpp"], "T")
    res["fwhm"] = _fv(fit.fwhm, fit.errors["fwhm"], "T")
    res["double_integral"] = _fv(fit.area, fit.errors["area"], "")
    res["model"] = fit.model
    res["snr"] = round(fit.snr, 1)
    return fit


def analyse_cw(out: FileAnalysis, d: Dataset, z: np.ndarray, model: str, baseline: int | None = None,
               reference: str | None = None, hyperfine: str | None = None, geometry: str = "in-plane",
               fit_offset: bool = False, standard: Dataset | None = None) -> None:
    b = d.x.values
    if z.ndim == 1:
        features = derivative_line_features(b, z)
        if baseline is not None:
            windows = line_windows([f.centre for f in features], [f.width for f in features])
            z = z - polynomial_baseline(b, z, baseline, windows)
            out.signal = z
            out.notes.append(f"baseline: polynomial of order {baseline} fitted outside "
                             f"{len(windows)} line region(s) and subtracted")
        if reference:  # sample and standard line, each fitted alone
            results, notes = correct_with_standard(d, z, reference, model, standard)
            out.results.update(results)
            out.notes += notes
            fit = None
        elif hyperfine:  # one multiplet over the whole spectrum
            results, curve = hyperfine_results(d, z, hyperfine, model)
            out.results.update(results)
            out.curves["fit"] = curve
            fit, features = None, features[:1]  # the lines are the multiplet's: no several-lines warning
        else:
            fit = _cw_trace(out, d, b, z, model)
        if fit is not None:
            out.curves["fit"] = fit.curve
        if fit is not None or features:
            di, di_err = double_integral(b, z, trace_noise(z))
            out.results["double_integral_numeric"] = _fv(di, di_err, "")
        if len(features) > (2 if reference and standard is None else 1):
            centres = sorted(f.centre for f in features)
            out.results["lines_found"] = len(features)
            if len(centres) <= 12:
                out.results["line_centres_mT"] = [round(c * 1e3, 4) for c in centres]
            out.warnings.append(f"{len(features)} derivative lines stand out of the noise "
                                f"({centres[0] * 1e3:.4g} .. {centres[-1] * 1e3:.4g} mT): the one-line fit "
                                f"describes one of them only")
        return
    if z.ndim != 2:
        raise ValueError(f"{d.source}: {z.ndim}-D cw data: spinbench analyses 1-D spectra and 2-D series")
    y_axis = d.y
    amplitudes, used = [], []
    for i, trace in enumerate(z):
        row: dict[str, Any] = {}
        fit = _cw_trace(out, d, b, trace, model, prefix=f"slice {i} ({y_axis.values[i]:.6g} {y_axis.unit}): ",
                        into=row, frequency=y_axis.values[i] if y_axis.unit == "Hz" else None)
        out.table.append({y_axis.name or "y": _fv(y_axis.values[i], float("nan"), y_axis.unit), **row})
        if fit is not None:
            amplitudes.append(float(np.ptp(fit.curve - fit.offset)))
            used.append(i)
    out.results["slices_with_a_line"] = f"{len(used)} of {len(z)}"
    first_power = d.parameter("MWPW")
    if y_axis.unit == "dB" and first_power is not None and len(used) >= 4:
        # attenuation series: P = P(first slice) 10^(-(att - att_first)/10)
        power = first_power * 10 ** (-(y_axis.values[used] - y_axis.values[0]) / 10)
        sat = fit_saturation(power, np.array(amplitudes))
        out.results["p_half"] = _fv(sat.p_half, sat.errors["p_half"], "W")
        out.results["saturation_b"] = _fv(sat.b, sat.errors["b"], "")
        out.notes.append("power series: P1/2 from the peak-to-peak amplitudes of the fitted lines")
    if y_axis.unit == "Hz":  # an FMR set: field sweeps at several frequencies
        results, warnings = kittel_from_slices(out.table, y_axis.values, geometry, fit_offset)
        out.results.update(results)
        out.warnings += warnings


def analyse_echo_sweep(out: FileAnalysis, d: Dataset, y: np.ndarray) -> None:
    b = d.x.values
    k = int(np.argmax(y))
    half = y[k] / 2
    above = np.flatnonzero(y >= half)
    out.results["echo_maximum_field"] = _fv(b[k], float(np.median(np.abs(np.diff(b)))), "T")
    out.results["fwhm"] = _fv(abs(b[above[-1]] - b[above[0]]), float(np.median(np.abs(np.diff(b)))), "T")
    if d.x.name.lower().endswith("swp") or b.min() < 0:
        out.notes.append("the field axis is the sweep relative to the centre field, as the file gives it")
    else:
        g = _g(out, d, b[k], float(np.median(np.abs(np.diff(b)))))
        if g is not None:
            out.results["g_factor"] = g


def analyse_time(out: FileAnalysis, d: Dataset, y: np.ndarray, z: np.ndarray, stretched: bool = False) -> None:
    """Nutation, echo decay (baseline always, stretched exponent when asked), recovery or FID."""
    t = d.x.values
    if y.ndim != 1:
        raise ValueError(f"{d.source}: {out.kind} analysis needs a 1-D trace, the file holds {y.shape}")
    if out.kind == "nutation":
        fit = fit_damped_sine(t, y)
        f, fe = fit.params["f"], fit.errors["f"]
        out.results["rabi_frequency"] = _fv(f, fe, "Hz")
        out.results["pi_pulse"] = _fv(0.5 / f, 0.5 * fe / f ** 2, "s")
        out.results["damping_time"] = _fv(fit.params["tau"], fit.errors["tau"], "s")
    elif out.kind == "decay":
        fit = fit_decay(t, y, baseline=True, stretched=stretched)  # a real echo integral keeps an offset
        out.results["decay_time"] = _fv(fit.params["T"], fit.errors["T"], "s")
        if stretched:
            out.results["stretch_exponent"] = _fv(fit.params["beta"], fit.errors["beta"], "")
        out.results["decay_offset"] = _fv(fit.params["offset"], fit.errors["offset"], d.ordinates[0].unit)
    elif out.kind == "recovery":
        fit = fit_recovery(t, y)
        out.results["T1"] = _fv(fit.params["T1"], fit.errors["T1"], "s")
        out.results["inversion_factor"] = _fv(fit.params["inversion_factor"], fit.errors["inversion_factor"], "")
    else:  # fid
        keep = t >= 0
        spec = fid_spectrum(z[keep] if np.iscomplexobj(z) else y[keep], 1.0 / float(np.median(np.diff(t))),
                            float(t[keep][0]))
        out.results["peak_offset"] = _fv(spec.peak, float("nan"), "Hz")
        out.results["fwhm"] = _fv(spec.fwhm, float("nan"), "Hz")
        return
    out.curves["fit"] = fit.curve


def analyse_dataset(d: Dataset, kind: str | None = None, channel: str = "auto", model: str = "auto",
                    baseline: int | None = None, reference: str | None = None,
                    hyperfine: str | None = None, geometry: str = "in-plane",
                    fit_offset: bool = False, standard: Dataset | None = None,
                    stretched: bool = False) -> FileAnalysis:
    """Pick (or take) the kind of analysis and run it on the file's first ordinate; ``baseline``
    (cw, 1-D): order of the polynomial baseline subtracted before fitting and integrating;
    ``reference`` (cw, 1-D): a field standard in the same spectrum or in ``standard``
    (app.field_standard);
    ``hyperfine`` (cw, 1-D): groups of equivalent nuclei of one multiplet (app.hyperfine_analysis);
    ``geometry``/``fit_offset`` (2-D with a frequency axis): the Kittel fit (app.fmr_file_analysis);
    ``stretched`` (echo decay): fit exp(-(t/T)^beta) with beta free."""
    if model != "auto" and model not in MODELS:
        raise ValueError(f"--model {model!r}: use one of auto, {', '.join(MODELS)}")
    if kind is None:
        kind, reason = choose_kind(d)
    elif kind not in KINDS:
        raise ValueError(f"--kind {kind!r}: use one of {', '.join(KINDS)}")
    else:
        reason = "given with --kind"
    z = d.data
    first_harmonic = kind in ("cw", "powder") and int(d.parameter("RCHM") or 1) == 1 and len(d.x.values) > 1
    direction = float(np.sign(d.x.values[-1] - d.x.values[0])) if first_harmonic else 0.0
    y, used = select_channel(z, channel, derivative=direction)
    out = FileAnalysis(kind, reason, used, signal=y)
    if kind == "cw":
        if d.x.unit != "T":
            raise ValueError(f"{d.source}: --kind cw needs a field axis (T), the file's x axis is in {d.x.unit!r}")
        if (reference or hyperfine) and y.ndim != 1:
            raise ValueError(f"{d.source}: --reference and --hyperfine work on a 1-D spectrum")
        analyse_cw(out, d, y, model, baseline, reference, hyperfine, geometry, fit_offset, standard)
    elif kind == "powder":  # never chosen automatically: a single line and a powder look alike
        from app.powder_file_analysis import analyse_powder
        analyse_powder(out, d, y, baseline)
    elif kind == "echo-sweep":
        analyse_echo_sweep(out, d, y)
    else:
        if d.x.unit != "s":
            raise ValueError(f"{d.source}: --kind {kind} needs a time axis (s), the file's x axis is in {d.x.unit!r}")
        analyse_time(out, d, y, z, stretched)
    return out
