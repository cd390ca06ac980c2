"""Angular dependence: a field sweep at each goniometer angle.

For paramagnetic single crystals the analysis turns each resonance field into g_eff(theta),
fits the rotation pattern g^2 = A + B cos 2theta + C sin 2theta (extremal g in the plane), and
stores the B0 directions in the crystal frame so that three rotations about the crystal a, b, c
axes combine into the full g-tensor (:func:`g_tensor_from_runs`). For ferromagnets the per-angle
resonance fields and linewidths are the result.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Iterator

import numpy as np

from drivers.lab import Lab
from analysis.constants import H, MU_B
from analysis.gtensor import (MOUNTS, TensorFit, distinct_orientations, fit_g_tensor, fit_rotation_plane,
                                       rotation_directions)
from sequences.experiments.trace_series import LINE_TABLE_RESULTS
from sequences.result import WARNING, Result
from sequences.experiment import Column, FitValue, Message, Parameter, RunData
from sequences.experiments.esr_sweep import EsrFieldSweep
from sequences.experiments.trace_series import PARK_TIME_CONSTANT, TraceSeries, line_table, no_line_warning


class AngularDependence(TraceSeries):
    name = "angular-dependence"
    title = "ESR/FMR angular dependence (goniometer)"
    results = (
        Result("angle", "deg", "goniometer angle of each trace"), *LINE_TABLE_RESULTS,
        Result("g_eff", "", "effective g of each trace (set frequency / resonance field)"),
        Result("g_eff_error", "", "its standard error"),
        Result("mount", "", "how the rotation axis sits in the crystal frame"),
        Result("directions", "", "field direction of each trace in the crystal frame (unit vectors)"),
        Result("g_max_in_plane", "", "largest g in the rotation plane"),
        Result("g_min_in_plane", "", "smallest g in the rotation plane"),
        Result("angle_of_g_max", "deg", "angle at which g is largest"),
        Result("g2_coefficients", "", "coefficients of g^2(angle) = a + b cos 2θ + c sin 2θ"), WARNING)
    roles = ("rf", "lockin", "field", "goniometer")
    angle_start = Parameter(0.0, "deg", "first goniometer angle", -360.0, 360.0)
    angle_stop = Parameter(180.0, "deg", "last goniometer angle", -360.0, 360.0)
    n_angles = Parameter(7, "", "number of angles (linearly spaced)", 1, 3600, kind=int)
    field_start = EsrFieldSweep.field_start
    field_stop = EsrFieldSweep.field_stop
    frequency = EsrFieldSweep.frequency
    power = EsrFieldSweep.power
    track = Parameter(False, "", "re-centre the window on the previous angle's line", kind=bool)
    mount = Parameter("a", "", "crystal axis along the rotation axis (a: b along B0 at 0 deg; b: c; c: a); "
                      "'none' for samples without a crystal frame", choices=(*MOUNTS, "none"))
    outer_columns = (Column("frequency", "Hz"), Column("angle", "deg"))

    def angles(self) -> np.ndarray:
        return np.linspace(self.angle_start, self.angle_stop, self.n_angles)

    def check(self) -> list[str]:
        problems = []
        if self.field_stop <= self.field_start:
            problems.append("field_stop must exceed field_start (traces sweep up)")
        n = distinct_orientations(self.angles())
        if self.mount in MOUNTS and n < 3:
            problems.append(f"the g^2 rotation pattern repeats every 180 deg: angles "
                            f"{', '.join(f'{a:g}' for a in self.angles())} deg give only {n} distinct "
                            f"orientation(s), the rotation-plane fit needs 3; raise n_angles or shorten the range "
                            f"(e.g. angle_stop = 180 - 180/n_angles), or use mount = none for no g fit")
        return problems

    def check_lab(self, lab: Lab) -> list[str]:
        if not lab.has("goniometer"):
            return [f"lab {lab.name!r} has no goniometer: {self.name} turns the sample with one (the simulated lab "
                    "gets a simulated rotation stage from sim_backend.goniometer.add_goniometer)"]
        problems = super().check_lab(lab) + self.check_sweep_settings(lab)
        rng = lab.goniometer.angle_range
        for a in (self.angle_start, self.angle_stop):
            if not rng.low <= a <= rng.high:
                problems.append(f"angle {a:g} deg is outside the goniometer's range [{rng.low:g}, {rng.high:g}] deg")
        return problems

    def total_points(self) -> int:
        return self.n_angles * self.points

    def plan(self, lab: Lab) -> Iterator[Message]:
        gonio = lab.goniometer
        lo, hi = self.field_start, self.field_stop
        try:
            for k, angle in enumerate(self.angles()):
                tc = lab.lockin.time_constant  # parked while the stage turns: nothing is recorded then
                lab.lockin.time_constant = max(tc, PARK_TIME_CONSTANT)
                gonio.move_to(float(angle))
                lab.lockin.time_constant = tc
                rows: list[dict[str, Any]] = []
                yield from self.trace(lab, k, lo, hi, self.frequency, self.power,
                                      {"frequency": self.frequency, "angle": float(gonio.angle)}, rows)
                centre = self.line_centre(rows) if self.track else None
                if centre is not None:
                    half = (hi - lo) / 2
                    lo, hi = max(centre - half, 0.0), min(centre + half, lab.field_reach().high)
        finally:
            self.finish(lab)

    def analyse(self, run: RunData) -> dict[str, Any]:
        p = run.parameters
        groups = self.trace_groups(run)
        fits, problems = self.fit_traces(run, groups)
        angles = np.array([float(run["angle"][g[0]]) for g in groups])
        freq = np.array([float(run["frequency"][g[0]]) for g in groups])
        table = line_table(fits)
        b = np.array(table["resonance_field"])
        be = np.array(table["resonance_field_error"])
        g_eff = H * freq / (MU_B * b)
        g_err = g_eff * be / b
        mount = p.get("mount", self.mount)
        out: dict[str, Any] = {"angle": angles.tolist(), **table, "g_eff": g_eff.tolist(),
                               "g_eff_error": g_err.tolist(), "mount": mount}
        warnings = [w for w in [no_line_warning([f"{a:.4g} deg" for a in angles], problems)] if w]
        ok = np.isfinite(g_eff)
        if mount != "none":
            out["directions"] = rotation_directions(angles, mount).tolist()
        if ok.any():
            try:
                plane = fit_rotation_plane(angles[ok], g_eff[ok], g_err[ok])
            except (ValueError, np.linalg.LinAlgError) as exc:
                warnings.append(f"no in-plane g values: {exc}")
            else:
                out["g_max_in_plane"] = FitValue(plane.g_max, plane.errors["g_max"], "")
                out["g_min_in_plane"] = FitValue(plane.g_min, plane.errors["g_min"], "")
                out["angle_of_g_max"] = FitValue(plane.theta_max, float("nan"), "deg")
                out["g2_coefficients"] = plane.coefficients.tolist()
        if warnings:
            out["warning"] = "; ".join(warnings)
        return out

    def figure(self, run: RunData, results: dict[str, Any]) -> Any:
        """Resonance field and g_eff against angle, with the g^2 fit (a matplotlib Figure)."""
        from analysis.fmr_plots import series_figure

        a = np.array(results.get("angle", []), float)
        series = {"resonance field (mT)": (np.array(results.get("resonance_field", []), float) * 1e3,
                                           np.array(results.get("resonance_field_error", []), float) * 1e3),
                  "g_eff": (np.array(results.get("g_eff", []), float), np.array(results.get("g_eff_error", []), float))}
        curves = {}
        if "g2_coefficients" in results and len(a):
            ca, cb, cc = results["g2_coefficients"]
            fine = np.linspace(a.min(), a.max(), 300)
            t = np.deg2rad(fine)
            label = (f"g² = A + B cos 2θ + C sin 2θ: g_max = {results['g_max_in_plane'].value:.5f}, "
                     f"g_min = {results['g_min_in_plane'].value:.5f}")
            curves["g_eff"] = (fine, np.sqrt(np.clip(ca + cb * np.cos(2 * t) + cc * np.sin(2 * t), 0, None)), label)
        return series_figure(a, series, "goniometer angle (deg)", title=self.title, curves=curves,
                             warning=results.get("warning"))

    def plot(self, run: RunData, results: dict[str, Any], path: Path) -> Path:
        from analysis.fmr_plots import save_figure

        return save_figure(self.figure(run, results), path)


def g_tensor_from_runs(results: Iterable[dict[str, Any]]) -> TensorFit:
    """Combine rotation runs (their analysis results, mounts a, b, c) into the full g-tensor."""
    dirs, g, e = [], [], []
    for r in results:
        if "directions" not in r:
            raise ValueError(f"a run with mount {r.get('mount')!r} has no crystal-frame directions; "
                             f"use mount a, b or c")
        ok = np.isfinite(r["g_eff"])
        dirs.append(np.array(r["directions"])[ok])
        g.append(np.array(r["g_eff"])[ok])
        e.append(np.array(r["g_eff_error"])[ok])
    return fit_g_tensor(np.vstack(dirs), np.concatenate(g), np.concatenate(e))
