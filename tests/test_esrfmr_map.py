"""Acceptance: a frequency-field map of a simulated in-plane film recovers g, Meff and alpha."""
from __future__ import annotations

import numpy as np
import pytest
from esrfmr_helpers import assert_safe, esr_lab, run

from drivers.lab import LabLimits
from sequences.experiment import ParameterError
from sequences.experiments import EXPERIMENTS
from sequences.experiments.fmr_map import FreqFieldMap
from sim_backend.ferromagnet import Ferromagnet
from sim_backend.fmr_setup import use_broadband_line
from sim_backend.orientation import frame_from_axes
from sim_backend.world import SimulatedWorld

MU0 = 1.25663706212e-6
IN_PLANE = frame_from_axes([0, 0, 1], [0, 1, 0])
TRUTH = {"g": 2.093, "ms": 7.7e5, "alpha": 0.0072, "inhom_hwhm": 0.2e-3}


def film_world(**changes) -> SimulatedWorld:
    film = Ferromagnet(g=TRUTH["g"], ms0=TRUTH["ms"], alpha=TRUTH["alpha"], inhomogeneous_hwhm=TRUTH["inhom_hwhm"],
                       mount=IN_PLANE, **changes)
    world = SimulatedWorld(film, seed=11)
    use_broadband_line(world, loss_db_per_sqrt_ghz=1.5)
    return world


def film_map(**settings) -> FreqFieldMap:
    base = dict(freq_start=6e9, freq_stop=18e9, n_freq=4, geometry="in-plane", g_guess=2.05, field_guess=0.9,
                window_low=12e-3, window_high=40e-3, points=201, power=1e-3, line_loss=1.5, time_constant=10e-3,
                mod_amplitude=0.1e-3, ramp_rate=0.1)
    return FreqFieldMap(**{**base, **settings})


def test_map_of_in_plane_film_recovers_g_meff_and_alpha(tmp_path):
    world = film_world()
    info, data = run(esr_lab(world), film_map())
    assert info.status == "completed"
    assert_safe(world)
    r = info.results
    assert r["g_factor"].value == pytest.approx(TRUTH["g"], rel=0.005)
    assert r["meff"].value == pytest.approx(TRUTH["ms"], rel=0.02)
    assert r["mu0_meff"].value == pytest.approx(MU0 * TRUTH["ms"], rel=0.02)
    assert r["alpha"].value == pytest.approx(TRUTH["alpha"], rel=0.05)
    assert r["inhomogeneous_fwhm"].value == pytest.approx(2 * TRUTH["inhom_hwhm"], rel=0.25)
    for key in ("g_factor", "meff", "alpha", "inhomogeneous_fwhm"):  # every value with an uncertainty
        assert 0 < r[key].error < abs(r[key].value)
    # Power levelled at the sample: the source makes up the sqrt(f) line loss.
    for f in np.unique(data["frequency"]):
        src = data["source_power"][data["frequency"] == f][0]
        assert src == pytest.approx(1e-3 * 10 ** (1.5 * np.sqrt(f / 1e9) / 10))
    # The colour map with the Kittel curve is written.
    png = FreqFieldMap().plot(data, r, tmp_path / "map.png")
    assert png.exists() and png.stat().st_size > 20_000


def test_dispersive_admixture_is_fitted_not_mistaken_for_width():
    world = film_world(detection_phase=0.5)
    info, _ = run(esr_lab(world), film_map(n_freq=3, freq_stop=16e9, points=161,
                                           lineshape="lorentzian-dispersive"))
    r = info.results
    assert np.allclose(r["phase"], 0.5, atol=0.05)
    assert r["alpha"].value == pytest.approx(TRUTH["alpha"], rel=0.05)
    assert r["g_factor"].value == pytest.approx(TRUTH["g"], rel=0.005)


def test_bad_maps_are_refused_before_any_command():
    with pytest.raises(ParameterError, match="freq_stop"):
        film_map(freq_start=18e9, freq_stop=6e9)
    with pytest.raises(ParameterError, match="no resonance at positive field"):
        film_map(geometry="easy-axis", field_guess=1.5)  # easy-axis line below zero field at 6 GHz
    world = film_world()
    lab = esr_lab(world)
    lab.limits = LabLimits(max_field=1.5, max_ramp_rate=0.1, max_rf_power=5e-3)
    with pytest.raises(ParameterError, match="max RF power"):
        from app.engine import RunEngine

        RunEngine(lab).run(film_map(power=3e-3))
    assert world.command_log == []


def test_registered_in_the_catalogue():
    for name in ("fmr-map", "temperature-series", "angular-dependence", "power-saturation", "esr-powder",
                 "field-calibration"):
        assert name in EXPERIMENTS


def test_resume_inside_a_trace_reissues_setpoints_without_extra_points():
    """The engine's 'resumed' reply reaches the inner sweep through the relay."""
    from sequences.experiment import Checkpoint, Point

    world = film_world()
    lab = esr_lab(world)
    exp = film_map(n_freq=2, points=21)
    plan, reply, points, checkpoints = exp.plan(lab), None, 0, 0
    while True:
        try:
            msg = plan.send(reply)
        except StopIteration:
            break
        reply = None
        if isinstance(msg, Point):
            points += 1
        elif isinstance(msg, Checkpoint):
            checkpoints += 1
            if checkpoints == 30:  # as after a pause: the sweep re-applies its settings
                n_commands = len(world.command_log)
                reply = True
    assert points == exp.total_points()
    assert any(cmd.startswith("FREQ") for _, _, cmd in world.command_log[n_commands:n_commands + 12])
