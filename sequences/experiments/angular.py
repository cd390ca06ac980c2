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
from sequences.analysis.constants import H, MU_B
from sequences.analysis.gtensor import MOUNTS, TensorFit, fit_g_tensor, fit_rotation_plane, rotation_directions
from sequences.analysis.lineshapes import fit_derivative
from sequences.experiment import Column, FitValue, Message, Parameter, RunData
from sequences.experiments.traces import PARK_TIME_CONSTANT, TraceSeries, esr_parameter, line_table


class AngularDependence(TraceSeries):
    name = "angular-dependence"
    title = "ESR/FMR angular dependence (goniometer)"
    roles = ("rf", "lockin", "field", "goniometer")
    parameters = (
        Parameter("angle_start", 0.0, "deg", "first goniometer angle", -360.0, 360.0),
        Parameter("angle_stop", 180.0, "deg", "last goniometer angle", -360.0, 360.0),
        Parameter("n_angles", 7, "", "number of angles (linearly spaced)", 1, 3600, kind=int),
        esr_parameter("field_start"),
        esr_parameter("field_stop"),
        esr_parameter("frequency"),
        esr_parameter("power"),
        Parameter("track", False, "", "re-centre the window on the previous angle's line", kind=bool),
        Parameter("mount", "a", "", "crystal axis along the rotation axis (a: b along B0 at 0 deg; b: c; c: a); "
                  "'none' for samples without a crystal frame", choices=(*MOUNTS, "none")),
        *TraceSeries.trace_parameters,
    )
    outer_columns = (Column("frequency", "Hz"), Column("angle", "deg"))

    def angles(self) -> np.ndarray:
        return np.linspace(self.angle_start, self.angle_stop, self.n_angles)

    def check(self) -> list[str]:
        if self.field_stop <= self.field_start:
            return ["field_stop must exceed field_start (traces sweep up)"]
        return []

    def check_lab(self, lab: Lab) -> list[str]:
        if not lab.has("goniometer"):
            return [f"lab {lab.name!r} has no goniometer: {self.name} turns the sample with one (the simulated lab "
                    "gets a simulated rotation stage from sim_backend.goniometer.add_goniometer)"]
        problems = super().check_lab(lab) + self.check_sweep_settings(lab)
        problems += [p for p in self.make_sweep(self.field_start, self.field_stop, self.frequency,
                                                self.power).check_lab(lab) if "field_" in p or "power" in p]
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
                if self.track:
                    b = np.array([r["field"] for r in rows])
                    try:
                        centre = fit_derivative(b, np.array([r["x"] for r in rows])).b0
                    except (ValueError, RuntimeError):
                        continue
                    if b.min() < centre < b.max():
                        half = (hi - lo) / 2
                        lo, hi = max(centre - half, 0.0), min(centre + half, lab.limits.max_field)
        finally:
            self.finish(lab)

    def analyse(self, run: RunData) -> dict[str, Any]:
        p = run.parameters
        groups = self.trace_groups(run)
        fits = [self.fit_trace(run, g) for g in groups]
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
        ok = np.isfinite(g_eff)
        if mount != "none":
            out["directions"] = rotation_directions(angles, mount).tolist()
        try:
            plane = fit_rotation_plane(angles[ok], g_eff[ok], g_err[ok])
        except (ValueError, np.linalg.LinAlgError):
            return out
        out["g_max_in_plane"] = FitValue(plane.g_max, plane.errors["g_max"], "")
        out["g_min_in_plane"] = FitValue(plane.g_min, plane.errors["g_min"], "")
        out["angle_of_g_max"] = FitValue(plane.theta_max, float("nan"), "deg")
        out["g2_coefficients"] = plane.coefficients.tolist()
        return out

    def plot(self, run: RunData, results: dict[str, Any], path: Path) -> Path:
        from sequences.analysis.fmr_plots import plot_series

        a = np.array(results.get("angle", []), float)
        series = {"resonance field (T)": (np.array(results["resonance_field"]),
                                          np.array(results["resonance_field_error"])),
                  "g_eff": (np.array(results["g_eff"]), np.array(results["g_eff_error"]))}
        curves = {}
        if "g2_coefficients" in results:
            ca, cb, cc = results["g2_coefficients"]
            fine = np.linspace(a.min(), a.max(), 300)
            t = np.deg2rad(fine)
            curves["g_eff"] = (fine, np.sqrt(np.clip(ca + cb * np.cos(2 * t) + cc * np.sin(2 * t), 0, None)))
        return plot_series(a, series, "goniometer angle (deg)", path, title=self.title, curves=curves)


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
