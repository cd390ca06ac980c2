"""Force-detected ESR: sweep the field while the spin magnetisation is modulated at the membrane
frequency; the membrane's amplitude at f_m, read by the lock-in, is the spectrum."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import numpy as np

from drivers.lab import Lab
from sequences.analysis.constants import H, MU_B
from sequences.analysis.lineshapes import fit_modulated
from sequences.analysis.mrfm import _peak, fit_peak, principal_projection, zero_crossing
from sequences.experiment import Checkpoint, Column, Experiment, FitValue, Message, Parameter, Point, RunData
from sequences.experiments.membrane_common import as_complex, membrane_lab_problems, prepare_readout
from sequences.experiments.mrfm_common import (MRFM_PARAMETERS, protocol_problems, start_protocol,
                                               stop_protocol, sweep_amplitude, to_force)

_FWHM_PER_DBPP = {"lorentzian": 3**0.5, "gaussian": (2 * np.log(2)) ** 0.5}


class ForceDetectedEsr(Experiment):
    name = "mrfm-esr"
    title = "force-detected ESR field sweep"
    roles = ("displacement", "rf", "field")
    optional_roles = ("gaussmeter", "temperature")
    parameters = (
        Parameter("field_start", 0.3378, "T", "first field", -2.0, 2.0, display_unit="mT"),
        Parameter("field_stop", 0.3398, "T", "last field", -2.0, 2.0, display_unit="mT"),
        Parameter("points", 41, "", "field points", 5, 100_000, kind=int),
    ) + MRFM_PARAMETERS

    def check(self) -> list[str]:
        if self.field_start == self.field_stop:
            return [f"field_start and field_stop are both {self.field_start:g} T: nothing to sweep"]
        return []

    def check_lab(self, lab: Lab) -> list[str]:
        problems = membrane_lab_problems(lab, (self.membrane_frequency,), ("rf", "field"))
        for name in ("field_start", "field_stop"):
            if abs(self.values[name]) > lab.limits.max_field:
                problems.append(f"{name} = {self.values[name] * 1e3:g} mT exceeds the lab's max field "
                                f"{lab.limits.max_field * 1e3:g} mT")
        return problems + protocol_problems(self, lab)

    def fields(self) -> np.ndarray:
        return np.linspace(self.field_start, self.field_stop, self.points)

    def total_points(self) -> int:
        return self.points

    def estimated_duration(self) -> float:
        step = abs(self.field_stop - self.field_start) / max(1, self.points - 1)
        return self.points * (self.settle + self.average + step / self.ramp_rate) + 1.0

    def columns(self) -> list[Column]:
        return [Column("index", ""), Column("field_set", "T"), Column("field", "T"), Column("x", "m"),
                Column("y", "m"), Column("time", "s"), Column("temperature", "K")]

    def _setup(self, lab: Lab):
        readout = prepare_readout(lab, self.membrane_frequency, self.time_constant, self.filter_slope,
                                  self.sensitivity)
        lab.field.ramp_rate = min(self.ramp_rate, lab.limits.max_ramp_rate)
        start_protocol(lab, readout.lockin, self, self.membrane_frequency)
        return readout

    def plan(self, lab: Lab) -> Iterator[Message]:
        readout = self._setup(lab)
        hall = lab.gaussmeter if lab.has("gaussmeter") else None
        temp = lab.temperature if lab.has("temperature") else None
        fields = self.fields()
        lab.field.ramp_to(float(fields[0]))
        for i, b in enumerate(fields):
            if (yield Checkpoint(f"field {i}")):
                readout = self._setup(lab)
            lab.field.ramp_to(float(b))
            lab.sleep(self.settle)
            z = readout.average(lab, self.average, self.read_interval)
            yield Point({"index": i, "field_set": float(b), "field": hall.read_field() if hall else lab.field.field,
                         "x": z.real, "y": z.imag, "time": lab.clock.now(),
                         "temperature": temp.read_temperature() if temp else float("nan")})
        stop_protocol(lab, readout.lockin)

    # --- analysis --------------------------------------------------------------------------
    @staticmethod
    def signal(run: RunData) -> tuple[np.ndarray, np.ndarray]:
        b = np.asarray(run["field"], float)
        s, _ = principal_projection(as_complex(run["x"], run["y"]))
        order = np.argsort(b)
        return b[order], s[order]

    def analyse(self, run: RunData) -> dict[str, Any]:
        p = {**self.values, **run.parameters}
        b, s = self.signal(run)
        protocol = p["protocol"]
        sweep = sweep_amplitude(_Values(p))
        if protocol in ("field_modulation", "frequency_modulation"):
            fits = [fit_modulated(b, s, sweep, m) for m in ("lorentzian", "gaussian")]
            fit = min(fits, key=lambda f: f.residual_rms)
            b0, b0_err, width = fit.b0, fit.errors["b0"], fit.dbpp * _FWHM_PER_DBPP[fit.model]
            b0_err = b0_err if np.isfinite(b0_err) else float("nan")  # curve_fit gives inf when unsure
            model, peak = fit.model, float(np.max(np.abs(s)))
        elif protocol == "cyclic_adiabatic_inversion":
            b0, b0_err = zero_crossing(b, s)
            width, model, peak = float("nan"), "zero crossing", float(np.max(np.abs(s)))
        else:
            fit = fit_peak(b, s)
            b0, b0_err, width, model, peak = fit.center, fit.errors["center"], fit.width, fit.model, fit.height
        g = H * float(p["mw_frequency"]) / (MU_B * b0)
        return {
            "model": model,
            "resonance_field": FitValue(b0, b0_err, "T"),
            "g_factor": FitValue(g, g * b0_err / b0, ""),
            "linewidth_fwhm": FitValue(width, float("nan"), "T"),
            "peak_amplitude": FitValue(peak, float("nan"), "m"),
            "peak_force": FitValue(to_force(p, peak), float("nan"), "N"),
        }

    def plot(self, run: RunData, results: dict[str, Any], path: Path) -> Path:
        from sequences.analysis.membrane_plots import plot_force_spectrum

        b, s = self.signal(run)
        curve = None
        if results.get("model") in ("lorentzian", "gaussian") and run.parameters.get("protocol") in (
                "cyclic_saturation",):
            fit = fit_peak(b, s)
            fine = np.linspace(b.min(), b.max(), 600)
            curve = (fine, _peak(fit.model, fine, fit.center, fit.width, fit.height, fit.offset))
        return plot_force_spectrum(b, s, curve, results, path, run.status)


class _Values:
    """Attribute access to a parameter dict (for helpers written against an Experiment)."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)
