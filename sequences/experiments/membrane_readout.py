"""Reading the membrane: finding the lock-in at the membrane frequency, checking the lab for it,
preparing the interferometer readout and averaging it, and the lock-in settings every membrane
experiment declares.

The lock-in at the membrane frequency demodulates the interferometer's photodiode voltage. A lab
provides it either as the displacement sensor's ``demodulator`` (an interferometer with a
built-in lock-in, as in the simulated lab) or, for a lab whose main ``lockin`` is wired to the
photodiode, by setting ``membrane_lockin = "lockin"`` in the lab config.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable

import numpy as np

from drivers.errors import ConfigError
from drivers.lab import Lab
from drivers.roles import LockInAmplifier
from drivers.roles.lockin import buffered
from sequences.experiment import Experiment, Parameter


class MembraneLockinExperiment(Experiment):
    """Base of the experiments that read the membrane through its lock-in: its settings (a
    subclass may change a default: ``time_constant = MembraneLockinExperiment.time_constant.replace(default=3e-3)``)."""

    time_constant = Parameter(1e-3, "s", "membrane lock-in time constant", 1e-7, 100.0, display_unit="ms")
    filter_slope = Parameter(24, "dB/oct", "membrane lock-in filter slope", kind=int, choices=(6, 12, 18, 24))
    sensitivity = Parameter(1.0, "V", "membrane lock-in full scale", 1e-9, 1.0, display_unit="mV")


def membrane_lockin(lab: Lab) -> LockInAmplifier:
    demod = getattr(lab.displacement, "demodulator", None) if lab.has("displacement") else None
    if isinstance(demod, LockInAmplifier):
        return demod
    if lab.config.get("membrane_lockin") == "lockin" and lab.has("lockin"):
        return lab.lockin
    raise ConfigError(f"lab {lab.name!r} has no lock-in at the membrane frequency: use a displacement sensor "
                      "with a built-in demodulator, or wire the lab's 'lockin' to the interferometer and set "
                      "membrane_lockin = \"lockin\" in the lab config")


def membrane_lab_problems(lab: Lab, frequencies: Iterable[float], roles: Iterable[str] = ()) -> list[str]:
    """Missing roles, a missing membrane lock-in, and frequencies the lock-in or piezo cannot reach."""
    problems = [f"lab {lab.name!r} has no instrument for role {r!r}" for r in ("displacement", *roles)
                if not lab.has(r)]
    if problems:
        return problems
    try:
        li = membrane_lockin(lab)
    except ConfigError as exc:
        return [str(exc)]
    rng = li.reference_frequency_range
    for f in frequencies:
        if not rng.low <= f <= rng.high:
            problems.append(f"frequency {f:.9g} Hz is outside the membrane lock-in's reference range "
                            f"[{rng.low:g}, {rng.high:g}] Hz")
        if "piezo" in roles:
            prange = getattr(lab.piezo, "frequency_range", None)
            if prange is not None and not prange.low <= f <= prange.high:
                problems.append(f"frequency {f:.9g} Hz is outside the piezo's range [{prange.low:g}, {prange.high:g}] Hz")
    return problems


@dataclass
class Readout:
    """Lock-in X + iY (V RMS) -> complex peak displacement amplitude (m) via the fringe calibration."""

    lockin: LockInAmplifier
    metres_per_volt: float

    def read(self) -> complex:
        x, y = self.lockin.read_xy()
        return math.sqrt(2) * complex(x, y) * self.metres_per_volt

    def average(self, lab: Lab, duration: float, interval: float) -> complex:
        """Mean of samples spaced by ``interval`` over ``duration`` (at least one)."""
        return complex(np.mean(self.series(lab, max(1, int(round(duration / interval))), interval)))

    def series(self, lab: Lab, n: int, interval: float) -> np.ndarray:
        """``n`` samples (complex peak displacement, m) spaced by ``interval``, the first one
        interval from now. Through the lock-in's data buffer when it streams at 1/interval (one
        transfer instead of n bus round trips; in the simulator, one vectorised integration),
        else by n timed reads: the same samples either way."""
        li = buffered(self.lockin)
        rate = 1.0 / interval
        if li is not None and n + 1 <= li.buffer_capacity and any(
                abs(r - rate) <= 1e-9 * r for r in li.buffer_rates()):
            li.start_buffer(rate)  # its first point is now; the n wanted follow
            lab.sleep(n * interval)
            if li.buffer_points() < n + 1:
                lab.sleep(0.5 * interval)
            data = li.read_buffer_xy(1, n)
            li.stop_buffer()
            return math.sqrt(2) * (np.asarray(data.x) + 1j * np.asarray(data.y)) * self.metres_per_volt
        out = np.empty(n, dtype=complex)
        for k in range(n):
            lab.sleep(interval)
            out[k] = self.read()
        return out


def prepare_readout(lab: Lab, frequency: float, time_constant: float, filter_slope: int,
                    sensitivity: float) -> Readout:
    """Calibrate the fringe, lock the working point and set up the membrane lock-in."""
    sensor = lab.displacement
    mpv = sensor.calibrate_fringe()
    sensor.lock_working_point()
    li = membrane_lockin(lab)
    li.harmonic = 1
    li.time_constant = time_constant
    li.filter_slope = filter_slope
    li.sensitivity = sensitivity
    li.phase = 0.0
    li.reference_frequency = frequency
    return Readout(li, mpv)


def as_complex(run_x: np.ndarray, run_y: np.ndarray) -> np.ndarray:
    return np.asarray(run_x, float) + 1j * np.asarray(run_y, float)
