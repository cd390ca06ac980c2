"""1D nuclear MRFM imaging by stepping the RF centre frequency (the field stays put), with cyclic
adiabatic inversion and optical pumping: the GaAs 71Ga experiment of Thurber, Harrell & Smith,
J. Magn. Reson. 162, 336 (2003).

Plan: cool, ramp the magnet to ``field`` and wait ``equilibrate`` (nuclear T1 is minutes), read
one thermal reference slice (mid-scan), pump the polarisation with the laser for ``pump_time``,
then step the RF centre frequency f_i = rf_start + i frequency_step across the whole film: the
resonant slice moves by frequency_step / (gamma_Hz G) per point. At each slice the RF is
frequency-modulated at the sensor frequency with peak deviation ``fm_deviation`` (adiabatic when
gamma B1^2 >> sweep rate, checked before the run).

Analysis: nothing needs the tip gradient G or the RF field B1 in advance. The RF frequencies place
each spin by its resonance field; a model film (edges, slope, two Gaussian dips) pushed through
the CAI kernel is fitted to the raw signal, B1 fitted with it (it shapes the slice). The film's
known ``film_thickness`` then calibrates G = (field width of the film) / thickness, and every
depth follows as z = b / G. Tikhonov deconvolution (weight by GCV) gives the profile and the fit's
start; the pumping enhancement is the pumped over the thermal signal of the reference slice.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from analysis.mrfm import (depletion_features, half_maximum, line_window_problem, principal_projection,
                           quadrature_noise, regularised_solve)
from analysis.mrfm_nuclear import (FILM_NAMES, PUBLISHED_SENSITIVITY, cai_kernel, film_profile, fit_film_cai,
                                   frequency_slice_matrix, kernel_fwhm, spins_per_sqrt_hz)
from analysis.uncertainty import propagate
from drivers.errors import InstrumentError
from drivers.lab import Lab
from sequences.experiment import Checkpoint, Column, FitValue, Message, Note, Parameter, Point, RunData
from sequences.experiments.membrane_readout import (MembraneLockinExperiment, as_complex, membrane_lab_problems,
                                                     prepare_readout)
from sequences.result import WARNING, Result

#: 71Ga gyromagnetic ratio / 2 pi: Xi = 30.496704 % of the 1H frequency (Harris et al., Pure Appl.
#: Chem. 73, 1795 (2001)), 13.0208 MHz/T.
GA71_HZ_PER_T = 13.0208e6
#: 71Ga per m^3 in GaAs: 2.21e28 Ga/m^3 x 39.892 % natural abundance (Harris et al. 2001).
GA71_PER_M3 = 2.21e28 * 0.39892
#: Fewest slices for the film fit (9 profile parameters and B1, with residual degrees of freedom).
MIN_SLICES = 14


class MrfmImagingNuclear(MembraneLockinExperiment):
    name = "mrfm-image-nuclear"
    title = "1D nuclear MRFM imaging (RF frequency steps, cyclic adiabatic inversion, optical pumping)"
    results = (
        Result("profile_z", "m", "depth axis of the deconvolved profile, from the film's centre along the gradient"),
        Result("profile_density", "", "deconvolved polarisation x density, relative to the film's"),
        Result("regularisation_alpha", "", "Tikhonov weight chosen by generalised cross-validation"),
        Result("gradient", "T/m", "measured: the film's width in resonance field over film_thickness"),
        Result("film_center_frequency", "Hz", "resonance frequency at the film's centre (z = 0)"),
        Result("rf_field_fit", "T", "RF field B1 fitted from the slice shape (the film's edges and dips)"),
        Result("z1", "m", "fitted centre of the first depleted region"),
        Result("z2", "m", "fitted centre of the second depleted region"),
        Result("separation", "m", "distance between the depleted regions (film fit, measured gradient)"),
        Result("depth1", "", "fitted relative depth of the first region"),
        Result("depth2", "", "fitted relative depth of the second region"),
        Result("dip_sigma", "m", "fitted Gaussian width of the depleted regions"),
        Result("resolved", "", "both dips' deficits (depth x width) > 3 errors and the separation > 5 errors"),
        Result("slice_separation", "m", "frequency_step / (gamma_Hz x measured gradient)"),
        Result("slice_width", "m", "FWHM of the fitted slice kernel / measured gradient"),
        Result("signal_pumped", "m", "displacement from the film's baseline polarisation during the scan"),
        Result("signal_thermal", "m", "displacement at the reference slice before pumping"),
        Result("pumping_enhancement", "", "pumped over thermal signal at the reference slice"),
        Result("sensitivity", "", "spins/sqrt(Hz) (at the scan's polarisation) for SNR 1 in 1 Hz"),
        Result("sensitivity_thermal", "", "the same in thermally polarised spins/sqrt(Hz)"),
        Result("sensitivity_published", "", "Thurber, Harrell & Smith 2003: ~4e11 71Ga/sqrt(Hz)"),
        Result("residual_rms", "m", "rms residual of the film fit"),
        WARNING)
    roles = ("displacement", "rf", "field")
    optional_roles = ("laser", "temperature", "gaussmeter")

    field = Parameter(4.0, "T", "static field", 0.0, 20.0, limit="max_field")
    temperature_setpoint = Parameter(5.0, "K", "sample temperature (0: leave the controller alone)", 0.0, 400.0)
    settle_timeout = Parameter(3600.0, "s", "give up (error) when the temperature is not within 2 % after this",
                               1.0, 1e6)
    gamma_hz = Parameter(GA71_HZ_PER_T, "Hz/T", "gyromagnetic ratio / 2 pi of the imaged nucleus (71Ga)",
                         1e5, 5e7)
    film_thickness = Parameter(4e-6, "m", "film thickness along the gradient (known; its edges calibrate the "
                               "gradient)", 1e-9, 1e-2, display_unit="um")
    rf_start = Parameter(50.32e6, "Hz", "first RF centre frequency (the scan must cross both film edges)", 1e5, 1e9,
                         display_unit="MHz")
    frequency_step = Parameter(110e3, "Hz", "RF centre step per point (slice step x gamma_Hz x G)", 1.0, 1e8,
                               display_unit="kHz")
    points = Parameter(33, "", "slices", 3, 10_000, kind=int)
    fm_deviation = Parameter(60e3, "Hz", "peak deviation of the adiabatic frequency sweep", 1.0, 1e8,
                             display_unit="kHz")
    power = Parameter(0.1, "W", "RF power at the source", 0.0, 10.0, display_unit="mW", limit="max_rf_power")
    rf_field = Parameter(2.0e-3, "T", "estimated B1 at the sample at this power (adiabaticity check, fit start; "
                         "the analysis fits it)", 1e-7, 1.0, display_unit="mT")
    linewidth_sigma = Parameter(0.14e-3, "T", "estimated Gaussian width of the static NMR line (B1 is fitted "
                                "around it)", 0.0, 1.0, display_unit="mT")
    membrane_frequency = Parameter(1000.0, "Hz", "sensor frequency = inversion rate = lock-in reference",
                                   1.0, 50e6)
    equilibrate = Parameter(6300.0, "s", "wait at field and temperature (several T1)", 0.0, 1e6)
    reference_average = Parameter(30.0, "s", "averaging of the thermal reference slice (0: none)", 0.0, 1e5)
    pump_time = Parameter(600.0, "s", "optical pumping before the scan (0: no pumping)", 0.0, 1e6)
    pump_during_scan = Parameter(True, "", "keep the pumping light on during the scan", kind=bool)
    settle = Parameter(8.0, "s", "wait after each frequency step (>= 5 ringdown times)", 0.0, 1e4)
    average = Parameter(5.0, "s", "averaging per slice", 0.0, 1e4)
    read_interval = Parameter(0.01, "s", "time between lock-in reads", 1e-5, 10.0, display_unit="ms")
    time_constant = MembraneLockinExperiment.time_constant.replace(default=10e-3)
    ramp_rate = Parameter(0.01, "T/s", "field ramp rate (capped by the lab limit)", 1e-6, 1.0, display_unit="mT/s")
    spin_density = Parameter(GA71_PER_M3, "", "spins per m^3 of the imaged nucleus (sensitivity)", 1.0, 1e31)
    sample_side = Parameter(1e-6, "m", "side of the (square) film across the gradient (sensitivity)", 1e-10, 1.0,
                            display_unit="um")
    regularisation = Parameter(0.0, "", "Tikhonov weight (relative to ||K||^2/n; 0: chosen by GCV)", 0.0, 1e6)

    # --- checks ------------------------------------------------------------------------------
    def adiabaticity(self) -> float:
        """gamma B1^2 / (d Omega/dt) at the sweep centre, Omega = 2 pi dev cos(2 pi f_m t) (Abragam)."""
        gamma = 2 * math.pi * self.gamma_hz
        rate = 2 * math.pi * self.fm_deviation * 2 * math.pi * self.membrane_frequency
        return (gamma * self.rf_field) ** 2 / rate

    def check(self) -> list[str]:
        problems = []
        kappa = self.adiabaticity()
        if kappa < 3:
            problems.append(f"the sweep is not adiabatic: gamma B1^2 / (dOmega/dt) = {kappa:.3g} (needs >> 1; "
                            f"raise rf_field or lower fm_deviation x membrane_frequency)")
        if self.pump_during_scan and self.pump_time <= 0:
            problems.append("pump_during_scan needs pump_time > 0")
        return problems

    def check_lab(self, lab: Lab) -> list[str]:
        problems = membrane_lab_problems(lab, (self.membrane_frequency,), ("rf", "field"))
        if self.pump_time > 0 and not lab.has("laser"):
            problems.append("pump_time > 0 needs a 'laser' (the optical-pumping light); set pump_time = 0")
        return problems + self.limit_problems(lab)

    def frequencies(self) -> np.ndarray:
        return self.rf_start + self.frequency_step * np.arange(self.points)

    def reference_frequency(self) -> float:
        """The thermal reference slice: mid-scan, inside the film when the scan spans it."""
        return float(self.frequencies()[self.points // 2])

    def total_points(self) -> int:
        return self.points + (1 if self.reference_average > 0 else 0)

    def estimated_duration(self) -> float:
        ramp = self.field / max(self.ramp_rate, 1e-9)
        ref = self.settle + self.reference_average if self.reference_average > 0 else 0.0
        return ramp + self.equilibrate + ref + self.pump_time + self.points * (self.settle + self.average)

    def columns(self) -> list[Column]:
        return [Column("index", ""), Column("stage", ""), Column("rf_frequency", "Hz"),
                Column("x", "m"), Column("y", "m"), Column("time", "s"), Column("temperature", "K")]

    # --- plan --------------------------------------------------------------------------------
    def _start(self, lab: Lab) -> Any:
        readout = prepare_readout(lab, self.membrane_frequency, self.time_constant, self.filter_slope,
                                  self.sensitivity)
        rf = lab.rf
        rf.power = self.power
        rf.set_modulation("fm", True, deviation=self.fm_deviation, rate=self.membrane_frequency)
        return readout

    def _cool(self, lab: Lab) -> Iterator[Message]:
        """Set the temperature and wait until within 2 %; an error after ``settle_timeout`` (the
        polarisation, thermal and pumped, depends on it)."""
        tc, target = lab.temperature, self.temperature_setpoint
        tc.set_setpoint(target)
        start = lab.clock.now()
        while abs((t := tc.read_temperature()) - target) >= 0.02 * target:
            if lab.clock.now() - start > self.settle_timeout:
                raise InstrumentError("temperature", f"did not reach {target:g} K within 2 % in "
                                                     f"{self.settle_timeout:g} s (last reading {t:.3f} K); "
                                                     f"raise settle_timeout")
            yield Checkpoint(f"waiting for {target:g} K")
            lab.sleep(5.0)
        yield Note(f"temperature {t:.3f} K after {lab.clock.now() - start:.0f} s")

    def _point(self, lab: Lab, readout: Any, i: int, stage: int, f: float, average: float) -> Point:
        lab.rf.frequency = f
        lab.rf.output = True
        lab.sleep(self.settle)
        z = readout.average(lab, average, self.read_interval)
        temp = lab.temperature.read_temperature() if lab.has("temperature") else float("nan")
        return Point({"index": i, "stage": stage, "rf_frequency": f,
                      "x": z.real, "y": z.imag, "time": lab.clock.now(), "temperature": temp})

    def plan(self, lab: Lab) -> Iterator[Message]:
        if self.temperature_setpoint > 0 and lab.has("temperature"):
            yield from self._cool(lab)
        lab.field.ramp_rate = min(self.ramp_rate, lab.limits.max_ramp_rate)
        lab.field.ramp_to(self.field, wait=False)
        lab.field.wait_until_settled(timeout=2 * self.field / lab.field.ramp_rate + 60.0)
        readout = self._start(lab)
        lab.sleep(self.equilibrate)
        if self.reference_average > 0:
            yield self._point(lab, readout, -1, 0, self.reference_frequency(), self.reference_average)
            lab.rf.output = False
        if self.pump_time > 0:
            lab.laser.output = True
            lab.sleep(self.pump_time)
            lab.laser.output = self.pump_during_scan
        for i, f in enumerate(self.frequencies()):
            if (yield Checkpoint(f"slice {i}")):
                readout = self._start(lab)
            yield self._point(lab, readout, i, 1, float(f), self.average)
        self.stop(lab)

    def stop(self, lab: Lab) -> None:
        lab.rf.output = False
        lab.rf.set_modulation("fm", False)
        if lab.has("laser"):
            lab.laser.output = False

    # --- analysis ----------------------------------------------------------------------------
    def analyse(self, run: RunData) -> dict[str, Any]:
        out = self._analyse(run)
        order = [r.name for r in self.results]  # in the declared order, for the printed summary
        return {k: out[k] for k in sorted(out, key=lambda k: order.index(k) if k in order else len(order))}

    def _analyse(self, run: RunData) -> dict[str, Any]:
        exp = type(self)(**{**self.values, **run.parameters})
        stage = np.asarray(run["stage"], int)
        z_all = as_complex(run["x"], run["y"])
        img, ref = stage == 1, stage == 0
        f = np.asarray(run["rf_frequency"], float)[img]
        if f.size < MIN_SLICES:
            return {"warning": f"{f.size} slices: the film fit needs at least {MIN_SLICES}"}
        s, angle = principal_projection(z_all[img])
        order = np.argsort(f)
        f, s = f[order], s[order]
        noise = quadrature_noise(z_all[img])
        gamma, thickness = exp.gamma_hz, exp.film_thickness
        problem = line_window_problem(f / gamma, s, noise)
        if problem:
            return {"warning": f"the gradient is calibrated by the film's edges, which the scan must cross: {problem}"}
        fc = 0.5 * (f[0] + f[-1])
        f_mid, _, f_width, _ = half_maximum(f, s, noise)
        sweep = exp.fm_deviation / gamma
        step_b = float(np.median(np.diff(f))) / gamma
        reach = sweep + 3 * exp.rf_field + 4 * exp.linewidth_sigma
        db = step_b / 8
        b = np.arange((f[0] - fc) / gamma - reach, (f[-1] - fc) / gamma + reach + db / 2, db)
        kmat = frequency_slice_matrix(f, b, fc, gamma, cai_kernel(sweep, exp.rf_field, exp.linewidth_sigma))
        n, _, alpha = regularised_solve(kmat, s, exp.regularisation or None, nonnegative=False)
        n = n if np.sum(n) >= 0 else -n  # the CAI force opposes the moment
        edges = ((f_mid - f_width / 2 - fc) / gamma, (f_mid + f_width / 2 - fc) / gamma)
        # Until the fit: the film's half-maximum width in the raw signal.
        g, mid = (edges[1] - edges[0]) / thickness, 0.5 * (edges[0] + edges[1])
        inside = np.abs(b - mid) < 0.5 * (edges[1] - edges[0]) - reach
        baseline = float(np.median(n[inside])) if inside.any() else float(np.max(n))
        out: dict[str, Any] = {"regularisation_alpha": FitValue(alpha, float("nan"), ""),
                               "sensitivity_published": FitValue(PUBLISHED_SENSITIVITY, float("nan"), "")}
        feats = depletion_features(b, n, edge_margin=sweep + exp.rf_field)
        if "z1" not in feats:
            out.update(self._profile(b, n / (baseline or 1.0), mid, g))
            out["gradient"] = FitValue(g, float("nan"), "T/m")
            out["warning"] = "the deconvolved profile shows fewer than two depleted regions"
            out["resolved"] = False
            return out
        fit = fit_film_cai(f, s, b, fc, gamma, sweep, exp.rf_field, exp.linewidth_sigma, edges,
                           (feats["z1"], feats["z2"]), step_b / 2)
        out.update(self._calibrated(fit, thickness, step_b))
        g, mid = out["gradient"].value, 0.5 * (fit["lo"] + fit["hi"])
        out["film_center_frequency"] = FitValue(fc + gamma * mid, gamma * 0.5 * propagate(
            fit["cov"], np.eye(len(FILM_NAMES))[2] + np.eye(len(FILM_NAMES))[3]), "Hz")
        out.update(self._profile(b, n / (baseline or 1.0), mid, g))
        kernel = fit["kernel"]
        out["rf_field_fit"] = FitValue(fit["rf_field"], fit["rf_field_err"], "T")
        span = sweep + 10 * fit["rf_field"] + 6 * exp.linewidth_sigma
        out["slice_width"] = FitValue(kernel_fwhm(kernel, span) / g,
                                      kernel_fwhm(kernel, span) / g * out["gradient"].error / g, "m")
        out["residual_rms"] = FitValue(fit["residual_rms"], float("nan"), "m")
        if not fit["converged"]:
            out["warning"] = ("the film fit did not converge (200 evaluations): the data do not fix the dips; "
                              "their positions and errors are not reliable")
        out["resolved"] = bool(min(fit["deficit1"] / max(fit["deficit1_err"], 1e-300),
                                   fit["deficit2"] / max(fit["deficit2_err"], 1e-300)) > 3
                               and out["separation"].value > 5 * out["separation"].error)
        kmat = fit["kmat"]
        pumped = abs(fit["baseline"]) * float(np.max(np.abs(kmat.sum(axis=1))))
        out["signal_pumped"] = FitValue(pumped, fit["baseline_err"] / max(abs(fit["baseline"]), 1e-300) * pumped, "m")
        k_peak = float(np.max(np.abs(kernel(np.linspace(-sweep, sweep, 2001)))))
        # The fitted density scale is per tesla of resonance field; per metre it is G times that.
        sens = spins_per_sqrt_hz(noise, exp.average, fit["baseline"] * g, k_peak, exp.spin_density,
                                 exp.sample_side**2)
        out["sensitivity"] = FitValue(sens, float("nan"), "")
        if ref.any():
            rot = complex(math.cos(angle), -math.sin(angle))
            thermal = abs(float((z_all[ref][0] * rot).real))
            f_ref = float(np.asarray(run["rf_frequency"], float)[ref][0])
            # The same slice during the scan, from the fitted model.
            p = np.array([fit[k] for k in FILM_NAMES])
            model = float(frequency_slice_matrix([f_ref], b, fc, gamma, kernel)[0]
                          @ film_profile(b, p, fit["centre"], fit["span"]))
            t_noise = noise * math.sqrt(exp.average / max(exp.reference_average, 1e-12))
            out["signal_thermal"] = FitValue(thermal, t_noise, "m")
            ratio = abs(model) / thermal if thermal > 0 else float("nan")
            out["pumping_enhancement"] = FitValue(ratio, ratio * t_noise / thermal if thermal > 0 else float("nan"), "")
            if math.isfinite(ratio):
                out["sensitivity_thermal"] = FitValue(sens * ratio, float("nan"), "")
        return out

    @staticmethod
    def _profile(b: np.ndarray, density: np.ndarray, mid: float, g: float) -> dict[str, Any]:
        return {"profile_z": ((b - mid) / g).tolist(), "profile_density": density.tolist()}

    @staticmethod
    def _calibrated(fit: dict[str, Any], thickness: float, step_b: float) -> dict[str, FitValue]:
        """The fitted resonance fields turned into depths by the film's own width: G = (hi - lo) / t,
        z = t (b - mid) / (hi - lo), with errors from the fit's covariance."""
        cov, lo, hi = fit["cov"], fit["lo"], fit["hi"]
        w, mid = hi - lo, 0.5 * (lo + hi)
        idx = {name: i for i, name in enumerate(FILM_NAMES)}

        def grad(**parts: float) -> np.ndarray:
            v = np.zeros(len(FILM_NAMES))
            for name, d in parts.items():
                v[idx[name]] = d
            return v

        out = {"gradient": FitValue(w / thickness, propagate(cov, grad(lo=-1 / thickness, hi=1 / thickness)), "T/m")}
        for name, key in (("z1", "b1"), ("z2", "b2")):
            x = fit[key] - mid
            out[name] = FitValue(thickness * x / w, propagate(cov, thickness * grad(
                **{key: 1 / w, "lo": -0.5 / w + x / w**2, "hi": -0.5 / w - x / w**2})), "m")
        d = fit["b2"] - fit["b1"]
        out["separation"] = FitValue(thickness * d / w, propagate(cov, thickness * grad(
            b1=-1 / w, b2=1 / w, lo=d / w**2, hi=-d / w**2)), "m")
        sig = fit["dip_sigma"]
        out["dip_sigma"] = FitValue(thickness * sig / w, propagate(cov, thickness * grad(
            dip_sigma=math.copysign(1 / w, fit["dip_sigma"]), lo=sig / w**2, hi=-sig / w**2)), "m")
        out["slice_separation"] = FitValue(thickness * step_b / w, propagate(cov, thickness * grad(
            lo=step_b / w**2, hi=-step_b / w**2)), "m")
        for name in ("depth1", "depth2"):
            out[name] = FitValue(fit[name], fit[f"{name}_err"], "")
        return out

    def plot(self, run: RunData, results: dict[str, Any], path: Path) -> Path:
        from analysis.membrane_plots import plot_profile

        img = np.asarray(run["stage"], int) == 1
        s, _ = principal_projection(as_complex(run["x"], run["y"])[img])
        f = np.asarray(run["rf_frequency"], float)[img]
        g, fc = results.get("gradient"), results.get("film_center_frequency")
        gamma = float(run.parameters.get("gamma_hz", self.gamma_hz))
        slice_z = ((f - fc.value) / (gamma * g.value) if g is not None and fc is not None
                   else np.full(f.shape, float("nan")))
        return plot_profile(slice_z, s, np.asarray(results.get("profile_z", [])),
                            np.asarray(results.get("profile_density", [])), results, path, run.status)
