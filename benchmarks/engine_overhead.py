"""Run-engine overhead: esr-sweep's own plan run by ``RunEngine`` (as `spinbench run` does) against
the same plan consumed by a plain loop.

    python benchmarks/engine_overhead.py

Both variants do the same work on fresh simulated labs: validate, snapshot the lab, every
message of ``EsrFieldSweep.plan`` (setup, ramps, settling, lock-in reads), the safe state and
the final snapshot; the points go to a list. The engine adds what users rely on: abort and
pause checks, interlocks (the CLI's default temperature interlock), subscribers, run metadata.

Target: CPU time engine / plain loop <= 1.05 (``time.process_time``: the machine is shared).
Interleaved in one process, repeated; the median and range of the paired per-round ratios. Exits 1 when the target is missed.
"""
from __future__ import annotations

import gc
import sys
import time
from typing import Any

import numpy as np

from app.engine import RunEngine
from app.simlab import build_sim_lab
from sequences.experiment import Block, Point
from sequences.experiments import EsrFieldSweep
from sim_backend.world import SimulatedWorld

POINTS = 2000
REPEATS = 15


def experiment() -> EsrFieldSweep:
    # Near zero field so ramps to the start and back to zero (same in both) cost little.
    return EsrFieldSweep(points=POINTS, settle_tc=0.0, field_start=0.0, field_stop=1e-4)


def plain(lab: Any) -> float:
    exp = experiment()
    rows: list[dict] = []
    t0 = time.process_time()
    exp.validate(lab)
    lab.snapshot()
    plan = exp.plan(lab)
    reply = None
    while True:
        try:
            msg = plan.send(reply)
        except StopIteration:
            break
        reply = None
        if type(msg) is Point:
            rows.append(msg.data)
        elif type(msg) is Block:
            rows.extend({k: v[i] for k, v in msg.data.items()} for i in range(len(msg)))
    lab.make_safe()
    lab.snapshot()
    return time.process_time() - t0


def engine(lab: Any) -> float:
    eng = RunEngine(lab)  # default interlocks, as the CLI builds it
    eng.analyse = False
    rows: list[dict] = []

    class Collect:
        def point(self, index: int, data: dict) -> None:
            rows.append(data)

    t0 = time.process_time()
    eng.run(experiment(), [Collect()])
    return time.process_time() - t0


def main() -> int:
    print("path measured: RunEngine.run of the esr-sweep plan (spinbench run's engine) against the same plan "
          "in a plain loop; simulated lab; CPU time")
    t_plain, t_engine = [], []
    for k in range(REPEATS):  # interleaved, the order alternating: other processes' load hits both alike
        for which in ((plain, engine) if k % 2 == 0 else (engine, plain)):
            lab = build_sim_lab(SimulatedWorld(seed=1))
            gc.collect()
            gc.disable()  # as timeit does: a collection landing in one variant is not its cost
            try:
                (t_plain if which is plain else t_engine).append(which(lab))
            finally:
                gc.enable()
    p, e = float(np.median(t_plain)), float(np.median(t_engine))
    ratios = [b / a for a, b in zip(t_plain, t_engine)]  # paired: each round's two runs share its load
    ratio = float(np.median(ratios))
    print(f"plain loop : median {p * 1e3:.1f} ms CPU for {POINTS} points "
          f"(range {min(t_plain) * 1e3:.1f}-{max(t_plain) * 1e3:.1f})")
    print(f"run engine : median {e * 1e3:.1f} ms CPU (range {min(t_engine) * 1e3:.1f}-{max(t_engine) * 1e3:.1f})")
    ok = ratio <= 1.05
    print(f"ratio engine/plain = {ratio:.3f} (median of {REPEATS} paired rounds, range {min(ratios):.3f}-"
          f"{max(ratios):.3f}; target <= 1.05) {'ok' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
