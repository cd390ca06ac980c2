"""Sweep direction of a continuous esr-sweep, and the timing offset its up and down scans measure.

A continuous sweep dates each lock-in sample by the buffer's start plus its sample clock, and
each Hall reading by the plan's clock. Any constant offset dt between the two (the start command's
latency, a Hall reading taken earlier or later in its query than assumed, a filter delay not
exactly n tau) moves every sample along the field axis by rate x dt, in the sweep direction, so a
one-way sweep shifts the line (and g, by g x rate x dt / B). Up and down scans are shifted by
opposite amounts: their average cancels the offset to first order, and their difference measures
it (the standard up/down remedy for sweep-rate artefacts: Poole, *Electron Spin Resonance*, 2nd
ed., 1983, sec. 11-D).

Sign: ``timing_offset`` > 0 means the lock-in's samples were taken that long after the times
they were dated to, relative to the Hall readings; the line then appears low on an up scan and
high on a down scan: dt = (B_down - B_up) / (|r_up| + |r_down|).
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np

from analysis.derivative_lines import LineFit, fit_derivative
from analysis.modulated_fit import fit_modulated
from sequences.experiment import FitValue, RunData
from sequences.experiments.esr_continuous import continuous_average, field_axis_error
from sequences.experiments.esr_errors import AxisLine
from sequences.result import Result

if TYPE_CHECKING:
    from sequences.experiments.esr_sweep import EsrFieldSweep

#: ``sweep_direction`` choices; 'auto' resolves to one of the others (:func:`resolved_direction`).
SWEEP_DIRECTIONS = ("auto", "up", "down", "alternate")

DIRECTION_RESULTS = (
    Result("direction_shift", "T", "continuous sweep: half the up-scan minus down-scan resonance field "
           "(rate x timing offset; cancelled in the direction-averaged line)"),
    Result("timing_offset", "s", "continuous sweep: how much later the lock-in's samples were taken than "
           "dated, relative to the Hall readings, from the up/down disagreement"),
    Result("direction_note", "", "continuous sweep: which directions were averaged and what that cancels"),
)


def resolved_direction(exp: "EsrFieldSweep") -> str:
    """The direction rule of a continuous run's scans: ``sweep_direction``; for 'auto', the
    stepped sweep's ``direction`` when it is not its default 'up', else 'alternate' with two or
    more scans (their average cancels a timing offset) and 'up' with one."""
    if exp.sweep_direction != "auto":
        return exp.sweep_direction
    if exp.direction != "up":
        return exp.direction
    return "alternate" if exp.scans >= 2 else "up"


def direction_problems(exp: "EsrFieldSweep") -> list[str]:
    """Conflicts of ``sweep_direction`` with the acquisition and with ``direction``."""
    if exp.sweep_direction == "auto":
        return []
    if exp.acquisition == "continuous" and exp.lag_correction == "up-down" and exp.sweep_direction in ("up", "down"):
        return [f"lag_correction = 'up-down' needs scans in both directions; sweep_direction = "
                f"{exp.sweep_direction!r} sweeps one way (use 'alternate' or 'auto')"]
    if exp.acquisition != "continuous":
        return [f"sweep_direction = {exp.sweep_direction!r} applies to acquisition = 'continuous'; a stepped "
                f"sweep takes direction (up, down, alternate)"]
    if exp.direction != "up" and exp.direction != exp.sweep_direction:
        return [f"direction = {exp.direction!r} and sweep_direction = {exp.sweep_direction!r} disagree; "
                f"set sweep_direction only (the continuous sweep's)"]
    return []


def _fit_b0(b: np.ndarray, x: np.ndarray, fit: LineFit, bm: float, harmonic: int, inflation: float) -> LineFit:
    """The resonance of one direction's averaged trace, with the run's line model and modulation."""
    if bm > 0 or harmonic != 1:
        return fit_modulated(b, x, bm, fit.model, harmonic, start=fit, inflation=inflation)
    return fit_derivative(b, x, fit.model, inflation=inflation)


def direction_results(run: RunData, settings: Mapping[str, Any], lines: Mapping[int, AxisLine], fit: LineFit,
                      bm: float, harmonic: int, inflation: float = 1.0) -> dict[str, Any]:
    """``direction_shift`` and ``timing_offset`` from the line fitted to each direction's
    averaged scans (errors: the fits' and the Hall lines' at the resonance), and a
    ``direction_note``; only the note when the run swept one way."""
    groups: dict[int, dict[int, AxisLine]] = {1: {}, -1: {}}
    for scan, line in lines.items():
        groups[1 if line.slope > 0 else -1][scan] = line
    up, down = len(groups[1]), len(groups[-1])
    if not up or not down:
        way = "up" if up else "down"
        return {"direction_note": f"all {up + down} scan(s) swept {way}: a constant timing offset between the "
                                  f"lock-in's samples and the Hall readings shifts the line by rate x offset, "
                                  f"unmeasured; sweep_direction = alternate with an even number of scans "
                                  f"cancels and measures it"}
    centre, error, rate = {}, {}, {}
    for sign, group in groups.items():
        b, x, _ = continuous_average(run, settings, group)
        try:
            one = _fit_b0(b, x, fit, bm, harmonic, inflation)
        except (RuntimeError, ValueError, np.linalg.LinAlgError) as exc:
            return {"direction_note": f"the {'up' if sign > 0 else 'down'} scans' line could not be fitted "
                                      f"alone ({exc}): timing offset not measured"}
        centre[sign] = one.b0
        error[sign] = math.hypot(one.errors["b0"], field_axis_error(group, settings, one.b0))
        rate[sign] = float(np.mean([abs(line.slope) for line in group.values()]))
    both = math.hypot(error[1], error[-1])
    out: dict[str, Any] = {
        "direction_shift": FitValue(0.5 * (centre[1] - centre[-1]), 0.5 * both, "T"),
        "timing_offset": FitValue((centre[-1] - centre[1]) / (rate[1] + rate[-1]), both / (rate[1] + rate[-1]), "s"),
    }
    if up == down:
        out["direction_note"] = (f"{up} up and {down} down scans averaged: a constant timing offset (and the "
                                 f"filter's residual skew) cancels to first order")
    else:
        out["direction_note"] = (f"{up} up and {down} down scans (an uneven split): the two directions were averaged "
                                 f"with equal weight so a timing offset still cancels to first order, but the "
                                 f"{'down' if up > down else 'up'} scans weigh more, and the noise is higher "
                                 f"than for the same scans split evenly")
    return out


__all__ = ["SWEEP_DIRECTIONS", "DIRECTION_RESULTS", "resolved_direction", "direction_problems",
           "direction_results"]
