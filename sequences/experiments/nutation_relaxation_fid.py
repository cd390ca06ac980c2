"""Pulsed experiments: nutation (Rabi), T1 (inversion/saturation recovery), T2 (Hahn echo),
CPMG echo train, FID -> spectrum. Each uses only the pulser, digitizer and rf roles (and the
field controller when present); the analysis fits the closed-form models of the Bloch equations (Bloch 1946, Hahn 1950, Carr &
Purcell 1954; docs/references.md)."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from drivers.lab import Lab
from drivers.pulse_program import PulseProgram
from analysis.pulsed_fits import (echo_centre, fid_spectrum, fit_damped_sine, fit_decay, fit_fid_envelope,
                                       fit_recovery, principal_phase)
from analysis.pulsed_plots import plot_spectrum, plot_sweep
from sequences.result import Result
from sequences.experiment import Column, FitValue, Parameter, RunData
from sequences.experiments.pulsed_experiment import MIN_PULSE, PulsedExperiment, sweep_parameters
from sequences.pulse import Constraints
from sequences.pulse.errors import format_seconds


def _complex(run: RunData, stem: str) -> np.ndarray:
    return np.asarray(run[f"{stem}_re"], float) + 1j * np.asarray(run[f"{stem}_im"], float)


class Nutation(PulsedExperiment):
    name = "nutation"
    title = "Rabi nutation (pulse length sweep)"
    results = (
        Result("rabi_frequency", "Hz", "nutation frequency"), Result("pi_pulse", "s", "pi pulse length 1/(2 f)"),
        Result("b1", "T", "microwave field B1 = f / gamma"), Result("nutation_decay", "s", "decay time of the nutation"),
        Result("phase", "deg", "receiver phase that puts the signal in one channel"),
        Result("fit_x", "s", "pulse lengths of the fitted curve"), Result("fit_curve", "V", "the fitted curve"))
    sequence_name = "nutation"
    sweep = "tp"
    tp_start, tp_stop, points, spacing = sweep_parameters(10e-9, 170e-9, 41, "linear", "pulse length (> 0)",
                                                         MIN_PULSE)

    def columns(self) -> list[Column]:
        return [Column("tp", "s"), Column("signal_re", "V"), Column("signal_im", "V")]

    def point(self, x: float, data: np.ndarray, program: PulseProgram) -> dict[str, Any]:
        s = complex(data[0].mean())
        return {"tp": x, "signal_re": s.real, "signal_im": s.imag}

    @staticmethod
    def phased(run: RunData) -> tuple[np.ndarray, float]:
        """Signal on its principal axis, the first nutation lobe positive (sin(omega1 tp) > 0)."""
        z = _complex(run, "signal")
        first = max(2, len(z) // 4)
        return principal_phase(z, reference=int(np.argmax(np.abs(z[:first]))))

    def analyse(self, run: RunData) -> dict[str, Any]:
        tp = np.asarray(run["tp"], float)
        y, phase = self.phased(run)
        fit = fit_damped_sine(tp, y)
        f, df = fit.params["f"], fit.errors["f"]
        gamma = float(run.parameters.get("gamma", self.gamma))
        return {"rabi_frequency": FitValue(f, df, "Hz"),
                "pi_pulse": FitValue(1 / (2 * f), df / (2 * f * f), "s"),
                "b1": FitValue(f / gamma, df / gamma, "T"),
                "nutation_decay": FitValue(fit.params["tau"], fit.errors["tau"], "s"),
                "phase": FitValue(math.degrees(phase), float("nan"), "deg"),
                "fit_x": tp, "fit_curve": fit.curve}

    def plot(self, run: RunData, results: dict[str, Any], path: Path) -> Path:
        y, _ = self.phased(run)
        f = results.get("rabi_frequency")
        label = f"f_Rabi = {f.value / 1e6:.4f} MHz" if f else ""
        return plot_sweep(run["tp"], y, results.get("fit_x"), results.get("fit_curve"), xlabel="pulse length (ns)",
                          ylabel="FID signal (uV)", title=self.title, label=label, path=path, x_scale=1e9)


class T1Recovery(PulsedExperiment):
    name = "t1"
    title = "T1 by inversion or saturation recovery"
    results = (
        Result("T1", "s", "spin-lattice relaxation time"), Result("equilibrium", "V", "fully recovered signal"),
        Result("recovery_depth", "", "initial depth B / A (2 for full inversion)"),
        Result("phase", "deg", "receiver phase that puts the signal in one channel"),
        Result("fit_x", "s", "recovery times of the fitted curve"), Result("fit_curve", "V", "the fitted curve"))
    sweep = "t_rec"
    t_rec_start, t_rec_stop, points, spacing = sweep_parameters(0.5e-6, 100e-6, 16, "log", "recovery delay")
    mode = Parameter("inversion", "", "pi - t - pi/2 (inversion) or pi/2 comb - t - pi/2 (saturation)",
                     choices=("inversion", "saturation"))
    n_sat = Parameter(8, "", "pulses in the saturation comb", 1, 1000, kind=int)
    sat_spacing = Parameter(1e-6, "s", "spacing of the saturation comb (> T2*)", 0.0, 1.0, display_unit="us")

    @property
    def sequence_name(self) -> str:  # type: ignore[override]
        return "inversion-recovery" if self.mode == "inversion" else "saturation-recovery"

    def extra_values(self) -> dict[str, float]:
        return {"n_sat": self.n_sat, "sat_spacing": self.sat_spacing} if self.mode == "saturation" else {}

    def columns(self) -> list[Column]:
        return [Column("t_rec", "s"), Column("signal_re", "V"), Column("signal_im", "V")]

    def point(self, x: float, data: np.ndarray, program: PulseProgram) -> dict[str, Any]:
        s = complex(data[0].mean())
        return {"t_rec": x, "signal_re": s.real, "signal_im": s.imag}

    def analyse(self, run: RunData) -> dict[str, Any]:
        t = np.asarray(run["t_rec"], float)
        y, phase = principal_phase(_complex(run, "signal"), reference=int(np.argmax(t)))
        fit = fit_recovery(t, y)
        p, e = fit.params, fit.errors
        return {"T1": FitValue(p["T1"], e["T1"], "s"), "equilibrium": FitValue(p["A"], e["A"], "V"),
                "recovery_depth": FitValue(p["B"] / p["A"], float("nan"), ""),
                "phase": FitValue(math.degrees(phase), float("nan"), "deg"), "fit_x": t, "fit_curve": fit.curve}

    def plot(self, run: RunData, results: dict[str, Any], path: Path) -> Path:
        t = np.asarray(run["t_rec"], float)
        y, _ = principal_phase(_complex(run, "signal"), reference=int(np.argmax(t)))
        t1 = results.get("T1")
        return plot_sweep(t, y, results.get("fit_x"), results.get("fit_curve"), xlabel="recovery delay (us)",
                          ylabel="FID signal (uV)", title=f"{self.title} ({run.parameters.get('mode', self.mode)})",
                          label=f"T1 = {t1.value * 1e6:.3f} us" if t1 else "", path=path,
                          log_x=run.parameters.get("spacing", self.spacing) == "log")


class T2HahnEcho(PulsedExperiment):
    name = "t2-hahn"
    title = "T2 by Hahn-echo decay"
    results = (
        Result("T2", "s", "phase-memory time from the echo decay"), Result("amplitude", "V", "echo amplitude at 2 tau = 0"),
        Result("echo_offset", "s", "mean offset of the echo centre from 2 tau"),
        Result("echo_offset_max", "s", "largest such offset"),
        Result("phase", "deg", "receiver phase that puts the signal in one channel"),
        Result("echo_times", "s", "measured echo centre of each trace"),
        Result("fit_x", "s", "tau values of the fitted curve"), Result("fit_curve", "V", "the fitted curve"))
    sequence_name = "hahn-echo"
    sweep = "tau"
    passthrough = ("p90", "p180", "acq_time", "rep_delay")
    # A 256 ns window centred on 2 tau holds the core of a 2 MHz-wide line's echo (FWHM ~0.44 us) and
    # lets the receiver open a 60 ns ring-down after the pi pulse from tau = 208 ns (a 512 ns window
    # would need tau >= 336 ns).
    acq_time = PulsedExperiment.acq_time.replace(default=256e-9)
    tau_start, tau_stop, points, spacing = sweep_parameters(400e-9, 3e-6, 14, "linear", "pulse spacing tau")

    def check_lab(self, lab: Lab) -> list[str]:
        """The sequence rules, preceded by what to change when the echo window hits the pi pulse."""
        problems = super().check_lab(lab)
        if any(("[ring-down]" in p or "[negative]" in p or "[rx-during-tx]" in p) for p in problems):
            ring = Constraints.from_lab(lab).ringdown_time
            tau_min = self.p180 / 2 + self.acq_time / 2 + ring
            first = min(self.tau_start, self.tau_stop)
            if first < tau_min:
                acq_max = 2 * (first - self.p180 / 2 - ring)
                fix = f" or acq_time <= {format_seconds(acq_max)}" if acq_max > 0 else ""
                problems.insert(0, f"tau_start = {format_seconds(first)} is too short for a "
                                   f"{format_seconds(self.acq_time)} echo window centred on 2 tau: the receiver "
                                   f"must open {format_seconds(ring)} (ring-down) after the pi pulse, so tau >= "
                                   f"p180/2 + acq_time/2 + ring-down = {format_seconds(tau_min)}; use tau_start >= "
                                   f"{format_seconds(tau_min)}{fix}")
        return problems

    def columns(self) -> list[Column]:
        n = self.record_length()
        return [Column("tau", "s"), Column("echo_re", "V"), Column("echo_im", "V"), Column("t0", "s"),
                Column("trace_re", "V", (n,)), Column("trace_im", "V", (n,))]

    def point(self, x: float, data: np.ndarray, program: PulseProgram) -> dict[str, Any]:
        trace = data[0]
        t0 = float(self.acquisition_starts(x, 0, "centre")[0])
        echo = complex(trace.mean())
        return {"tau": x, "echo_re": echo.real, "echo_im": echo.imag, "t0": t0,
                "trace_re": trace.real.copy(), "trace_im": trace.imag.copy()}

    def analyse(self, run: RunData) -> dict[str, Any]:
        tau = np.asarray(run["tau"], float)
        y, phase = principal_phase(_complex(run, "echo"), reference=int(np.argmin(tau)))
        fit = fit_decay(2 * tau, y)
        t2 = fit.params["T"]
        fs = float(run.parameters.get("sample_rate", self.sample_rate))
        traces = _complex(run, "trace")
        n = traces.shape[1]
        times = np.asarray(run["t0"], float)[:, None] + np.arange(n)[None, :] / fs
        centres = np.array([echo_centre(traces[k], times[k], t2) for k in range(len(tau))])
        offsets = centres - 2 * tau
        return {"T2": FitValue(t2, fit.errors["T"], "s"), "amplitude": FitValue(fit.params["amplitude"],
                                                                                fit.errors["amplitude"], "V"),
                "echo_offset": FitValue(float(np.mean(offsets)), float(np.std(offsets)), "s"),
                "echo_offset_max": FitValue(float(np.max(np.abs(offsets))), float("nan"), "s"),
                "phase": FitValue(math.degrees(phase), float("nan"), "deg"),
                "echo_times": centres, "fit_x": tau, "fit_curve": fit.curve}

    def plot(self, run: RunData, results: dict[str, Any], path: Path) -> Path:
        tau = np.asarray(run["tau"], float)
        y, _ = principal_phase(_complex(run, "echo"), reference=int(np.argmin(tau)))
        traces = _complex(run, "trace")
        fs = float(run.parameters.get("sample_rate", self.sample_rate))
        t = (np.asarray(run["t0"], float)[:, None] + np.arange(traces.shape[1])[None, :] / fs) - 2 * tau[:, None]
        t2 = results.get("T2")
        return plot_sweep(tau, y, results.get("fit_x"), results.get("fit_curve"), xlabel="tau (us)",
                          ylabel="echo (uV)", title=self.title, label=f"T2 = {t2.value * 1e6:.3f} us" if t2 else "",
                          path=path, traces=(t, np.abs(traces)), trace_label="time from 2 tau (us)")


class CpmgTrain(PulsedExperiment):
    name = "cpmg"
    title = "CPMG echo train"
    results = (
        Result("T2", "s", "decay time of the echo train"),
        Result("T2_pulse_corrected", "s", "T2 corrected for relaxation during the pi pulses"),
        Result("amplitude", "V", "train amplitude at time 0"),
        Result("phase", "deg", "receiver phase that puts the signal in one channel"),
        Result("fit_x", "s", "echo times of the fitted curve"), Result("fit_curve", "V", "the fitted curve"))
    sequence_name = "cpmg"
    passthrough = ("p90", "p180", "acq_time", "rep_delay")
    acq_time = PulsedExperiment.acq_time.replace(default=400e-9)
    tau = Parameter(600e-9, "s", "half the echo spacing", 0.0, 1.0, display_unit="ns")
    n_echoes = Parameter(8, "", "echoes in the train", 1, 2**20, kind=int)

    def extra_values(self) -> dict[str, float]:
        return {"tau": self.tau, "n_echoes": self.n_echoes}

    def columns(self) -> list[Column]:
        n = self.n_echoes
        return [Column("echo_time", "s", (n,)), Column("echo_re", "V", (n,)), Column("echo_im", "V", (n,))]

    def point(self, x: float, data: np.ndarray, program: PulseProgram) -> dict[str, Any]:
        echoes = data.mean(axis=1)
        times = 2 * self.tau * np.arange(1, self.n_echoes + 1)
        return {"echo_time": times, "echo_re": echoes.real.copy(), "echo_im": echoes.imag.copy()}

    def analyse(self, run: RunData) -> dict[str, Any]:
        t = np.asarray(run["echo_time"], float)[-1]
        z = _complex(run, "echo")[-1]
        y, phase = principal_phase(z, reference=0)
        fit = fit_decay(t, y)
        # During each pi pulse the magnetisation spends on average half the time along z, where it
        # relaxes with T1, not T2: the train decays more slowly by the fraction f/2 of pulse time.
        # Corrected for T1 >> T2: 1/T2 = (1/T2_train) / (1 - f/2), f = p180 / (2 tau).
        p = run.parameters
        f = float(p.get("p180", self.p180)) / (2 * float(p.get("tau", self.tau)))
        t2 = fit.params["T"]
        return {"T2": FitValue(t2, fit.errors["T"], "s"),
                "T2_pulse_corrected": FitValue(t2 * (1 - f / 2), fit.errors["T"] * (1 - f / 2), "s"),
                "amplitude": FitValue(fit.params["amplitude"], fit.errors["amplitude"], "V"),
                "phase": FitValue(math.degrees(phase), float("nan"), "deg"), "fit_x": t, "fit_curve": fit.curve}

    def plot(self, run: RunData, results: dict[str, Any], path: Path) -> Path:
        t = np.asarray(run["echo_time"], float)[-1]
        y, _ = principal_phase(_complex(run, "echo")[-1], reference=0)
        t2 = results.get("T2")
        return plot_sweep(t, y, results.get("fit_x"), results.get("fit_curve"), xlabel="echo time 2 n tau (us)",
                          ylabel="echo (uV)", title=self.title, label=f"T2 = {t2.value * 1e6:.3f} us" if t2 else "",
                          path=path)


class FidSpectrum(PulsedExperiment):
    name = "fid"
    title = "FID and its spectrum"
    results = (
        Result("peak_offset", "Hz", "spectrum peak relative to the set frequency"),
        Result("resonance_frequency", "Hz", "set frequency plus the peak offset"),
        Result("linewidth", "Hz", "FWHM from the FID envelope"),
        Result("spectrum_fwhm", "Hz", "FWHM of the spectrum peak"),
        Result("phase0", "deg", "zero-order phase of the spectrum"),
        Result("spectrum_freq", "Hz", "frequency axis of the spectrum"),
        Result("spectrum_real", "V", "phased real part of the spectrum"))
    sequence_name = "fid"
    acq_time = PulsedExperiment.acq_time.replace(default=1024e-9)
    zero_fill = Parameter(8192, "", "FFT length (zero filling)", 16, 2**22, kind=int)

    def columns(self) -> list[Column]:
        n = self.record_length()
        return [Column("t0", "s"), Column("trace_re", "V", (n,)), Column("trace_im", "V", (n,))]

    def point(self, x: float, data: np.ndarray, program: PulseProgram) -> dict[str, Any]:
        # FID time origin: 2 tp / pi before the end of a pi/2 pulse (phase of off-resonance isochromats).
        t0 = float(self.acquisition_starts(x, 0, "end")[0]) + 2 * self.p90 / math.pi
        return {"t0": t0, "trace_re": data[0].real.copy(), "trace_im": data[0].imag.copy()}

    def analyse(self, run: RunData) -> dict[str, Any]:
        trace = _complex(run, "trace")[-1]
        fs = float(run.parameters.get("sample_rate", self.sample_rate))
        freq = float(run.parameters.get("frequency", self.frequency))
        t0 = float(np.asarray(run["t0"])[-1])
        spec = fid_spectrum(trace, fs, t0, int(run.parameters.get("zero_fill", 8192)))
        env = fit_fid_envelope(t0 + np.arange(len(trace)) / fs, np.abs(trace))
        return {"peak_offset": FitValue(spec.peak, float("nan"), "Hz"),
                "resonance_frequency": FitValue(freq + spec.peak, float("nan"), "Hz"),
                # the total width only: its Gaussian/Lorentzian split hangs on the time origin
                "linewidth": FitValue(env.params["fwhm"], env.errors["fwhm"], "Hz"),
                "spectrum_fwhm": FitValue(spec.fwhm, float("nan"), "Hz"),
                "phase0": FitValue(math.degrees(spec.phase0), float("nan"), "deg"),
                "spectrum_freq": spec.freq, "spectrum_real": spec.real}

    def plot(self, run: RunData, results: dict[str, Any], path: Path) -> Path:
        trace = _complex(run, "trace")[-1]
        fs = float(run.parameters.get("sample_rate", self.sample_rate))
        t = float(np.asarray(run["t0"])[-1]) + np.arange(len(trace)) / fs
        if "spectrum_freq" not in results:
            results = {**results, **self.analyse(run)}
        return plot_spectrum(t, trace, results["spectrum_freq"], results["spectrum_real"], results, path)


PULSED_EXPERIMENTS = (Nutation, T1Recovery, T2HahnEcho, CpmgTrain, FidSpectrum)
