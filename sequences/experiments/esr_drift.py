"""Repeated cw-ESR sweeps while a permanent magnet drifts, with an optional field-frequency lock.

Each scan is fitted on its own, giving the line position against time and magnet temperature.
With ``lock`` on, a :class:`magnets.lock.FieldFrequencyLock` in field mode reads the magnet's
temperature before every point and offsets the sweep setpoint by the predicted drift, so the
line stays put on the nominal field axis. Every correction is a column of the run
(``magnet_temperature``, ``lock_shift``, ``field_command``) and the lock model goes into the
metadata. The fitted slope of line position against magnet temperature calibrates the lock for
the next run (result ``db0_dt``).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import numpy as np

from drivers.lab import Lab
from magnets.lock import FieldFrequencyLock
from analysis.derivative_lines import fit_derivative
from sequences.result import Result
from sequences.experiment import Checkpoint, Column, FitValue, Message, Parameter, Point, RunData
from sequences.experiments.esr_sweep import EsrFieldSweep


class EsrDriftSweep(EsrFieldSweep):
    name = "esr-drift"
    title = "cw-ESR sweeps with magnet drift and field-frequency lock"
    results = (
        Result("line_drift_pp", "T", "peak-to-peak drift of the line position on the setpoint axis"),
        Result("line_position_setpoint", "T", "mean line position on the setpoint axis"),
        Result("line_position_measured", "T", "mean line position on the probe's (Hall or readback) axis"),
        Result("magnet_temperature_pp", "K", "peak-to-peak magnet temperature over the run"),
        Result("line_positions", "T", "line position per sweep"),
        Result("line_times", "s", "time of each sweep"),
        Result("line_magnet_temperatures", "K", "magnet temperature at each sweep"),
        Result("db0_dt", "T/K", "line shift per kelvin of magnet temperature (lock calibration)"),
        Result("alpha_fit", "1/K", "relative field coefficient dB0/dT / B0"))
    optional_roles = ("gaussmeter",)
    roles = ("rf", "lockin", "field", "temperature")
    lock = Parameter(False, "", "offset the field by the predicted magnet drift before each point", kind=bool)
    lock_alpha = Parameter(-1.2e-3, "", "relative drift of B0 per kelvin, e.g. -1260ppm (NdFeB)",
                           -0.1, 0.1)
    lock_reference_temperature = Parameter(295.0, "K", "magnet temperature where the drift is zero",
                                           1.0, 500.0)
    lock_filter = Parameter(0.0, "s", "low-pass time constant on the magnet temperature", 0.0, 1e5)
    lock_max_shift = Parameter(10e-3, "T", "largest correction allowed (guards a broken sensor)",
                               0.0, 1.0, display_unit="mT")
    magnet_channel = Parameter("B", "", "temperature-controller channel on the magnet body", kind=str)
    interval = Parameter(0.0, "s", "wait between scans (lets the magnet drift)", 0.0, 1e6)

    def check_lab(self, lab: Lab) -> list[str]:
        problems = super().check_lab(lab)
        if lab.has("temperature") and self.magnet_channel not in lab.temperature.channels:
            problems.append(f"magnet_channel = {self.magnet_channel!r} is not a channel of the temperature "
                            f"controller; it has {list(lab.temperature.channels)}")
        return problems

    def columns(self) -> list[Column]:
        return super().columns() + [Column("magnet_temperature", "K"), Column("lock_shift", "T"),
                                    Column("field_command", "T")]

    def centre_field(self) -> float:
        return 0.5 * (self.field_start + self.field_stop)

    def make_lock(self) -> FieldFrequencyLock:
        """The lock this run uses (field mode, about the sweep centre)."""
        b = self.centre_field()
        return FieldFrequencyLock(db0_dt=self.lock_alpha * b, reference_temperature=self.lock_reference_temperature,
                                  reference_field=b, mode="field", species="electron", nominal_setpoint=b,
                                  filter_time=self.lock_filter, max_field_shift=self.lock_max_shift)

    def metadata(self) -> dict[str, Any]:
        return {"lock": self.make_lock().metadata() if self.lock else None}

    def estimated_duration(self) -> float:
        return super().estimated_duration() + self.scans * self.interval

    def plan(self, lab: Lab) -> Iterator[Message]:
        self._setup(lab)
        fc, li, temp = lab.field, lab.lockin, lab.temperature
        hall = lab.gaussmeter if lab.has("gaussmeter") else None
        lock = self.make_lock() if self.lock else None
        settle = self.settle_time()
        fields = self.fields()

        def command(nominal: float) -> tuple[float, float, float]:
            t_mag = temp.read_temperature(self.magnet_channel)
            if lock is None:
                return nominal, t_mag, 0.0
            rec = lock.correct(t_mag, time=lab.clock.now(), setpoint=nominal)
            return rec.setpoint, t_mag, rec.field_shift

        for scan in range(self.scans):
            if scan and self.interval:
                lab.sleep(self.interval)
            down = self.direction == "down" or (self.direction == "alternate" and scan % 2 == 1)
            order = np.arange(self.points)[::-1] if down else np.arange(self.points)
            fc.ramp_to(command(float(fields[order[0]]))[0])
            lab.sleep(settle)
            t_sample = temp.read_temperature()
            for i in order:
                resumed = yield Checkpoint(f"scan {scan} point {i}")
                if resumed:
                    self._setup(lab)
                sent, t_mag, shift = command(float(fields[i]))
                fc.setpoint = sent
                fc.wait_until_settled()
                lab.sleep(settle)
                x, y = li.read_xy()
                measured = hall.read_field() if hall else fc.field
                yield Point({"scan": scan, "index": int(i), "field_set": float(fields[i]), "field": measured,
                             "x": x, "y": y, "time": lab.clock.now(), "temperature": t_sample,
                             "magnet_temperature": t_mag, "lock_shift": shift, "field_command": sent})

    # --- analysis --------------------------------------------------------------------------
    @staticmethod
    def line_positions(run: RunData) -> dict[str, np.ndarray]:
        """Per scan: line position on the nominal (setpoint) field axis, its error, the position on
        the measured axis (``field``: Hall probe, or the controller's readback), and the time and
        magnet temperature at which the sweep passed it.

        The setpoint axis is the one the lock holds still and the drift is measured on; the
        measured axis is the field at the probe (it includes the magnet's remanence and, for a
        probe at the sample, the drift itself)."""
        scans = run["scan"].astype(int)
        out: dict[str, list[float]] = {"b0": [], "b0_error": [], "b0_measured": [], "time": [],
                                       "magnet_temperature": []}
        for s in np.unique(scans):
            sel = scans == s
            b, x = run["field_set"][sel], run["x"][sel]
            order = np.argsort(b)
            fit = fit_derivative(b[order], x[order])
            out["b0"].append(fit.b0)
            out["b0_error"].append(fit.errors["b0"])
            # the same line on the measured axis: setpoint + the scan's median (measured - setpoint);
            # the median ignores the probe's noise and the odd point after a ramp (magnet hysteresis)
            offset = float(np.median(np.asarray(run["field"][sel], float) - b))
            out["b0_measured"].append(fit.b0 + offset)
            # time and magnet temperature when the sweep crossed the line (they change during a scan)
            at = lambda col: float(np.interp(fit.b0, b[order], run[col][sel][order]))  # noqa: E731
            out["time"].append(at("time"))
            out["magnet_temperature"].append(at("magnet_temperature"))
        return {k: np.asarray(v) for k, v in out.items()}

    def analyse(self, run: RunData) -> dict[str, Any]:
        pos = self.line_positions(run)
        b0, t, temp = pos["b0"], pos["time"], pos["magnet_temperature"]
        results: dict[str, Any] = {
            # drift and position on the setpoint axis (what the sweep commanded; the lock holds it)
            "line_drift_pp": FitValue(float(np.ptp(b0)), float(np.sqrt(2) * np.max(pos["b0_error"])), "T"),
            "line_position_setpoint": FitValue(float(np.mean(b0)), float(np.std(b0)), "T"),
            # ... and where the probe (Hall or controller readback) put the field at the line
            "line_position_measured": FitValue(float(np.mean(pos["b0_measured"])),
                                                    float(np.std(pos["b0_measured"])), "T"),
            "magnet_temperature_pp": FitValue(float(np.ptp(temp)), float("nan"), "K"),
            "line_positions": b0, "line_times": t, "line_magnet_temperatures": temp,
        }
        if len(b0) >= 3 and np.ptp(temp) > 1e-3:
            lock = FieldFrequencyLock.calibrate(temp, line_fields=b0, species="electron")
            results["db0_dt"] = FitValue(lock.db0_dt, lock.calibration.slope_error, "T/K")
            results["alpha_fit"] = FitValue(lock.db0_dt / lock.reference_field,
                                            lock.calibration.slope_error / lock.reference_field, "1/K")
        return results

    def plot(self, run: RunData, results: dict[str, Any], path: Path) -> Path:
        from analysis.plotting import new_figure

        fig, (ax, axt) = new_figure(2, 1, figsize=(8, 6))
        for s in np.unique(run["scan"].astype(int)):
            sel = run["scan"] == s
            order = np.argsort(run["field_set"][sel])
            ax.plot(run["field_set"][sel][order] * 1e3, run["x"][sel][order] * 1e6, lw=0.8, label=f"scan {s}")
        ax.set_xlabel("field setpoint (nominal axis, mT)")
        ax.set_ylabel("signal (µV)")
        b0 = results.get("line_positions")
        if b0 is not None and len(b0):
            axt.plot(np.asarray(results["line_times"]), (np.asarray(b0) - b0[0]) * 1e6, "o-", label="line position")
            axt.set_xlabel("time (s)")
            axt.set_ylabel("line shift on the setpoint axis (µT)")
            ax2 = axt.twinx()
            ax2.plot(np.asarray(results["line_times"]), results["line_magnet_temperatures"], "r.--", label="magnet T")
            ax2.set_ylabel("magnet temperature (K)", color="r")
        lock = "on" if run.parameters.get("lock") else "off"
        ax.set_title(f"{self.title} (lock {lock}) — {run.status}")
        fig.tight_layout()
        fig.savefig(path, dpi=110)
        import matplotlib.pyplot as plt

        plt.close(fig)
        return Path(path)
