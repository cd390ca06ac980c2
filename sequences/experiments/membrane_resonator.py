"""Resonator characterisation of a SiN membrane: driven frequency sweep and ringdown."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from drivers.lab import Lab
from analysis.resonator_fits import fit_driven_response, fit_ringdown, lockin_settling
from sequences.result import Result
from sequences.experiment import Checkpoint, Column, FitValue, Message, Parameter, Point, RunData
from sequences.experiments.membrane_readout import (MembraneLockinExperiment, as_complex, membrane_lab_problems,
                                                    prepare_readout)

F_RANGE = (1.0, 50e6)


def _temperature(lab: Lab) -> float:
    return lab.temperature.read_temperature() if lab.has("temperature") else float("nan")


class MembraneDrivenSweep(MembraneLockinExperiment):
    """Step the piezo (and the lock-in reference with it) through the resonance; at each
    frequency wait for the steady state (several ringdown times) and average the response."""

    name = "membrane-sweep"
    title = "membrane driven frequency sweep"
    results = (
        Result("f0", "Hz", "resonance frequency"), Result("q", "", "quality factor"),
        Result("linewidth", "Hz", "FWHM of the driven response"),
        Result("ringdown_time", "s", "amplitude decay time Q / (pi f0)"),
        Result("peak_amplitude", "m", "displacement amplitude at resonance"),
        Result("residual_rms", "m", "rms of the fit residual"))
    roles = ("displacement", "piezo")
    optional_roles = ("temperature",)
    freq_start = Parameter(1_000_233.5, "Hz", "first drive frequency", *F_RANGE, display_unit="Hz")
    freq_stop = Parameter(1_000_241.5, "Hz", "last drive frequency", *F_RANGE, display_unit="Hz")
    points = Parameter(41, "", "frequencies in the sweep", 6, 100_000, kind=int)
    drive_amplitude = Parameter(0.5, "V", "piezo drive amplitude (peak)", 0.0, 10.0, limit="max_piezo_amplitude")
    settle = Parameter(1.5, "s", "wait after each step; >= 5 ringdown times Q/(pi f0)", 0.0, 1e4)
    average = Parameter(0.3, "s", "averaging time per point", 0.0, 1e4)
    read_interval = Parameter(0.01, "s", "time between lock-in reads while averaging", 1e-5, 10.0,
                              display_unit="ms")

    def check(self) -> list[str]:
        if self.freq_start >= self.freq_stop:
            return [f"freq_start ({self.freq_start:.9g} Hz) must be below freq_stop ({self.freq_stop:.9g} Hz)"]
        return []

    def check_lab(self, lab: Lab) -> list[str]:
        return membrane_lab_problems(lab, (self.freq_start, self.freq_stop), ("piezo",)) + self.limit_problems(lab)

    def frequencies(self) -> np.ndarray:
        return np.linspace(self.freq_start, self.freq_stop, self.points)

    def total_points(self) -> int:
        return self.points

    def estimated_duration(self) -> float:
        return self.points * (self.settle + max(self.average, self.read_interval)) + 0.3

    def columns(self) -> list[Column]:
        return [Column("index", ""), Column("frequency", "Hz"), Column("x", "m"), Column("y", "m"),
                Column("amplitude", "m"), Column("phase", "deg"), Column("time", "s"), Column("temperature", "K")]

    def plan(self, lab: Lab) -> Iterator[Message]:
        freqs = self.frequencies()
        readout = prepare_readout(lab, float(freqs[0]), self.time_constant, self.filter_slope, self.sensitivity)
        piezo, li = lab.piezo, readout.lockin

        def drive(f: float) -> None:
            piezo.frequency = f
            li.reference_frequency = f
            piezo.amplitude = self.drive_amplitude
            piezo.output = True

        for i, f in enumerate(freqs):
            if (yield Checkpoint(f"frequency {i}")):
                readout = prepare_readout(lab, float(f), self.time_constant, self.filter_slope, self.sensitivity)
                li = readout.lockin
            drive(float(f))
            lab.sleep(self.settle)
            z = readout.average(lab, self.average, self.read_interval)
            yield Point({"index": i, "frequency": float(f), "x": z.real, "y": z.imag, "amplitude": abs(z),
                         "phase": math.degrees(math.atan2(z.imag, z.real)), "time": lab.clock.now(),
                         "temperature": _temperature(lab)})
        piezo.output = False

    def analyse(self, run: RunData) -> dict[str, Any]:
        p = run.parameters
        interval = float(p.get("read_interval", self.read_interval))
        reads = max(1, int(round(float(p.get("average", self.average)) / interval)))  # as Readout.average
        fit = fit_driven_response(run["frequency"], as_complex(run["x"], run["y"]), average_time=reads * interval)
        tau = fit.q / (math.pi * fit.f0)
        return {
            "f0": FitValue(fit.f0, fit.errors["f0"], "Hz"),
            "q": FitValue(fit.q, fit.errors["q"], ""),
            "linewidth": FitValue(fit.extra["linewidth"], fit.errors["linewidth"], "Hz"),
            "ringdown_time": FitValue(tau, tau * fit.errors["q"] / fit.q, "s"),
            "peak_amplitude": FitValue(fit.extra["amplitude"], float("nan"), "m"),
            "residual_rms": FitValue(fit.extra["residual_rms"], float("nan"), "m"),
        }

    def plot(self, run: RunData, results: dict[str, Any], path: Path) -> Path:
        from analysis.membrane_plots import plot_driven_sweep

        return plot_driven_sweep(run, results, path)


class MembraneRingdown(MembraneLockinExperiment):
    """Drive at f_drive to the steady state, switch the drive off, and record the lock-in output
    while the mode rings down. The amplitude's decay time gives Q = pi f0 tau; the phase's
    rotation at f0 - f_drive gives f0. Not pausable once the drive is off."""

    name = "membrane-ringdown"
    title = "membrane ringdown"
    results = (
        Result("f0", "Hz", "resonance frequency"), Result("q", "", "quality factor"),
        Result("ringdown_time", "s", "amplitude decay time"),
        Result("initial_amplitude", "m", "amplitude when the drive stopped"),
        Result("noise_floor", "m", "amplitude the decay ends in"))
    roles = ("displacement", "piezo")
    optional_roles = ("temperature",)
    drive_frequency = Parameter(1_000_237.5, "Hz", "drive and lock-in reference frequency", *F_RANGE,
                                display_unit="Hz")
    drive_amplitude = Parameter(5.0, "V", "piezo drive amplitude (peak); far above the thermal motion",
                                0.0, 10.0, limit="max_piezo_amplitude")
    drive_time = Parameter(3.0, "s", "drive time before release (>= 5 ringdown times)", 0.0, 1e4)
    record_time = Parameter(2.0, "s", "recording time after release", 1e-3, 1e5)
    sample_interval = Parameter(0.005, "s", "time between lock-in reads", 1e-5, 10.0, display_unit="ms")

    def check(self) -> list[str]:
        if self.sample_interval * 8 > self.record_time:
            return [f"record_time {self.record_time:g} s holds fewer than 8 samples of {self.sample_interval:g} s"]
        # The fit skips the filter's settling and uses samples that far apart as instruments.
        span = lockin_settling(self.time_constant, self.filter_slope // 6)
        need = 2 * math.ceil(span / self.sample_interval) + 9
        if self.samples() < need:
            return [f"record_time {self.record_time:g} s holds {self.samples()} samples of {self.sample_interval:g} s; "
                    f"the fit needs at least {need} with a {self.time_constant:g} s, {self.filter_slope} dB/oct lock-in "
                    f"filter (it settles in {span:g} s)"]
        return []

    def check_lab(self, lab: Lab) -> list[str]:
        return membrane_lab_problems(lab, (self.drive_frequency,), ("piezo",)) + self.limit_problems(lab)

    def samples(self) -> int:
        return int(round(self.record_time / self.sample_interval))

    def total_points(self) -> int:
        return self.samples()

    def estimated_duration(self) -> float:
        return self.drive_time + self.record_time + 0.3

    def columns(self) -> list[Column]:
        return [Column("time", "s"), Column("x", "m"), Column("y", "m"), Column("amplitude", "m"),
                Column("temperature", "K")]

    def plan(self, lab: Lab) -> Iterator[Message]:
        yield Checkpoint("before drive")
        f = self.drive_frequency
        readout = prepare_readout(lab, f, self.time_constant, self.filter_slope, self.sensitivity)
        piezo = lab.piezo
        piezo.frequency = f
        piezo.amplitude = self.drive_amplitude
        piezo.output = True
        lab.sleep(self.drive_time)
        temp = _temperature(lab)
        piezo.output = False
        t_off = lab.clock.now()
        for _ in range(self.samples()):
            lab.sleep(self.sample_interval)
            z = readout.read()
            yield Point({"time": lab.clock.now() - t_off, "x": z.real, "y": z.imag, "amplitude": abs(z),
                         "temperature": temp})

    def analyse(self, run: RunData) -> dict[str, Any]:
        p = run.parameters
        t = np.asarray(run["time"], float)
        # The lock-in filter settles, and its noise decorrelates, within ~(2 poles + 2) time constants.
        span = lockin_settling(float(p.get("time_constant", self.time_constant)),
                               int(p.get("filter_slope", self.filter_slope)) // 6)
        keep = t >= span
        fit = fit_ringdown(t[keep], as_complex(run["x"], run["y"])[keep],
                           float(p.get("drive_frequency", self.drive_frequency)), noise_time=span)
        return {
            "f0": FitValue(fit.f0, fit.errors["f0"], "Hz"),
            "q": FitValue(fit.q, fit.errors["q"], ""),
            "ringdown_time": FitValue(fit.extra["tau"], fit.errors["tau"], "s"),
            "initial_amplitude": FitValue(fit.extra["amplitude"], float("nan"), "m"),
            "noise_floor": FitValue(fit.extra["floor"], float("nan"), "m"),
        }

    def plot(self, run: RunData, results: dict[str, Any], path: Path) -> Path:
        from analysis.membrane_plots import plot_ringdown

        return plot_ringdown(run, results, path)
