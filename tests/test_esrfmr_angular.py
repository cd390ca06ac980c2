"""Single-crystal rotations through the goniometer give the full g-tensor."""
from __future__ import annotations

import numpy as np
import pytest
from esrfmr_helpers import esr_lab, run

from sequences.experiment import ParameterError
from sequences.experiments.angular import AngularDependence, g_tensor_from_runs
from sim_backend.gtensor_sample import GTensorCentre
from sim_backend.orientation import euler_zyz
from sim_backend.world import SimulatedWorld

G = (2.0021, 2.0087, 2.0310)
#: How the crystal sits for each mount (columns: lab directions of crystal a, b, c); the
#: goniometer turns about lab y, B0 is along lab z.
MOUNTS = {"a": np.column_stack([[0, 1, 0], [0, 0, 1], [1, 0, 0]]),
          "b": np.column_stack([[1, 0, 0], [0, 1, 0], [0, 0, 1]]),
          "c": np.column_stack([[0, 0, 1], [1, 0, 0], [0, 1, 0]])}


def test_three_rotations_give_the_principal_g_values(tmp_path):
    axes = euler_zyz(25.0, 40.0, -60.0)  # principal axes tilted against the crystal frame
    results = []
    for mount, frame in MOUNTS.items():
        xtal = GTensorCentre(g=G, axes=axes, lorentz_hwhm=0.08e-3, gauss_sigma=0.08e-3, mount=frame.astype(float))
        world = SimulatedWorld(xtal, seed=41)
        exp = AngularDependence(angle_start=0.0, angle_stop=144.0, n_angles=5, field_start=0.3336,
                                field_stop=0.3396, frequency=9.5e9, mount=mount, points=121, time_constant=3e-3,
                                mod_amplitude=0.03e-3, sensitivity=1e-4, settle_tc=5.0)
        info, data = run(esr_lab(world, goniometer=True), exp)
        assert info.status == "completed", info.error
        assert np.allclose(np.unique(data["angle"]), exp.angles())
        results.append(info.results)
    tensor = g_tensor_from_runs(results)
    assert tensor.principal == pytest.approx(sorted(G, reverse=True), abs=5e-4)
    assert np.all(tensor.errors < 5e-4)
    # The largest-g direction found is the crystal's (up to sign).
    assert abs(tensor.axes[:, 0] @ axes[:, 2]) > 0.99
    assert AngularDependence().plot(data, results[-1], tmp_path / "rot.png").exists()


def test_without_goniometer_nothing_is_sent():
    world = SimulatedWorld(GTensorCentre(), seed=42)
    from app.engine import RunEngine

    with pytest.raises(ParameterError, match="no goniometer"):
        RunEngine(esr_lab(world)).run(AngularDependence())
    assert world.command_log == []
