"""Points per wall second of esr-sweep over the wire: stepped vs continuous acquisition.

    python benchmarks/continuous_sweep.py [--rounds 3] [--quick] [--target 10]

The served cw lab (SR830, Kepco BOP, Lake Shore 475, source; localhost TCP) runs in its own
process, its world on the wall clock, as real instruments would; the real drivers run the
experiment here. Counted from the first data delivered to the last (the approach ramp and the
safe state are not part of either sweep): points recorded / wall seconds. The stepped sweep pays
a settling wait and several bus round trips per point; the continuous one reads the lock-in's
buffer in blocks while the field ramps.

The modes alternate for ``--rounds`` rounds (the machine is shared: each round sees one load for
both), each run on a fresh served lab; the median and range of each mode's rate and of the
per-round ratio continuous/stepped are reported. Exits 1 when the median ratio misses the target.

The continuous sweep takes two scans, up then down (``sweep_direction`` 'auto'): over the wire the
buffer's sample 0 is dated by this process's clock after the start command, a constant timing
offset that moves a one-way sweep's line by rate x offset; the up/down average cancels it and
their difference measures it (``timing_offset``, printed).
"""
from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import time
import tomllib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.engine import MemoryCollector, RunEngine  # noqa: E402
from app.labconfig import build_lab  # noqa: E402
from sequences.experiments import EsrFieldSweep  # noqa: E402

SWEEP = dict(field_start=0.3373, field_stop=0.3403, time_constant=3e-3, settle_tc=7.0, points=61)
MODES = {"stepped": dict(ramp_rate=0.1), "continuous": dict(acquisition="continuous", ramp_rate=1e-3, scans=2)}


def serve(conn, seed: int) -> None:
    from sim_backend.served import serve_lab
    from sim_backend.world import SimulatedWorld

    lab = serve_lab(SimulatedWorld(seed=seed), roles=("rf", "lockin", "field", "gaussmeter"), serial=())
    conn.send(lab.toml())
    conn.recv()  # until told to stop
    lab.stop()


def measure(mode: str, seed: int) -> tuple[float, int, dict]:
    """(points per wall second while sweeping, points, the run's results) for one run."""
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
        return rows / (marks[-1][0] - marks[0][0]), sum(n for _, n in marks), info.results
    finally:
        parent.send("stop")
        proc.join(10)


def spread(values: list[float], fmt: str) -> str:
    """'median (min .. max)' of ``values``."""
    return f"{statistics.median(values):{fmt}} ({min(values):{fmt}} .. {max(values):{fmt}})"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--target", type=float, default=10.0, help="required ratio continuous/stepped (median)")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds, each runs both modes (default 3)")
    ap.add_argument("--quick", action="store_true", help="one round")
    ap.add_argument("--seed", type=int, default=3)
    args = ap.parse_args()
    rounds = 1 if args.quick else args.rounds
    if rounds < 1:
        ap.error(f"--rounds {rounds}: at least 1")
    print(f"measures: points per wall second while sweeping, `spinbench run esr-sweep --config <served lab> --set "
          f"acquisition=continuous` vs stepped (run engine + real SR830, Kepco BOP, Lake Shore 475 drivers over "
          f"localhost TCP to the served lab, its world on the wall clock), {rounds} interleaved round(s); "
          f"target: ratio >= {args.target:g}", flush=True)
    rates: dict[str, list[float]] = {mode: [] for mode in MODES}
    for r in range(rounds):
        for mode in (MODES if r % 2 == 0 else reversed(list(MODES))):  # alternate which goes first
            rate, n, res = measure(mode, args.seed + r)
            rates[mode].append(rate)
            g, offset = res["g_factor"], res.get("timing_offset")
            told = f", timing offset {offset.value * 1e3:.2f} +- {offset.error * 1e3:.2f} ms" if offset else ""
            print(f"  round {r + 1} {mode:>10}: {rate:8.1f} points/s ({n} points), g = {g.value:.6f} +- "
                  f"{g.error:.1e}{told}", flush=True)
    ratios = [c / s for c, s in zip(rates["continuous"], rates["stepped"])]
    for mode, values in rates.items():
        print(f"{mode:>10}: median (range) {spread(values, '.1f')} points/s over the wire")
    ratio = statistics.median(ratios)
    ok = ratio >= args.target
    print(f"ratio continuous/stepped, median (range) of the rounds: {spread(ratios, '.1f')} "
          f"(target >= {args.target:g}): {'ok' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
