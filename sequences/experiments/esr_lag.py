"""The lock-in lag of a cw-ESR field sweep: how far the output filter drags the recorded line
along the sweep, when that biases the fit, and the two standard remedies.

``up-down``: every scan is swept up and then down and both are averaged; the lag displaces the
two sweeps by equal and opposite amounts, so the averaged line is centred on the true resonance
(the line is broadened by the lag, not moved). ``filter-delay``: each point's field is moved back
along the sweep by the lag computed from the filter (analysis.lockin_lag): exact for a lag
small against the linewidth, first order otherwise.
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from analysis.lockin_lag import poles, sweep_lag
from sequences.experiment import FitValue, RunData
from sequences.result import WARNING, Result

LAG_REMEDIES = ("none", "up-down", "filter-delay")
#: Warn when the lag exceeds this fraction of the fitted peak-to-peak width.
WARN_FRACTION = 0.1


def scan_directions(run: RunData) -> dict[int, int]:
    """+1 for each scan swept up in field, -1 for each swept down (from the recorded order)."""
    out: dict[int, int] = {}
    scans, b_set = run["scan"].astype(int), run["field_set"]
    for scan in np.unique(scans):
        sel = b_set[scans == scan]
        if len(sel) >= 2:
            out[int(scan)] = 1 if np.median(np.diff(sel)) > 0 else -1
    return out


def run_lag(run: RunData, settings: Mapping[str, Any]) -> float:
    """The steady-state lag (T) of the run's readings behind the field: its settings and, where
    recorded, the measured time between readings (which includes a ramp rate capped by the lab)."""
    points = int(settings["points"])
    step = abs(float(settings["field_stop"]) - float(settings["field_start"])) / max(points - 1, 1)
    tc = float(settings["time_constant"])
    wait = float(settings["settle_tc"]) * tc
    t_ramp = step / float(settings["ramp_rate"])
    period = None
    if "time" in run.columns and len(run["time"]) >= 2:
        scans, times = run["scan"].astype(int), run["time"]
        gaps = np.concatenate([np.diff(times[scans == s]) for s in np.unique(scans)])
        gaps = gaps[np.isfinite(gaps) & (gaps > 0)]
        if len(gaps):
            period = float(np.median(gaps))
            t_ramp = max(t_ramp, period - wait)  # a slower (capped) ramp shows in the period
    return sweep_lag(step, step / t_ramp if t_ramp > 0 else float("inf"), wait, period, tc,
                     poles(settings["filter_slope"]))


def lag_shift(run: RunData, settings: Mapping[str, Any]) -> np.ndarray:
    """Per-point field correction (T, to add to the measured field): minus the lag along each
    scan's sweep direction when the run asked for ``lag_correction = filter-delay``, else zero."""
    shift = np.zeros(len(run["scan"]))
    if settings.get("lag_correction", "none") != "filter-delay" or len(shift) < 2:
        return shift
    lag = run_lag(run, settings)
    scans = run["scan"].astype(int)
    for scan, sign in scan_directions(run).items():
        shift[scans == scan] = -sign * lag
    return shift


#: What :func:`lag_results` adds to an analysis.
LAG_RESULTS = (Result("lockin_lag", "T", "field shift from the lock-in filter delay along the sweep"),
               Result("lag_note", "", "how a lag above a tenth of the width was dealt with"), WARNING)


def lag_results(run: RunData, settings: Mapping[str, Any], width_pp: float) -> dict[str, Any]:
    """``lockin_lag`` for the results, plus a ``warning`` when an uncorrected lag exceeds a tenth of
    the fitted peak-to-peak width (or a ``lag_note`` saying how it was dealt with)."""
    lag = run_lag(run, settings)
    out: dict[str, Any] = {"lockin_lag": FitValue(lag, float("nan"), "T")}
    if not lag > WARN_FRACTION * abs(width_pp):
        return out
    dirs = list(scan_directions(run).values())
    n_up, n_down = dirs.count(1), dirs.count(-1)
    what = (f"lock-in lag {lag * 1e6:.3g} uT (the sweep through a {float(settings['time_constant']) * 1e3:g} ms, "
            f"{settings['filter_slope']} dB/oct filter) exceeds a tenth of the fitted peak-to-peak width "
            f"{abs(width_pp) * 1e6:.3g} uT")
    if settings.get("lag_correction", "none") == "filter-delay":
        ratio = lag / abs(width_pp)
        out["lag_note"] = (f"{what}: the field axis was corrected by the filter delay, a first-order correction "
                           f"that leaves a bias of up to ~{ratio * lag * 1e6:.2g} uT (lag x lag/width) and a "
                           f"broadened width; lag_correction=up-down cancels the shift exactly")
    elif n_up and n_up == n_down:
        out["lag_note"] = (f"{what}: cancelled in the resonance field by averaging {n_up} up and {n_down} down "
                           f"sweeps (the width is broadened by it)")
    else:
        out["warning"] = (f"{what}: the resonance field and g are biased along the sweep; sweep slower, wait "
                          f"longer (settle_tc), shorten the time constant, or set lag_correction=up-down "
                          f"(or filter-delay)")
    return out


__all__ = ["LAG_REMEDIES", "LAG_RESULTS", "WARN_FRACTION", "scan_directions", "run_lag", "lag_shift", "lag_results"]
