"""Frequency-field map: a field sweep at each of N microwave frequencies, power levelled at the
sample, analysed into resonance fields and linewidths, a Kittel fit (g, Meff or anisotropy field)
and a damping fit (Gilbert alpha and inhomogeneous broadening)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import numpy as np

from drivers.lab import Lab
from analysis.kittel import (FIELD_PARAMETER, GEOMETRIES, KittelFit, fit_damping, fit_kittel, kittel_warnings,
                                       meff_from_field, resonance_field)
from sequences.experiments.trace_series import LINE_TABLE_RESULTS
from sequences.result import WARNING, Result
from sequences.experiment import Column, FitValue, Message, Parameter, RunData
from sequences.experiments.trace_series import TraceSeries, line_table, no_line_warning


class ResonancePredictor:
    """Where the next trace's line should be: the guessed Kittel curve, corrected by what has
    been measured (an offset after one trace, a refit after two or more)."""

    def __init__(self, geometry: str, g: float, bfield: float):
        self.geometry, self.g, self.bfield = geometry, g, bfield
        self.seen: list[tuple[float, float]] = []

    def predict(self, f: float) -> float:
        model = float(resonance_field(f, self.g, self.bfield, self.geometry))
        if len(self.seen) == 1:
            f0, b0 = self.seen[0]
            model += b0 - float(resonance_field(f0, self.g, self.bfield, self.geometry))
        return model

    def observe(self, f: float, b_res: float | None) -> None:
        """Record the centre of a line found at ``f`` (None: no line found, nothing learnt)."""
        if b_res is None:
            return
        self.seen.append((f, b_res))
        if len(self.seen) >= 2 and len({s[0] for s in self.seen}) >= 2:
            f_all, b_all = np.array(self.seen).T
            try:
                fit = fit_kittel(f_all, b_all, geometry=self.geometry, g0=self.g, bfield0=self.bfield)
                if np.isfinite(fit.g) and fit.g > 0:
                    self.g, self.bfield = fit.g, fit.bfield
            except ValueError:
                pass


class FreqFieldMap(TraceSeries):
    name = "fmr-map"
    title = "FMR/ESR frequency-field map"
    results = (
        Result("geometry", "", "Kittel geometry of the fit"),
        Result("trace_frequency", "Hz", "microwave frequency of each trace"), *LINE_TABLE_RESULTS,
        Result("line_model", "", "line shape fitted to each trace"),
        Result("g_factor", "", "g from the Kittel fit"),
        Result("mu0_meff", "T", "effective magnetisation field (in-plane, out-of-plane films)"),
        Result("meff", "A/m", "effective magnetisation"),
        Result("mu0_hk", "T", "uniaxial anisotropy field (easy-axis)"),
        Result("mu0_ha", "T", "anisotropy field (easy-plane, hard-axis)"),
        Result("kittel_reduced_chi2", "", "reduced chi-square of the Kittel fit"),
        Result("kittel_correlation", "", "correlation of g and the field parameter in the Kittel fit"),
        Result("alpha", "", "Gilbert damping from FWHM against frequency"),
        Result("inhomogeneous_fwhm", "T", "zero-frequency intercept of the FWHM"), WARNING)
    freq_start = Parameter(6e9, "Hz", "first microwave frequency", 1e8, 110e9, display_unit="GHz")
    freq_stop = Parameter(18e9, "Hz", "last microwave frequency", 1e8, 110e9, display_unit="GHz")
    n_freq = Parameter(4, "", "number of frequencies (linearly spaced)", 1, 1000, kind=int)
    geometry = Parameter("in-plane", "", "Kittel model for the windows and the fit", choices=GEOMETRIES)
    g_guess = Parameter(2.0, "", "expected g (centres the first windows)", 0.1, 20.0)
    field_guess = Parameter(0.0, "T", "expected mu0 Meff / mu0 HK / mu0 HA of the geometry", -5.0, 5.0,
                            display_unit="mT")
    window_low = Parameter(10e-3, "T", "half-width of the sweep at the first frequency", 1e-5, 2.0,
                           display_unit="mT")
    window_high = Parameter(30e-3, "T", "half-width of the sweep at the last frequency", 1e-5, 2.0,
                            display_unit="mT")
    track = Parameter(True, "", "re-centre each window on the lines measured so far", kind=bool)
    power = Parameter(1e-3, "W", "microwave power at the sample (levelled)", 0.0, 10.0, display_unit="mW")
    line_loss = Parameter(0.0, "dB", "line loss at 1 GHz to the sample; loss grows as sqrt(f)", 0.0, 60.0)
    outer_columns = (Column("frequency", "Hz"), Column("source_power", "W"))

    # --- checks --------------------------------------------------------------------------------
    def frequencies(self) -> np.ndarray:
        return np.linspace(self.freq_start, self.freq_stop, self.n_freq)

    def source_power(self, f: float) -> float:
        """Source power that puts ``power`` at the sample through a sqrt(f) line loss."""
        return self.power * 10 ** (self.line_loss * np.sqrt(f / 1e9) / 10)

    def half_window(self, k: int) -> float:
        if self.n_freq == 1:
            return self.window_low
        return self.window_low + (self.window_high - self.window_low) * k / (self.n_freq - 1)

    def check(self) -> list[str]:
        problems = []
        if self.freq_stop < self.freq_start:
            problems.append(f"freq_stop ({self.freq_stop / 1e9:g} GHz) is below freq_start "
                            f"({self.freq_start / 1e9:g} GHz)")
        if self.n_freq > 1 and self.freq_stop == self.freq_start:
            problems.append("n_freq > 1 needs freq_stop > freq_start")
        if not problems:
            for f in self.frequencies():
                b = float(resonance_field(f, self.g_guess, self.field_guess, self.geometry))
                if not np.isfinite(b) or b <= 0:
                    problems.append(f"no resonance at positive field for {f / 1e9:g} GHz with geometry "
                                    f"{self.geometry}, g = {self.g_guess:g}, field_guess = "
                                    f"{self.field_guess * 1e3:g} mT; check the guesses or raise freq_start")
                    break
        return problems

    def check_lab(self, lab: Lab) -> list[str]:
        problems = super().check_lab(lab) + self.check_sweep_settings(lab)
        p_max = max(self.source_power(f) for f in self.frequencies())
        if p_max > lab.limits.max_rf_power:
            problems.append(f"levelled power needs {p_max * 1e3:.3g} mW at the source (power "
                            f"{self.power * 1e3:g} mW + line loss), above the lab's max RF power "
                            f"{lab.limits.max_rf_power * 1e3:g} mW")
        for k, f in enumerate(self.frequencies()):
            b = float(resonance_field(f, self.g_guess, self.field_guess, self.geometry))
            problem = lab.field_problem(f"the window's lower edge at {f / 1e9:g} GHz (line expected near "
                                        f"{b * 1e3:.0f} mT)", max(b - self.half_window(k), 0.0))
            if problem:
                problems.append(problem)
                break
        return problems

    def total_points(self) -> int:
        return self.n_freq * self.points

    def estimated_duration(self) -> float:
        step = 2 * self.window_high / max(self.points - 1, 1)
        per_point = self.settle_tc * self.time_constant + step / self.ramp_rate
        return self.n_freq * (self.points * per_point + 2 * self.window_high / self.ramp_rate)

    # --- plan -----------------------------------------------------------------------------------
    def window(self, lab: Lab, k: int, f: float, predictor: ResonancePredictor,
               half: float | None = None) -> tuple[float, float]:
        centre = predictor.predict(f) if self.track else float(resonance_field(f, self.g_guess, self.field_guess,
                                                                                self.geometry))
        half = self.half_window(k) if half is None else half
        lo = max(centre - half, 0.0)
        hi = min(centre + half, lab.field_reach().high)
        if hi - lo < half / 4:
            raise ValueError(f"the window at {f / 1e9:g} GHz ({centre * 1e3:.1f} mT +- {half * 1e3:g} mT) lies "
                             f"outside 0 .. {lab.field_reach().high * 1e3:g} mT (lab limit and magnet range)")
        return lo, hi

    def map_plan(self, lab: Lab, predictor: ResonancePredictor, outer: dict[str, Any], first_trace: int = 0,
                 per_point=None, first_half: float | None = None) -> Iterator[Message]:
        """The traces of one map; ``first_half`` widens the first window (searching for the line)."""
        for k, f in enumerate(self.frequencies()):
            lo, hi = self.window(lab, k, f, predictor, first_half if k == 0 else None)
            rows: list[dict[str, Any]] = []
            extra = {"frequency": float(f), "source_power": self.source_power(f), **outer}
            yield from self.trace(lab, first_trace + k, lo, hi, float(f), self.source_power(f), extra, rows,
                                  per_point)
            if self.track:
                predictor.observe(float(f), self.line_centre(rows))

    def plan(self, lab: Lab) -> Iterator[Message]:
        try:
            yield from self.map_plan(lab, ResonancePredictor(self.geometry, self.g_guess, self.field_guess), {})
        finally:
            self.finish(lab)

    # --- analysis -------------------------------------------------------------------------------
    def analyse_map(self, run: RunData, groups: list[np.ndarray]) -> dict[str, Any]:
        """Line fits per trace, then the Kittel and damping fits over the traces where a line was
        found; a ``warning`` entry says which traces had none and which fits were not possible."""
        p = run.parameters
        geometry = p.get("geometry", self.geometry)
        fits, problems = self.fit_traces(run, groups)
        freqs = np.array([float(run["frequency"][idx[0]]) for idx in groups])
        table = line_table(fits)
        out: dict[str, Any] = {"geometry": geometry, "trace_frequency": freqs.tolist(), **table,
                               "line_model": p.get("lineshape", self.lineshape)}
        warnings = [w for w in [no_line_warning([f"{f / 1e9:.4g} GHz" for f in freqs], problems)] if w]
        ok = np.array([f is not None for f in fits], bool)
        n_par = 1 + (geometry != "sphere")
        n_freq = len(np.unique(freqs[ok]))
        if ok.any() and n_freq < n_par:
            warnings.append(f"a {geometry} Kittel fit needs lines at {n_par} distinct frequencies, found "
                            f"{n_freq}: no g or field parameter")
        if n_freq >= n_par:
            b = np.array(table["resonance_field"])[ok]
            be = np.array(table["resonance_field_error"])[ok]
            kit = fit_kittel(freqs[ok], b, be, geometry=geometry, g0=p.get("g_guess"), bfield0=p.get("field_guess"))
            out.update(self.kittel_values(kit))
            out["kittel_reduced_chi2"] = kit.reduced_chi2
            if FIELD_PARAMETER[geometry]:
                out["kittel_correlation"] = kit.g_field_correlation
            warnings += kittel_warnings(kit)
            if n_freq >= 2:
                w = np.array(table["fwhm"])[ok]
                we = np.array(table["fwhm_error"])[ok]
                try:
                    d = fit_damping(freqs[ok], w, we, kit.g, kit.errors["g"])
                except ValueError as exc:
                    warnings.append(str(exc))
                else:
                    out["alpha"] = FitValue(d.alpha, d.alpha_error, "")
                    out["inhomogeneous_fwhm"] = FitValue(d.db0, d.db0_error, "T")
                    if d.db0_fixed:
                        warnings.append(f"the free damping fit gave a negative inhomogeneous FWHM "
                                        f"({d.db0_free * 1e3:.3g} mT); refitted through zero width")
        if warnings:
            out["warning"] = "; ".join(warnings)
        return out

    @staticmethod
    def kittel_values(kit: KittelFit) -> dict[str, Any]:
        out: dict[str, Any] = {"g_factor": FitValue(kit.g, kit.errors["g"], "")}
        name = FIELD_PARAMETER[kit.geometry]
        if name:
            out[name] = FitValue(kit.bfield, kit.errors["bfield"], "T")
            if name == "mu0_meff":
                out["meff"] = FitValue(meff_from_field(kit.bfield), meff_from_field(kit.errors["bfield"]), "A/m")
        return out

    def analyse(self, run: RunData) -> dict[str, Any]:
        return self.analyse_map(run, self.trace_groups(run))

    def figure(self, run: RunData, results: dict[str, Any]) -> Any:
        """The frequency-field colour map with the Kittel curve, and linewidths vs frequency."""
        from analysis.fmr_plots import map_figure

        return map_figure(run, results, self.trace_groups(run))

    def plot(self, run: RunData, results: dict[str, Any], path: Path) -> Path:
        from analysis.fmr_plots import save_figure

        return save_figure(self.figure(run, results), path)
