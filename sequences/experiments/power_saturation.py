"""Power saturation: the same field sweep at a ladder of microwave powers; the line's double
integral against sqrt(P) is linear until saturation, then bends over (P_half, b)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import numpy as np

from drivers.lab import Lab
from analysis.saturation import fit_saturation
from sequences.experiments.trace_series import LINE_TABLE_RESULTS
from sequences.result import WARNING, Result
from sequences.experiment import Column, FitValue, Message, Parameter, RunData
from sequences.experiments.esr_sweep import EsrFieldSweep
from sequences.experiments.trace_series import TraceSeries, line_table, no_line_warning


class PowerSaturation(TraceSeries):
    name = "power-saturation"
    title = "cw-ESR power saturation"
    results = (
        Result("power", "W", "microwave power of each trace"),
        Result("sqrt_power", "sqrt(W)", "its square root"), *LINE_TABLE_RESULTS,
        Result("p_half", "W", "half-saturation power P1/2"),
        Result("inhomogeneity_b", "", "inhomogeneity parameter b (1 homogeneous, 3 inhomogeneous)"),
        Result("signal_per_sqrt_w", "", "unsaturated signal per square root of power"), WARNING)
    field_start = EsrFieldSweep.field_start
    field_stop = EsrFieldSweep.field_stop
    frequency = EsrFieldSweep.frequency
    p_start = Parameter(1e-5, "W", "lowest microwave power", 1e-12, 10.0, display_unit="mW", limit="max_rf_power")
    p_stop = Parameter(0.1, "W", "highest microwave power", 1e-12, 10.0, display_unit="mW", limit="max_rf_power")
    n_powers = Parameter(8, "", "number of powers (logarithmically spaced)", 2, 200, kind=int)
    fit_b = Parameter(True, "", "fit the inhomogeneity exponent b (else b = 3, homogeneous)", kind=bool)
    outer_columns = (Column("frequency", "Hz"), Column("power", "W"))

    def powers(self) -> np.ndarray:
        return np.geomspace(self.p_start, self.p_stop, self.n_powers)

    def check(self) -> list[str]:
        problems = []
        if self.p_stop <= self.p_start:
            problems.append(f"p_stop ({self.p_stop:g} W) must exceed p_start ({self.p_start:g} W)")
        if self.field_stop <= self.field_start:
            problems.append("field_stop must exceed field_start (traces sweep up)")
        return problems

    def check_lab(self, lab: Lab) -> list[str]:
        return super().check_lab(lab) + self.check_sweep_settings(lab)

    def total_points(self) -> int:
        return self.n_powers * self.points

    def plan(self, lab: Lab) -> Iterator[Message]:
        try:
            for k, p in enumerate(self.powers()):
                yield from self.trace(lab, k, self.field_start, self.field_stop, self.frequency, float(p),
                                      {"frequency": self.frequency, "power": float(p)})
        finally:
            self.finish(lab)

    def analyse(self, run: RunData) -> dict[str, Any]:
        groups = self.trace_groups(run)
        fits, problems = self.fit_traces(run, groups)
        power = np.array([float(run["power"][g[0]]) for g in groups])
        table = line_table(fits)
        area = np.array(table["area"])
        err = np.array(table["area_error"])
        out: dict[str, Any] = {"power": power.tolist(), "sqrt_power": np.sqrt(power).tolist(), **table}
        warnings = [w for w in [no_line_warning([f"{p * 1e3:.3g} mW" for p in power], problems)] if w]
        ok = np.isfinite(area)
        fit_b = bool(run.parameters.get("fit_b", self.fit_b))
        try:
            sat = fit_saturation(power[ok], area[ok], err[ok], b=None if fit_b else 3.0)
        except ValueError as exc:
            warnings.append(f"no saturation fit: {exc}")
        else:
            out["p_half"] = FitValue(sat.p_half, sat.errors["p_half"], "W")
            out["inhomogeneity_b"] = FitValue(sat.b, sat.errors["b"], "")
            out["signal_per_sqrt_w"] = FitValue(sat.a, sat.errors["a"], "")
        if warnings:
            out["warning"] = "; ".join(warnings)
        return out

    def figure(self, run: RunData, results: dict[str, Any]) -> Any:
        """Double integral vs sqrt(P) and normalised vs P, with the fit and P_half."""
        from analysis.fmr_plots import saturation_figure

        return saturation_figure(np.array(results.get("power", []), float), np.array(results.get("area", []), float),
                                 np.array(results.get("area_error", []), float), results, title=self.title)

    def plot(self, run: RunData, results: dict[str, Any], path: Path) -> Path:
        from analysis.fmr_plots import save_figure

        return save_figure(self.figure(run, results), path)
