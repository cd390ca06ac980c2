"""Single-crystal rotations through the goniometer give the full g-tensor."""
from __future__ import annotations

import numpy as np
import pytest
from esrfmr_helpers import esr_lab, run

from analysis.gtensor import distinct_orientations, fit_rotation_plane
from sequences.experiment import FitValue, ParameterError
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


@pytest.mark.slow
def test_three_rotations_give_the_principal_g_values():
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
    # The figure shows the g^2 fit over the measured g_eff, with units on the axes.
    fig = AngularDependence().figure(data, results[-1])
    ax_b, ax_g = fig.axes
    assert ax_b.get_ylabel() == "resonance field (mT)" and ax_g.get_xlabel() == "goniometer angle (deg)"
    fit_line = next(line for line in ax_g.get_lines() if line.get_label().startswith("g² ="))
    assert np.allclose(fit_line.get_ydata()[[0, -1]], np.array(results[-1]["g_eff"])[[0, -1]], atol=2e-4)
    lo, hi = ax_g.get_ylim()
    assert lo < min(results[-1]["g_eff"]) and max(results[-1]["g_eff"]) < hi < 2.04


@pytest.mark.slow
def test_angles_repeating_modulo_180_are_refused_or_reported():
    """0, 90 and a read-back 179.99999999999662 deg are only two orientations of g^2 (wrap at 180):
    the rotation-plane fit is singular there and must not report g-values."""
    assert distinct_orientations([0.0, 89.99999999999825, 179.99999999999662]) == 2
    assert distinct_orientations([-90.0, 0.0, 90.0, 45.0]) == 3
    with pytest.raises(ValueError, match="three angles distinct modulo 180"):
        fit_rotation_plane([0.0, 89.99999999999825, 179.99999999999662], [2.0036, 2.0036, 2.0036])
    with pytest.raises(ParameterError, match="only 2 distinct orientation"):  # a crystal mount promises g
        AngularDependence(n_angles=3)
    # Without a crystal mount the run goes ahead; the analysis says why there is no g fit.
    world = SimulatedWorld(seed=43)  # the default paramagnet, g = 2.0036
    exp = AngularDependence(n_angles=3, mount="none", field_start=0.3375, field_stop=0.3400, points=61)
    info, data = run(esr_lab(world, goniometer=True), exp)
    assert data["angle"].max() == pytest.approx(180.0) and len(np.unique(data["angle"])) == 3
    r = info.results
    assert "g_max_in_plane" not in r and "g_min_in_plane" not in r
    assert "three angles distinct modulo 180" in r["warning"]
    assert np.allclose(r["g_eff"], 2.0036, atol=2e-4)  # the per-angle lines are still there


def test_angular_plot_axes_follow_the_data_not_a_bad_curve():
    """A wild g^2 curve (as the singular fit gave: g_max 750) must not set the y-axis."""
    results = {"angle": [0.0, 90.0, 180.0], "resonance_field": [0.33877] * 3, "resonance_field_error": [1e-7] * 3,
               "g_eff": [2.0036] * 3, "g_eff_error": [1e-6] * 3, "g2_coefficients": [2.8e5, -2.8e5, 3e5],
               "g_max_in_plane": FitValue(750.3, 2.9e3, ""), "g_min_in_plane": FitValue(0.0, 2e18, "")}
    fig = AngularDependence().figure(None, results)
    lo, hi = fig.axes[1].get_ylim()
    assert 1.99 < lo < 2.0036 < hi < 2.02


def test_without_goniometer_nothing_is_sent():
    world = SimulatedWorld(GTensorCentre(), seed=42)
    from app.engine import RunEngine

    with pytest.raises(ParameterError, match="no goniometer"):
        RunEngine(esr_lab(world)).run(AngularDependence())
    assert world.command_log == []
