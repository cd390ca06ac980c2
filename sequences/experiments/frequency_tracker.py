"""Tracking a drifting membrane frequency f0 during a long measurement, from the complex
driven response at two frequencies either side of it."""
from __future__ import annotations

import math

from drivers.lab import Lab
from sequences.experiments.membrane_readout import Readout


def resonance_from_two_points(f1: float, z1: complex, f2: float, z2: complex) -> tuple[float, float]:
    """f0 and the FWHM from the complex driven response at two frequencies near resonance.

    Near f0 the response is z = C / (f - w) with w = f0 + i FWHM/2 (conjugate for the other Y
    sign convention), so z1/z2 = (f2 - w)/(f1 - w) gives w directly; the drive's unknown
    transfer phase and amplitude cancel."""
    rho = z1 / z2
    if abs(1 - rho) < 1e-12:
        raise ValueError("the two responses are identical: no resonance information")
    w = (f2 - rho * f1) / (1 - rho)
    return float(w.real), float(2 * abs(w.imag))


class FrequencyTracker:
    """Keeps a drifting f0 in view: drives the piezo at f_ref -/+ FWHM/2, reads the complex
    response at each after ``settle`` s, and solves for f0 (``resonance_from_two_points``)."""

    def __init__(self, lab: Lab, readout: Readout, amplitude: float, linewidth: float, settle: float,
                 average: float, interval: float) -> None:
        self.lab, self.readout = lab, readout
        self.amplitude, self.linewidth, self.settle = amplitude, linewidth, settle
        self.average_time, self.interval = average, interval
        self.history: list[tuple[float, float]] = []

    def measure(self, f_ref: float) -> float:
        lab, piezo, li = self.lab, self.lab.piezo, self.readout.lockin
        points = []
        for f in (f_ref - self.linewidth / 2, f_ref + self.linewidth / 2):
            piezo.frequency = f
            li.reference_frequency = f
            piezo.amplitude = self.amplitude
            piezo.output = True
            lab.sleep(self.settle)
            points.append((f, self.readout.average(lab, self.average_time, self.interval)))
        piezo.output = False
        (f1, z1), (f2, z2) = points
        f0, _ = resonance_from_two_points(f1, z1, f2, z2)
        if not math.isfinite(f0) or abs(f0 - f_ref) > 20 * self.linewidth:
            f0 = f_ref  # lost lock: keep the last reference rather than jump away
        self.history.append((lab.clock.now(), f0))
        return f0
