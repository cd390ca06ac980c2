"""Run-engine overhead per point against a bare loop making the same role calls.

    python benchmarks/engine_overhead.py

Target: ratio engine/bare <= 1.05 for 2000 points with zero settle time.
Both variants run on fresh simulated labs in the same process, interleaved, best of N.
"""
from __future__ import annotations

import time

import numpy as np

from app.engine import RunEngine
from app.simlab import build_sim_lab
from sequences.experiments import EsrFieldSweep
from sim_backend.world import SimulatedWorld

POINTS = 2000


def experiment() -> EsrFieldSweep:
    # Near zero field so ramps to the start and back to zero (same in both) cost nothing.
    return EsrFieldSweep(points=POINTS, settle_tc=0.0, field_start=0.0, field_stop=1e-4)


def bare(lab) -> float:
    t0 = time.perf_counter()
    exp = experiment()
    exp._setup(lab)
    fc, li, hall = lab.field, lab.lockin, lab.gaussmeter
    fields = exp.fields()
    fc.ramp_to(float(fields[0]))
    lab.sleep(0.0)
    rows = []
    for i, b in enumerate(fields):
        fc.setpoint = float(b)
        fc.wait_until_settled()
        lab.sleep(0.0)
        x, y = li.read_xy()
        rows.append({"scan": 0, "index": i, "field_set": float(b), "field": hall.read_field(), "x": x, "y": y,
                     "time": lab.clock.now(), "temperature": float("nan")})
    lab.make_safe()
    return time.perf_counter() - t0


def engine(lab) -> float:
    eng = RunEngine(lab, interlocks=[])
    eng.analyse = False
    rows = []

    class Collect:
        def point(self, index, data):
            rows.append(data)

    t0 = time.perf_counter()
    eng.run(experiment(), [Collect()])
    return time.perf_counter() - t0


def main(repeats: int = 7) -> dict[str, float]:
    t_bare, t_engine = [], []  # interleaved, best of N: other processes share the CPU
    for _ in range(repeats):
        t_bare.append(bare(build_sim_lab(SimulatedWorld(seed=1))))
        t_engine.append(engine(build_sim_lab(SimulatedWorld(seed=1))))
    b, e = min(t_bare), min(t_engine)
    ratio = e / b
    print(f"bare loop : {POINTS / b:9.0f} points/s ({b * 1e3:.1f} ms for {POINTS})")
    print(f"run engine: {POINTS / e:9.0f} points/s ({e * 1e3:.1f} ms, same setup, ramps and safe state)")
    print(f"ratio engine/bare = {ratio:.3f}  (target <= 1.05)")
    return {"ratio": ratio, "engine_pps": POINTS / e, "bare_pps": POINTS / b}


if __name__ == "__main__":
    main()
