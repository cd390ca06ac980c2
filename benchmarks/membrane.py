"""Membrane simulator speed: simulated seconds per wall-clock second, against baselines that
time-step the full oscillator, all measured in this run.

    python benchmarks/membrane.py [--quick]

Envelope simulator (ours): exact discretisation of the slowly varying envelope + lock-in stages
(sim_backend.membrane), driven by the piezo and the thermal force, read out every 10 ms (every
read forces an integration step) and, separately, in long unread stretches.
Baselines: the mode m x'' + m w0/Q x' + k x = F integrated directly at 20 steps per period of the
1 MHz oscillation (dt = 50 ns), (a) a plain Python loop (semi-implicit Euler + Langevin force),
(b) the best a direct method can do: the exact second-order recursion of the sampled oscillator
run in C through scipy.signal.lfilter.
"""
from __future__ import annotations

import math
import sys
import time

import numpy as np
from scipy.signal import lfilter

sys.path.insert(0, ".")

from app.simlab import build_sim_lab  # noqa: E402
from sim_backend.constants import KB  # noqa: E402
from sim_backend.world import SimulatedWorld  # noqa: E402


def timed(fn, *args) -> float:
    t = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t


def envelope_lab(sim_seconds: float, read_interval: float) -> float:
    """Full simulated lab; the membrane lock-in read every ``read_interval`` (s of sim time)."""
    lab = build_sim_lab(SimulatedWorld(seed=1))
    lab.lockin.time_constant = 0.1
    mode = lab.world.membrane.mode
    d = lab.displacement
    d.calibrate_fringe()
    d.lock_working_point()
    lab.piezo.frequency, lab.piezo.amplitude, lab.piezo.output = mode.f0, 0.5, True
    li = d.demodulator

    def go() -> None:
        for _ in range(int(sim_seconds / read_interval)):
            lab.sleep(read_interval)
            li.read_xy()

    return sim_seconds / timed(go)


def envelope_process(sim_seconds: float, step: float) -> float:
    """The membrane process alone, stepped and flushed every ``step`` seconds."""
    world = SimulatedWorld(seed=2)
    build_sim_lab(world)
    system = world.membrane
    system.ifo.calibrate()
    system.ifo.lock()
    system.piezo.output, system.piezo.amplitude = True, 0.5

    def go() -> None:
        t = 0.0
        for _ in range(int(sim_seconds / step)):
            system.advance(t, step)
            system.flush()
            t += step

    return sim_seconds / timed(go)


def direct_python(sim_seconds: float, f0: float = 1e6, q: float = 1e6, m: float = 150e-12, temp: float = 300.0) -> float:
    w0 = 2 * math.pi * f0
    dt = 1 / (20 * f0)
    n = int(sim_seconds / dt)
    sigma_f = math.sqrt(4 * KB * temp * m * w0 / q / (2 * dt))  # one-sided S_F, sampled at dt
    rng = np.random.default_rng(0)
    forces = rng.standard_normal(n) * sigma_f

    def go() -> None:
        x = v = 0.0
        gamma = w0 / q
        for k in range(n):
            v += dt * ((forces[k] / m) - gamma * v - w0 * w0 * x)
            x += dt * v

    return sim_seconds / timed(go)


def direct_lfilter(sim_seconds: float, f0: float = 1e6, q: float = 1e6) -> float:
    """Exact recursion x_{k+1} = 2 r cos(wd dt) x_k - r^2 x_{k-1} + input (sampled oscillator)."""
    w0 = 2 * math.pi * f0
    dt = 1 / (20 * f0)
    n = int(sim_seconds / dt)
    r = math.exp(-w0 / (2 * q) * dt)
    wd = w0 * math.sqrt(1 - 1 / (4 * q * q))
    a = [1.0, -2 * r * math.cos(wd * dt), r * r]
    rng = np.random.default_rng(0)

    def go() -> None:
        chunk = 2_000_000
        zi = np.zeros(2)
        for start in range(0, n, chunk):
            u = rng.standard_normal(min(chunk, n - start))
            _, zi = lfilter([1.0], a, u, zi=zi)

    return sim_seconds / timed(go)


def main() -> None:
    quick = "--quick" in sys.argv
    rows = [
        ("envelope, full lab, lock-in read every 10 ms", envelope_lab(30.0 if quick else 120.0, 0.01)),
        ("envelope, process alone, 10 ms steps", envelope_process(100.0 if quick else 600.0, 0.01)),
        ("envelope, process alone, 1 s steps (unread)", envelope_process(1000.0 if quick else 10_000.0, 1.0)),
    ]
    base_py = direct_python(2e-3 if quick else 1e-2)
    base_lf = direct_lfilter(0.5 if quick else 2.0)
    print(f"{'method':52s} {'sim s / wall s':>16s} {'vs Python loop':>15s} {'vs lfilter':>12s}")
    for name, speed in rows + [("direct, Python loop, 20 steps/period", base_py),
                               ("direct, exact recursion in C (lfilter)", base_lf)]:
        print(f"{name:52s} {speed:16.4g} {speed / base_py:15.4g} {speed / base_lf:12.4g}")
    print(f"ringdown time at the default mode: {build_sim_lab(SimulatedWorld()).world.membrane.mode.ringdown_time:.3f} s")


if __name__ == "__main__":
    main()
