"""Continuous-sweep acquisition for esr-sweep (``acquisition = "continuous"``).

The field ramps at a constant rate from start to stop while the lock-in samples X and Y into its
own buffer (:class:`drivers.roles.lockin.BufferedLockIn`); the plan reads the buffer in chunks,
a few per second, and takes one Hall (or supply) reading per chunk. A stepped sweep pays a
settling wait and several bus round trips for every point; here one transfer carries a whole
chunk, so the points per second are set by the buffer's sample rate.

The field axis is measured, not assumed: per scan, the Hall readings taken while the field
ramped are fitted with a straight line in time (the supply ramps its current at a constant
rate), evaluated at each sample's time (buffer start + k x interval, the instrument's sample
clock), and moved back along the sweep by the filter's group delay, rate x n x tau
(:func:`analysis.lockin_lag.continuous_lag`): the output of an n-pole RC filter follows a
ramping input n tau late (SR830 manual, "Time Constants"; Poole, *Electron Spin Resonance*,
2nd ed., 1983, sec. 11-D). Up and down sweeps then agree.

Columns beyond the stepped sweep's: ``hall_field``/``hall_time``, set on the first row of each
chunk whose Hall reading was taken during the ramp (NaN elsewhere). ``field_set`` is the nominal
ramp (samples taken before or after it are not kept), ``field`` the live estimate from the
readings so far.
A pause request waits for the end of the scan (a ramp cannot be paused half-way and resumed
on the same line); an abort stops the buffer and leaves the field to the lab's safe state.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Iterator, Mapping

import numpy as np

from analysis.lockin_lag import continuous_lag, poles
from drivers.errors import ConfigError
from drivers.lab import Lab
from drivers.roles.lockin import buffered
from sequences.experiment import Block, Checkpoint, FitValue, Message, Note, RunData
from sequences.experiments.esr_errors import AxisLine, axis_error

if TYPE_CHECKING:
    from sequences.experiments.esr_sweep import EsrFieldSweep

log = logging.getLogger(__name__)

ACQUISITIONS = ("stepped", "continuous")
#: Buffer reads (each with one Hall reading) per scan, and their period limits (s).
CHUNKS_PER_SCAN = 40
CHUNK_S = (0.2, 2.0)
#: Fewest Hall readings a scan's field axis is fitted to (one per buffer read).
MIN_HALL_READINGS = 3
#: The ramp starts this many group delays (n tau) of field before the sweep's first field (the
#: filter's lag has built up by then) and ends as many after its last.
ROLL_DELAYS = 10.0
#: How often the plan asks the field controller whether it still ramps (s): a supply whose driver
#: ramps in software (Kepco BOP: no ramp generator) only steps when asked, so this sets the
#: staircase: steps of ramp_rate x POLL_S. Hall readings are taken half-way between steps, so the
#: fitted line runs through the staircase's middle.
POLL_S = 0.025
#: Samples per time constant at least (a lock-in output is smooth on a scale of tau).
SAMPLES_PER_TC = 2.0


def is_continuous(settings: Mapping[str, Any]) -> bool:
    return settings.get("acquisition", "stepped") == "continuous"


def ramp_ends(exp: "EsrFieldSweep", lab: Lab, down: bool, rate: float) -> tuple[float, float]:
    """Where the ramp of one scan starts and ends: the sweep with its roll-in and roll-out."""
    roll = ROLL_DELAYS * continuous_lag(rate, exp.time_constant, poles(exp.filter_slope))
    lo, hi = sorted((exp.field_start, exp.field_stop))
    reach = lab.field.field_range
    lo, hi = max(lo - roll, reach.low), min(hi + roll, reach.high)
    return (hi, lo) if down else (lo, hi)


def sample_rate(lockin: Any, exp: "EsrFieldSweep", duration: float) -> float:
    """The buffer rate: at least ``points`` per scan and ``SAMPLES_PER_TC`` per time constant,
    slowed down if a scan would overflow the buffer."""
    rate = lockin.buffer_rate_for(min(exp.time_constant / SAMPLES_PER_TC, duration / exp.points))
    cap = lockin.buffer_capacity
    if cap and rate * duration >= cap:
        fitting = [r for r in lockin.buffer_rates() if r * duration < cap]
        if not fitting:
            raise ConfigError(f"a {duration:.0f} s scan overflows the lock-in's {cap}-point buffer at any rate; "
                              f"raise ramp_rate or narrow the sweep")
        rate = max(fitting)
    return rate


def plan_continuous(exp: "EsrFieldSweep", lab: Lab) -> Iterator[Message]:
    exp._setup(lab)
    li = buffered(lab.lockin)
    if li is not None:  # the rows per scan at the rate the lab's lock-in gives (expected_points)
        rate = min(exp.ramp_rate, lab.field.ramp_rate_range.high)
        b_from, b_to = ramp_ends(exp, lab, False, rate)
        duration = abs(b_to - b_from) / rate
        exp._scan_rows = int(duration * sample_rate(li, exp, duration))
    for scan in range(exp.sweeps()):
        if (yield Checkpoint(f"scan {scan}")):
            exp._setup(lab)
        yield from _scan(exp, lab, scan, exp.sweeps_down(scan))


def _scan(exp: "EsrFieldSweep", lab: Lab, scan: int, down: bool) -> Iterator[Message]:
    from sequences.experiments.esr_sweep import approach

    fc, li = lab.field, buffered(lab.lockin)
    if li is None:
        raise ConfigError(f"acquisition = 'continuous' needs a lock-in with a data buffer; "
                          f"{type(lab.lockin).__name__} has none")
    hall = lab.gaussmeter if lab.has("gaussmeter") else None
    temp = lab.temperature if lab.has("temperature") else None
    rate = min(exp.ramp_rate, fc.ramp_rate_range.high)
    b_from, b_to = ramp_ends(exp, lab, down, rate)
    sign = -1.0 if down else 1.0
    fc.ramp_rate = fc.ramp_rate_range.high  # to the start at the lab's own limit: nothing is recorded
    approach(lab, b_from, from_below=not down, overshoot=min(2e-3, 0.05 * abs(b_to - b_from)))
    fc.ramp_rate = rate
    rate = float(fc.ramp_rate)  # what the supply took
    lab.sleep(exp.settle_time())
    t_sample = temp.read_temperature() if temp else float("nan")
    duration = abs(b_to - b_from) / rate
    interval = li.start_buffer(sample_rate(li, exp, duration))
    t_buffer = lab.clock.now()  # the start command is the last one the driver sends
    closing = False
    try:
        li.is_overloaded()  # clear the latched status of the approach
        fc.setpoint = b_to  # the ramp starts
        t_ramp = lab.clock.now()
        chunk = min(max(duration / CHUNKS_PER_SCAN, CHUNK_S[0], 4 * interval), CHUNK_S[1])
        hall_t: list[float] = []
        hall_b: list[float] = []
        read, warned = 0, False
        polls = max(1, round(chunk / POLL_S))
        while True:
            for _ in range(polls - 1):  # a supply ramped by its driver steps when asked
                lab.sleep(chunk / polls)
                fc.is_ramping()
            lab.sleep(chunk / polls / 2)  # the reading half-way between two steps of such a ramp
            t1 = lab.clock.now()
            b = hall.read_field() if hall else fc.field
            t_hall = 0.5 * (t1 + lab.clock.now())
            lab.sleep(chunk / polls / 2)
            ramping = fc.is_ramping()  # after the reading: it was taken during the ramp
            if ramping:
                hall_t.append(t_hall)
                hall_b.append(b)
            stored = li.buffer_points()
            data = li.read_buffer_xy(read, stored - read)
            overload = li.is_overloaded()
            if overload and not warned:
                warned = True
                yield Note(f"lock-in overload in scan {scan}: readings clipped; raise the sensitivity "
                           f"(full scale {lab.lockin.sensitivity:g} V)")
            rows = _block(scan, data.times(t_buffer), data.x, data.y, read, t_ramp, duration, b_from,
                          sign * rate, hall_t, hall_b, (t_hall, b) if ramping else None, t_sample, overload)
            if rows is not None:
                yield rows
            read = stored
            if not ramping or (li.buffer_capacity and stored >= li.buffer_capacity):
                break
    except GeneratorExit:  # the engine closes the plan (abort, error): no more messages
        closing = True
        raise
    finally:
        failures = _end_scan(li, fc, scan)
        if failures and not closing:
            yield Note("; ".join(failures))


def _end_scan(li: Any, fc: Any, scan: int) -> list[str]:
    """Stop the buffer and give the supply back the lab's ramp rate (the next approach, or the
    safe state's ramp to zero, at the lab's rate, not the sweep's). Each step is tried even if
    the other fails; failures are logged (with the traceback) and returned for a run note."""
    failures = []
    for what, undo in (("stopping the lock-in buffer", li.stop_buffer),
                       ("restoring the field ramp rate", lambda: setattr(fc, "ramp_rate", fc.ramp_rate_range.high))):
        try:
            undo()
        except Exception as exc:  # noqa: BLE001 - the run goes on to its end (or safe state) regardless
            log.warning("continuous sweep, scan %d: %s failed", scan, what, exc_info=True)
            failures.append(f"scan {scan}: {what} failed: {type(exc).__name__}: {exc}")
    return failures


def _block(scan: int, times: np.ndarray, x: np.ndarray, y: np.ndarray, first: int, t_ramp: float,
           duration: float, b_from: float, velocity: float, hall_t: list[float], hall_b: list[float],
           reading: tuple[float, float] | None, temperature: float, overload: bool) -> Block | None:
    since = times - t_ramp
    keep = (since >= 0) & (since <= duration)  # samples before or after the ramp are not kept
    if not keep.any():
        return None
    index = first + np.flatnonzero(keep)
    times, x, y, since = times[keep], np.asarray(x)[keep], np.asarray(y)[keep], since[keep]
    n = len(times)
    nominal = b_from + velocity * np.clip(since, 0.0, duration)
    line = AxisLine.fit(np.array(hall_t), np.array(hall_b))
    estimate = line(times) if line is not None else nominal
    hall_field, hall_time = np.full(n, np.nan), np.full(n, np.nan)
    if reading is not None:
        hall_time[0], hall_field[0] = reading
    return Block({"scan": np.full(n, scan), "index": index, "field_set": nominal,
                  "field": estimate, "x": np.asarray(x, float), "y": np.asarray(y, float), "time": times,
                  "temperature": np.full(n, temperature), "overload": np.full(n, float(overload)),
                  "hall_field": hall_field, "hall_time": hall_time})


# --- analysis ------------------------------------------------------------------------------------
def hall_lines(run: RunData) -> dict[int, AxisLine]:
    """Per scan, the straight line of its Hall readings taken during the ramp, in time: the one
    fit of the scan's field axis (its slope is the measured field rate, signed)."""
    scans, ht, hb = run["scan"].astype(int), run["hall_time"], run["hall_field"]
    lines = {}
    for scan in np.unique(scans):
        sel = (scans == scan) & np.isfinite(ht) & np.isfinite(hb)
        line = AxisLine.fit(ht[sel], hb[sel])
        if line is not None:
            lines[int(scan)] = line
    return lines


def _lag(line: AxisLine, settings: Mapping[str, Any]) -> float:
    """The filter delay of the scan of ``line`` in field, rate x n x tau (signed)."""
    return continuous_lag(line.slope, float(settings["time_constant"]), poles(settings["filter_slope"]))


def continuous_field(run: RunData, settings: Mapping[str, Any],
                     lines: Mapping[int, AxisLine] | None = None) -> np.ndarray:
    """Per row, the field the sample saw when the filter's input made that reading: the Hall
    line of its scan (``lines``, default :func:`hall_lines`) at the sample time, minus
    rate x n x tau (NaN for a scan without two Hall readings during its ramp)."""
    lines = hall_lines(run) if lines is None else lines
    out = np.full(len(run["scan"]), np.nan)
    scans, t = run["scan"].astype(int), run["time"]
    for scan, line in lines.items():
        rows = scans == scan
        out[rows] = line(t[rows]) - _lag(line, settings)
    return out


def continuous_average(run: RunData, settings: Mapping[str, Any], lines: Mapping[int, AxisLine] | None = None
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(field, X, Y) sorted by field; several scans are interpolated onto a common field grid
    (inside every scan's span) and averaged: the scans of each sweep direction, then the
    directions with equal weight, so a constant timing offset (which moves up and down scans by
    opposite amounts, :mod:`esr_directions`) cancels even when one direction has more scans."""
    lines = hall_lines(run) if lines is None else lines
    b = continuous_field(run, settings, lines)
    ok = np.isfinite(b)
    scans = run["scan"].astype(int)
    traces: dict[bool, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}
    for scan in np.unique(scans[ok]):
        sel = ok & (scans == scan)
        order = np.argsort(b[sel])
        traces.setdefault(bool(lines[int(scan)].slope > 0), []).append(
            (b[sel][order], run["x"][sel][order], run["y"][sel][order]))
    every = [tr for group in traces.values() for tr in group]
    if not every:
        return np.zeros(0), np.zeros(0), np.zeros(0)
    if len(every) == 1:
        return every[0]
    lo, hi = max(tr[0][0] for tr in every), min(tr[0][-1] for tr in every)
    grid = np.linspace(lo, hi, max(len(tr[0]) for tr in every))
    mean = lambda k: np.mean([np.mean([np.interp(grid, tr[0], tr[k]) for tr in group], axis=0)  # noqa: E731
                              for group in traces.values()], axis=0)
    return grid, mean(1), mean(2)


def continuous_lag_results(lines: Mapping[int, AxisLine], settings: Mapping[str, Any],
                           width_pp: float) -> dict[str, Any]:
    """``lockin_lag`` (the mean |rate| x n tau the axis was corrected by) and a note when it is
    above a tenth of the width (the correction is then first order: the line is also broadened)."""
    if not lines:
        return {}
    lag = float(np.mean([abs(_lag(line, settings)) for line in lines.values()]))
    out: dict[str, Any] = {"lockin_lag": FitValue(lag, float("nan"), "T")}
    if lag > 0.1 * abs(width_pp):
        out["lag_note"] = (f"continuous sweep: the field axis was moved back by the filter delay, "
                           f"{lag * 1e6:.3g} uT; above a tenth of the width {abs(width_pp) * 1e6:.3g} uT the "
                           f"line is also broadened by the filter (sweep slower or shorten the time constant)")
    return out


def field_axis_error(lines: Mapping[int, AxisLine], settings: Mapping[str, Any], b0: float) -> float:
    """1-sigma error (T) at ``b0`` of the scan-averaged field axis: each scan's Hall line in time
    at the time its lag-corrected axis reads b0 (``esr_errors.axis_error``), up and down scans
    weighted as their traces are (each direction's average counts once)."""
    return axis_error(lines, lambda line: b0 + _lag(line, settings), by_direction=True)


def problems(exp: "EsrFieldSweep") -> list[str]:
    """What makes a continuous sweep impossible before it starts (the lab's side: check_lab)."""
    duration = abs(exp.field_stop - exp.field_start) / exp.ramp_rate
    if duration < MIN_HALL_READINGS * CHUNK_S[0]:
        return [f"a continuous sweep of {abs(exp.field_stop - exp.field_start) * 1e3:g} mT at "
                f"{exp.ramp_rate * 1e3:g} mT/s lasts {duration:.2g} s: too short for the {MIN_HALL_READINGS} "
                f"timed Hall readings the field axis needs (>= {MIN_HALL_READINGS * CHUNK_S[0]:g} s); "
                f"lower ramp_rate"]
    return []


def expected_points(exp: "EsrFieldSweep") -> int:
    """Rows a run will record (for progress). Once the plan has started, a scan's ramp time at
    the rate the lab's lock-in gives (its ``buffer_rate_for``); before, with no lab at hand,
    at the sample interval asked for (min(tau / SAMPLES_PER_TC, scan time / points)): a
    buffer runs at least that fast (an SR830's rates step by 2, so up to twice as many rows)."""
    rows = getattr(exp, "_scan_rows", None)
    if rows is None:
        span = abs(exp.field_stop - exp.field_start) + 2 * ROLL_DELAYS * continuous_lag(
            exp.ramp_rate, exp.time_constant, poles(exp.filter_slope))
        duration = span / exp.ramp_rate
        rows = int(duration / min(exp.time_constant / SAMPLES_PER_TC, duration / exp.points))
    return exp.sweeps() * max(exp.points, rows)


def estimated_duration(exp: "EsrFieldSweep") -> float:
    span = abs(exp.field_stop - exp.field_start)
    return exp.sweeps() * (2 * span / exp.ramp_rate + exp.settle_time())


__all__ = ["ACQUISITIONS", "is_continuous", "plan_continuous", "hall_lines", "continuous_field", "continuous_average",
           "continuous_lag_results", "field_axis_error", "expected_points", "estimated_duration"]
