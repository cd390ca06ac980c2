"""Shared machinery of pulsed experiments: sequence per point, validation, acquisition.

A pulsed experiment sweeps one sequence parameter (``tau``, ``t_rec``, ``tp``) or runs one
shot train. Before anything is sent, every point's sequence is resolved, validated on the lab's
target (:meth:`Constraints.from_lab`) and compiled; one invalid point stops the run with every
violation listed. The plan then loads each program into ``lab.pulser``, arms
``lab.digitizer``, starts, fetches the records and combines them with the phase cycle's
receiver phases (records come in order average > cycle step > acquisition).
"""
from __future__ import annotations

from typing import Any, ClassVar, Iterator

import numpy as np

from drivers.lab import Lab
from drivers.pulse_duty import program_seconds
from drivers.pulse_program import PulseProgram
from sequences.experiment import Checkpoint, Experiment, Message, Parameter, Point
from sequences.pulse import Constraints, SequenceError, get_sequence, resolve
from sequences.pulse.errors import Violation
from sequences.pulse.library import CYCLES
from sequences.pulse.model import ADC, RF, Sequence
from sequences.pulse.pulseblaster_compiler import plan_program
from sequences.pulse.timeline import TimedEvent
from sequences.pulse.validate import check

#: Shortest pulse length a parameter accepts (s): a zero-length pulse is no pulse at all, and
#: the validator's min-instruction rule then checks the target's own limit (10 ns here).
MIN_PULSE = 1e-9

#: 9.5 GHz resonance of a g = 2.0023 line: h f / (g muB).
X_BAND_FIELD = 0.3389837

def sweep_parameters(start: float, stop: float, points: int, spacing: str, doc: str, low: float = 0.0
                     ) -> tuple[Parameter[float], Parameter[float], Parameter[int], Parameter[str]]:
    """The swept time's first and last value, ``points`` and ``spacing``, to unpack into a class:
    ``tau_start, tau_stop, points, spacing = sweep_parameters(...)`` (``low`` > 0 for pulse lengths)."""
    return (Parameter(start, "s", f"first {doc}", low, 100.0, display_unit="us"),
            Parameter(stop, "s", f"last {doc}", low, 100.0, display_unit="us"),
            Parameter(points, "", "points in the sweep", 2, 100_000, kind=int),
            Parameter(spacing, "", "linear or logarithmic steps", choices=("linear", "log")))


def compile_points(seq: Sequence, c: Constraints, values: list[dict[str, float]], who: str) -> list[PulseProgram]:
    """One validated, compiled program per point's parameter values; every error of every point
    (each once) in one SequenceError before anything is sent."""
    programs, errors = [], []
    for vals in values:
        resolved = resolve(seq, c.clock_hz, vals)
        problems = [v for v in check(resolved, c) if v.severity == "error"]
        if problems:
            errors.extend(problems)
            continue
        program, _ = plan_program(resolved, c)
        programs.append(program)
    if errors:
        raise SequenceError(list(dict.fromkeys(errors)), f"{who}: sequence {seq.name!r}")
    return programs


def compiled_duration(compiled: tuple[Any, list[PulseProgram]] | None) -> float:
    """Seconds the pulser runs these compiled programs, loops and averages included, exactly
    (``drivers.pulse_duty.program_seconds``); NaN before they are compiled for a lab."""
    if compiled is None:
        return float("nan")
    return float(sum(program_seconds(p) for p in compiled[1]))


def program_problems(experiment: Any, lab: Lab) -> list[str]:
    """Every sequence rule the experiment's programs break on ``lab`` (none when a role is missing:
    that is reported already)."""
    if not all(lab.has(r) for r in experiment.roles):
        return []
    try:
        experiment.programs(lab)
    except SequenceError as exc:
        return [str(v) for v in exc.violations]
    return []


class LibrarySequence:
    """The sequence values of an experiment that runs one library sequence: the experiment's
    parameters named in ``passthrough`` (where the sequence has them), the subclass's
    ``extra_values`` and the swept one (used by the pulsed ESR and the NV experiments)."""

    sequence_name: ClassVar[str] = ""
    sweep: ClassVar[str | None] = None
    passthrough: ClassVar[tuple[str, ...]] = ()
    values: dict[str, Any]

    def sequence_values(self, x: float) -> dict[str, float]:
        seq = get_sequence(self.sequence_name)
        vals = {k: self.values[k] for k in self.passthrough if k in seq.parameters}
        vals.update(self.extra_values())
        if self.sweep is not None:
            vals[self.sweep] = float(x)
        return vals

    def extra_values(self) -> dict[str, float]:
        return {}


class PulsedExperiment(LibrarySequence, Experiment):
    roles = ("pulser", "digitizer", "rf")
    optional_roles = ("field",)
    #: Library sequence and the sequence parameter swept (None: a single point).
    sequence_name: ClassVar[str] = ""
    sweep: ClassVar[str | None] = None
    #: Experiment parameters copied into the sequence when it has them.
    passthrough: ClassVar[tuple[str, ...]] = ("p90", "p180", "dead_time", "acq_time", "rep_delay")

    frequency = Parameter(9.5e9, "Hz", "microwave carrier", 1e6, 300e9, display_unit="GHz")
    power = Parameter(0.0625, "W", "source power (B1 grows as sqrt(P))", 0.0, 10.0, display_unit="mW",
                      limit="max_rf_power")
    field = Parameter(X_BAND_FIELD, "T", "static field set first; 0 leaves the magnet alone (ignored without a "
                      "field controller)", -2.0, 2.0, display_unit="mT", limit="max_field")
    p90 = Parameter(20e-9, "s", "pi/2 pulse length (> 0)", MIN_PULSE, 1e-3, display_unit="ns")
    p180 = Parameter(40e-9, "s", "pi pulse length (> 0)", MIN_PULSE, 1e-3, display_unit="ns")
    dead_time = Parameter(80e-9, "s", "pulse end to acquisition start (>= ring-down)", 0.0, 1.0, display_unit="ns")
    acq_time = Parameter(512e-9, "s", "acquisition window per record", 1e-9, 1.0, display_unit="ns")
    sample_rate = Parameter(250e6, "Hz", "digitizer sample rate", 1e3, 1e9, display_unit="MHz")
    rep_delay = Parameter(200e-6, "s", "delay ending each shot (>= 5 T1)", 0.0, 100.0, display_unit="us")
    averages = Parameter(1, "", "passes over the phase cycle (hardware loop)", 1, 2**20, kind=int)
    phase_cycle = Parameter("default", "", "phase cycle: the sequence's own (default), none, cyclops, two-step, "
                            "or full (own x cyclops)", choices=tuple(CYCLES))
    gamma = Parameter(28.0249514e9, "Hz/T", "gyromagnetic ratio / 2 pi, to convert nutation to B1 "
                      "(1H: 42.577478e6)", 1.0, 1e12)

    def __init__(self, **values: Any):
        self._compiled: tuple[Any, list[PulseProgram]] | None = None
        super().__init__(**values)

    # --- sequence per point ---------------------------------------------------------------------
    def sweep_values(self) -> np.ndarray:
        if self.sweep is None:
            return np.array([np.nan])
        a, b = self.values[f"{self.sweep}_start"], self.values[f"{self.sweep}_stop"]
        if self.values.get("spacing") == "log":
            return np.geomspace(a, b, self.points)
        return np.linspace(a, b, self.points)

    def sequence(self) -> Sequence:
        seq = get_sequence(self.sequence_name)
        cycle = CYCLES[self.phase_cycle](seq)
        return seq.with_cycle(cycle, self.averages)

    def total_points(self) -> int:
        return 1 if self.sweep is None else self.points

    def estimated_duration(self) -> float:
        """Seconds the pulser runs the compiled programs (every point, loops and averages included,
        exactly); field ramp and transfers come on top. NaN until the programs have been compiled
        for a lab (``check_lab``/``programs``): the length depends on the target's clock."""
        return compiled_duration(self._compiled)

    def record_length(self) -> int:
        return max(1, int(round(self.acq_time * self.sample_rate)))

    def check(self) -> list[str]:
        problems = []
        if self.acq_time * self.sample_rate < 2:
            problems.append(f"acq_time = {self.acq_time:g} s at sample_rate = {self.sample_rate:g} Hz gives fewer "
                            f"than 2 samples per record")
        if self.sweep is not None:
            a, b = self.values[f"{self.sweep}_start"], self.values[f"{self.sweep}_stop"]
            if a == b:
                problems.append(f"{self.sweep}_start and {self.sweep}_stop are both {a:g} s: nothing to sweep")
            if self.values.get("spacing") == "log" and min(a, b) <= 0:
                problems.append(f"log spacing needs {self.sweep}_start and {self.sweep}_stop > 0")
        return problems

    # --- validation before anything is sent -----------------------------------------------------
    def violations(self, constraints: Constraints) -> list[tuple[float, Violation]]:
        seq = self.sequence()
        found: list[tuple[float, Violation]] = []
        for x in self.sweep_values():
            for v in check(resolve(seq, constraints.clock_hz, self.sequence_values(x)), constraints):
                if v.severity == "error":
                    found.append((float(x), v))
        return found

    def programs(self, lab: Lab) -> list[PulseProgram]:
        """Validated, compiled programs for every point (cached per lab target)."""
        c = Constraints.from_lab(lab)
        if self._compiled is not None and self._compiled[0] == c:
            return self._compiled[1]
        seq = self.sequence()
        programs = compile_points(seq, c, [self.sequence_values(x) for x in self.sweep_values()], self.name)
        for program in programs:
            program.metadata["sequence_json"] = seq.to_json(indent=None)
        self._compiled = (c, programs)
        return programs

    def check_lab(self, lab: Lab) -> list[str]:
        return super().check_lab(lab) + program_problems(self, lab)

    # --- running --------------------------------------------------------------------------------
    def setup(self, lab: Lab) -> None:
        if self.field and lab.has("field"):
            lab.field.ramp_to(self.field)
        rf = lab.rf
        rf.frequency = self.frequency
        rf.power = self.power
        rf.output = True
        lab.digitizer.sample_rate = self.sample_rate
        lab.digitizer.record_length = self.record_length()

    def acquire(self, lab: Lab, program: PulseProgram) -> np.ndarray:
        """Run one program; returns the phase-cycled, averaged records, shape (acquisitions, samples)."""
        pulser, dig = lab.pulser, lab.digitizer
        pulser.load(program)
        dig.arm()
        pulser.start()
        records = np.asarray(dig.fetch())
        meta = program.metadata
        rx = np.deg2rad(np.asarray(meta["receiver_phases"], float))
        per_shot = meta["acquisitions_per_shot"][0]
        expected = meta["averages"] * len(rx) * per_shot
        if records.shape[0] != expected:
            raise RuntimeError(f"digitizer returned {records.shape[0]} records; the program makes {expected} "
                               f"({meta['averages']} averages x {len(rx)} cycle steps x {per_shot} per shot)")
        shaped = records.reshape(meta["averages"], len(rx), per_shot, records.shape[-1])
        return (shaped * np.exp(-1j * rx)[None, :, None, None]).mean(axis=(0, 1))

    def plan(self, lab: Lab) -> Iterator[Message]:
        programs = self.programs(lab)  # raises before any instrument is touched
        self.setup(lab)
        for i, (x, program) in enumerate(zip(self.sweep_values(), programs)):
            resumed = yield Checkpoint(f"point {i}")
            if resumed:
                self.setup(lab)
            data = self.acquire(lab, program)
            yield Point(self.point(float(x), data, program))
        lab.rf.output = False

    def point(self, x: float, data: np.ndarray, program: PulseProgram) -> dict[str, Any]:
        raise NotImplementedError

    # --- timing helpers -------------------------------------------------------------------------
    def timing(self, x: float) -> tuple[list[TimedEvent], float]:
        """The first shot's channel events for sweep value x, and the clock (ticks/s) they use."""
        c = self._compiled[0] if self._compiled else Constraints()
        resolved = resolve(get_sequence(self.sequence_name), c.clock_hz, self.sequence_values(x))
        stop = resolved.shots[0].stop
        return [e for e in resolved.flatten(1).events if e.start < stop], float(resolved.clock_hz)

    def acquisition_starts(self, x: float, pulse: int = 0, at: str = "centre") -> np.ndarray:
        """Start of each acquisition (s) after the ``at`` ('centre' or 'end') of RF pulse ``pulse``."""
        events, clock = self.timing(x)
        p = [e for e in events if e.channel == RF][pulse]
        ref = (p.start + p.stop) / 2 if at == "centre" else p.stop
        return np.array([(e.start - ref) / clock for e in events if e.channel == ADC])

    def metadata(self) -> dict[str, Any]:
        xs = self.sweep_values()
        seq = self.sequence().with_values(**self.sequence_values(float(xs[0])))  # as run at the first point
        out: dict[str, Any] = {"sequence": seq.to_dict(), "sequence_text": seq.to_text(),
                               "sweep": self.sweep, "sweep_values": [] if self.sweep is None else xs.tolist()}
        if self._compiled is not None:
            c, programs = self._compiled
            out["target"] = {"clock_hz": c.clock_hz, "min_instruction_ticks": c.min_instruction_ticks,
                             "ringdown_time": c.ringdown_time, "rf_dead_time": c.rf_dead_time}
            out["programs"] = [p.to_dict() for p in (programs[:1] + programs[-1:] if len(programs) > 1 else programs)]
            out["program_listing"] = programs[0].listing() if programs else ""
        return out
