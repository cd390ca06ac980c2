"""1D nuclear MRFM imaging by stepping the RF centre frequency (the field stays put), with cyclic
adiabatic inversion and optical pumping: the GaAs 71Ga experiment of Thurber, Harrell & Smith,
J. Magn. Reson. 162, 336 (2003).

Plan: cool, ramp the magnet to ``field`` and wait ``equilibrate`` (nuclear T1 is minutes), read
one thermal reference slice, pump the polarisation with the laser for ``pump_time``, then step
the RF centre frequency f_i = rf_start + i frequency_step: the resonant slice moves by
frequency_step / (gamma_Hz G) per point. At each slice the RF is frequency-modulated at the
sensor frequency with peak deviation ``fm_deviation`` (adiabatic when gamma B1^2 >> sweep rate,
checked before the run). Analysis: Tikhonov deconvolution (weight by GCV) for the profile, a
two-dip model fitted to the raw signal for the depleted regions' positions, the pumping
enhancement (pumped over thermal signal of the reference slice) and the sensitivity.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from analysis.deconvolution import tikhonov_gcv
from analysis.mrfm import principal_projection, quadrature_noise
from analysis.mrfm_nuclear import (PUBLISHED_SENSITIVITY, cai_kernel, fit_two_dips, frequency_slice_matrix,
                                   kernel_fwhm, spins_per_sqrt_hz, two_dip_profile)
from drivers.lab import Lab
from sequences.experiment import Checkpoint, Column, FitValue, Message, Parameter, Point, RunData
from sequences.experiments.membrane_readout import (MembraneLockinExperiment, as_complex, membrane_lab_problems,
                                                     prepare_readout)
from sequences.result import WARNING, Result

#: 71Ga gyromagnetic ratio / 2 pi: Xi = 30.496704 % of the 1H frequency (Harris et al., Pure Appl.
#: Chem. 73, 1795 (2001)), 13.0208 MHz/T.
GA71_HZ_PER_T = 13.0208e6
#: 71Ga per m^3 in GaAs: 2.21e28 Ga/m^3 x 39.892 % natural abundance (Harris et al. 2001).
GA71_PER_M3 = 2.21e28 * 0.39892
_STEP = GA71_HZ_PER_T * 5e4 * 170e-9  # 170 nm slices at 5e4 T/m


class MrfmImagingNuclear(MembraneLockinExperiment):
    name = "mrfm-image-nuclear"
    title = "1D nuclear MRFM imaging (RF frequency steps, cyclic adiabatic inversion, optical pumping)"
    results = (
        Result("profile_z", "m", "depth axis of the deconvolved profile"),
        Result("profile_density", "", "deconvolved polarisation x density, relative to the film's"),
        Result("regularisation_alpha", "", "Tikhonov weight chosen by generalised cross-validation"),
        Result("z1", "m", "fitted centre of the first depleted region"),
        Result("z2", "m", "fitted centre of the second depleted region"),
        Result("separation", "m", "distance between the depleted regions (two-dip fit)"),
        Result("depth1", "", "fitted relative depth of the first region"),
        Result("depth2", "", "fitted relative depth of the second region"),
        Result("dip_sigma", "m", "fitted Gaussian width of the depleted regions"),
        Result("resolved", "", "both dips' deficits (depth x width) > 3 errors and the separation > 5 errors"),
        Result("slice_separation", "m", "frequency_step / (gamma_Hz x gradient)"),
        Result("slice_width", "m", "FWHM of the slice kernel / gradient (sweep, B1 and NMR line)"),
        Result("signal_pumped", "m", "displacement from the film's baseline polarisation during the scan"),
        Result("signal_thermal", "m", "displacement at the reference slice before pumping"),
        Result("pumping_enhancement", "", "pumped over thermal signal at the reference slice"),
        Result("sensitivity", "", "spins/sqrt(Hz) (at the scan's polarisation) for SNR 1 in 1 Hz"),
        Result("sensitivity_thermal", "", "the same in thermally polarised spins/sqrt(Hz)"),
        Result("sensitivity_published", "", "Thurber, Harrell & Smith 2003: ~4e11 71Ga/sqrt(Hz)"),
        Result("residual_rms", "m", "rms residual of the two-dip fit"),
        WARNING)
    roles = ("displacement", "rf", "field")
    optional_roles = ("laser", "temperature", "gaussmeter")

    field = Parameter(4.0, "T", "static field", 0.0, 20.0, limit="max_field")
    temperature_setpoint = Parameter(5.0, "K", "sample temperature (0: leave the controller alone)", 0.0, 400.0)
    gamma_hz = Parameter(GA71_HZ_PER_T, "Hz/T", "gyromagnetic ratio / 2 pi of the imaged nucleus (71Ga)",
                         1e5, 5e7)
    gradient = Parameter(5e4, "T/m", "tip field gradient dBz/dz at the sample (calibration)", 1.0, 1e8)
    rf_start = Parameter(GA71_HZ_PER_T * 4.0 - 9 * _STEP, "Hz", "first RF centre frequency", 1e5, 1e9,
                         display_unit="MHz")
    frequency_step = Parameter(_STEP, "Hz", "RF centre step per point (slice step x gamma_Hz x G)", 1.0, 1e8,
                               display_unit="kHz")
    points = Parameter(19, "", "slices", 3, 10_000, kind=int)
    fm_deviation = Parameter(60e3, "Hz", "peak deviation of the adiabatic frequency sweep", 1.0, 1e8,
                             display_unit="kHz")
    power = Parameter(0.1, "W", "RF power at the source", 0.0, 10.0, display_unit="mW", limit="max_rf_power")
    rf_field = Parameter(2.21e-3, "T", "B1 at the sample at this power (calibration; shapes the slice)", 1e-7, 1.0,
                         display_unit="mT")
    linewidth_sigma = Parameter(0.15e-3, "T", "Gaussian width of the static NMR line", 0.0, 1.0, display_unit="mT")
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

    def slice_z(self, frequencies: np.ndarray) -> np.ndarray:
        """Slice centre for each RF centre: B0 + G z = f / gamma_Hz."""
        return (np.asarray(frequencies) / self.gamma_hz - self.field) / self.gradient

    def total_points(self) -> int:
        return self.points + (1 if self.reference_average > 0 else 0)

    def estimated_duration(self) -> float:
        ramp = self.field / max(self.ramp_rate, 1e-9)
        ref = self.settle + self.reference_average if self.reference_average > 0 else 0.0
        return ramp + self.equilibrate + ref + self.pump_time + self.points * (self.settle + self.average)

    def columns(self) -> list[Column]:
        return [Column("index", ""), Column("stage", ""), Column("rf_frequency", "Hz"), Column("slice_z", "m"),
                Column("x", "m"), Column("y", "m"), Column("time", "s"), Column("temperature", "K")]

    # --- plan --------------------------------------------------------------------------------
    def _start(self, lab: Lab) -> Any:
        readout = prepare_readout(lab, self.membrane_frequency, self.time_constant, self.filter_slope,
                                  self.sensitivity)
        rf = lab.rf
        rf.power = self.power
        rf.set_modulation("fm", True, deviation=self.fm_deviation, rate=self.membrane_frequency)
        return readout

    def _cool_and_ramp(self, lab: Lab) -> None:
        if self.temperature_setpoint > 0 and lab.has("temperature"):
            tc = lab.temperature
            tc.set_setpoint(self.temperature_setpoint)
            for _ in range(720):
                if abs(tc.read_temperature() - self.temperature_setpoint) < 0.02 * self.temperature_setpoint:
                    break
                lab.sleep(5.0)
        lab.field.ramp_rate = min(self.ramp_rate, lab.limits.max_ramp_rate)
        lab.field.ramp_to(self.field, wait=False)
        lab.field.wait_until_settled(timeout=2 * self.field / lab.field.ramp_rate + 60.0)

    def _point(self, lab: Lab, readout: Any, i: int, stage: int, f: float, average: float) -> Point:
        lab.rf.frequency = f
        lab.rf.output = True
        lab.sleep(self.settle)
        z = readout.average(lab, average, self.read_interval)
        temp = lab.temperature.read_temperature() if lab.has("temperature") else float("nan")
        return Point({"index": i, "stage": stage, "rf_frequency": f, "slice_z": float(self.slice_z(f)),
                      "x": z.real, "y": z.imag, "time": lab.clock.now(), "temperature": temp})

    def plan(self, lab: Lab) -> Iterator[Message]:
        self._cool_and_ramp(lab)
        readout = self._start(lab)
        lab.sleep(self.equilibrate)
        freqs = self.frequencies()
        if self.reference_average > 0:
            yield self._point(lab, readout, -1, 0, float(freqs[0]), self.reference_average)
            lab.rf.output = False
        if self.pump_time > 0:
            lab.laser.output = True
            lab.sleep(self.pump_time)
            lab.laser.output = self.pump_during_scan
        for i, f in enumerate(freqs):
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
        exp = type(self)(**{**self.values, **run.parameters})
        stage = np.asarray(run["stage"], int)
        z_all = as_complex(run["x"], run["y"])
        img, ref = stage == 1, stage == 0
        f = np.asarray(run["rf_frequency"], float)[img]
        if f.size < 5:
            return {"warning": f"{f.size} slices: the two-dip fit needs at least 5"}
        s, angle = principal_projection(z_all[img])
        rot = complex(math.cos(angle), -math.sin(angle))
        sweep, g = exp.fm_deviation / exp.gamma_hz, exp.gradient
        kernel = cai_kernel(sweep, exp.rf_field, exp.linewidth_sigma)
        width_t = kernel_fwhm(kernel, sweep + 10 * exp.rf_field + 6 * exp.linewidth_sigma)
        zs = exp.slice_z(f)
        reach = (sweep + 3 * exp.rf_field + 4 * exp.linewidth_sigma) / abs(g)
        dz = abs(exp.frequency_step / (exp.gamma_hz * g)) / 8
        z = np.arange(zs.min() - reach, zs.max() + reach + dz / 2, dz)
        kmat = frequency_slice_matrix(f, z, exp.field, exp.gamma_hz, g, kernel)
        tik = tikhonov_gcv(kmat, s, alpha=(exp.regularisation * float(np.sum(kmat**2)) / z.size
                                          if exp.regularisation > 0 else None))
        n = tik.solution
        window = (float(zs.min()), float(zs.max()))
        inside = (z >= window[0]) & (z <= window[1])
        baseline = float(np.median(n[inside])) or 1.0
        out: dict[str, Any] = {"profile_z": z.tolist(), "profile_density": (n / baseline).tolist(),
                               "regularisation_alpha": FitValue(tik.alpha, float("nan"), ""),
                               "slice_separation": FitValue(abs(exp.frequency_step / (exp.gamma_hz * g)),
                                                            float("nan"), "m"),
                               "slice_width": FitValue(width_t / abs(g), float("nan"), "m"),
                               "sensitivity_published": FitValue(PUBLISHED_SENSITIVITY, float("nan"), "")}
        start = _two_deepest(z[inside], n[inside] / baseline, min_gap=2 * dz)
        if start is None:
            out["warning"] = "the deconvolved profile shows fewer than two depleted regions"
            out["resolved"] = False
            return out
        fit = fit_two_dips(kmat, z, s, start, abs(exp.frequency_step / (exp.gamma_hz * g)) / 2, window)
        for name, unit in (("z1", "m"), ("z2", "m"), ("separation", "m"), ("depth1", ""), ("depth2", ""),
                           ("dip_sigma", "m")):
            out[name] = FitValue(fit[name], fit[f"{name}_err"], unit)
        out["residual_rms"] = FitValue(fit["residual_rms"], float("nan"), "m")
        out["resolved"] = bool(min(fit["deficit1"] / max(fit["deficit1_err"], 1e-300),
                                   fit["deficit2"] / max(fit["deficit2_err"], 1e-300)) > 3
                               and fit["separation"] > 5 * fit["separation_err"])
        k_peak = float(np.max(np.abs(kernel(np.linspace(-sweep, sweep, 2001)))))
        pumped = abs(fit["baseline"]) * float(np.max(np.abs(kmat.sum(axis=1))))
        out["signal_pumped"] = FitValue(pumped, fit["baseline_err"] / max(abs(fit["baseline"]), 1e-300) * pumped, "m")
        noise = quadrature_noise(z_all[img])
        sens = spins_per_sqrt_hz(noise, exp.average, fit["baseline"], k_peak, exp.spin_density, exp.sample_side**2)
        out["sensitivity"] = FitValue(sens, float("nan"), "")
        if ref.any():
            thermal = abs(float((z_all[ref][0] * rot).real))
            # The same slice during the scan, from the fitted model (the reference slice is the first).
            model_first = float(kmat[0] @ _profile(z, fit, window))
            t_noise = noise * math.sqrt(exp.average / max(exp.reference_average, 1e-12))
            out["signal_thermal"] = FitValue(thermal, t_noise, "m")
            ratio = abs(model_first) / thermal if thermal > 0 else float("nan")
            out["pumping_enhancement"] = FitValue(ratio, ratio * t_noise / thermal if thermal > 0 else float("nan"), "")
            if math.isfinite(ratio):
                out["sensitivity_thermal"] = FitValue(sens * ratio, float("nan"), "")
        return out

    def plot(self, run: RunData, results: dict[str, Any], path: Path) -> Path:
        from analysis.membrane_plots import plot_profile

        img = np.asarray(run["stage"], int) == 1
        s, _ = principal_projection(as_complex(run["x"], run["y"])[img])
        return plot_profile(np.asarray(run["slice_z"])[img], s, np.asarray(results.get("profile_z", [])),
                            np.asarray(results.get("profile_density", [])), results, path, run.status)


def _profile(z: np.ndarray, fit: dict[str, float], window: tuple[float, float]) -> np.ndarray:
    """The fitted two-dip profile on ``z``."""
    p = np.array([fit[k] for k in ("baseline", "slope", "z1", "z2", "depth1", "depth2", "dip_sigma")])
    return two_dip_profile(z, p, 0.5 * (window[0] + window[1]), max(0.5 * (window[1] - window[0]), 1e-15))


def _two_deepest(z: np.ndarray, n: np.ndarray, min_gap: float) -> tuple[float, float] | None:
    """Positions of the two deepest local minima of a profile (start of the fit)."""
    minima = [i for i in range(1, n.size - 1) if n[i] <= n[i - 1] and n[i] < n[i + 1]]
    minima.sort(key=lambda i: n[i])
    chosen: list[int] = []
    for i in minima:
        if all(abs(z[i] - z[j]) > min_gap for j in chosen):
            chosen.append(i)
        if len(chosen) == 2:
            return tuple(sorted((float(z[chosen[0]]), float(z[chosen[1]]))))  # type: ignore[return-value]
    return None
