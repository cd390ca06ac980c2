"""Shared machinery of the multi-trace ESR/FMR experiments (maps, series, rotations).

A trace is one :class:`EsrFieldSweep` run inside the outer loop: its plan is relayed (pauses,
resumes and aborts pass straight through) with the outer variables added to every point.
Before each trace the field is brought to the start from below (hysteresis-aware: the iron
yoke's remanence follows the last ramp direction, so every point of an up-sweep must share the
same history), with the lock-in parked on a long time constant during the long ramp.
"""
from __future__ import annotations

from typing import Any, Callable, ClassVar, Iterator

import numpy as np

from drivers.lab import Lab
from analysis.line_profiles import MODELS, LineResult, fit_significant_line
from sequences.experiment import Column, Experiment, Message, Note, Parameter, Point, RunData
from sequences.result import Result
from sequences.experiments.esr_sweep import PARK_TIME_CONSTANT, EsrFieldSweep, approach
from analysis.correlated_noise import reading_inflation
from analysis.lockin_lag import poles

#: Detection settings every trace shares, taken from the basic sweep (same names, same checks).
SWEEP_SETTINGS = ("mod_frequency", "mod_amplitude", "harmonic", "time_constant", "filter_slope", "sensitivity",
                  "phase", "settle_tc", "ramp_rate")


def relay(plan: Iterator[Message], extra: Callable[[dict[str, Any]], dict[str, Any]],
          rows: list[dict[str, Any]] | None = None) -> Iterator[Message]:
    """Run a sub-plan, adding ``extra(point)`` to each point; the engine's replies pass through."""
    reply = None
    while True:
        try:
            msg = plan.send(reply)
        except StopIteration:
            return
        if type(msg) is Point:
            msg = Point({**msg.data, **extra(msg.data)})
            if rows is not None:
                rows.append(msg.data)
        reply = yield msg


class TraceSeries(Experiment):
    """Base of experiments made of field sweeps; subclasses define the outer loop."""

    roles = ("rf", "lockin", "field")
    optional_roles = ("gaussmeter", "temperature")
    #: Extra per-point columns the outer loop adds (besides ``trace``).
    outer_columns: ClassVar[tuple[Column, ...]] = ()
    # The per-trace settings (declared after a subclass's own parameters in listings and forms).
    points = EsrFieldSweep.points.replace(default=201)
    mod_frequency = EsrFieldSweep.mod_frequency
    mod_amplitude = EsrFieldSweep.mod_amplitude
    harmonic = EsrFieldSweep.harmonic
    time_constant = EsrFieldSweep.time_constant
    filter_slope = EsrFieldSweep.filter_slope
    sensitivity = EsrFieldSweep.sensitivity
    phase = EsrFieldSweep.phase
    settle_tc = EsrFieldSweep.settle_tc
    ramp_rate = EsrFieldSweep.ramp_rate
    lineshape = Parameter("lorentzian", "", "line model for each trace (dispersive: with dispersion "
                          "admixture; voigt: pseudo-Voigt)", choices=(*MODELS, "auto"))

    def make_sweep(self, field_start: float, field_stop: float, frequency: float, power: float,
                   direction: str = "up") -> EsrFieldSweep:
        """The sweep for one trace (validated like any sweep: bad settings fail here)."""
        settings = {n: self.values[n] for n in SWEEP_SETTINGS + ("points",)}
        return EsrFieldSweep(field_start=field_start, field_stop=field_stop, frequency=frequency, power=power,
                             direction=direction, scans=1, **settings)

    def columns(self) -> list[Column]:
        base = EsrFieldSweep(field_start=0.1, field_stop=0.2, points=2).columns()
        return base + [Column("trace", ""), *self.outer_columns]

    def check_sweep_settings(self, lab: Lab) -> list[str]:
        probe = self.make_sweep(0.1, 0.2, 9.5e9, 0.0)
        return [p for p in probe.check_lab(lab) if "field_" not in p and "power" not in p]

    def trace(self, lab: Lab, index: int, field_start: float, field_stop: float, frequency: float, power: float,
              outer: dict[str, Any], rows: list[dict[str, Any]] | None = None,
              per_point: Callable[[], dict[str, Any]] | None = None, direction: str = "up") -> Iterator[Message]:
        """Measure one trace between ``field_start`` and ``field_stop``, sweeping ``direction``."""
        sweep = self.make_sweep(field_start, field_stop, frequency, power, direction)
        yield Note(f"trace {index}: {frequency / 1e9:.4g} GHz, {field_start * 1e3:.3f} .. "
                   f"{field_stop * 1e3:.3f} mT {direction}" + "".join(f", {k} = {v:.5g}" for k, v in outer.items()))
        up = direction == "up"
        approach(lab, field_start if up else field_stop, from_below=up)
        fixed = {"trace": index, **outer}
        yield from relay(sweep.plan(lab), (lambda d: {**fixed, **per_point()}) if per_point else (lambda d: fixed),
                         rows)

    def finish(self, lab: Lab) -> None:
        """Park the lock-in so the engine's ramp to zero field is cheap to simulate (and quiet)."""
        try:
            lab.lockin.time_constant = max(lab.lockin.time_constant, PARK_TIME_CONSTANT)
        except Exception:
            pass

    # --- analysis helpers -------------------------------------------------------------------
    @staticmethod
    def trace_groups(run: RunData) -> list[np.ndarray]:
        """Row indices of each trace, sorted by measured field."""
        if len(run["trace"]) == 0:
            return []
        trace = run["trace"].astype(int)
        groups = []
        for t in np.unique(trace):
            idx = np.flatnonzero(trace == t)
            groups.append(idx[np.argsort(run["field"][idx])])
        return groups

    @staticmethod
    def trace_field(run: RunData, idx: np.ndarray) -> np.ndarray:
        """Measured field of one trace with the probe noise averaged out: the readings regressed
        on the setpoints (the supply is linear and the remanence fixed within one sweep)."""
        b_set, b = run["field_set"][idx], run["field"][idx]
        if len(idx) >= 3 and np.ptp(b_set) > 0:
            return np.polyval(np.polyfit(b_set, b, 1), b_set)
        return b

    @classmethod
    def analysis_field(cls, run: RunData) -> np.ndarray:
        """Per point, the field the per-trace fits use (:meth:`trace_field` of each trace):
        exports write this axis, so a re-fit of the file finds the run's result."""
        out = np.array(run["field"], dtype=float)
        trace = run["trace"].astype(int)
        for t in np.unique(trace):
            idx = np.flatnonzero(trace == t)
            out[idx] = cls.trace_field(run, idx)
        return out

    def fit_trace(self, run: RunData, idx: np.ndarray) -> tuple[LineResult | None, str]:
        """Fit one trace with the chosen line model and the known modulation, and test the line
        (see :func:`fit_significant_line`): (fit, '') or (None, why no line was found)."""
        p = run.parameters
        model = p.get("lineshape", self.lineshape)
        bm = float(p.get("mod_amplitude", self.mod_amplitude))
        times = run["time"][idx] if "time" in run.columns else None  # lock-in correlation of the readings
        inflation = reading_inflation(len(idx), float(p.get("time_constant", self.time_constant)),
                                      poles(p.get("filter_slope", self.filter_slope)), times=times)
        return fit_significant_line(self.trace_field(run, idx), run["x"][idx], model, bm=bm,
                                    harmonic=int(p.get("harmonic", 1)), inflation=inflation)

    def fit_traces(self, run: RunData, groups: list[np.ndarray]) -> tuple[list[LineResult | None], list[str]]:
        """Per-trace fits (None where no line was found) and the reasons ('' where one was)."""
        pairs = [self.fit_trace(run, idx) for idx in groups]
        return [f for f, _ in pairs], [why for _, why in pairs]

    def line_centre(self, rows: list[dict[str, Any]]) -> float | None:
        """Centre of a significant line in a just-measured trace (for tracking), else None."""
        if len(rows) < 8:
            return None
        b = np.array([r["field"] for r in rows])
        order = np.argsort(b)
        model = "lorentzian" if self.lineshape == "auto" else self.lineshape
        fit, _ = fit_significant_line(b[order], np.array([r["x"] for r in rows])[order], model,
                                      bm=self.mod_amplitude, harmonic=self.harmonic)
        return None if fit is None else fit.b0


def no_line_warning(labels: list[str], problems: list[str]) -> str | None:
    """One 'no line found' warning for the results naming each trace without a line, or None."""
    missing = [f"{label}: {why}" for label, why in zip(labels, problems) if why]
    if not missing:
        return None
    head = "no line found in any trace" if len(missing) == len(labels) else \
        f"no line found in {len(missing)} of {len(labels)} traces (left out of the fits)"
    return head + " — " + "; ".join(missing)


#: The per-trace lists :func:`line_table` returns (NaN where a trace has no line).
LINE_TABLE_RESULTS = (
    Result("resonance_field", "T", "line centre of each trace"),
    Result("resonance_field_error", "T", "its standard error"),
    Result("fwhm", "T", "full width at half maximum of each trace's line"), Result("fwhm_error", "T", "its standard error"),
    Result("dbpp", "T", "peak-to-peak derivative width of each trace's line"),
    Result("area", "", "double-integrated intensity of each trace's line"), Result("area_error", "", "its standard error"),
    Result("snr", "", "signal-to-noise ratio of each trace's line"),
    Result("phase", "rad", "dispersion admixture angle fitted to each trace"))


def line_table(fits: list[LineResult | None]) -> dict[str, list[float]]:
    """Per-trace resonance field, widths, area and SNR as plain lists (NaN where no line was found)."""
    nan = float("nan")
    return {
        "resonance_field": [f.b0 if f else nan for f in fits],
        "resonance_field_error": [f.errors["b0"] if f else nan for f in fits],
        "fwhm": [f.fwhm if f else nan for f in fits],
        "fwhm_error": [f.errors["fwhm"] if f else nan for f in fits],
        "dbpp": [f.dbpp if f else nan for f in fits],
        "area": [f.area if f else nan for f in fits],
        "area_error": [f.errors["area"] if f else nan for f in fits],
        "snr": [f.snr if f else nan for f in fits],
        "phase": [f.phase if f else nan for f in fits],
    }
