"""Antiferromagnetic resonance map: a field sweep over one fixed range at each microwave frequency
(``fmr-map``'s traces; no Kittel windows: the branches of an antiferromagnet are not Kittel
curves), every derivative line of each trace located (``analysis.line_count``), and the
(field, frequency) points fitted to the easy-axis two-sublattice branches (``analysis.afmr``):
exchange field H_E, anisotropy field H_A, g and the spin-flop field.

Each line's field is then fitted locally (``analysis.line_profiles``: the derivative line with the
known modulation, over about five peak-to-peak widths, not past a neighbouring line): the zero
crossing interpolated between field steps is off by up to ~0.2 mT for a 12 mT wide line read every
3.8 mT, by the same amount for every trace whose line sits at the same phase of the field grid
(a map at evenly spaced frequencies on a branch of slope gamma does exactly that), so the branch
fit saw a coherent shift, not noise. The local fit's centre error weights the branch fit."""
from __future__ import annotations

from typing import Any

import numpy as np

from drivers.lab import Lab
from sequences.experiment import FitValue, Parameter, RunData
from sequences.experiments.fmr_map import FreqFieldMap, ResonancePredictor
from sequences.experiments.trace_series import TraceSeries
from sequences.result import WARNING, Result


class AfmrMap(FreqFieldMap):
    name = "afmr-map"
    title = "Antiferromagnetic resonance map (easy axis)"
    results = (
        Result("trace_frequency", "Hz", "microwave frequency of each trace"),
        Result("line_field", "T", "field of every line found (all traces)"),
        Result("line_field_error", "T", "1-sigma error of each line field from its local line fit (NaN: not "
               "fitted, left out of the branch fit)"),
        Result("line_frequency", "Hz", "microwave frequency of each of those lines"),
        Result("h_e", "T", "exchange field mu0 H_E"), Result("h_a", "T", "anisotropy field mu0 H_A"),
        Result("g_factor", "", "g of the fitted branches"),
        Result("spin_flop_field", "T", "sqrt(2 H_E H_A - H_A^2)"),
        Result("fit_rms", "Hz", "rms frequency residual of the branch fit"),
        Result("non_resonant_field", "T", "field of a feature seen at one field in several traces (not a "
               "resonance: the spin-flop transition), left out of the fit"), WARNING)
    freq_start = FreqFieldMap.freq_start.replace(default=4e9)
    freq_stop = FreqFieldMap.freq_stop.replace(default=49e9)
    n_freq = FreqFieldMap.n_freq.replace(default=10)
    field_low = Parameter(0.05, "T", "start of every trace's field sweep", 0.0, 30.0, display_unit="mT",
                          limit="max_field")
    field_high = Parameter(1.95, "T", "end of every trace's field sweep", 1e-4, 30.0, display_unit="mT",
                           limit="max_field")
    geometry = FreqFieldMap.geometry.replace(default="sphere")
    track = FreqFieldMap.track.replace(default=False)
    points = FreqFieldMap.points.replace(default=501)
    mod_amplitude = FreqFieldMap.mod_amplitude.replace(default=1e-3)
    time_constant = FreqFieldMap.time_constant.replace(default=3e-3)
    ramp_rate = FreqFieldMap.ramp_rate.replace(default=0.1)
    min_sigma = Parameter(8.0, "", "a line counts when its extrema stand this many noise sigmas out", 3.0, 100.0)

    def check(self) -> list[str]:
        if self.field_high <= self.field_low:
            return [f"field_high ({self.field_high:g} T) must be above field_low ({self.field_low:g} T)"]
        if self.freq_stop < self.freq_start:
            return [f"freq_stop ({self.freq_stop / 1e9:g} GHz) is below freq_start ({self.freq_start / 1e9:g} GHz)"]
        return []

    def check_lab(self, lab: Lab) -> list[str]:
        problems = TraceSeries.check_lab(self, lab) + self.check_sweep_settings(lab)
        p_max = max(self.source_power(f) for f in self.frequencies())
        if p_max > lab.limits.max_rf_power:
            problems.append(f"levelled power needs {p_max * 1e3:.3g} mW at the source, above the lab's max RF "
                            f"power {lab.limits.max_rf_power * 1e3:g} mW")
        return problems

    def estimated_duration(self) -> float:
        step = (self.field_high - self.field_low) / max(self.points - 1, 1)
        per_point = self.settle_tc * self.time_constant + step / self.ramp_rate
        return self.n_freq * (self.points * per_point + 2 * (self.field_high - self.field_low) / self.ramp_rate)

    def window(self, lab: Lab, k: int, f: float, predictor: ResonancePredictor,
               half: float | None = None) -> tuple[float, float]:
        """The same field range at every frequency."""
        return self.field_low, min(self.field_high, lab.field_reach().high)

    def analyse(self, run: RunData) -> dict[str, Any]:
        from analysis.afmr import fit_easy_axis_map_rejecting, non_resonant_fields  # here: scipy is heavy
        from analysis.correlated_noise import reading_inflation
        from analysis.line_count import derivative_line_features
        from analysis.line_profiles import fit_significant_line
        from analysis.lockin_lag import poles

        p = run.parameters
        groups = self.trace_groups(run)
        freqs = [float(run["frequency"][idx[0]]) for idx in groups]
        field = self.analysis_field(run)
        found = []  # (frequency, trace indices, feature, centres of the trace's features)
        for f, idx in zip(freqs, groups):
            features = derivative_line_features(field[idx], run["x"][idx], float(p.get("min_sigma", 8.0)))
            found += [(f, idx, ft, sorted(o.centre for o in features)) for ft in features]
        h = np.array([ft.centre for _, _, ft, _ in found])
        f = np.array([fr for fr, _, _, _ in found])
        bm = float(p.get("mod_amplitude", self.mod_amplitude))
        step = float(np.median(np.diff(np.sort(field[groups[0]])))) if groups and len(groups[0]) > 1 else 0.0
        fixed = non_resonant_fields(h, f, max(2 * step, 3 * bm))
        tc, n_poles = float(p.get("time_constant", self.time_constant)), poles(p.get("filter_slope", self.filter_slope))
        h_err = np.full(len(h), np.nan)
        for i, (fr, idx, feature, centres) in enumerate(found):
            if fixed[i]:
                continue
            times = run["time"][idx] if "time" in run.columns else None
            local = self._local_fit(field[idx], run["x"][idx], feature, centres, bm, tc, n_poles, times,
                                    fit_significant_line, reading_inflation)
            if local is not None:
                h[i], h_err[i] = local
        out: dict[str, Any] = {"trace_frequency": freqs, "line_field": list(map(float, h)),
                               "line_field_error": list(map(float, h_err)), "line_frequency": list(map(float, f))}
        warnings = []
        unrefined = ~fixed & ~np.isfinite(h_err)
        if unrefined.any():
            warnings.append(f"{int(unrefined.sum())} lines without a line fit (at the window edge, next to another "
                            f"line, or not significant): left out of the branch fit")
        if fixed.any():
            warnings.append(f"{int(fixed.sum())} features at {np.mean(h[fixed]):.4g} T in several traces are not "
                            f"resonances (the spin-flop transition?); left out of the fit")
            out["non_resonant_field"] = float(np.mean(h[fixed]))
        try:
            use = ~fixed & np.isfinite(h_err)
            fit, kept = fit_easy_axis_map_rejecting(h[use], f[use], h_err=h_err[use])
        except ValueError as exc:
            out["warning"] = "; ".join(warnings + [f"no branch fit: {exc}"])
            return out
        if not kept.all():
            warnings.append(f"{int((~kept).sum())} lines far from every branch left out of the fit")
        if warnings:
            out["warning"] = "; ".join(warnings)
        e = fit.errors
        out.update({"h_e": FitValue(fit.h_e, e["h_e"], "T"), "h_a": FitValue(fit.h_a, e["h_a"], "T"),
                    "g_factor": FitValue(fit.g, e["g"], ""),
                    "spin_flop_field": FitValue(fit.spin_flop, fit.spin_flop_error, "T"), "fit_rms": fit.rms_hz})
        return out

    @staticmethod
    def _local_fit(b: np.ndarray, x: np.ndarray, feature: Any, centres: list[float], bm: float, tc: float,
                   n_poles: int, times: np.ndarray | None, fit_line: Any, inflation: Any) -> tuple[float, float] | None:
        """(centre, its error) of one derivative line fitted over +-2.5 peak-to-peak widths around
        the feature, cut at the midpoints to the trace's neighbouring features; None when the fit
        fails, is not a line, or moves off the feature by more than half its width."""
        c, half = feature.centre, 2.5 * feature.width
        lower = [m for m in centres if m < c - 1e-12]
        upper = [m for m in centres if m > c + 1e-12]
        lo = max(c - half, 0.5 * (c + lower[-1])) if lower else c - half
        hi = min(c + half, 0.5 * (c + upper[0])) if upper else c + half
        sel = np.flatnonzero((b >= lo) & (b <= hi))
        if len(sel) < 8:
            return None
        infl = inflation(len(sel), tc, n_poles, times=None if times is None else times[sel])
        fit, _ = fit_line(b[sel], x[sel], "lorentzian", bm=bm, inflation=infl)
        if fit is None or abs(fit.b0 - c) > 0.5 * feature.width or not fit.errors.get("b0", 0.0) > 0:
            return None
        return float(fit.b0), float(fit.errors["b0"])

    def figure(self, run: RunData, results: dict[str, Any]) -> Any:
        """The lines found and the fitted branches."""
        import matplotlib.pyplot as plt

        from analysis.afmr import MU_B_OVER_H, easy_axis_branches

        fig, ax = plt.subplots(figsize=(6, 4.5))
        ax.plot(np.array(results.get("line_field", [])), np.array(results.get("line_frequency", [])) / 1e9, "o",
                ms=4, label="lines found")
        if "h_e" in results:
            h = np.linspace(0, float(np.max(self.analysis_field(run))), 400)
            br = easy_axis_branches(h, results["h_e"].value, results["h_a"].value)
            br = br * results["g_factor"].value * MU_B_OVER_H / 1e9
            for k, row in enumerate(br):
                ax.plot(h, row, "k-", lw=1, label="fit" if k == 0 else None)
            ax.axvline(results["spin_flop_field"].value, ls=":", color="grey")
        ax.set_xlabel("field (T)")
        ax.set_ylabel("frequency (GHz)")
        ax.legend()
        return fig


__all__ = ["AfmrMap"]
