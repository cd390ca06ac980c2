"""Continuous-wave ESR field sweep with field modulation and lock-in detection."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator, Mapping

import numpy as np

from drivers.lab import Lab
from drivers.roles.lockin import buffered
from analysis.derivative_lines import fit_derivative, line_problem, robust_noise
from analysis.modulated_fit import fit_modulated, fit_modulation_amplitude
from sequences.experiments.esr_errors import AxisLine, add_axis_error, axis_error, setpoint_lines, sweep_inflation
from sequences.experiments.esr_lag import LAG_RESULTS
from sequences.experiments import esr_continuous as continuous
from sequences.experiments.esr_directions import (DIRECTION_RESULTS, SWEEP_DIRECTIONS, direction_problems,
                                                  direction_results, resolved_direction)
from sequences.result import NOTE, Result
from sequences.experiment import Checkpoint, Column, Experiment, FitValue, Message, Note, Parameter, Point, RunData
from sequences.experiments.esr_lag import LAG_REMEDIES, lag_results, lag_shift


#: Lock-in time constant while parked (long ramps, temperature waits): nothing is recorded then.
#: The line shape measures the modulation field when its relative error is below this ...
BM_MEASURED = 0.03
#: ... and it overrides the coil calibration when it differs by more than 3 sigma and this much.
BM_DISAGREES = 0.02
PARK_TIME_CONSTANT = 0.3


def approach(lab: Lab, field: float, *, from_below: bool = True, overshoot: float = 2e-3) -> None:
    """Ramp to ``field`` arriving in the sweep's direction, with the lock-in parked meanwhile."""
    fc, li = lab.field, lab.lockin
    tc = li.time_constant
    li.time_constant = max(tc, PARK_TIME_CONSTANT)
    before = field - overshoot if from_below else field + overshoot
    reach = fc.field_range  # the lab's limit and what the supply can really do
    if reach.low <= before <= reach.high and (fc.field > before if from_below else fc.field < before):
        fc.ramp_to(before)
    fc.ramp_to(field)
    li.time_constant = tc


class EsrFieldSweep(Experiment):
    name = "esr-sweep"
    title = "cw-ESR field sweep"
    results = (
        Result("scans_averaged", "", "number of scans averaged into the fitted spectrum"),
        Result("model", "", "line shape of the intrinsic fit (lorentzian or gaussian)"),
        Result("resonance_field", "T", "centre of the line"),
        Result("g_factor", "", "g from the resonance field and the set microwave frequency"),
        Result("linewidth_pp", "T", "intrinsic peak-to-peak width (modulation broadening removed)"),
        Result("linewidth_pp_apparent", "T", "peak-to-peak width as recorded (modulation included)"),
        Result("apparent_model", "", "line shape that best fits the recorded derivative"),
        Result("amplitude_pp", "V", "peak-to-peak amplitude of the derivative line"),
        Result("snr", "", "peak-to-peak amplitude over the robust noise"),
        Result("residual_rms", "V", "rms of the fit residual"),
        Result("fit_field", "T", "field axis of the fitted curve"),
        Result("fit_curve", "V", "the fitted derivative line"),
        Result("mod_amplitude_measured", "T", "modulation amplitude the line shape implies at the sample"),
        *LAG_RESULTS, *DIRECTION_RESULTS, NOTE)
    roles = ("rf", "lockin", "field")
    optional_roles = ("gaussmeter", "temperature")
    field_start = Parameter(0.3338, "T", "first field of the sweep", -2.0, 2.0, display_unit="mT", limit="max_field")
    field_stop = Parameter(0.3438, "T", "last field of the sweep", -2.0, 2.0, display_unit="mT", limit="max_field")
    points = Parameter(401, "", "field points per scan", 2, 1_000_000, kind=int)
    direction = Parameter("up", "", "sweep direction; 'alternate' reverses every other scan",
                          choices=("up", "down", "alternate"))
    frequency = Parameter(9.5e9, "Hz", "microwave frequency", 1e6, 300e9, display_unit="GHz")
    power = Parameter(1e-3, "W", "microwave power at the source", 0.0, 10.0, display_unit="mW",
                      limit="max_rf_power")
    mod_frequency = Parameter(100e3, "Hz", "field-modulation frequency (lock-in reference)", 1.0, 102e3,
                              display_unit="kHz")
    mod_amplitude = Parameter(0.03e-3, "T", "field-modulation amplitude (peak); keep <= linewidth/3",
                              0.0, 5e-3, display_unit="mT")
    harmonic = Parameter(1, "", "detection harmonic (1: first derivative, 2: second)", kind=int,
                         choices=(1, 2))
    time_constant = Parameter(10e-3, "s", "lock-in time constant", 1e-5, 100.0, display_unit="ms")
    filter_slope = Parameter(12, "dB/oct", "lock-in filter slope", kind=int, choices=(6, 12, 18, 24))
    sensitivity = Parameter(1e-3, "V", "lock-in full scale", 1e-9, 1.0, display_unit="mV")
    phase = Parameter(0.0, "deg", "lock-in reference phase", -360.0, 360.0)
    settle_tc = Parameter(7.0, "", "wait after each field step, in time constants "
                          "(99 % settling: 5, 7, 9, 10 for 6, 12, 18, 24 dB/oct)", 0.0, 100.0)
    ramp_rate = Parameter(0.01, "T/s", "field ramp rate (capped by the lab limit)", 1e-6, 1.0,
                          display_unit="mT/s")
    scans = Parameter(1, "", "number of scans averaged", 1, 10_000, kind=int)
    lag_correction = Parameter("none", "", "remedy for the lock-in lag of a fast sweep: 'up-down' sweeps each "
                               "scan up then down and averages (cancels the shift, broadens the line); "
                               "'filter-delay' moves the field axis back by the computed filter delay",
                               choices=LAG_REMEDIES)
    acquisition = Parameter("stepped", "", "'stepped': set, settle, read each point; 'continuous': ramp the field "
                            "at ramp_rate while the lock-in samples into its buffer (needs a buffered lock-in; "
                            "field axis from timed Hall readings, filter delay corrected)",
                            choices=continuous.ACQUISITIONS)
    sweep_direction = Parameter("auto", "", "continuous acquisition: 'alternate' ramps up and down on alternate scans "
                                "(averaging them cancels a constant timing offset between lock-in samples and "
                                "Hall readings, which the analysis reports as timing_offset); 'auto': alternate "
                                "with scans >= 2, else up (or as direction when that is set)",
                                choices=SWEEP_DIRECTIONS)

    def check(self) -> list[str]:
        if self.field_start == self.field_stop:
            return [f"field_start and field_stop are both {self.field_start:g} T: nothing to sweep"]
        if self.lag_correction != "none" and (type(self).plan is not EsrFieldSweep.plan
                                              or type(self).analyse is not EsrFieldSweep.analyse):
            return [f"lag_correction = {self.lag_correction!r} is available in esr-sweep, not in {self.name}"]
        if problems := direction_problems(self):
            return problems
        if self.acquisition == "continuous":
            if type(self).plan is not EsrFieldSweep.plan or type(self).analyse is not EsrFieldSweep.analyse:
                return [f"acquisition = 'continuous' is available in esr-sweep, not in {self.name}"]
            if self.lag_correction == "filter-delay":
                return ["lag_correction = 'filter-delay' conflicts with acquisition = 'continuous': the continuous "
                        "sweep always moves its field axis back by the filter delay (rate x n tau); set "
                        "lag_correction = 'none' (or 'up-down' to sweep each scan up and down)"]
            return continuous.problems(self)
        return []

    def check_lab(self, lab: Lab) -> list[str]:
        problems = super().check_lab(lab)
        if self.acquisition == "continuous" and lab.has("lockin") and buffered(lab.lockin) is None:
            problems.append(f"acquisition = 'continuous' needs a lock-in with a data buffer; "
                            f"{type(lab.lockin).__name__} has none")
        if lab.has("lockin"):
            volts = self.mod_amplitude / lab.modulation_t_per_v
            hi = lab.lockin.reference_amplitude_range.high
            if volts > hi:
                problems.append(f"mod_amplitude = {self.mod_amplitude * 1e3:g} mT needs {volts:.3g} V of "
                                f"reference output; the lock-in gives at most {hi:g} V "
                                f"(coil {lab.modulation_t_per_v * 1e3:g} mT/V)")
        return problems

    # --- plan ------------------------------------------------------------------------------
    def fields(self) -> np.ndarray:
        return np.linspace(self.field_start, self.field_stop, self.points)

    def sweeps(self) -> int:
        """Field sweeps recorded: one per scan, two (up, then down) with ``lag_correction=up-down``."""
        return self.scans * (2 if self.lag_correction == "up-down" else 1)

    def sweeps_down(self, sweep: int) -> bool:
        if self.lag_correction == "up-down":
            return sweep % 2 == 1
        direction = resolved_direction(self) if self.acquisition == "continuous" else self.direction
        return direction == "down" or (direction == "alternate" and sweep % 2 == 1)

    def total_points(self) -> int:
        if self.acquisition == "continuous":
            return continuous.expected_points(self)
        return self.points * self.sweeps()

    def step(self) -> float:
        return abs(self.field_stop - self.field_start) / max(1, self.points - 1)

    def settle_time(self) -> float:
        return self.settle_tc * self.time_constant

    def estimated_duration(self) -> float:
        if self.acquisition == "continuous":
            return continuous.estimated_duration(self)
        step = abs(self.field_stop - self.field_start) / max(1, self.points - 1)
        per_point = self.settle_time() + step / self.ramp_rate
        return self.sweeps() * (self.points * per_point + abs(self.field_stop - self.field_start) / self.ramp_rate)

    def columns(self) -> list[Column]:
        return [Column("scan", ""), Column("index", ""), Column("field_set", "T"), Column("field", "T"),
                Column("x", "V"), Column("y", "V"), Column("time", "s"), Column("temperature", "K"),
                Column("overload", "")] + ([Column("hall_field", "T"), Column("hall_time", "s")]
                                           if self.acquisition == "continuous" else [])

    def _setup(self, lab: Lab) -> None:
        li, rf, fc = lab.lockin, lab.rf, lab.field
        li.harmonic = self.harmonic
        li.reference_frequency = self.mod_frequency
        li.time_constant = self.time_constant
        li.filter_slope = self.filter_slope
        li.sensitivity = self.sensitivity
        li.phase = self.phase
        fc.ramp_rate = min(self.ramp_rate, fc.ramp_rate_range.high)  # the lab limit and the supply
        rf.frequency = self.frequency
        rf.power = self.power
        rf.output = True
        li.reference_amplitude = self.mod_amplitude / lab.modulation_t_per_v

    def plan(self, lab: Lab) -> Iterator[Message]:
        if self.acquisition == "continuous":
            yield from continuous.plan_continuous(self, lab)
            return
        self._setup(lab)
        fc, li = lab.field, lab.lockin
        hall = lab.gaussmeter if lab.has("gaussmeter") else None
        temp = lab.temperature if lab.has("temperature") else None
        settle = self.settle_time()
        fields = self.fields()
        for scan in range(self.sweeps()):
            down = self.sweeps_down(scan)
            order = np.arange(self.points)[::-1] if down else np.arange(self.points)
            # Arrive from the sweep's side: the yoke's remanence follows the last ramp direction.
            approach(lab, float(fields[order[0]]), from_below=not down, overshoot=min(2e-3, 20 * self.step()))
            lab.sleep(settle)
            t_now = temp.read_temperature() if temp else float("nan")
            li.is_overloaded()  # clear the latched status of the ramp
            warned = False
            for i in order:
                resumed = yield Checkpoint(f"scan {scan} point {i}")
                if resumed:  # re-issue everything a pause may have disturbed
                    self._setup(lab)
                    fc.ramp_to(float(fields[i]))
                fc.setpoint = float(fields[i])
                fc.wait_until_settled()
                lab.sleep(settle)
                x, y = li.read_xy()
                overload = li.is_overloaded()
                if overload and not warned:
                    warned = True
                    yield Note(f"lock-in overload at {fields[i] * 1e3:.4f} mT in scan {scan}: the reading is "
                               f"clipped; raise the sensitivity (full scale {li.sensitivity:g} V)")
                measured = hall.read_field() if hall else fc.field
                yield Point({"scan": scan, "index": int(i), "field_set": float(fields[i]), "field": measured,
                             "x": x, "y": y, "time": lab.clock.now(), "temperature": t_now,
                             "overload": float(overload)})

    # --- analysis --------------------------------------------------------------------------
    @classmethod
    def axis_lines(cls, run: RunData) -> dict[int, AxisLine]:
        """Per scan, the straight line the field axis comes from: Hall readings against the
        setpoints (stepped) or against time (continuous)."""
        if continuous.is_continuous(cls.settings(run)):
            return continuous.hall_lines(run)
        return setpoint_lines(run)

    @staticmethod
    def calibrated_field(run: RunData, lines: Mapping[int, AxisLine] | None = None) -> np.ndarray:
        """Measured field per point with the probe noise averaged out: per scan, the Hall
        readings regressed on the setpoints (``lines``, default :func:`setpoint_lines`; the
        supply is linear over a sweep, the remanent offset depends on the sweep direction)."""
        lines = setpoint_lines(run) if lines is None else lines
        b_set, scans = run["field_set"], run["scan"].astype(int)
        out = np.array(run["field"], dtype=float)
        for scan, line in lines.items():
            sel = scans == scan
            out[sel] = line(b_set[sel])
        return out

    @classmethod
    def analysis_field(cls, run: RunData, lines: Mapping[int, AxisLine] | None = None) -> np.ndarray:
        """Per point, the field the analysis uses: the calibrated Hall field shifted by the
        lock-in lag (exports write this axis, so a re-fit of the file finds the run's result).
        ``lines``: the run's :meth:`axis_lines`, when the caller has them."""
        if continuous.is_continuous(cls.settings(run)):
            return continuous.continuous_field(run, cls.settings(run), lines)
        return cls.calibrated_field(run, lines) + lag_shift(run, cls.settings(run))

    @classmethod
    def averaged(cls, run: RunData, lines: Mapping[int, AxisLine] | None = None
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Scan-averaged (calibrated field, X, Y) per field index, sorted by field."""
        if continuous.is_continuous(cls.settings(run)):
            return continuous.continuous_average(run, cls.settings(run), lines)
        idx = run["index"].astype(int)
        n = int(idx.max()) + 1
        counts = np.bincount(idx, minlength=n)
        keep = counts > 0
        mean = lambda v: (np.bincount(idx, weights=v, minlength=n)[keep] / counts[keep])  # noqa: E731
        b, x, y = mean(cls.analysis_field(run, lines)), mean(run["x"]), mean(run["y"])
        order = np.argsort(b)
        return b[order], x[order], y[order]

    @classmethod
    def settings(cls, run: RunData) -> dict[str, Any]:
        """The run's parameters, defaults standing in for any an older file lacks."""
        return {**{p.name: p.default for p in cls.parameters}, **run.parameters}

    @staticmethod
    def _check_modulation(b: np.ndarray, x: np.ndarray, fit: Any, bm: float, harmonic: int,
                          out: dict[str, Any], inflation: float = 1.0) -> Any:
        """Measure the modulation field from the line shape where it can be (not small against
        the line): reported as ``mod_amplitude_measured``; when it disagrees with the coil's
        calibration the intrinsic line is the fit with the measured value, and a note says so.
        Returns the line fit to report."""
        try:
            free, bm_fit, bm_err = fit_modulation_amplitude(b, x, fit, bm, harmonic, inflation=inflation)
        except (RuntimeError, ValueError, np.linalg.LinAlgError):
            return fit
        if not (np.isfinite(bm_err) and bm_err < BM_MEASURED * bm_fit):
            return fit
        out["mod_amplitude_measured"] = FitValue(bm_fit, bm_err, "T")
        if abs(bm_fit - bm) <= max(3 * bm_err, BM_DISAGREES * bm):
            return fit
        out["note"] = (f"the line shape gives a modulation field of {bm_fit * 1e6:.4g} uT at the sample, not the "
                       f"{bm * 1e6:.4g} uT of mod_amplitude: the intrinsic line is fitted with the measured value; "
                       f"check the coil calibration ([lab] modulation_coil)")
        return free

    def analyse(self, run: RunData) -> dict[str, Any]:
        settings = self.settings(run)
        lines = self.axis_lines(run)  # the field axis, fitted once
        b, x, _ = self.averaged(run, lines)
        p = run.parameters
        freq = float(p.get("frequency", self.frequency))
        bm = float(p.get("mod_amplitude", self.mod_amplitude))
        harmonic = int(p.get("harmonic", self.harmonic))
        out: dict[str, Any] = {"scans_averaged": int(run["scan"].max()) + 1 if len(run["scan"]) else 0}
        if "overload" in run.columns and np.any(run["overload"] > 0):
            n = int(np.sum(run["overload"] > 0))
            out["warning"] = (f"lock-in overload on {n} points: the line is clipped, no fit reported; "
                              f"raise the sensitivity")
            return out
        noise = robust_noise(x)
        inflation = sweep_inflation(run, settings, len(b))  # the lock-in filter correlates the readings
        # Both apparent shapes once: the better is the apparent line, each starts its modulated fit.
        shapes = ({m: fit_derivative(b, x, m, inflation=inflation) for m in ("lorentzian", "gaussian")}
                  if harmonic == 1 else {})
        apparent = min(shapes.values(), key=lambda f: f.residual_rms) if shapes else None
        # The intrinsic line: refit both shapes with the known modulation, keep the better one.
        if bm > 0 or harmonic != 1:
            fits = [fit_modulated(b, x, bm, m, harmonic, start=shapes.get(m), inflation=inflation)
                    for m in ("lorentzian", "gaussian")]
        else:
            fits = [apparent]
        fit = min(fits, key=lambda f: f.residual_rms)
        problem = line_problem(b, fit, noise)
        if problem:
            out["warning"] = f"no line found: {problem}"
            out["snr"] = FitValue(abs(fit.app) / noise if noise > 0 else float("inf"), float("nan"), "")
            return out
        if bm > 0:
            fit = self._check_modulation(b, x, fit, bm, harmonic, out, inflation)
        g, g_err = fit.g_factor(freq)
        out.update({
            "model": fit.model,
            "resonance_field": FitValue(fit.b0, fit.errors["b0"], "T"),
            "g_factor": FitValue(g, g_err, ""),
            "linewidth_pp": FitValue(fit.dbpp, fit.errors["dbpp"], "T"),
        })
        if apparent is not None:
            out["linewidth_pp_apparent"] = FitValue(apparent.dbpp, apparent.errors["dbpp"], "T")
            out["apparent_model"] = apparent.model
        out.update({
            "amplitude_pp": FitValue(abs(fit.app), fit.errors["app"], "V"),
            "snr": FitValue(abs(fit.app) / noise if noise > 0 else float("inf"), float("nan"), ""),
            "residual_rms": FitValue(fit.residual_rms, float("nan"), "V"),
            "fit_field": b,
            "fit_curve": fit.curve,
        })
        if continuous.is_continuous(settings):  # field axis from timed Hall readings
            add_axis_error(out, continuous.field_axis_error(lines, settings, fit.b0))
            out.update(continuous.continuous_lag_results(lines, settings, fit.dbpp))
            out.update(direction_results(run, settings, lines, fit, bm, harmonic, inflation))
        else:
            add_axis_error(out, axis_error(lines, lambda line: fit.b0))
            out.update(lag_results(run, settings, fit.dbpp))
        return out

    def plot(self, run: RunData, results: dict[str, Any], path: Path) -> Path:
        from analysis.plotting import plot_esr_spectrum

        return plot_esr_spectrum(run, results, path, self.averaged(run))
