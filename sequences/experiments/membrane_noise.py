"""Thermal noise spectrum of the membrane: the force sensitivity in N/sqrt(Hz).

With the drive off the mode moves only under the thermal Langevin force. The lock-in at a
reference near f0 streams the complex envelope; its zoom spectrum around f0 is fitted
(``resonator_fits.fit_thermal_psd``). Equipartition <x^2> = kB T / k with the measured sample
temperature gives k, and the thermal force noise sqrt(4 kB T k / (w0 Q)) follows; the
detection-limited sensitivity adds the interferometer floor referred to force at f0.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from drivers.lab import Lab
from analysis.resonator_fits import baseband_psd, fit_thermal_psd, welch_variance_factor
from sequences.result import WARNING, Result
from sequences.experiment import Checkpoint, Column, FitValue, Message, Parameter, Point, RunData
from sequences.experiments.membrane_readout import MembraneLockinExperiment, membrane_lab_problems, prepare_readout
from sequences.experiments.membrane_resonator import F_RANGE


def off_centre_warning(f0: float, centre: float, span: float, rate: float, time_constant: float,
                       poles: int) -> str:
    """Why a thermal-peak fit at ``f0`` is suspect given where the lock-in was centred ('' when
    it is not): the peak outside the analysed band (+-0.45 x rate), its fit window cut by the
    band edge, or the peak beyond the lock-in filter's -3 dB point, where the spectrum is a
    filter-corrected (amplified) noise estimate. f_3dB = sqrt(2^(1/n) - 1) / (2 pi tc) for n
    equal RC stages."""
    offset = f0 - centre
    edge = 0.45 * rate
    f3db = math.sqrt(2 ** (1 / max(poles, 1)) - 1) / (2 * math.pi * time_constant)
    why = ""
    if abs(offset) > edge:
        why = f"outside the analysed band (+-{edge:.3g} Hz)"
    elif abs(offset) + span > edge:
        why = f"so its fit window (+-{span:g} Hz) is cut by the band edge at +-{edge:.3g} Hz"
    elif abs(offset) > f3db:
        why = f"beyond the lock-in filter's -3 dB point ({f3db:.3g} Hz)"
    if not why:
        return ""
    return (f"the fitted f0 is {offset:+.4g} Hz from center_frequency ({centre:.10g} Hz), {why}: "
            f"re-run with center_frequency = {f0:.10g} Hz")


class MembraneThermalSpectrum(MembraneLockinExperiment):
    name = "membrane-psd"
    title = "membrane thermal noise spectrum"
    results = (
        Result("f0", "Hz", "resonance frequency"), Result("q", "", "quality factor"),
        Result("spring_constant", "N/m", "from equipartition at the measured temperature"),
        Result("force_noise", "N/sqrt(Hz)", "thermal force noise"),
        Result("rms_amplitude", "m", "rms thermal displacement, sqrt(kB T / k)"),
        Result("effective_mass", "kg", "k / (2 pi f0)^2"),
        Result("force_sensitivity", "N/sqrt(Hz)", "force noise including the displacement floor"),
        Result("displacement_floor", "m/sqrt(Hz)", "white displacement noise floor"),
        Result("peak_displacement_noise", "m/sqrt(Hz)", "displacement noise at the peak"),
        Result("temperature", "K", "mean measured temperature"),
        Result("segments_averaged", "", "number of spectra averaged"), WARNING)
    roles = ("displacement",)
    optional_roles = ("temperature", "piezo")
    center_frequency = Parameter(1_000_237.5, "Hz", "lock-in reference (near f0)", *F_RANGE, display_unit="Hz")
    sample_rate = Parameter(100.0, "Hz", "lock-in read rate; the spectrum spans +- rate/2", 1.0, 1e5)
    record_length = Parameter(20.0, "s", "length of each record (resolution 1/length)", 0.1, 1e5)
    records = Parameter(24, "", "records averaged", 1, 100_000, kind=int)
    settle = Parameter(2.0, "s", "wait before the first record (drive ringdown, filter)", 0.0, 1e5)
    fit_span = Parameter(20.0, "Hz", "fit f0 +- this span", 0.01, 1e6)
    segment = Parameter(0.0, "s", "Welch segment length, 50 % overlap (0: half a record)", 0.0, 1e5)
    time_constant = MembraneLockinExperiment.time_constant.replace(default=3e-3)

    def check(self) -> list[str]:
        n = self.record_samples()
        problems = [] if n >= 64 else [f"record_length x sample_rate = {n} samples; need at least 64"]
        if self.fit_span > 0.45 * self.sample_rate:
            problems.append(f"fit_span {self.fit_span:g} Hz exceeds 0.45 x sample_rate ({0.45 * self.sample_rate:g} Hz)")
        return problems

    def check_lab(self, lab: Lab) -> list[str]:
        return membrane_lab_problems(lab, (self.center_frequency,)) + self.limit_problems(lab)

    def record_samples(self) -> int:
        return int(round(self.record_length * self.sample_rate))

    def total_points(self) -> int:
        return self.records

    def estimated_duration(self) -> float:
        return self.settle + self.records * self.record_length + 0.3

    def columns(self) -> list[Column]:
        n = self.record_samples()
        return [Column("record", ""), Column("x", "m", (n,)), Column("y", "m", (n,)), Column("time", "s"),
                Column("temperature", "K")]

    def plan(self, lab: Lab) -> Iterator[Message]:
        if lab.has("piezo"):
            lab.piezo.output = False
        readout = prepare_readout(lab, self.center_frequency, self.time_constant, self.filter_slope,
                                  self.sensitivity)
        lab.sleep(self.settle)
        n, dt = self.record_samples(), 1.0 / self.sample_rate
        temp = lab.temperature if lab.has("temperature") else None
        for r in range(self.records):
            if (yield Checkpoint(f"record {r}")):
                readout = prepare_readout(lab, self.center_frequency, self.time_constant, self.filter_slope,
                                          self.sensitivity)
                lab.sleep(self.settle)
            start = lab.clock.now()
            z = readout.series(lab, n, dt)
            yield Point({"record": r, "x": z.real.copy(), "y": z.imag.copy(), "time": start,
                         "temperature": temp.read_temperature() if temp else float("nan")})

    @staticmethod
    def segment_samples(run: RunData) -> int:
        """Welch segment length in samples (at most one record)."""
        p = run.parameters
        n = int(np.atleast_2d(run["x"]).shape[1])
        seg_s = float(p.get("segment", 0.0))
        return min(n, int(round(seg_s * float(p["sample_rate"])))) if seg_s > 0 else n // 2

    @classmethod
    def spectrum(cls, run: RunData) -> tuple[np.ndarray, np.ndarray, int]:
        """(absolute frequency, one-sided S_x in m^2/Hz, segments averaged)."""
        p = run.parameters
        rate = float(p["sample_rate"])
        traces = np.atleast_2d(run["x"]) + 1j * np.atleast_2d(run["y"])
        df, s, n_avg = baseband_psd(traces, rate, float(p["time_constant"]), int(p["filter_slope"]) // 6,
                                    cls.segment_samples(run))
        return float(p["center_frequency"]) + df, s, n_avg

    def analyse(self, run: RunData) -> dict[str, Any]:
        f, s, n_avg = self.spectrum(run)
        p = run.parameters
        temps = np.asarray(run["temperature"], float)
        temperature = float(np.nanmean(temps)) if np.isfinite(temps).any() else float(p.get("temperature", 295.0))
        span = float(p.get("fit_span", self.fit_span))
        rate = float(p["sample_rate"])
        centre = f[np.argmax(np.where(np.abs(f - float(p["center_frequency"])) < 0.45 * rate, s, 0))]
        window = (np.abs(f - centre) <= span) & (np.abs(f - float(p["center_frequency"])) <= 0.45 * rate)
        sampling = (float(p["center_frequency"]), rate, float(p["time_constant"]), int(p["filter_slope"]) // 6)
        fit = fit_thermal_psd(f[window], s[window], temperature, n_avg, sampling,
                              welch_variance_factor(self.segment_samples(run), np.atleast_2d(run["x"]).shape[1]))
        k, _ = fit["spring_constant"]
        q, _ = fit["q"]
        floor, floor_err = fit["floor"]
        sf, sf_err = fit["force_psd"]
        sensitivity = math.sqrt(sf + floor * (k / q) ** 2)
        f0 = fit["f0"][0]
        m_eff = k / (2 * math.pi * f0) ** 2
        out = {name: FitValue(v, e, unit) for name, (v, e), unit in
               ((n, fit[n], u) for n, u in (("f0", "Hz"), ("q", ""), ("spring_constant", "N/m"),
                                            ("force_noise", "N/sqrt(Hz)")))}
        x2, x2_err = fit["mean_square"]
        out["rms_amplitude"] = FitValue(math.sqrt(x2), 0.5 * x2_err / math.sqrt(x2), "m")  # sqrt(kB T / k)
        out["effective_mass"] = FitValue(m_eff, m_eff * fit["spring_constant"][1] / k, "kg")
        out["force_sensitivity"] = FitValue(sensitivity, float("nan"), "N/sqrt(Hz)")
        # A floor far below the peak's wings inside the fit span is not measurable: then ~0, error nan.
        floor_rt = math.sqrt(max(floor, 0.0))
        out["displacement_floor"] = FitValue(floor_rt, 0.5 * floor_err / floor_rt if floor_rt > 0 else math.nan,
                                             "m/sqrt(Hz)")
        out["peak_displacement_noise"] = FitValue(math.sqrt(fit["peak"][0]), float("nan"), "m/sqrt(Hz)")
        out["temperature"] = FitValue(temperature, float(np.nanstd(temps)) if np.isfinite(temps).any() else 0.0, "K")
        out["segments_averaged"] = n_avg
        warning = off_centre_warning(f0, float(p["center_frequency"]), span, rate, float(p["time_constant"]),
                                     int(p["filter_slope"]) // 6)
        if warning:
            out["warning"] = warning
        return out

    def plot(self, run: RunData, results: dict[str, Any], path: Path) -> Path:
        from analysis.membrane_plots import plot_psd

        return plot_psd(run, results, path, self.spectrum(run))
