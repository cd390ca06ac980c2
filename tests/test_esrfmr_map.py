"""Acceptance: a frequency-field map of a simulated in-plane film recovers g, Meff and alpha."""
from __future__ import annotations

import numpy as np
import pytest
from esrfmr_helpers import PowerAtSample, assert_safe, esr_lab, run

from drivers.lab import LabLimits
from analysis.kittel import fit_damping
from analysis.line_profiles import d_lorentzian, fit_significant_line
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


@pytest.mark.slow
def test_map_of_in_plane_film_recovers_g_meff_and_alpha():
    world = film_world()
    at_sample = PowerAtSample(world)
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
    # no other warning than the one an in-plane Kittel fit over 6-18 GHz earns: g and Meff correlated
    assert r["kittel_correlation"] < -0.99
    assert r.get("warning", "").startswith("Kittel fit: g and mu0_meff are strongly correlated") \
        and ";" not in r["warning"]
    # Power levelled at the sample: 1 mW reaches the simulated film at every frequency, through the
    # world's lossy line (the source made up the loss).
    assert sorted(at_sample.seen) == pytest.approx(list(np.unique(data["frequency"])))
    for f, powers in at_sample.seen.items():
        assert sorted(powers) == pytest.approx([1e-3], rel=1e-9), f"{f / 1e9:g} GHz"
    # The colour map: every trace drawn, line centres on the Kittel curve, units on the axes.
    fig = FreqFieldMap().figure(data, r)
    ax, ax_w = fig.axes[:2]
    assert ax.get_xlabel() == "field (mT)" and ax.get_ylabel() == "frequency (GHz)"
    assert ax_w.get_ylabel() == "FWHM (mT)" and len(ax.collections) >= 4
    kittel = next(line for line in ax.get_lines() if line.get_label().startswith("Kittel"))
    curve_b, curve_f = kittel.get_xdata(), kittel.get_ydata()
    for b, f in zip(r["resonance_field"], r["trace_frequency"]):
        assert np.interp(f / 1e9, curve_f, curve_b) == pytest.approx(b * 1e3, abs=0.5)
    assert any(line.get_label().startswith("alpha") for line in ax_w.get_lines())


@pytest.mark.slow
def test_noise_is_not_reported_as_a_line(tmp_path):
    """The docs' old fmr-map example on the default lab: a paramagnet in the X-band cavity, swept
    at 4 .. 20 GHz, far from the cavity, is pure noise. No g, alpha or widths may come out."""
    world = SimulatedWorld(seed=12)
    exp = FreqFieldMap(freq_start=4e9, freq_stop=20e9, n_freq=3, g_guess=2.1, field_guess=1.0, window_low=10e-3,
                       window_high=40e-3, line_loss=1.5, points=101)
    info, data = run(esr_lab(world), exp)
    r = info.results
    assert info.status == "completed"
    assert r["warning"].startswith("no line found in any trace")
    for key in ("g_factor", "mu0_meff", "meff", "alpha", "inhomogeneous_fwhm"):
        assert key not in r
    assert np.all(np.isnan(r["resonance_field"])) and np.all(np.isnan(r["fwhm"]))
    fig = exp.figure(data, r)  # the map is drawn without a Kittel curve, and says why
    assert not any(line.get_label().startswith("Kittel") for line in fig.axes[0].get_lines())
    assert any("no line found" in t.get_text() for t in fig.axes[0].texts)
    assert exp.plot(data, r, tmp_path / "noise.png").stat().st_size > 10_000


@pytest.mark.slow
def test_significance_test_rejects_noise_and_keeps_weak_lines(rng):
    """Fits to white noise always return some line; none may pass. A line 10x above the noise does."""
    b = np.linspace(0.30, 0.34, 201)
    for _ in range(12):
        noise = rng.normal(0, 1e-6, b.size)
        for model in ("lorentzian", "voigt"):
            fit, why = fit_significant_line(b, noise, model, bm=1e-4)
            assert fit is None and why
    line = 1e-5 * d_lorentzian(b, 0.3205, 2e-3) / np.max(d_lorentzian(b, 0.3205, 2e-3))
    fit, why = fit_significant_line(b, line + rng.normal(0, 1e-6, b.size), "lorentzian")
    assert why == "" and fit.b0 == pytest.approx(0.3205, abs=1e-4)
    # A window on the line's wing (as the docs' field-calibration example swept): strong signal, but
    # the centre lies outside the window, so no line is reported there.
    _, why = fit_significant_line(b[120:], (line + rng.normal(0, 1e-7, b.size))[120:], "lorentzian")
    assert "outside the swept" in why


def test_damping_fit_never_reports_a_negative_width():
    """Linewidths of a film without inhomogeneous broadening, scattered low: the free intercept
    is negative; the fit goes through zero width instead and says so."""
    film = Ferromagnet(g=2.05, ms0=8e5, alpha=0.008, inhomogeneous_hwhm=0.0, mount=IN_PLANE)
    f = np.array([6e9, 12e9, 18e9])
    widths = []
    for fk in f:
        b = np.linspace(0.05, 0.6, 110_001)
        a = film.signal_density(b, fk, 300.0)
        above = b[a >= a.max() / 2]
        widths.append(above.max() - above.min())
    widths = np.array(widths) - np.array([0.3e-3, 0.0, 0.1e-3])  # measured low at 6 GHz
    d = fit_damping(f, widths, np.full(3, 0.05e-3), 2.05)
    assert d.db0_fixed and d.db0_free < 0 and d.db0 == 0.0 and d.db0_error > 0
    assert d.alpha == pytest.approx(0.008, rel=0.05)
    with pytest.raises(ValueError, match="does not grow with frequency"):
        fit_damping(f, widths[::-1], None, 2.05)


@pytest.mark.slow
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


@pytest.mark.slow
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
