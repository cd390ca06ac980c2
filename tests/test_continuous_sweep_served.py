"""The continuous sweep over the wire: the served lab (SR830, Kepco BOP, Lake Shore 475 ... on
localhost TCP) driven by the real drivers, with a fake lab clock that the served world follows
(no wall-clock pacing, no wall-clock asserts). Throughput is counted in points per bus command
and per simulated second; benchmarks/continuous_sweep.py measures the wall-clock figure."""
from __future__ import annotations

import math
import tomllib

import numpy as np
import pytest

from app.engine import MemoryCollector, RunEngine
from app.labconfig import build_lab
from sequences.experiments import EsrFieldSweep
from sim_backend.served import serve_lab
from sim_backend.world import SimulatedWorld

G_TRUE = 2.0036
SWEEP = dict(field_start=0.3373, field_stop=0.3403, time_constant=3e-3, settle_tc=7.0)


class FakeClock:
    """The lab's clock and the served world's: time moves only when the plan or a driver waits."""

    simulated = True

    def __init__(self, t0: float) -> None:
        self.t = t0

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += max(0.0, seconds)


def served_run(seed: int, *, buffer_delay: float = 0.0, **params):
    """``buffer_delay``: the served SR830's buffer takes its first sample that long after STRT
    (a test hook of the simulated instrument; the experiment is not told)."""
    world = SimulatedWorld(seed=seed)
    served = serve_lab(world, roles=("rf", "lockin", "field", "gaussmeter"), serial=())
    served.instruments["lockin"].buffer.start_delay = buffer_delay
    clock = FakeClock(world.clock.now())
    served.link.world_time_now = clock.now
    lab = build_lab(tomllib.loads(served.toml()))
    lab.clock = clock
    sent = lambda: sum(len(i.received) for i in served.instruments.values())  # noqa: E731
    counts: list[tuple[int, int]] = []

    class Counter:  # (bus commands sent so far, rows) at each delivery of data
        def point(self, index, data):
            counts.append((sent(), 1))

        def block(self, index, data):
            counts.append((sent(), len(data["x"])))

    try:
        memory = MemoryCollector()
        info = RunEngine(lab).run(EsrFieldSweep(**SWEEP, **params), [memory, Counter()])
        assert info.status == "completed", info.error
        # Made safe: ramped to 0 A, within the supply driver's current tolerance (asked through the
        # driver: a query brings the served world up to date).
        assert lab.field.setpoint == 0.0
        assert abs(lab.field.field) <= lab.field.options["current_tolerance"] * lab.field.tesla_per_amp * 1.001
        rows = memory.rows
    finally:
        lab.close()
        served.stop()
    return info, rows, counts


def sweep_cost(rows, counts: list[tuple[int, int]]) -> tuple[float, float]:
    """(points per simulated second of sweeping, points per bus command while sweeping: from the
    first delivery of data to the last, so the approach and the safe state are not counted)."""
    scans = np.array([r["scan"] for r in rows])
    times = np.array([r["time"] for r in rows])
    span = sum(np.ptp(times[scans == s]) for s in np.unique(scans))
    after_first = sum(n for _, n in counts[1:])
    return len(rows) / span, after_first / (counts[-1][0] - counts[0][0])


@pytest.mark.slow
def test_continuous_over_the_wire_matches_stepped_with_ten_times_the_points_per_command():
    step_info, step_rows, step_sent = served_run(3, points=61, ramp_rate=0.1)
    cont_info, cont_rows, cont_sent = served_run(4, points=61, ramp_rate=1e-3, acquisition="continuous")
    s, c = step_info.results, cont_info.results
    for key in ("g_factor", "linewidth_pp"):
        err = math.hypot(s[key].error, c[key].error)
        assert abs(s[key].value - c[key].value) < 3 * err, (key, s[key], c[key])
    assert abs(c["g_factor"].value - G_TRUE) < 4 * c["g_factor"].error
    step_rate, step_per_cmd = sweep_cost(step_rows, step_sent)
    cont_rate, cont_per_cmd = sweep_cost(cont_rows, cont_sent)
    print(f"points per simulated second {step_rate:.1f} -> {cont_rate:.1f}, per command {step_per_cmd:.3f} -> "
          f"{cont_per_cmd:.3f}")
    assert cont_rate > 10 * step_rate
    assert cont_per_cmd > 10 * step_per_cmd
    assert len(cont_rows) > 10 * len(step_rows)


@pytest.mark.slow
def test_alternate_continuous_over_the_wire_agrees_with_stepped_and_measures_a_late_buffer_start():
    """Two scans, up then down (sweep_direction 'auto'), the served buffer starting 5 ms late:
    their average gives the stepped sweep's g, their difference the 5 ms."""
    step_info, _, _ = served_run(3, points=61, ramp_rate=0.1)
    info, rows, _ = served_run(5, buffer_delay=5e-3, points=61, ramp_rate=1e-3, acquisition="continuous", scans=2)
    s, c = step_info.results, info.results
    assert sorted({r["scan"] for r in rows}) == [0, 1] and "1 up and 1 down" in c["direction_note"]
    err = math.hypot(s["g_factor"].error, c["g_factor"].error)
    assert abs(s["g_factor"].value - c["g_factor"].value) < 3 * err, (s["g_factor"], c["g_factor"])
    assert abs(c["g_factor"].value - G_TRUE) < 4 * c["g_factor"].error
    offset = c["timing_offset"]
    assert abs(offset.value - 5e-3) < 3 * offset.error and offset.error < 1e-3, offset
