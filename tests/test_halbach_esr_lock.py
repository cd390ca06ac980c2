"""End to end: cw-ESR sweeps on a simulated Halbach magnet whose temperature drifts; the
field-frequency lock, calibrated from a first run, holds the line >= 10x steadier, and every
correction lands in the HDF5 file."""
from __future__ import annotations

import numpy as np
import pytest

from app.runner import run_experiment
from app.storage import read_run
from magnets.design import Cuboid, HalbachDesign, Ring, stack
from magnets.lock import LockRangeError
from magnets.thermal import drift
from sequences.experiments import get_experiment
from sim_backend.halbach_magnet import HalbachThermalMagnet, attach_halbach_drift, ramp_room
from sim_backend.samples import Paramagnet
from sim_backend.world import SimulatedWorld
from esrfmr_helpers import esr_lab

H, MU_B = 6.62607015e-34, 9.2740100783e-24
SAMPLE_G = 2.0036
B_RES = H * 9.5e9 / (SAMPLE_G * MU_B)  # 0.3388 T
#: An X-band Halbach stack would be NdFeB at about -1260 ppm/K: -0.43 mT/K at B_RES.
DESIGN = HalbachDesign(stack(Ring(16, 0.045, Cuboid.cube(0.012), "N42"), 2, 0.0367))
ALPHA = drift(DESIGN).ppm_per_k * 1e-6


def drifting_run(tmp_path, lock: bool, alpha: float = 0.0):
    world = SimulatedWorld(Paramagnet(g=SAMPLE_G, lorentz_hwhm=0.15e-3), seed=3)
    attach_halbach_drift(world, HalbachThermalMagnet(
        db0_dt=ALPHA * B_RES, reference_temperature=295.0, temperature=295.0, time_constant=30.0,
        room=ramp_room(295.0, 0.03), sensor_noise=2e-3))  # room warming 1.8 K/min
    lab = esr_lab(world)
    exp = get_experiment("esr-drift")(field_start=B_RES - 1.5e-3, field_stop=B_RES + 1.5e-3, points=81, scans=6,
                                      mod_amplitude=0.05e-3, interval=5.0, lock=lock, lock_alpha=alpha or -1e-3,
                                      lock_reference_temperature=295.0)
    outcome = run_experiment(exp, lab, tmp_path)
    assert outcome.info.status == "completed", outcome.info.error
    return read_run(outcome.path), outcome


@pytest.mark.slow
def test_lock_calibrated_from_a_run_cuts_line_drift_tenfold_and_is_logged(tmp_path):
    free, _ = drifting_run(tmp_path / "free", lock=False)
    drift_free = free.results["line_drift_pp"].value
    assert free.results["magnet_temperature_pp"].value > 1.0
    assert drift_free > 0.4e-3  # the line walks ~0.6 mT: several linewidths
    # the position is reported per axis, by name: on the setpoint axis it walks with the magnet; on
    # the measured (Hall) axis it sits at the resonance field (it used to be one unlabelled
    # 'line_position_mean' on the setpoint axis)
    assert "line_position_mean" not in free.results
    on_setpoint, measured = free.results["line_position_setpoint"], free.results["line_position_measured"]
    assert on_setpoint.error > 100e-6 and abs(on_setpoint.value - B_RES) > 100e-6
    assert measured.value == pytest.approx(B_RES, abs=25e-6) and measured.error < 15e-6
    # the run calibrates the lock: the slope of line position vs magnet temperature
    alpha_fit = free.results["alpha_fit"].value
    assert alpha_fit == pytest.approx(ALPHA, rel=0.02)

    locked, outcome = drifting_run(tmp_path / "locked", lock=True, alpha=alpha_fit)
    drift_locked = locked.results["line_drift_pp"].value
    print(f"\nline drift p-p: lock off {drift_free * 1e6:.1f} uT, lock on {drift_locked * 1e6:.2f} uT "
          f"({drift_free / drift_locked:.0f}x); alpha fitted {alpha_fit * 1e6:.1f} ppm/K, "
          f"true {ALPHA * 1e6:.1f} ppm/K")
    assert drift_free / drift_locked >= 10

    # every correction is in the file: sensor reading, predicted shift, the field actually sent
    cols = locked.columns
    assert np.all(np.isfinite(cols["magnet_temperature"]))
    assert np.ptp(cols["lock_shift"]) > 0.4e-3
    assert cols["field_command"] == pytest.approx(cols["field_set"] - cols["lock_shift"], abs=1e-12)
    expected_shift = alpha_fit * 0.5 * (B_RES - 1.5e-3 + B_RES + 1.5e-3) * (cols["magnet_temperature"] - 295.0)
    assert cols["lock_shift"] == pytest.approx(expected_shift, rel=1e-9, abs=1e-12)
    lock_meta = locked.metadata["experiment_extra"]["lock"]
    assert lock_meta["mode"] == "field" and lock_meta["db0_dt"] == pytest.approx(alpha_fit * lock_meta["reference_field"])
    assert np.all(free.columns["lock_shift"] == 0) and free.metadata["experiment_extra"]["lock"] is None
    assert outcome.png is not None and outcome.png.stat().st_size > 10_000


def test_lock_refuses_a_wild_sensor_before_moving_the_field(tmp_path):
    """A broken magnet sensor (reading 400 K) would ask for a 35 mT correction: the run stops
    with the lock's error and the hardware ends safe."""
    world = SimulatedWorld(seed=1)
    magnet = attach_halbach_drift(world, HalbachThermalMagnet(db0_dt=-4e-4, temperature=400.0,
                                                              room=lambda t: 400.0))
    lab = esr_lab(world)
    exp = get_experiment("esr-drift")(field_start=0.338, field_stop=0.340, points=11, lock=True,
                                      lock_alpha=-1.2e-3, lock_max_shift=5e-3)
    with pytest.raises(LockRangeError, match="beyond the allowed"):
        run_experiment(exp, lab, tmp_path, plot=False)
    run = read_run(next(tmp_path.glob("*.h5")))
    assert run.status == "failed" and "check the sensor" in run.metadata["error"]
    assert magnet.temperature == 400.0 and world.magnet.target_current == 0.0  # field never moved
    assert not world.microwave.output
