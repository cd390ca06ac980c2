"""NV ODMR: the cw frequency sweep (laser and microwave on, counts per dwell) and pulsed ODMR (a
pi pulse, then readout, at each frequency). cw-ODMR fits both m_s = 0 <-> +-1 multiplets and
reports the field along the NV axis, the apparent zero-field splitting, the hyperfine splitting,
the contrast and the shot-noise-limited cw sensitivity (analysis/nv_odmr.py, nv_sensitivity.py).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import numpy as np

from analysis.nv_odmr import HYPERFINE, NV_GAMMA, field_from_spectrum, fit_line_group, lorentz_dips
from analysis.nv_sensitivity import cw_odmr_sensitivity, slope_sensitivity
from drivers.lab import Lab
from sequences.result import Result
from sequences.experiment import Checkpoint, Column, Experiment, FitValue, Message, Parameter, Point, RunData
from sequences.experiments.nv_pulsed import NvPulsedExperiment


def _freq(default: float, doc: str, low: float = 0.0) -> Parameter[float]:
    return Parameter(default, "Hz", doc, low, 50e9, display_unit="MHz")


def _steepest(group, n: int) -> float:
    """Shot-noise-limited sensitivity on the fitted multiplet's steepest flank."""
    p = group.params
    grid = np.linspace(p["centre"] - 3 * (p["split"] * n + p["fwhm"]), p["centre"] + 3 * (p["split"] * n + p["fwhm"]),
                       4001)
    model = lorentz_dips(grid, p["base"], p["depth"], p["centre"], p["split"], p["fwhm"], n)
    return slope_sensitivity(grid, model, NV_GAMMA)


class CwOdmr(Experiment):
    name = "nv-cw-odmr"
    title = "NV cw-ODMR (microwave frequency sweep, laser and microwave on)"
    results = (
        Result("field_along_axis", "T", "field along the NV axis from the two lines"),
        Result("zero_field_splitting", "Hz", "apparent D from the two lines"),
        Result("line_minus", "Hz", "ms=0 to -1 line"), Result("line_plus", "Hz", "ms=0 to +1 line"),
        Result("linewidth", "Hz", "mean FWHM of the lines"), Result("contrast", "", "mean dip depth"),
        Result("count_rate", "1/s", "off-resonance count rate"),
        Result("sensitivity_cw", "T/sqrt(Hz)", "shot-noise field sensitivity at the steepest slope"),
        Result("sensitivity_cw_lorentzian", "T/sqrt(Hz)", "the Lorentzian-line formula's sensitivity"),
        Result("hyperfine_splitting", "Hz", "nitrogen hyperfine splitting"),
        Result("fit_x", "Hz", "frequencies of the fitted curve"), Result("fit_curve", "1/s", "the fitted count rate"))
    roles = ("rf", "laser", "counter")
    optional_roles = ("field",)

    freq_start = _freq(2.80e9, "first frequency of the (first) window", 1e6)
    freq_stop = _freq(2.94e9, "last frequency of the (first) window", 1e6)
    freq2_start = _freq(0.0, "first frequency of a second window (0: none), e.g. around the other line")
    freq2_stop = _freq(0.0, "last frequency of the second window")
    points = Parameter(201, "", "points per window", 5, 100_000, kind=int)
    dwell = Parameter(10e-3, "s", "counting time per point", 1e-6, 100.0, display_unit="ms")
    sweeps = Parameter(1, "", "passes over the frequencies, summed", 1, 10_000, kind=int)
    power = Parameter(1e-3, "W", "microwave power (keep low: power broadening)", 0.0, 10.0, display_unit="mW",
                      limit="max_rf_power")
    laser_power = Parameter(0.01, "W", "laser power", 0.0, 10.0, display_unit="mW")
    field = Parameter(0.0, "T", "static field set first; 0 leaves the magnet alone", -2.0, 2.0, display_unit="mT",
                      limit="max_field")
    nitrogen = Parameter("14N", "", "nitrogen isotope of the NV (hyperfine lines)", choices=("14N", "15N", "none"))

    def frequencies(self) -> np.ndarray:
        f = np.linspace(self.freq_start, self.freq_stop, self.points)
        if self.freq2_start > 0 and self.freq2_stop > 0:
            f = np.concatenate([f, np.linspace(self.freq2_start, self.freq2_stop, self.points)])
        return f

    def check(self) -> list[str]:
        problems = []
        if self.freq_start == self.freq_stop:
            problems.append("freq_start and freq_stop are equal: nothing to sweep")
        if (self.freq2_start > 0) != (self.freq2_stop > 0):
            problems.append("give both freq2_start and freq2_stop for a second window, or neither")
        return problems

    def total_points(self) -> int:
        return len(self.frequencies()) * self.sweeps

    def estimated_duration(self) -> float:
        return self.total_points() * self.dwell

    def columns(self) -> list[Column]:
        return [Column("sweep", ""), Column("frequency", "Hz"), Column("counts", "counts"), Column("rate", "1/s")]

    def setup(self, lab: Lab) -> None:
        if self.field and lab.has("field"):
            lab.field.ramp_to(self.field)
        lab.rf.power = self.power
        lab.rf.output = True
        lab.laser.power = self.laser_power
        lab.laser.output = True

    def plan(self, lab: Lab) -> Iterator[Message]:
        self.setup(lab)
        for s in range(self.sweeps):
            for i, f in enumerate(self.frequencies()):
                if (yield Checkpoint(f"sweep {s} point {i}")):
                    self.setup(lab)
                lab.rf.frequency = float(f)
                n = lab.counter.count(self.dwell)
                yield Point({"sweep": s, "frequency": float(f), "counts": n, "rate": n / self.dwell})
        lab.rf.output = False
        lab.laser.output = False

    def spectrum(self, run: RunData) -> tuple[np.ndarray, np.ndarray]:
        """Count rate per frequency, averaged over sweeps."""
        f = np.asarray(run["frequency"], float)
        rate = np.asarray(run["rate"], float)
        uniq, inv = np.unique(f, return_inverse=True)
        return uniq, np.bincount(inv, rate) / np.bincount(inv)

    def analyse(self, run: RunData) -> dict[str, Any]:
        f, rate = self.spectrum(run)
        p = run.parameters
        nitrogen = str(p.get("nitrogen", self.nitrogen))
        split_at = None
        f1, f2 = float(p.get("freq_stop", self.freq_stop)), float(p.get("freq2_start", self.freq2_start))
        if f2 > 0:
            split_at = (max(f1, float(p.get("freq_start", self.freq_start))) + min(f2, float(p.get("freq2_stop", 0)))) / 2
        res = field_from_spectrum(f, rate, nitrogen, NV_GAMMA, split_at)
        g1, g2 = res.f_minus, res.f_plus
        n = HYPERFINE[nitrogen][0]
        depth = float(np.mean([g.params["depth"] for g in (g1, g2)]))
        fwhm = float(np.mean([g.params["fwhm"] for g in (g1, g2)]))
        base = float(np.mean([g.params["base"] for g in (g1, g2)]))
        out: dict[str, Any] = {
            "field_along_axis": FitValue(res.field, res.field_error, "T"),
            "zero_field_splitting": FitValue(res.d_apparent, res.d_error, "Hz"),
            "line_minus": FitValue(g1.params["centre"], g1.errors["centre"], "Hz"),
            "line_plus": FitValue(g2.params["centre"], g2.errors["centre"], "Hz"),
            "linewidth": FitValue(fwhm, float(np.hypot(g1.errors["fwhm"], g2.errors["fwhm"])) / 2, "Hz"),
            "contrast": FitValue(depth, float(np.hypot(g1.errors["depth"], g2.errors["depth"])) / 2, ""),
            "count_rate": FitValue(base, float(np.hypot(g1.errors["base"], g2.errors["base"])) / 2, "1/s"),
            "sensitivity_cw": FitValue(min(_steepest(g, n) for g in (g1, g2)), float("nan"), "T/sqrt(Hz)"),
            "sensitivity_cw_lorentzian": FitValue(cw_odmr_sensitivity(fwhm, depth, base, NV_GAMMA), float("nan"),
                                                  "T/sqrt(Hz)"),
            "fit_x": f, "fit_curve": np.where(f < (split_at or (g1.params["centre"] + g2.params["centre"]) / 2),
                                              lorentz_dips(f, *(g1.params[k] for k in ("base", "depth", "centre",
                                                                                        "split", "fwhm")), n),
                                              lorentz_dips(f, *(g2.params[k] for k in ("base", "depth", "centre",
                                                                                        "split", "fwhm")), n))}
        if n > 1:
            s = np.array([g1.params["split"], g2.params["split"]])
            e = np.array([g1.errors["split"], g2.errors["split"]])
            out["hyperfine_splitting"] = FitValue(float(s.mean()), float(np.hypot(*e)) / 2, "Hz")
        return out

    def plot(self, run: RunData, results: dict[str, Any], path: Path) -> Path:
        from analysis.pulsed_plots import plot_sweep

        f, rate = self.spectrum(run)
        b = results.get("field_along_axis")
        return plot_sweep(f, rate, results.get("fit_x"), results.get("fit_curve"), xlabel="frequency (MHz)",
                          ylabel="count rate (1/s)", title=self.title,
                          label=f"B_par = {b.value * 1e3:.4f} mT" if b else "", path=path)


class PulsedOdmr(NvPulsedExperiment):
    name = "nv-pulsed-odmr"
    title = "NV pulsed ODMR (pi pulse, frequency sweep)"
    results = (
        Result("line", "Hz", "line centre"), Result("contrast", "", "dip depth"), Result("linewidth", "Hz", "FWHM"),
        Result("hyperfine_splitting", "Hz", "nitrogen hyperfine splitting"),
        Result("fit_x", "Hz", "frequencies of the fitted curve"), Result("fit_curve", "", "the fitted contrast"))
    sequence_name = "nv-rabi"
    freq_start = _freq(2.58e9, "first microwave frequency", 1e6)
    freq_stop = _freq(2.60e9, "last microwave frequency", 1e6)
    points = Parameter(101, "", "points in the sweep", 2, 100_000, kind=int)
    power = NvPulsedExperiment.power.replace(default=0.0025)

    def sweep_values(self) -> np.ndarray:
        return np.linspace(self.freq_start, self.freq_stop, self.points)

    def x_name(self) -> str:
        return "frequency"

    def sequence_values(self, x: float) -> dict[str, float]:
        vals = super().sequence_values(x)
        vals["tp"] = self.p180
        return vals

    def programs(self, lab: Lab):
        one = super().programs(lab)  # the same program at every frequency: compiled once per point, cheap
        return one

    def before_point(self, lab: Lab, x: float) -> None:
        lab.rf.frequency = x

    def analyse(self, run: RunData) -> dict[str, Any]:
        f = np.asarray(run["frequency"], float)
        y = self.ratio(run)
        nitrogen = str(run.parameters.get("nitrogen", self.nitrogen))
        g = fit_line_group(f, y, nitrogen)
        out = {"line": FitValue(g.params["centre"], g.errors["centre"], "Hz"),
               "contrast": FitValue(g.params["depth"], g.errors["depth"], ""),
               "linewidth": FitValue(g.params["fwhm"], g.errors["fwhm"], "Hz"), "fit_x": f, "fit_curve": g.curve}
        if HYPERFINE[nitrogen][0] > 1:
            out["hyperfine_splitting"] = FitValue(g.params["split"], g.errors["split"], "Hz")
        return out


NV_ODMR = (CwOdmr, PulsedOdmr)
