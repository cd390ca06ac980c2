"""Field calibration in one run: Hall probe against setpoint in both sweep directions, a g-marker
(DPPH) swept up and down, and optionally the sample's own line, corrected with the marker."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import numpy as np

from drivers.lab import Lab
from analysis.constants import DPPH_G
from analysis.field_correction import fit_hysteresis, g_from_field, marker_correction, marker_field
from analysis.line_profiles import LineResult, fit_significant_line, line_signal
from sequences.result import WARNING, Result
from sequences.experiment import Checkpoint, Column, FitValue, Message, Parameter, Point, RunData
from sequences.experiments.esr_sweep import EsrFieldSweep
from sequences.experiments.trace_series import TraceSeries, approach

#: Segment codes of the ``segment`` column.
LOOP_UP, LOOP_DOWN, MARKER_UP, MARKER_DOWN, SAMPLE = range(5)


class FieldCalibration(TraceSeries):
    name = "field-calibration"
    title = "Field calibration: Hall vs setpoint, hysteresis, g-marker"
    results = (
        Result("hall_offset_up", "T", "Hall minus setpoint, sweeping up"),
        Result("hall_offset_down", "T", "Hall minus setpoint, sweeping down"),
        Result("remanence", "T", "field at zero setpoint (hysteresis)"),
        Result("hall_slope_up", "", "Hall field per setpoint field, sweeping up"),
        Result("hall_slope_down", "", "Hall field per setpoint field, sweeping down"),
        Result("marker_field_expected", "T", "where the g-marker should resonate at the set frequency"),
        Result("marker_field_hall_up", "T", "marker line on the Hall axis, sweeping up"),
        Result("marker_field_hall_down", "T", "marker line on the Hall axis, sweeping down"),
        Result("setpoint_correction_up", "T", "setpoint correction from the marker, sweeping up"),
        Result("setpoint_correction_down", "T", "setpoint correction from the marker, sweeping down"),
        Result("hall_correction", "T", "Hall-axis correction from the marker (both directions weighted)"),
        Result("sample_field_hall", "T", "sample line on the Hall axis"),
        Result("sample_g_uncorrected", "", "sample g from the uncorrected Hall field"),
        Result("sample_g", "", "sample g with the marker's Hall correction"),
        Result("sample_g_ratio", "", "sample g from the field ratio to the marker"), WARNING)
    roles = ("rf", "lockin", "field", "gaussmeter")
    optional_roles = ("temperature",)
    loop_start = Parameter(0.30, "T", "lowest setpoint of the Hall-vs-setpoint loop", 0.0, 2.0, display_unit="mT")
    loop_stop = Parameter(0.38, "T", "highest setpoint of the loop", 0.0, 2.0, display_unit="mT")
    loop_points = Parameter(9, "", "setpoints per loop direction", 2, 10_000, kind=int)
    frequency = EsrFieldSweep.frequency
    power = EsrFieldSweep.power
    marker_g = Parameter(DPPH_G, "", "g of the marker in the resonator (DPPH 2.0036)", 0.5, 10.0)
    marker_window = Parameter(1.5e-3, "T", "half-width of the marker sweeps", 1e-5, 0.1, display_unit="mT")
    sample_start = Parameter(0.0, "T", "sample line sweep start (0 and 0: no sample sweep)", 0.0, 2.0,
                             display_unit="mT")
    sample_stop = Parameter(0.0, "T", "sample line sweep stop", 0.0, 2.0, display_unit="mT")
    outer_columns = (Column("segment", ""), Column("direction", ""), Column("supply_field", "T"),
                     Column("frequency", "Hz"))

    def has_sample(self) -> bool:
        return self.sample_stop > self.sample_start > 0

    def marker_window_fields(self) -> tuple[float, float]:
        b = marker_field(self.frequency, self.marker_g)
        return b - self.marker_window, b + self.marker_window

    def check(self) -> list[str]:
        problems = []
        if self.loop_stop <= self.loop_start:
            problems.append("loop_stop must exceed loop_start")
        if (self.sample_start or self.sample_stop) and not self.has_sample():
            problems.append("sample_stop must exceed sample_start > 0 (or leave both 0 for no sample sweep)")
        return problems

    def check_lab(self, lab: Lab) -> list[str]:
        problems = super().check_lab(lab) + self.check_sweep_settings(lab)
        top = max(self.loop_stop, self.marker_window_fields()[1], self.sample_stop)
        problem = lab.field_problem("the calibration's highest field", top)
        if problem:
            problems.append(problem)
        return problems

    def total_points(self) -> int:
        return 2 * self.loop_points + (2 + self.has_sample()) * self.points

    # --- plan -----------------------------------------------------------------------------------
    def loop(self, lab: Lab, up: bool) -> Iterator[Message]:
        fc, li = lab.field, lab.lockin
        hall = lab.gaussmeter
        setpoints = np.linspace(self.loop_start, self.loop_stop, self.loop_points)
        setpoints = setpoints if up else setpoints[::-1]
        approach(lab, float(setpoints[0]), from_below=up)
        settle = self.settle_tc * self.time_constant
        for i, b in enumerate(setpoints):
            resumed = yield Checkpoint(f"loop {'up' if up else 'down'} point {i}")
            if resumed:
                approach(lab, float(b), from_below=up)
            fc.setpoint = float(b)
            fc.wait_until_settled()
            lab.sleep(settle)
            x, y = li.read_xy()
            yield Point({"scan": 0, "index": i, "field_set": float(b), "field": hall.read_field(), "x": x, "y": y,
                         "time": lab.clock.now(), "temperature": float("nan"), "trace": -1,
                         "segment": LOOP_UP if up else LOOP_DOWN, "direction": 1.0 if up else -1.0,
                         "supply_field": fc.field, "frequency": self.frequency})

    def plan(self, lab: Lab) -> Iterator[Message]:
        fc = lab.field
        supply = lambda: {"supply_field": fc.field}  # noqa: E731
        lo, hi = self.marker_window_fields()
        common = {"frequency": self.frequency}
        try:
            yield from self.loop(lab, up=True)
            yield from self.loop(lab, up=False)
            yield from self.trace(lab, 0, lo, hi, self.frequency, self.power,
                                  {**common, "segment": MARKER_UP, "direction": 1.0}, per_point=supply)
            yield from self.trace(lab, 1, lo, hi, self.frequency, self.power,
                                  {**common, "segment": MARKER_DOWN, "direction": -1.0}, per_point=supply,
                                  direction="down")
            if self.has_sample():
                yield from self.trace(lab, 2, self.sample_start, self.sample_stop, self.frequency, self.power,
                                      {**common, "segment": SAMPLE, "direction": 1.0}, per_point=supply)
        finally:
            self.finish(lab)

    # --- analysis -------------------------------------------------------------------------------
    def analyse(self, run: RunData) -> dict[str, Any]:
        p = run.parameters
        seg = run["segment"].astype(int)
        freq = float(p.get("frequency", self.frequency))
        g_marker = float(p.get("marker_g", self.marker_g))
        loop = (seg == LOOP_UP) | (seg == LOOP_DOWN)
        out: dict[str, Any] = {}
        hyst = fit_hysteresis(run["field_set"][loop], run["field"][loop], run["direction"][loop])
        out["hall_offset_up"] = FitValue(hyst.offset_up, hyst.offset_up_error, "T")
        out["hall_offset_down"] = FitValue(hyst.offset_down, hyst.offset_down_error, "T")
        out["remanence"] = FitValue(hyst.remanence, hyst.remanence_error, "T")
        out["hall_slope_up"] = hyst.slope_up
        out["hall_slope_down"] = hyst.slope_down
        warnings = []
        expected = marker_field(freq, g_marker)
        out["marker_field_expected"] = FitValue(expected, 0.0, "T")
        fits = self.segment_fits(run)
        hall_fits = []
        for code, label in ((MARKER_UP, "up"), (MARKER_DOWN, "down")):
            (by_hall, why), (by_set, why_set) = fits.get(code, ((None, "the sweep was not recorded"), (None, "")))
            if by_hall is None or by_set is None:
                warnings.append(f"no marker line found sweeping {label}: {why or why_set}")
                continue
            hall_fits.append(by_hall)
            out[f"marker_field_hall_{label}"] = FitValue(by_hall.b0, by_hall.errors["b0"], "T")
            corr, err = marker_correction(by_set.b0, by_set.errors["b0"], freq, g_marker)
            out[f"setpoint_correction_{label}"] = FitValue(corr, err, "T")
        measured = measured_err = corr = corr_err = float("nan")
        if hall_fits:
            w = np.array([1 / max(f.errors["b0"], 1e-12) ** 2 for f in hall_fits])
            measured = float(np.sum(w * [f.b0 for f in hall_fits]) / w.sum())
            measured_err = float(1 / np.sqrt(w.sum()))
            corr, corr_err = marker_correction(measured, measured_err, freq, g_marker)
            out["hall_correction"] = FitValue(corr, corr_err, "T")
        if SAMPLE in fits:
            (fit, why), _ = fits[SAMPLE]
            if fit is None:
                idx = np.flatnonzero(seg == SAMPLE)
                b = run["field"][idx]
                warnings.append(f"no line found in the sample sweep ({b.min() * 1e3:.3f} .. {b.max() * 1e3:.3f} mT "
                                f"Hall field): {why}; no sample g")
            else:
                g0, e0 = g_from_field(fit.b0, fit.errors["b0"], freq)
                out["sample_field_hall"] = FitValue(fit.b0, fit.errors["b0"], "T")
                out["sample_g_uncorrected"] = FitValue(g0, e0, "")
                if hall_fits:
                    g1, e1 = g_from_field(fit.b0, fit.errors["b0"], freq, corr, corr_err)
                    ratio = g_marker * measured / fit.b0
                    out["sample_g"] = FitValue(g1, e1, "")
                    out["sample_g_ratio"] = FitValue(ratio, ratio * np.hypot(measured_err / measured,
                                                                             fit.errors["b0"] / fit.b0), "")
        if warnings:
            out["warning"] = "; ".join(warnings)
        return out

    def segment_fits(self, run: RunData) -> dict[int, tuple[tuple[LineResult | None, str], ...]]:
        """Significance-tested line fits of the marker sweeps (on the Hall and the setpoint axis)
        and of the sample sweep (Hall axis; the second entry repeats it)."""
        p = run.parameters
        seg = run["segment"].astype(int)
        model = p.get("lineshape", self.lineshape)
        bm = float(p.get("mod_amplitude", self.mod_amplitude))
        harmonic = int(p.get("harmonic", 1))
        out = {}
        for code in (MARKER_UP, MARKER_DOWN, SAMPLE):
            idx = np.flatnonzero(seg == code)
            if len(idx) < 8:
                continue
            idx = idx[np.argsort(run["field_set"][idx])]
            by_hall = fit_significant_line(self.trace_field(run, idx), run["x"][idx], model, bm=bm, harmonic=harmonic)
            by_set = by_hall if code == SAMPLE else fit_significant_line(run["field_set"][idx], run["x"][idx], model,
                                                                         bm=bm, harmonic=harmonic)
            out[code] = (by_hall, by_set)
        return out

    def figure(self, run: RunData, results: dict[str, Any]) -> Any:
        """Hall - setpoint loops; marker and sample sweeps with their fitted lines."""
        from analysis.fmr_plots import show_warning
        from analysis.plotting import new_figure

        p = run.parameters
        seg = run["segment"].astype(int)
        bm = float(p.get("mod_amplitude", self.mod_amplitude))
        harmonic = int(p.get("harmonic", 1))
        fig, (ax1, ax2) = new_figure(1, 2, figsize=(11, 4.6))
        for code, label in ((LOOP_UP, "up"), (LOOP_DOWN, "down")):
            m = seg == code
            ax1.plot(run["field_set"][m] * 1e3, (run["field"][m] - run["field_set"][m]) * 1e6, "o-",
                     label=f"sweeping {label}")
        if "remanence" in results:
            ax1.set_title(f"Hall − setpoint: remanence {results['remanence'].value * 1e6:.2f} µT", fontsize=9)
        ax1.set_xlabel("setpoint (mT)")
        ax1.set_ylabel("Hall − setpoint (µT)")
        ax1.legend(fontsize=8)
        fits = self.segment_fits(run)
        for code, label in ((MARKER_UP, "marker up"), (MARKER_DOWN, "marker down"), (SAMPLE, "sample")):
            idx = np.flatnonzero(seg == code)
            if not len(idx):
                continue
            idx = idx[np.argsort(run["field_set"][idx])]
            b = self.trace_field(run, idx)
            points = ax2.plot(run["field"][idx] * 1e3, run["x"][idx] * 1e6, ".", ms=3, label=label)[0]
            fit = fits.get(code, ((None, ""),))[0][0]
            if fit is not None:
                fine = np.linspace(b.min(), b.max(), 600)
                shape = [fit.fwhm_lorentz, fit.fwhm_gauss] if fit.model == "voigt" else \
                    [fit.fwhm, fit.phase] if fit.model == "lorentzian-dispersive" else [fit.fwhm]
                curve = line_signal(fit.model, fine, fit.b0, np.array(shape), fit.area, fit.offset, bm, harmonic)
                ax2.plot(fine * 1e3, curve * 1e6, "-", color=points.get_color(), lw=1.2,
                         label=f"{label} fit: {fit.b0 * 1e3:.4f} mT")
        if "marker_field_expected" in results:
            ax2.axvline(results["marker_field_expected"].value * 1e3, color="k", lw=0.8, ls="--",
                        label="marker, expected")
        if "sample_g" in results:
            ax2.set_title(f"sample g = {results['sample_g'].value:.5f} ± {results['sample_g'].error:.1g} "
                          f"(marker-corrected)", fontsize=9)
        ax2.set_xlabel("Hall field (mT)")
        ax2.set_ylabel("lock-in X (µV)")
        ax2.legend(fontsize=7)
        show_warning(ax2, results.get("warning"))
        fig.suptitle(f"{self.title} at {float(p.get('frequency', self.frequency)) / 1e9:.4g} GHz")
        return fig

    def plot(self, run: RunData, results: dict[str, Any], path: Path) -> Path:
        from analysis.fmr_plots import save_figure

        return save_figure(self.figure(run, results), path)
