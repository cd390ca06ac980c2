"""Bloch-simulation throughput: isochromat-steps per second, vectorised vs a plain Python loop.

    python benchmarks/bloch.py [--isochromats 100000] [--steps 1000]

A "step" is one interval of a pulse program (a closed-form affine map per isochromat). The
workload is a CPMG train: pulses and free precession alternate, T1 and T2 on, so half the
steps are full 3x3 rotations and half are precession. Measured in the same run:

* vectorised: sim_backend.pulsed.Ensemble (float64 and float32), 1e5 isochromats x 1e3 steps;
* the whole simulated spectrometer: a compiled CPMG program (loops and all) executed by the
  simulated PulseBlaster on the same ensemble size;
* baseline: the same cached maps applied by a per-isochromat Python loop (math module),
  timed on a few hundred isochromats and expressed per isochromat-step.

Target: 1e5 isochromats x 1e3 steps in < 0.5 s on the 2-core machine.
"""
from __future__ import annotations

import argparse
import math
import os
import time

import numpy as np

from sim_backend.pulsed.bloch import Ensemble

W1 = 2 * math.pi * 12.5e6
TAU, TP = 300e-9, 40e-9


def ensemble(n: int, dtype=np.float64) -> Ensemble:
    u = (np.arange(n) + 0.5) / n
    from scipy.special import ndtri

    return Ensemble(2 * math.pi * 0.85e6 * ndtri(u), t1=20e-6, t2=1.5e-6, dtype=dtype)


def vectorised(n: int, steps: int, dtype=np.float64) -> float:
    ens = ensemble(n, dtype)
    pulse = ens.rf_map(TP, W1, math.pi / 2)
    free = ens.free_map(TAU)
    t = time.perf_counter()
    for k in range(steps):
        ens.apply(pulse if k % 2 else free)
    return time.perf_counter() - t


def baseline(n: int, steps: int) -> float:
    """Same maps, applied isochromat by isochromat, step by step, in pure Python."""
    ens = ensemble(n)
    pulse, free = ens.rf_map(TP, W1, math.pi / 2), ens.free_map(TAU)
    rows = np.moveaxis(pulse.r, -1, 0).tolist()  # per isochromat: 3x3 nested lists
    bs = pulse.b.T.tolist()
    fa, fb = free.a.tolist(), free.b.tolist()
    e1, r = free.e1, free.r
    t = time.perf_counter()
    for i in range(n):
        x, y, z = 0.0, 0.0, 1.0
        (r00, r01, r02), (r10, r11, r12), (r20, r21, r22) = rows[i]
        b0, b1, b2 = bs[i]
        a, b = fa[i], fb[i]
        for k in range(steps):
            if k % 2:
                x, y, z = (r00 * x + r01 * y + r02 * z + b0, r10 * x + r11 * y + r12 * z + b1,
                           r20 * x + r21 * y + r22 * z + b2)
            else:
                x, y, z = a * x - b * y, b * x + a * y, e1 * z + r
    return time.perf_counter() - t


def spectrometer(n: int, echoes: int) -> tuple[float, int]:
    """A compiled CPMG program (no acquisition) run by the simulated PulseBlaster."""
    from app.simlab import build_sim_lab
    from sequences.pulse import Constraints, compile_pulseblaster, delay, loop, pulse
    from sequences.pulse.model import PhaseCycle, Sequence
    from sim_backend.pulsed import PulsedSample, add_pulsed
    from sim_backend.world import SimulatedWorld

    world = SimulatedWorld(seed=1)
    sample = PulsedSample(static_field=0.34, isochromats=n)
    add_pulsed(world, sample)
    lab = build_sim_lab(world)
    lab.rf.frequency, lab.rf.power, lab.rf.output = sample.gamma * 0.34, 0.0625, True
    seq = Sequence("cpmg-bench", (pulse("20ns", "x", name="p1"), delay("280ns"),
                                  loop(echoes, pulse("40ns", "y"), delay("560ns")), delay("1ms")),
                   phase_cycle=PhaseCycle())
    program = compile_pulseblaster(seq, Constraints.from_lab(lab, max_rf_duty_cycle=1.0))
    t = time.perf_counter()
    lab.pulser.load(program)
    lab.pulser.start()
    return time.perf_counter() - t, world.pulsed.ensemble.steps


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--isochromats", type=int, default=100_000)
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--baseline-isochromats", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    n, steps = args.isochromats, args.steps
    work = n * steps
    print(f"workload: {n:.0e} isochromats x {steps} steps (CPMG: rotations and precession alternate); "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    # best of several: the machine is shared, and the minimum is the least disturbed run
    t64 = min(vectorised(n, steps) for _ in range(args.repeats))
    t32 = min(vectorised(n, steps, np.float32) for _ in range(args.repeats))
    tb = min(baseline(args.baseline_isochromats, steps) for _ in range(3))
    rate_b = args.baseline_isochromats * steps / tb
    ts, applied = min(spectrometer(n, steps // 2) for _ in range(2))
    print(f"  vectorised float64      {t64:7.3f} s   {work / t64:10.3e} isochromat-steps/s")
    print(f"  vectorised float32      {t32:7.3f} s   {work / t32:10.3e} isochromat-steps/s")
    print(f"  simulated spectrometer  {ts:7.3f} s   {n * applied / ts:10.3e} isochromat-steps/s "
          f"({applied} intervals from the compiled program)")
    print(f"  Python loop baseline    {work / rate_b:7.1f} s*  {rate_b:10.3e} isochromat-steps/s "
          f"(*extrapolated from {args.baseline_isochromats} isochromats)")
    print(f"ratio vectorised/baseline: float64 {work / t64 / rate_b:.0f}x, float32 {work / t32 / rate_b:.0f}x")
    verdict = "meets" if t64 < 0.5 else "misses"
    print(f"target 1e5 x 1e3 in < 0.5 s: float64 {t64:.3f} s ({verdict} it)")


if __name__ == "__main__":
    main()
