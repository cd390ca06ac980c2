"""Points per wall second of esr-sweep over the wire: stepped vs continuous acquisition.

    python benchmarks/continuous_sweep.py [--target 10]

The served cw lab (SR830, Kepco BOP, Lake Shore 475, source; localhost TCP) runs in its own
process, its world on the wall clock, as real instruments would; the real drivers run the
experiment here. Counted from the first data delivered to the last (the approach ramp and the
safe state are not part of either sweep): points recorded / wall seconds. The stepped sweep pays
a settling wait and several bus round trips per point; the continuous one reads the lock-in's
buffer in blocks while the field ramps. Exits non-zero when the ratio misses the target.
"""
from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
import tomllib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.engine import MemoryCollector, RunEngine  # noqa: E402
from app.labconfig import build_lab  # noqa: E402
from sequences.experiments import EsrFieldSweep  # noqa: E402

SWEEP = dict(field_start=0.3373, field_stop=0.3403, time_constant=3e-3, settle_tc=7.0, points=61)
MODES = {"stepped": dict(ramp_rate=0.1), "continuous": dict(acquisition="continuous", ramp_rate=1e-3)}


def serve(conn, seed: int) -> None:
    from sim_backend.served import serve_lab
    from sim_backend.world import SimulatedWorld

    lab = serve_lab(SimulatedWorld(seed=seed), roles=("rf", "lockin", "field", "gaussmeter"), serial=())
    conn.send(lab.toml())
    conn.recv()  # until told to stop
    lab.stop()


def measure(mode: str, seed: int) -> tuple[float, int, float, float]:
    """(points per wall second while sweeping, points, g, g error) for one run."""
    parent, child = multiprocessing.Pipe()
    proc = multiprocessing.Process(target=serve, args=(child, seed), daemon=True)
    proc.start()
    try:
        lab = build_lab(tomllib.loads(parent.recv()))
        marks: list[tuple[float, int]] = []

        class Clock:  # wall time and rows at each delivery of data
            def point(self, index, data):
                marks.append((time.monotonic(), 1))

            def block(self, index, data):
                marks.append((time.monotonic(), len(data["x"])))

        try:
            info = RunEngine(lab).run(EsrFieldSweep(**SWEEP, **MODES[mode]), [MemoryCollector(), Clock()])
        finally:
            lab.close()
        if info.status != "completed":
            raise SystemExit(f"{mode} run {info.status}: {info.error}")
        rows = sum(n for _, n in marks[1:])
        g = info.results.get("g_factor")
        return rows / (marks[-1][0] - marks[0][0]), sum(n for _, n in marks), g.value, g.error
    finally:
        parent.send("stop")
        proc.join(10)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--target", type=float, default=10.0, help="required ratio continuous/stepped")
    ap.add_argument("--seed", type=int, default=3)
    args = ap.parse_args()
    rates = {}
    for mode in MODES:
        rate, n, g, g_err = measure(mode, args.seed)
        rates[mode] = rate
        print(f"{mode:>10}: {rate:8.1f} points/s over the wire ({n} points), g = {g:.6f} +- {g_err:.1e}")
    ratio = rates["continuous"] / rates["stepped"]
    ok = ratio >= args.target
    print(f"ratio continuous/stepped: {ratio:.1f} (target >= {args.target:g}): {'ok' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
