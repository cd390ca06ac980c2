"""Force-detected ESR: sweep the field while the spin magnetisation is modulated at the membrane
frequency; the membrane's amplitude at f_m, read by the lock-in, is the spectrum."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import numpy as np

from drivers.lab import Lab
from analysis.constants import H, MU_B
from analysis.modulated_fit import fit_modulated
from analysis.mrfm import (_peak, fit_peak, half_maximum, line_window_problem, principal_projection,
                                    quadrature_noise, zero_crossing)
from sequences.result import NOTE, WARNING, Result
from sequences.experiment import Checkpoint, Column, FitValue, Message, Parameter, Point, RunData
from sequences.experiments.membrane_readout import as_complex, membrane_lab_problems, prepare_readout
from sequences.experiments.mrfm_protocols import (MrfmExperiment, protocol_problems, resonance_field,
                                               start_protocol, stop_protocol, sweep_amplitude, to_force)

_FWHM_PER_DBPP = {"lorentzian": 3**0.5, "gaussian": (2 * np.log(2)) ** 0.5}


class ForceDetectedEsr(MrfmExperiment):
    name = "mrfm-esr"
    title = "force-detected ESR field sweep"
    results = (
        Result("model", "", "how the line was located (fit model, half maximum or zero crossing)"),
        Result("resonance_field", "T", "centre of the line"),
        Result("g_factor", "", "g from the resonance field and the set microwave frequency"),
        Result("linewidth_fwhm", "T", "full width at half maximum"),
        Result("peak_amplitude", "m", "largest cantilever displacement"),
        Result("snr", "", "peak amplitude over the noise"),
        Result("peak_force", "N", "k x / Q at the peak (needs spring_constant and quality_factor)"),
        WARNING, NOTE)
    roles = ("displacement", "rf", "field")
    optional_roles = ("gaussmeter", "temperature")
        # Defaults contain the default simulated sample's spectrum: a 2 um film in 2e4 T/m spans
        # 40 mT around 339 mT (at 9.5 GHz), plus the line's own width.
    field_start = Parameter(0.305, "T", "first field", -2.0, 2.0, display_unit="mT", limit="max_field")
    field_stop = Parameter(0.373, "T", "last field", -2.0, 2.0, display_unit="mT", limit="max_field")
    points = Parameter(69, "", "field points", 5, 100_000, kind=int)

    def check(self) -> list[str]:
        if self.field_start == self.field_stop:
            return [f"field_start and field_stop are both {self.field_start:g} T: nothing to sweep"]
        return []

    def check_lab(self, lab: Lab) -> list[str]:
        problems = membrane_lab_problems(lab, (self.membrane_frequency,), ("rf", "field"))
        return problems + self.limit_problems(lab) + protocol_problems(self, lab)

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
    def signal(run: RunData) -> tuple[np.ndarray, np.ndarray, float]:
        """(field, principal-axis signal, noise per point), sorted by field."""
        b = np.asarray(run["field"], float)
        z = as_complex(run["x"], run["y"])
        s, _ = principal_projection(z)
        order = np.argsort(b)
        return b[order], s[order], quadrature_noise(z)

    def analyse(self, run: RunData) -> dict[str, Any]:
        p = {**self.values, **run.parameters}
        b, s, noise = self.signal(run)
        peak = float(np.max(np.abs(s)))
        out: dict[str, Any] = {}
        notes: list[str] = []
        problem = line_window_problem(b, s, noise)
        if problem:
            where = f"spins with g = {p['g_factor']:g} resonate at {resonance_field(self.from_parameters(p)) * 1e3:.4f} mT"
            advice = (f"check that the window covers where {where}, and the power and the modulation"
                      if "noise" in problem else f"widen the window around the line ({where})")
            out["warning"] = f"no resonance field, g or linewidth reported: {problem}; {advice}"
        else:
            try:
                out.update(self._line(b, s, noise, p))
                if "note" in out:
                    notes.append(out.pop("note"))
            except (ValueError, RuntimeError) as exc:  # no zero crossing / half maximum; fit did not converge
                out["warning"] = f"no resonance field, g or linewidth reported: {exc}"
        out["peak_amplitude"] = FitValue(peak, noise, "m")
        out["snr"] = FitValue(peak / noise if noise > 0 else float("inf"), float("nan"), "")
        force = to_force(p, peak)
        if force is not None:
            out["peak_force"] = FitValue(force, force * noise / peak if peak > 0 else float("nan"), "N")
        else:
            notes.append("peak_force = k x / Q needs spring_constant and quality_factor (both from membrane-psd), "
                         "e.g. --set spring_constant=5924 --set quality_factor=1e6")
        if notes:
            out["note"] = "; ".join(notes)
        return out

    @classmethod
    def _line(cls, b: np.ndarray, s: np.ndarray, noise: float, p: dict[str, Any]) -> dict[str, Any]:
        """Centre and width of a contained line; a model is believed only when its residual is
        at the noise (else: half-maximum crossings, or the zero crossing for odd shapes)."""
        protocol, span = p["protocol"], float(np.ptp(b))

        def believable(center: float, width: float, err: float, rms: float) -> bool:
            return (b[0] <= center <= b[-1] and 0 < width < span and np.isfinite(err)
                    and rms <= 2 * noise)

        out: dict[str, Any] = {}
        if protocol in ("field_modulation", "frequency_modulation"):
            sweep = sweep_amplitude(cls.from_parameters(p))
            fits = [fit_modulated(b, s, sweep, m) for m in ("lorentzian", "gaussian")]
            fit = min(fits, key=lambda f: f.residual_rms)
            factor = _FWHM_PER_DBPP[fit.model]
            if believable(fit.b0, fit.dbpp * factor, fit.errors["b0"], fit.residual_rms):
                out.update(model=fit.model, b0=(fit.b0, fit.errors["b0"]),
                           width=(fit.dbpp * factor, fit.errors["dbpp"] * factor))
            else:
                out.update(model="zero crossing", b0=zero_crossing(b, s),
                           note=f"no modulated Lorentzian or Gaussian fits (residual "
                                f"{fit.residual_rms / noise:.1f} x the noise): no linewidth")
        elif protocol == "cyclic_adiabatic_inversion":
            out.update(model="zero crossing", b0=zero_crossing(b, s))
        else:
            fit = fit_peak(b, s)
            if believable(fit.center, fit.width, fit.errors["center"], fit.residual_rms):
                out.update(model=fit.model, b0=(fit.center, fit.errors["center"]),
                           width=(fit.width, fit.errors["width"]))
            else:
                c, c_err, w, w_err = half_maximum(b, s, noise)
                out.update(model="half maximum", b0=(c, c_err), width=(w, w_err),
                           note=f"no Lorentzian or Gaussian fits (residual {fit.residual_rms / noise:.1f} x the "
                                f"noise; a film thicker than a slice shows its profile): centre and FWHM from the "
                                f"half-maximum crossings")
        b0, b0_err = out.pop("b0")
        g = H * float(p["mw_frequency"]) / (MU_B * b0)
        result: dict[str, Any] = {"model": out.pop("model"), "resonance_field": FitValue(b0, b0_err, "T"),
                                  "g_factor": FitValue(g, g * b0_err / b0, "")}
        if "width" in out:
            result["linewidth_fwhm"] = FitValue(*out.pop("width"), "T")
        result.update(out)
        return result

    def plot(self, run: RunData, results: dict[str, Any], path: Path) -> Path:
        from analysis.membrane_plots import plot_force_spectrum

        b, s, _ = self.signal(run)
        curve = None
        if results.get("model") in ("lorentzian", "gaussian") and run.parameters.get("protocol") == "cyclic_saturation":
            fit = fit_peak(b, s)
            fine = np.linspace(b.min(), b.max(), 600)
            curve = (fine, _peak(fit.model, fine, fit.center, fit.width, fit.height, fit.offset))
        return plot_force_spectrum(b, s, curve, results, path, run.status)
