"""Avoided crossing of a cavity and a strongly coupled spin ensemble: the frequency-field map's
traces (``fmr-map``'s plan, unchanged), fitted as a whole to input-output theory
(``analysis.strong_coupling``): collective coupling g sqrt(N), cavity and spin widths,
cooperativity. The windows stay on the guessed spin line (no tracking: near the crossing a
trace's strongest feature is a hybrid mode, not the spin line)."""
from __future__ import annotations

from typing import Any

import numpy as np

from sequences.experiment import FitValue, RunData
from sequences.experiments.fmr_map import FreqFieldMap
from sequences.result import WARNING, Result


class AvoidedCrossingMap(FreqFieldMap):
    name = "coupling-map"
    title = "Cavity-spin avoided crossing (strong coupling)"
    results = (
        Result("trace_frequency", "Hz", "microwave frequency of each trace"),
        Result("coupling", "Hz", "collective coupling g sqrt(N) / 2 pi (the crossing splits by twice this)"),
        Result("cavity_frequency", "Hz", "cavity resonance f_c"),
        Result("cavity_linewidth", "Hz", "cavity full width kappa / 2 pi (f_c / Q)"),
        Result("spin_linewidth", "Hz", "spin full width gamma_s / 2 pi"),
        Result("cooperativity", "", "C = 4 g^2 N / (kappa gamma_s), full widths"),
        Result("g_factor", "", "g of the spin line (field axis to frequency)"),
        Result("strong_coupling", "", "g sqrt(N) above both half widths: the split modes are resolved"),
        Result("fit_rms", "V", "rms residual of the map fit"), WARNING)
    freq_start = FreqFieldMap.freq_start.replace(default=9.47e9)
    freq_stop = FreqFieldMap.freq_stop.replace(default=9.53e9)
    n_freq = FreqFieldMap.n_freq.replace(default=31)
    geometry = FreqFieldMap.geometry.replace(default="sphere")
    window_low = FreqFieldMap.window_low.replace(default=3e-3)
    window_high = FreqFieldMap.window_high.replace(default=3e-3)
    track = FreqFieldMap.track.replace(default=False)
    points = FreqFieldMap.points.replace(default=121)

    def analyse(self, run: RunData) -> dict[str, Any]:
        p = run.parameters
        groups = self.trace_groups(run)
        freqs = [float(run["frequency"][idx[0]]) for idx in groups]
        out: dict[str, Any] = {"trace_frequency": freqs}
        if len(groups) < 3:
            out["warning"] = f"the avoided-crossing fit needs 3 or more traces, got {len(groups)}"
            return out
        from analysis.strong_coupling import fit_avoided_crossing  # here: scipy is too heavy for `spinbench list`

        bm = float(p.get("mod_amplitude", self.mod_amplitude))
        try:
            fit = fit_avoided_crossing(run["frequency"], self.analysis_field(run), run["x"], bm,
                                       int(p.get("harmonic", 1)))
        except ValueError as exc:
            out["warning"] = str(exc)
            return out
        e = fit.errors
        out.update({"coupling": FitValue(fit.coupling, e["coupling"], "Hz"),
                    "cavity_frequency": FitValue(fit.cavity_frequency, e["cavity_frequency"], "Hz"),
                    "cavity_linewidth": FitValue(fit.kappa, e["kappa"], "Hz"),
                    "spin_linewidth": FitValue(fit.gamma_s, e["gamma_s"], "Hz"),
                    "cooperativity": FitValue(fit.cooperativity, fit.cooperativity_error, ""),
                    "g_factor": FitValue(fit.g, e["g"], ""), "strong_coupling": fit.strong, "fit_rms": fit.rms})
        if not np.isfinite(e["coupling"]):
            out["warning"] = "the map does not determine the coupling (no crossing inside the map?)"
        return out

    def figure(self, run: RunData, results: dict[str, Any]) -> Any:
        """Lock-in X over (field, frequency) with the fitted hybrid-mode frequencies."""
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 4.5))
        b, f, x = self.analysis_field(run), np.asarray(run["frequency"]), np.asarray(run["x"])
        lim = float(np.max(np.abs(x))) or 1.0
        ax.scatter(b * 1e3, f / 1e9, c=x, s=6, cmap="RdBu_r", vmin=-lim, vmax=lim)
        if "coupling" in results:
            from analysis.constants import H, MU_B

            fc, gn, g = (results[k].value for k in ("cavity_frequency", "coupling", "g_factor"))
            bb = np.linspace(b.min(), b.max(), 200)
            fs = g * MU_B * bb / H
            for sign in (1, -1):
                ax.plot(bb * 1e3, ((fc + fs) / 2 + sign * np.sqrt(gn ** 2 + ((fc - fs) / 2) ** 2)) / 1e9, "k--", lw=1)
            ax.set_title(f"g√N/2π = {gn / 1e6:.3g} MHz, C = {results['cooperativity'].value:.3g}")
        ax.set_xlabel("field (mT)")
        ax.set_ylabel("frequency (GHz)")
        ax.set_ylim(f.min() / 1e9, f.max() / 1e9)
        return fig


__all__ = ["AvoidedCrossingMap"]
