"""Antiferromagnetic resonance map: a field sweep over one fixed range at each microwave frequency
(``fmr-map``'s traces; no Kittel windows: the branches of an antiferromagnet are not Kittel
curves), every derivative line of each trace located (``analysis.line_count``), and the
(field, frequency) points fitted to the easy-axis two-sublattice branches (``analysis.afmr``):
exchange field H_E, anisotropy field H_A, g and the spin-flop field."""
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
        from analysis.line_count import derivative_line_features

        p = run.parameters
        groups = self.trace_groups(run)
        freqs = [float(run["frequency"][idx[0]]) for idx in groups]
        field = self.analysis_field(run)
        lines_b, lines_f = [], []
        for f, idx in zip(freqs, groups):
            for feature in derivative_line_features(field[idx], run["x"][idx], float(p.get("min_sigma", 8.0))):
                lines_b.append(feature.centre)
                lines_f.append(f)
        out: dict[str, Any] = {"trace_frequency": freqs, "line_field": lines_b, "line_frequency": lines_f}
        h, f = np.array(lines_b), np.array(lines_f)
        step = float(np.median(np.diff(np.sort(field[groups[0]])))) if groups and len(groups[0]) > 1 else 0.0
        fixed = non_resonant_fields(h, f, max(2 * step, 3 * float(p.get("mod_amplitude", self.mod_amplitude))))
        warnings = []
        if fixed.any():
            warnings.append(f"{int(fixed.sum())} features at {np.mean(h[fixed]):.4g} T in several traces are not "
                            f"resonances (the spin-flop transition?); left out of the fit")
            out["non_resonant_field"] = float(np.mean(h[fixed]))
        try:
            fit, kept = fit_easy_axis_map_rejecting(h[~fixed], f[~fixed])
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
