"""Shared machinery of pulsed NV experiments: program per point, counting, normalised contrast.

Each point's sequence (from the NV library, sequences/pulse/nv_library.py) is resolved,
validated on the lab's target and compiled before anything is sent; the plan then loads it,
arms the photon counter, starts the pulser and sums the two gate windows of every shot:
``signal`` (start of the readout laser pulse) and ``reference`` (its end, spin polarised).
The normalised contrast ``ratio = signal / reference`` cancels laser-power and collection drift.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Iterator

import numpy as np

from drivers.lab import Lab
from drivers.pulse_program import PulseProgram
from sequences.experiment import Checkpoint, Column, Experiment, Message, Parameter, Point, RunData
from sequences.experiments.pulsed_experiment import (MIN_PULSE, LibrarySequence, compile_points, compiled_duration,
                                                     program_problems)
from sequences.pulse import Constraints, Sequence, get_sequence

#: Gate windows per shot: signal then reference.
WINDOWS = 2


def nv_sweep(start: float, stop: float, points: int, doc: str, low: float = 0.0, display_unit: str = "ns"
             ) -> tuple[Parameter[float], Parameter[float], Parameter[int]]:
    """The swept time's first and last value and ``points``, to unpack into a class."""
    return (Parameter(start, "s", f"first {doc}", low, 1.0, display_unit=display_unit),
            Parameter(stop, "s", f"last {doc}", low, 1.0, display_unit=display_unit),
            Parameter(points, "", "points in the sweep", 2, 100_000, kind=int))


class NvPulsedExperiment(LibrarySequence, Experiment):
    roles = ("pulser", "counter", "laser", "rf")
    optional_roles = ("field",)
    sequence_name: ClassVar[str] = ""
    sweep: ClassVar[str | None] = None
    passthrough: ClassVar[tuple[str, ...]] = ("p90", "p180", "t_laser", "t_count", "t_gap", "t_wait")

    frequency = Parameter(2.87e9, "Hz", "microwave frequency (on the line driven)", 1e6, 50e9, display_unit="GHz")
    power = Parameter(0.25, "W", "microwave power (Rabi frequency grows as sqrt(P))", 0.0, 10.0, display_unit="mW",
                      limit="max_rf_power")
    field = Parameter(0.0, "T", "static field set first; 0 leaves the magnet alone", -2.0, 2.0, display_unit="mT",
                      limit="max_field")
    laser_power = Parameter(0.01, "W", "laser power at the AOM", 0.0, 10.0, display_unit="mW")
    p90 = Parameter(12e-9, "s", "pi/2 pulse (from a Rabi measurement)", MIN_PULSE, 1e-3, display_unit="ns")
    p180 = Parameter(24e-9, "s", "pi pulse", MIN_PULSE, 1e-3, display_unit="ns")
    t_laser = Parameter(3e-6, "s", "readout/initialisation laser pulse", 100e-9, 1e-3, display_unit="us")
    t_count = Parameter(300e-9, "s", "each counter window (signal at the laser's start, reference at its end)",
                        10e-9, 1e-3, display_unit="ns")
    t_gap = Parameter(500e-9, "s", "last microwave pulse to the readout light (> the laser's rise delay)", 10e-9, 1e-3, display_unit="ns")
    t_wait = Parameter(1e-6, "s", "after the laser, before the next shot (singlet decay)", 10e-9, 1e-3,
                       display_unit="us")
    averages = Parameter(20000, "", "shots per point (hardware loop)", 1, 2**20, kind=int)
    nitrogen = Parameter("14N", "", "nitrogen isotope of the NV (hyperfine lines)", choices=("14N", "15N", "none"))

    def __init__(self, **values: Any):
        self._compiled: tuple[Any, list[PulseProgram]] | None = None
        self._clock_hz = Constraints().clock_hz
        super().__init__(**values)

    #: Swept times are rounded to this many clock ticks (0: not rounded), so loop bodies that hold
    #: tau/2 on each side of a pulse stay whole ticks; repeated values after rounding are dropped.
    sweep_ticks: ClassVar[int] = 0

    def sweep_values(self) -> np.ndarray:
        if self.sweep is None:
            return np.array([np.nan])
        x = np.linspace(self.values[f"{self.sweep}_start"], self.values[f"{self.sweep}_stop"], self.points)
        if self.sweep_ticks:
            q = self.sweep_ticks / (self._compiled[0].clock_hz if self._compiled else self._clock_hz)
            x = np.unique(np.round(x / q) * q)
        return x

    def estimated_duration(self) -> float:
        """Seconds the pulser runs the compiled programs, exactly; NaN until ``check_lab`` compiled
        them (the length follows the target's clock); field ramp and transfers come on top."""
        return compiled_duration(self._compiled)

    def total_points(self) -> int:
        return len(self.sweep_values())

    def check(self) -> list[str]:
        problems = []
        if self.t_laser < 2 * self.t_count:
            problems.append(f"t_laser = {self.t_laser:g} s must hold both counter windows (>= 2 t_count = "
                            f"{2 * self.t_count:g} s)")
        if self.sweep is not None and self.values[f"{self.sweep}_start"] == self.values[f"{self.sweep}_stop"]:
            problems.append(f"{self.sweep}_start and {self.sweep}_stop are equal: nothing to sweep")
        return problems

    def sequence(self) -> Sequence:
        """The library sequence with its own phase cycle, ``averages`` passes (the GUI draws it)."""
        seq = get_sequence(self.sequence_name)
        return seq.with_cycle(seq.phase_cycle, self.averages)

    def programs(self, lab: Lab) -> list[PulseProgram]:
        """Validated, compiled programs for every point (cached per lab target)."""
        c = Constraints.from_lab(lab)  # with the channels' delays (the laser's compensated by the compiler)
        self._clock_hz = c.clock_hz
        if self._compiled is not None and self._compiled[0] == c:
            return self._compiled[1]
        seq = self.sequence()
        programs = compile_points(seq, c, [self.sequence_values(x) for x in self.sweep_values()], self.name)
        self._compiled = (c, programs)
        return programs

    def check_lab(self, lab: Lab) -> list[str]:
        problems = super().check_lab(lab)
        rise = Constraints.from_lab(lab).delay_of("laser") if lab.has("pulser") else 0.0
        if self.t_gap <= rise:
            return problems + [f"t_gap = {self.t_gap * 1e9:g} ns must exceed the laser's rise delay "
                               f"{rise * 1e9:g} ns (the laser TTL rises that early, after the last "
                               f"microwave pulse)"]
        return problems + program_problems(self, lab)

    def setup(self, lab: Lab) -> None:
        if self.field and lab.has("field"):
            lab.field.ramp_to(self.field)
        lab.rf.frequency = self.frequency
        lab.rf.power = self.power
        lab.rf.output = True
        lab.laser.power = self.laser_power
        lab.laser.output = True

    def acquire(self, lab: Lab, program: PulseProgram) -> tuple[int, int]:
        """Run one program; (signal, reference) photon counts summed over its shots."""
        lab.pulser.load(program)
        lab.counter.arm(WINDOWS * self.averages)
        lab.pulser.start()
        counts = np.asarray(lab.counter.fetch(), np.int64)
        if counts.size != WINDOWS * self.averages:
            raise RuntimeError(f"photon counter returned {counts.size} gate counts; the program opens "
                               f"{WINDOWS * self.averages} ({self.averages} shots x {WINDOWS} windows)")
        per = counts.reshape(self.averages, WINDOWS).sum(axis=0)
        return int(per[0]), int(per[1])

    def plan(self, lab: Lab) -> Iterator[Message]:
        programs = self.programs(lab)  # raises before any instrument is touched
        self.setup(lab)
        for i, (x, program) in enumerate(zip(self.sweep_values(), programs)):
            if (yield Checkpoint(f"point {i}")):
                self.setup(lab)
            self.before_point(lab, float(x))
            sig, ref = self.acquire(lab, program)
            yield Point({self.x_name(): float(x), "signal": sig, "reference": ref, "ratio": sig / max(ref, 1)})
        lab.rf.output = False
        lab.laser.output = False

    def before_point(self, lab: Lab, x: float) -> None:
        """Set what a point changes outside the program (pulsed ODMR: the frequency)."""

    def x_name(self) -> str:
        return self.sweep or "x"

    def columns(self) -> list[Column]:
        return [Column(self.x_name(), "Hz" if self.x_name() == "frequency" else "s"), Column("signal", "counts"),
                Column("reference", "counts"), Column("ratio", "")]

    @staticmethod
    def ratio(run: RunData) -> np.ndarray:
        return np.asarray(run["signal"], float) / np.maximum(np.asarray(run["reference"], float), 1.0)

    def counts_per_shot(self, run: RunData) -> float:
        """Mean reference (m_s = 0) photons per readout window."""
        return float(np.mean(np.asarray(run["reference"], float))) / float(run.parameters.get("averages",
                                                                                                self.averages))

    def plot(self, run: RunData, results: dict[str, Any], path: Path) -> Path:
        from analysis.pulsed_plots import plot_sweep

        x = np.asarray(run[self.x_name()], float)
        return plot_sweep(x, self.ratio(run), results.get("fit_x"), results.get("fit_curve"),
                          xlabel=f"{self.x_name()} ({'MHz' if self.x_name() == 'frequency' else 'us'})",
                          ylabel="signal / reference", title=self.title, label="", path=path)
