"""A free precession folded into the following map (one pass per CPMG echo) against numerical
integration of the Bloch equations, and float32 ensembles against float64 over a long CPMG
train run by the simulated spectrometer."""
from __future__ import annotations

import math

import numpy as np
import pytest
from test_pulse_sim import bloch_ode

from sequences.pulse import Constraints, compile_pulseblaster, delay, loop, pulse
from sequences.pulse.model import PhaseCycle, Sequence
from sim_backend.pulsed import PulsedSample, add_pulsed
from sim_backend.pulsed.bloch import Ensemble


def test_delay_then_pulse_as_one_map_matches_the_ode():
    deltas = 2 * math.pi * np.array([-3e6, 0.0, 0.9e6])
    t1, t2, w1, tau, tp = 2e-6, 1e-6, 2 * math.pi * 12.5e6, 300e-9, 40e-9
    ens = Ensemble(deltas, t1=t1, t2=t2)
    start = np.array([[0.3, -0.5, 0.6], [0.7, 0.1, -0.2], [-0.4, 0.4, 0.5]]).T
    ens.m[:] = start
    free = ens.free_map(tau)
    ens.apply(ens.after_free(free, ens.rf_map(tp, w1, math.pi / 2)))
    twice = Ensemble(deltas, t1=t1, t2=t2)
    twice.m[:] = start
    twice.apply(twice.after_free(free, twice.free_map(2 * tau)))
    for k, d in enumerate(deltas):
        mid = bloch_ode(start[:, k], tau, 0.0, 0.0, d, t1, t2)
        assert ens.m[:, k] == pytest.approx(bloch_ode(mid, tp, w1, math.pi / 2, d, t1, t2), abs=3e-5)
        assert twice.m[:, k] == pytest.approx(bloch_ode(start[:, k], 3 * tau, 0.0, 0.0, d, t1, t2), abs=1e-9)


def cpmg_state(world, dtype: str, echoes: int) -> np.ndarray:
    from app.simlab import build_sim_lab

    # T2 long enough that the train ends far from equilibrium
    sample = PulsedSample(static_field=0.34, isochromats=4001, dtype=dtype, t1=2e-3, t2=1e-3)
    add_pulsed(world, sample)
    lab = build_sim_lab(world)
    lab.rf.frequency, lab.rf.power, lab.rf.output = sample.gamma * 0.34, 0.0625, True
    seq = Sequence("cpmg-test", (pulse("20ns", "x", name="p1"), delay("280ns"),
                                 loop(echoes, pulse("40ns", "y"), delay("560ns"))), phase_cycle=PhaseCycle())
    lab.pulser.load(compile_pulseblaster(seq, Constraints.from_lab(lab, max_rf_duty_cycle=1.0)))
    lab.pulser.start()
    ens = world.pulsed.ensemble
    assert ens.steps <= 2 * math.log2(echoes) + 4  # delays folded, equal echoes squared
    return ens.m.astype(float)


def stepwise(dtype, echoes: int) -> np.ndarray:
    """The same train, one map per interval, straight from the ensemble's closed-form maps."""
    s = PulsedSample(static_field=0.34, isochromats=4001, dtype=dtype, t1=2e-3, t2=1e-3)
    ens = Ensemble(s.offsets(), t1=s.t1, t2=s.t2, dtype=np.dtype(dtype).type)
    w1 = 2 * math.pi * s.rabi_per_sqrt_watt * math.sqrt(0.0625)
    ens.apply(ens.rf_map(20e-9, w1, 0.0))
    ens.apply(ens.free_map(280e-9))
    pi, free = ens.rf_map(40e-9, w1, math.pi / 2), ens.free_map(560e-9)
    for _ in range(echoes):
        ens.apply(pi)
        ens.apply(free)
    return ens.m.astype(float)


def test_folded_and_squared_cpmg_equals_the_interval_by_interval_train():
    from sim_backend.world import SimulatedWorld

    echoes = 400
    m64 = cpmg_state(SimulatedWorld(seed=1), "float64", echoes)
    m32 = cpmg_state(SimulatedWorld(seed=1), "float32", echoes)
    ref = stepwise("float64", echoes)
    assert np.max(np.abs(ref[:2])) > 0.05  # a state worth comparing: not relaxed away
    assert np.max(np.abs(m64 - ref)) < 1e-9
    assert np.max(np.abs(m32 - ref)) < 1e-4
    assert np.max(np.abs(stepwise("float32", echoes) - ref)) < 1e-4
