"""Tutorial step 4: a minimal experiment. A coarse field sweep that finds where a cw-ESR line is.

Run before a careful ``esr-sweep`` when the line's position is unknown: wide window, large
modulation, one reading per field step; the resonance field is where the derivative line
crosses zero between its two extremes.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from scipy.constants import h, physical_constants  # noqa: E402

from drivers.lab import Lab  # noqa: E402
from sequences.experiment import Checkpoint, Column, Experiment, FitValue, Message, Parameter, Point, RunData  # noqa: E402

MU_B = physical_constants["Bohr magneton"][0]


class FindLine(Experiment):
    """Step the field through a wide window; report the derivative's zero crossing and g."""

    name = "find-line"
    title = "coarse search for a cw-ESR line"
    roles = ("rf", "lockin", "field")
    field_start = Parameter(0.30, "T", "first field", 0.0, 2.0, display_unit="mT", limit="max_field")
    field_stop = Parameter(0.38, "T", "last field", 0.0, 2.0, display_unit="mT", limit="max_field")
    points = Parameter(321, "", "field points", 3, 100_000, kind=int)
    frequency = Parameter(9.5e9, "Hz", "microwave frequency", 1e6, 300e9, display_unit="GHz")
    mod_amplitude = Parameter(0.5e-3, "T", "modulation amplitude (peak)", 0.0, 5e-3, display_unit="mT")

    def check(self) -> list[str]:
        return [] if self.field_stop > self.field_start else ["field_stop must be above field_start"]

    def columns(self) -> list[Column]:
        return [Column("field", "T"), Column("x", "V")]

    def total_points(self) -> int:
        return self.points

    def _setup(self, lab: Lab) -> None:
        lab.rf.frequency = self.frequency
        lab.rf.output = True
        lab.lockin.reference_amplitude = self.mod_amplitude / lab.modulation_t_per_v

    def plan(self, lab: Lab) -> Iterator[Message]:
        self._setup(lab)
        settle = 7 * lab.lockin.time_constant  # 99 % settling of a 12 dB/oct filter
        for b in np.linspace(self.field_start, self.field_stop, self.points):
            if (yield Checkpoint()):  # True after a pause: re-issue what the pause switched off
                self._setup(lab)
            lab.field.ramp_to(float(b))
            lab.sleep(settle)
            x, _ = lab.lockin.read_xy()
            yield Point({"field": lab.field.field, "x": x})

    def analyse(self, run: RunData) -> dict[str, Any]:
        b, x = run["field"], run["x"]
        i, j = sorted((int(np.argmax(x)), int(np.argmin(x))))  # the derivative's two extremes
        n = i + int(np.argmax(np.sign(x[i:j]) != np.sign(x[i + 1:j + 1])))  # first sign change
        b0 = float(b[n] - x[n] * (b[n + 1] - b[n]) / (x[n + 1] - x[n]))  # linear interpolation
        half_step = abs(float(b[1] - b[0])) / 2  # an error bound, not a statistical error
        g = h * self.frequency / (MU_B * b0)
        return {"resonance_field": FitValue(b0, half_step, "T"), "g_factor": FitValue(g, g * half_step / b0)}

    def plot(self, run: RunData, results: dict[str, Any], path: Path) -> Path:
        fig, ax = plt.subplots(figsize=(6, 4))
        ax.plot(run["field"] * 1e3, run["x"] * 1e6)
        ax.axvline(results["resonance_field"].value * 1e3, ls="--", color="k")
        ax.set_xlabel("field (mT)")
        ax.set_ylabel("lock-in X (µV)")
        fig.savefig(path, dpi=100)
        plt.close(fig)
        return Path(path)


if __name__ == "__main__":
    from app.runner import run_experiment
    from app.simlab import build_sim_lab

    outcome = run_experiment(FindLine(), build_sim_lab(), "runs")
    print(f"status {outcome.info.status}; run file {outcome.path}; plot {outcome.png}")
    for key, value in outcome.info.results.items():
        print(f"{key:16s} {value:.6g}")
