"""cw-ESR field sweep of a powder (or frozen solution) of S = 1/2 centres, analysed into the
three principal g-values with the closed-form powder pattern (analysis/powder_fit.py)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import numpy as np

from analysis.powder_fit import fit_powder
from analysis.powder_model import powder_signal
from analysis.line_profiles import MIN_SNR
from drivers.lab import Lab
from sequences.result import WARNING, Result
from sequences.experiment import FitValue, Message, RunData
from sequences.experiments.esr_errors import sweep_inflation
from sequences.experiments.esr_sweep import EsrFieldSweep
from sequences.experiments.trace_series import PARK_TIME_CONSTANT, approach


class EsrPowderSweep(EsrFieldSweep):
    name = "esr-powder"
    title = "cw-ESR powder spectrum (principal g-values)"
    results = (
        Result("snr", "", "fitted pattern peak-to-peak over the residual rms"),
        Result("g1", "", "first principal g-value"), Result("g2", "", "second principal g-value"),
        Result("g3", "", "third principal g-value"), Result("g_iso", "", "mean of the principal g-values"),
        Result("fwhm_lorentz", "T", "Lorentzian FWHM of the single-crystal line"),
        Result("fwhm_gauss", "T", "Gaussian FWHM of the single-crystal line"),
        Result("intensity", "", "fitted pattern area (arbitrary units)"),
        Result("offset", "V", "baseline offset of the fit"),
        Result("residual_rms", "V", "rms of the fit residual"),
        Result("scans_averaged", "", "number of scans averaged"), WARNING)

    def plan(self, lab: Lab) -> Iterator[Message]:
        """The basic sweep, reached from the sweep's side with the lock-in parked (hysteresis)."""
        down = self.direction == "down"
        approach(lab, self.field_stop if down else self.field_start, from_below=not down)
        try:
            yield from super().plan(lab)
        finally:
            lab.lockin.time_constant = max(lab.lockin.time_constant, PARK_TIME_CONSTANT)

    def analyse(self, run: RunData) -> dict[str, Any]:
        b, x, _ = self.averaged(run)
        p = run.parameters
        freq = float(p.get("frequency", self.frequency))
        bm = float(p.get("mod_amplitude", self.mod_amplitude))
        out: dict[str, Any] = {}
        try:
            # the lock-in filter correlates the readings (as in the line fits of esr-sweep)
            fit = fit_powder(b, x, freq, bm=bm, inflation=sweep_inflation(run, self.settings(run), len(b)))
        except (ValueError, RuntimeError, np.linalg.LinAlgError) as exc:
            return {"warning": f"no powder pattern found: the fit failed ({exc})"}
        snr = float(np.ptp(fit.curve - fit.offset)) / max(fit.residual_rms, 1e-300)
        out["snr"] = snr
        if not snr >= MIN_SNR:
            out["warning"] = (f"no powder pattern found: SNR {snr:.2g} below {MIN_SNR:g} (fitted pattern "
                              f"peak-to-peak over the residual rms); no g-values")
            return out
        for k, (g, e) in enumerate(zip(fit.g, fit.g_errors), start=1):
            out[f"g{k}"] = FitValue(float(g), float(e), "")
        out["g_iso"] = FitValue(float(np.mean(fit.g)), float(np.sqrt(np.sum(fit.g_errors**2)) / 3), "")
        out["fwhm_lorentz"] = FitValue(fit.fwhm_lorentz, fit.errors["fwhm_lorentz"], "T")
        out["fwhm_gauss"] = FitValue(fit.fwhm_gauss, fit.errors["fwhm_gauss"], "T")
        out["intensity"] = FitValue(fit.area, fit.errors["area"], "")
        out["offset"] = fit.offset
        out["residual_rms"] = FitValue(fit.residual_rms, float("nan"), "V")
        out["scans_averaged"] = int(run["scan"].max()) + 1 if len(run["scan"]) else 0
        return out

    def plot(self, run: RunData, results: dict[str, Any], path: Path) -> Path:
        from analysis.plotting import new_figure

        b, x, _ = self.averaged(run)
        fig, ax = new_figure(figsize=(8, 4.5))
        ax.plot(b * 1e3, x * 1e6, ".", ms=3, label="lock-in X")
        if "g1" in results:
            p = run.parameters
            g = [results[f"g{k}"].value for k in (1, 2, 3)]
            fine = np.linspace(b.min(), b.max(), 1500)
            curve = powder_signal(fine, float(p.get("frequency", self.frequency)), np.array(g),
                                  results["fwhm_lorentz"].value, results["fwhm_gauss"].value,
                                  results["intensity"].value, float(results.get("offset", 0.0)),
                                  float(p.get("mod_amplitude", self.mod_amplitude)))
            ax.plot(fine * 1e3, curve * 1e6, "-", label="powder fit: g = " + ", ".join(f"{v:.5f}" for v in g))
        ax.set_xlabel("field (mT)")
        ax.set_ylabel("signal (µV)")
        ax.legend(fontsize=8)
        ax.set_title(self.title)
        from analysis.fmr_plots import show_warning

        show_warning(ax, results.get("warning"))
        import matplotlib.pyplot as plt

        fig.tight_layout()
        fig.savefig(path, dpi=110)
        plt.close(fig)
        return Path(path)
