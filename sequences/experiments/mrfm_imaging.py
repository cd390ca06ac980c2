"""1D MRFM imaging: step the field so the resonant slice z = (B_res - B)/G moves through the
sample, record the force-detected signal at each slice position, and reconstruct the spin
density by deconvolving the slice response (NNLS with Tikhonov smoothing).

With ``track_frequency`` the membrane's f0 is re-measured every ``track_every`` points from the
piezo-driven response at two frequencies (``FrequencyTracker``), and the modulation and lock-in
reference follow it: a drifting f0 otherwise walks off the ~1 Hz wide resonance.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from drivers.lab import Lab
from analysis.mrfm import depletion_features, principal_projection, reconstruct, voigt
from sequences.result import Result
from sequences.experiment import Checkpoint, Column, FitValue, Message, Parameter, Point, RunData
from sequences.experiments.frequency_tracker import FrequencyTracker
from sequences.experiments.membrane_readout import as_complex, membrane_lab_problems, prepare_readout
from sequences.experiments.mrfm_protocols import (MrfmExperiment, protocol_problems, resonance_field, set_rate,
                                               start_protocol, stop_protocol, sweep_amplitude)

_THETA = (np.arange(64) + 0.5) * 2 * math.pi / 64


def slice_kernel(protocol: str, sigma: float, hwhm: float, sweep: float):
    """Signal per spin vs resonance offset (T): the line (Voigt: inhomogeneous sigma, saturated
    homogeneous HWHM) for cyclic saturation; its first-harmonic component under a modulation of
    peak ``sweep`` for field/frequency modulation."""
    if protocol == "cyclic_saturation":
        return lambda d: voigt(d, sigma, hwhm)

    def modulated(d: np.ndarray) -> np.ndarray:
        grid = np.asarray(d)[..., None] + sweep * np.cos(_THETA)
        return 2.0 * np.mean(voigt(grid, sigma, hwhm) * np.cos(_THETA), axis=-1)

    return modulated


class MrfmImaging1D(MrfmExperiment):
    name = "mrfm-image"
    title = "1D MRFM imaging"
    results = (
        Result("profile_z", "m", "depth axis of the reconstructed profile"),
        Result("profile_density", "", "reconstructed spin density, relative to the baseline"),
        Result("residual_rms", "m", "rms residual of the reconstruction"),
        Result("reference_drift", "Hz", "peak-to-peak drift of the reference frequency"),
        Result("z1", "m", "depth of the first density dip"), Result("z2", "m", "depth of the second dip"),
        Result("separation", "m", "distance between the dips"),
        Result("dip_ratio", "", "density between the dips over the dip depth (< 0.5: resolved)"),
        Result("depth1", "", "relative depth of the first dip"), Result("depth2", "", "relative depth of the second dip"),
        Result("resolved", "", "whether two dips are resolved (dip_ratio < 0.5)"))
    roles = ("displacement", "rf", "field")
    optional_roles = ("gaussmeter", "temperature", "piezo")
    field_start = Parameter(0.3084, "T", "first field (slice at the far end of the sample)", -2.0, 2.0,
                            display_unit="mT", limit="max_field")
    slice_step = Parameter(170e-9, "m", "slice displacement per point", 1e-10, 1e-3, display_unit="nm")
    points = Parameter(19, "", "slice positions", 3, 100_000, kind=int)
    gradient = Parameter(2e4, "T/m", "field gradient dBz/dz at the sample (calibration)", 1.0, 1e8)
    slice_sigma = Parameter(1.5e-3, "T", "Gaussian (inhomogeneous) width of the slice response", 0.0, 1.0,
                            display_unit="mT")
    slice_hwhm = Parameter(0.1e-3, "T", "Lorentzian half width of the slice response", 1e-9, 1.0,
                           display_unit="mT")
    regularisation = Parameter(0.02, "", "Tikhonov weight (relative)", 0.0, 1e6)
    z_step = Parameter(0.0, "m", "reconstruction grid step (0: slice_step / 3)", 0.0, 1e-3, display_unit="nm")
    track_frequency = Parameter(False, "", "re-measure f0 and follow it", kind=bool)
    track_every = Parameter(1, "", "points between frequency measurements", 1, 100_000, kind=int)
    track_amplitude = Parameter(1.0, "V", "piezo drive while tracking", 0.0, 10.0)
    track_settle = Parameter(1.0, "s", "settle at each tracking frequency", 0.0, 1e4)
    track_average = Parameter(0.3, "s", "averaging at each tracking frequency", 0.0, 1e4)
    track_release = Parameter(2.0, "s", "wait after tracking for the driven motion to ring down", 0.0, 1e4)
    linewidth = Parameter(1.0, "Hz", "mode FWHM f0/Q (tracking frequency offset)", 1e-6, 1e6)

    def check(self) -> list[str]:
        if self.protocol == "cyclic_adiabatic_inversion":
            return ["mrfm-image has no slice-response model for cyclic_adiabatic_inversion; use cyclic_saturation, "
                    "field_modulation or frequency_modulation"]
        return []

    def check_lab(self, lab: Lab) -> list[str]:
        problems = membrane_lab_problems(lab, (self.membrane_frequency,), ("rf", "field"))
        if self.track_frequency and not lab.has("piezo"):
            problems.append("track_frequency needs a 'piezo' instrument to drive the membrane")
        last = lab.field_problem("the last slice's field", float(self.fields()[-1]))
        return problems + self.limit_problems(lab) + ([last] if last else []) + protocol_problems(self, lab)

    def fields(self) -> np.ndarray:
        return self.field_start + self.gradient * self.slice_step * np.arange(self.points)

    def total_points(self) -> int:
        return self.points

    def estimated_duration(self) -> float:
        per = self.settle + self.average + self.gradient * self.slice_step / self.ramp_rate
        if self.track_frequency:
            per += (2 * (self.track_settle + self.track_average) + self.track_release) / self.track_every
        return self.points * per + 1.0

    def columns(self) -> list[Column]:
        return [Column("index", ""), Column("field_set", "T"), Column("field", "T"), Column("slice_z", "m"),
                Column("x", "m"), Column("y", "m"), Column("reference", "Hz"), Column("time", "s"),
                Column("temperature", "K")]

    def plan(self, lab: Lab) -> Iterator[Message]:
        readout = prepare_readout(lab, self.membrane_frequency, self.time_constant, self.filter_slope,
                                  self.sensitivity)
        li = readout.lockin
        lab.field.ramp_rate = min(self.ramp_rate, lab.limits.max_ramp_rate)
        tracker = FrequencyTracker(lab, readout, self.track_amplitude, self.linewidth, self.track_settle,
                                   self.track_average, self.read_interval) if self.track_frequency else None
        f_ref = tracker.measure(self.membrane_frequency) if tracker else self.membrane_frequency
        start_protocol(lab, li, self, f_ref)
        hall = lab.gaussmeter if lab.has("gaussmeter") else None
        temp = lab.temperature if lab.has("temperature") else None
        b_res = resonance_field(self)
        fields = self.fields()
        lab.field.ramp_to(float(fields[0]))
        for i, b in enumerate(fields):
            if (yield Checkpoint(f"slice {i}")):
                readout = prepare_readout(lab, f_ref, self.time_constant, self.filter_slope, self.sensitivity)
                li = readout.lockin
                start_protocol(lab, li, self, f_ref)
            if tracker and i > 0 and i % self.track_every == 0:
                lab.rf.output = False
                f_ref = tracker.measure(f_ref)
                set_rate(lab, li, self, f_ref)
                lab.rf.output = True
                lab.sleep(self.track_release)
            lab.field.ramp_to(float(b))
            lab.sleep(self.settle)
            z = readout.average(lab, self.average, self.read_interval)
            measured = hall.read_field() if hall else lab.field.field
            yield Point({"index": i, "field_set": float(b), "field": measured,
                         "slice_z": (b_res - measured) / self.gradient, "x": z.real, "y": z.imag,
                         "reference": f_ref, "time": lab.clock.now(),
                         "temperature": temp.read_temperature() if temp else float("nan")})
        stop_protocol(lab, li)

    # --- analysis --------------------------------------------------------------------------
    def analyse(self, run: RunData) -> dict[str, Any]:
        p = {**self.values, **run.parameters}
        exp = type(self)(**p)
        b = np.asarray(run["field"], float)
        s, _ = principal_projection(as_complex(run["x"], run["y"]))
        b_res, g = resonance_field(exp), exp.gradient
        kernel = slice_kernel(exp.protocol, exp.slice_sigma, exp.slice_hwhm, sweep_amplitude(exp))
        zs = (b_res - b) / g
        sigma_z = (exp.slice_sigma + exp.slice_hwhm + sweep_amplitude(exp)) / abs(g)
        dz = exp.z_step or exp.slice_step / 3
        z = np.arange(zs.min() - 2 * sigma_z, zs.max() + 2 * sigma_z + dz / 2, dz)
        best = None
        for sign in ((1.0,) if exp.protocol == "cyclic_saturation" else (1.0, -1.0)):
            n, rms = reconstruct(b, sign * s, z, b_res, g, kernel, exp.regularisation)
            if best is None or rms < best[1]:
                best = (n, rms)
        n, rms = best
        feats = depletion_features(z, n, edge_margin=2 * sigma_z)
        baseline = feats.get("baseline", float(n.max()) or 1.0) or 1.0
        out: dict[str, Any] = {
            "profile_z": z.tolist(), "profile_density": (n / baseline).tolist(),
            "residual_rms": FitValue(rms, float("nan"), "m"),
            "reference_drift": FitValue(float(np.ptp(run["reference"])), float("nan"), "Hz"),
        }
        for name, unit in (("z1", "m"), ("z2", "m"), ("separation", "m"), ("dip_ratio", ""),
                           ("depth1", ""), ("depth2", "")):
            if name in feats:
                out[name] = FitValue(feats[name], float("nan"), unit)
        out["resolved"] = bool(feats.get("dip_ratio", 1.0) < 0.5)
        return out

    def plot(self, run: RunData, results: dict[str, Any], path: Path) -> Path:
        from analysis.membrane_plots import plot_profile

        s, _ = principal_projection(as_complex(run["x"], run["y"]))
        return plot_profile(np.asarray(run["slice_z"]), s, np.asarray(results.get("profile_z", [])),
                            np.asarray(results.get("profile_density", [])), results, path, run.status)
