"""Bloch simulation of a CPMG train, 1e5 isochromats x 1e3 intervals, on the path of a pulsed
experiment (`spinbench run cpmg --sim`): the simulated PulseBlaster executing a compiled program.

    python benchmarks/bloch.py [--isochromats 100000] [--echoes 500] [--repeats 5]

Measured interleaved in one process, CPU time (time.process_time: the machine is shared):

* spectrometer float32 / float64: a compiled CPMG program (p1, delay, a loop of `echoes` x
  (pi pulse, delay)) loaded and run by the simulated pulse programmer on an ensemble of that
  dtype: map construction and the loop, T1 and T2 on. Nothing samples the state inside the
  loop, so each delay is folded into the next pulse and equal echoes are squared
  (sim_backend.pulsed.bloch.PendingMaps): exact, log2(echoes) cached squarings;
* folded, echoes sampled: what a train costs when the receiver samples every echo (no
  squaring possible): float32 maps, one delay+pulse pass per echo;
* baseline: the best plain numpy implementation in the complex form M+ = Mx + i My, Mz real:
  the same interval maps (a pulse as M+' = A M+ + B conj(M+) + C Mz + b+,
  Mz' = Re(D M+) + E Mz + bz; a delay as one complex multiply and a real scale and offset),
  computed once, applied interval by interval in place into preallocated buffers (complex128,
  numpy's default); a complex64 version of it is printed for information.

Target: the float32 spectrometer <= 0.25 s for 1e5 x 1e3 and >= 3x the complex128 baseline;
float32 agrees with float64 (printed). Exits 1 when a target is missed.
"""
from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time

import numpy as np

TARGET_S, TARGET_RATIO = 0.25, 3.0
W1 = 2 * math.pi * 12.5e6  # 0.0625 W at 50 MHz/sqrt(W): pi/2 = 20 ns, pi = 40 ns
T_P1, T_PI, TAU = 20e-9, 40e-9, 280e-9
T1, T2 = 2e-3, 1e-3  # long enough that 500 echoes end far from equilibrium (a state worth comparing)


def spectrometer(n: int, echoes: int, dtype: str) -> tuple[float, np.ndarray]:
    """CPU seconds of load + run of a compiled CPMG program; the final magnetisation."""
    from app.simlab import build_sim_lab
    from sequences.pulse import Constraints, compile_pulseblaster, delay, loop, pulse
    from sequences.pulse.model import PhaseCycle, Sequence
    from sim_backend.pulsed import PulsedSample, add_pulsed
    from sim_backend.world import SimulatedWorld

    world = SimulatedWorld(seed=1)
    sample = PulsedSample(static_field=0.34, isochromats=n, dtype=dtype, t1=T1, t2=T2)
    add_pulsed(world, sample)
    lab = build_sim_lab(world)
    lab.rf.frequency, lab.rf.power, lab.rf.output = sample.gamma * 0.34, 0.0625, True
    seq = Sequence("cpmg-bench", (pulse("20ns", "x", name="p1"), delay("280ns"),
                                  loop(echoes, pulse("40ns", "y"), delay("560ns"))), phase_cycle=PhaseCycle())
    program = compile_pulseblaster(seq, Constraints.from_lab(lab, max_rf_duty_cycle=1.0))
    t = time.process_time()
    lab.pulser.load(program)
    lab.pulser.start()
    return time.process_time() - t, world.pulsed.ensemble.m.astype(float)


def folded(n: int, echoes: int) -> tuple[float, np.ndarray]:
    """As when the receiver samples every echo (nothing to square): the ensemble's float32 maps,
    each delay folded into the next pulse, one pass per echo."""
    from sim_backend.pulsed import PulsedSample
    from sim_backend.pulsed.bloch import Ensemble

    s = PulsedSample(static_field=0.34, isochromats=n, t1=T1, t2=T2)
    ens = Ensemble(s.offsets(), t1=s.t1, t2=s.t2, dtype=np.float32)
    t = time.process_time()
    pi = ens.rf_map(T_PI, W1, math.pi / 2)
    ens.apply(ens.rf_map(T_P1, W1, 0.0))
    ens.apply(ens.then(ens.free_map(TAU), pi))
    echo = ens.then(ens.free_map(2 * TAU), pi)
    for _ in range(echoes - 1):
        ens.apply(echo)
    ens.free(2 * TAU)
    return time.process_time() - t, ens.m.astype(float)


def complex_maps(n: int, dtype) -> dict[str, np.ndarray | float]:
    """Interval maps of the same sample in complex form (set-up, not timed)."""
    from sim_backend.pulsed import PulsedSample
    from sim_backend.pulsed.bloch import Ensemble

    s = PulsedSample(static_field=0.34, isochromats=n, t1=T1, t2=T2)
    ens = Ensemble(s.offsets(), t1=s.t1, t2=s.t2)
    out: dict[str, np.ndarray | float] = {}
    for name, m in (("p1", ens.rf_map(T_P1, W1, 0.0)), ("pi", ens.rf_map(T_PI, W1, math.pi / 2))):
        r, b = m.r, m.b
        out[name] = [((r[0, 0] + r[1, 1]) + 1j * (r[1, 0] - r[0, 1])) / 2,  # A
                     ((r[0, 0] - r[1, 1]) + 1j * (r[1, 0] + r[0, 1])) / 2,  # B
                     r[0, 2] + 1j * r[1, 2], r[2, 0], -r[2, 1], r[2, 2],  # C, Re D, Im D (sign: Re(D M+)), E
                     b[0] + 1j * b[1], b[2]]
    for name, dt in (("tau", TAU), ("2tau", 2 * TAU)):
        f = ens.free_map(dt)
        out[name] = [f.a + 1j * f.b, f.e1, f.r]
    ctype = np.complex64 if dtype == np.float32 else np.complex128
    return {k: [np.asarray(x, ctype if np.iscomplexobj(x) else dtype) if isinstance(x, np.ndarray) else x
                for x in v] for k, v in out.items()}


def baseline(n: int, echoes: int, dtype=np.float64) -> tuple[float, np.ndarray]:
    maps = complex_maps(n, dtype)
    ctype = np.complex64 if dtype == np.float32 else np.complex128
    mp, mz = np.zeros(n, ctype), np.ones(n, dtype)
    t, z2, tz = np.empty(n, ctype), np.empty(n, dtype), np.empty(n, dtype)

    def rotate(mp, mz, z2, a, b, c, dr, di, e, bp, bz):
        np.multiply(e, mz, out=z2)
        np.multiply(dr, mp.real, out=tz)
        z2 += tz
        np.multiply(di, mp.imag, out=tz)
        z2 -= tz
        z2 += bz
        np.conjugate(mp, out=t)
        np.multiply(t, b, out=t)
        mp *= a
        np.add(mp, t, out=mp)
        np.multiply(c, mz, out=t)
        np.add(mp, t, out=mp)
        mp += bp
        return z2, mz  # new Mz, spare buffer

    def precess(mp, mz, f, e1, r):
        mp *= f
        mz *= e1
        mz += r

    start = time.process_time()
    mz, z2 = rotate(mp, mz, z2, *maps["p1"])
    precess(mp, mz, *maps["tau"])
    for k in range(echoes):
        mz, z2 = rotate(mp, mz, z2, *maps["pi"])
        precess(mp, mz, *maps["2tau"])
    return time.process_time() - start, np.array([mp.real, mp.imag, mz], float)


def summary(values: list[float]) -> str:
    return f"{statistics.median(values):7.3f} s (range {min(values):.3f} .. {max(values):.3f})"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--isochromats", type=int, default=100_000)
    ap.add_argument("--echoes", type=int, default=500)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    n, echoes = args.isochromats, args.echoes
    print(f"CPMG Bloch simulation on the path of a pulsed run (simulated PulseBlaster executing the compiled "
          f"program): {n:.0e} isochromats x {2 * echoes + 2} intervals, CPU time, "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    names = ("spectrometer float32", "spectrometer float64", "baseline complex128", "baseline complex64",
             "folded, echoes sampled")
    runs: dict[str, list[float]] = {k: [] for k in names}
    finals: dict[str, np.ndarray] = {}
    for _ in range(args.repeats):
        for name in names:
            if name.startswith("spectrometer"):
                t, m = spectrometer(n, echoes, name.split()[1])
            elif name.startswith("folded"):
                t, m = folded(n, echoes)
            else:
                t, m = baseline(n, echoes, np.float64 if name.endswith("128") else np.float32)
            runs[name].append(t)
            finals[name] = m
    for name in names:
        print(f"  {name:22s} {summary(runs[name])}")
    ours, base = statistics.median(runs[names[0]]), statistics.median(runs[names[2]])
    ratio = base / ours
    dev32 = float(np.max(np.abs(finals[names[0]] - finals[names[1]])))
    dev_base = float(np.max(np.abs(finals[names[1]] - finals[names[2]])))
    print(f"float32 vs float64 spectrometer: max |dM| = {dev32:.1e}; float64 spectrometer vs baseline: {dev_base:.1e}")
    print(f"ratio baseline complex128 / spectrometer float32 = {ratio:.2f} (target >= {TARGET_RATIO}); "
          f"vs the complex64 baseline {statistics.median(runs[names[3]]) / ours:.2f}")
    ok = ours <= TARGET_S and ratio >= TARGET_RATIO and dev32 < 1e-4
    print(f"target <= {TARGET_S} s and >= {TARGET_RATIO}x: {ours:.3f} s, {ratio:.2f}x ({'meets' if ok else 'MISSES'} it)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
