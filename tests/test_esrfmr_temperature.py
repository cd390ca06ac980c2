"""Acceptance: a temperature series of a simulated easy-plane ferromagnet recovers K(T), with the
controller settled and the actual temperature recorded at every point."""
from __future__ import annotations

import numpy as np
import pytest
from esrfmr_helpers import assert_safe, esr_lab, run

from drivers.errors import InstrumentError
from sequences.experiments.temperature_series import TemperatureSeries
from sim_backend.ferromagnet import SPHERE, Ferromagnet
from sim_backend.fmr_setup import use_broadband_line
from sim_backend.orientation import frame_from_axes
from sim_backend.samples import Paramagnet
from sim_backend.world import SimulatedWorld

EASY_PLANE_IN_FIELD = frame_from_axes([0, 0, 1], [0, 1, 0])  # hard c axis along lab y, B0 in the easy plane


def kagome_like_crystal() -> Ferromagnet:
    """K = 3.5e5 J/m^3 at low T falling to ~1e5 J/m^3 at 300 K (the MgMn6Sn6 anchor), easy plane."""
    return Ferromagnet(g=2.01, ms0=5.2e5, bloch_temperature=615.0, k0=-3.5e5, demag=SPHERE, alpha=0.01,
                       inhomogeneous_hwhm=0.5e-3, mount=EASY_PLANE_IN_FIELD)


@pytest.mark.slow
def test_temperature_series_recovers_anisotropy_energy():
    xtal = kagome_like_crystal()
    world = SimulatedWorld(xtal, seed=21)
    world.thermal.time_constant = 5.0
    use_broadband_line(world)
    temps = (300.0, 150.0, 3.0)
    # Ms(T) from "magnetometry": the sample's magnetisation rounded to 3 digits.
    ms_table = ", ".join(f"{t:g}:{float(f'{xtal.saturation_magnetisation(t):.3g}')}" for t in temps)
    exp = TemperatureSeries(temperatures=",".join(f"{t:g}" for t in temps), tolerance=0.05, stable_time=5.0,
                            search_window=0.12, ms_table=ms_table, freq_start=10e9, freq_stop=30e9, n_freq=3,
                            geometry="easy-plane", g_guess=2.0, field_guess=0.6, window_low=40e-3,
                            window_high=110e-3, points=121, time_constant=10e-3, mod_amplitude=0.5e-3, ramp_rate=0.1,
                            settle_tc=5.0)
    info, data = run(esr_lab(world), exp)
    assert info.status == "completed", info.error
    assert_safe(world)
    r = info.results
    assert r["temperature"] == pytest.approx(list(temps), abs=0.05)
    for t, k, k_err in zip(r["temperature"], r["anisotropy_constant"], r["anisotropy_constant_error"]):
        truth = abs(xtal.anisotropy_constant(t))
        assert k == pytest.approx(truth, rel=0.05)
        assert 0 < k_err < 0.05 * k
    assert r["anisotropy_constant_lowest_T"].value == pytest.approx(3.5e5, rel=0.05)
    assert np.allclose(r["g"], 2.01, atol=2e-3)
    # Actual temperature per point, within the settling tolerance (plus sensor noise) of the setpoint.
    assert np.all(np.abs(data["temperature"] - data["temperature_set"]) < 0.05 + 0.01)
    assert len(np.unique(data["temperature"])) > 0.9 * len(data["temperature"])


@pytest.mark.slow
def test_paramagnet_series_follows_curie_law():
    world = SimulatedWorld(Paramagnet(g=2.0036, lorentz_hwhm=0.15e-3), seed=22)
    world.thermal.time_constant = 3.0
    exp = TemperatureSeries(temperatures="300, 100", stable_time=2.0, freq_start=9.5e9, freq_stop=9.5e9, n_freq=1,
                            geometry="sphere", g_guess=2.0036, field_guess=0.0, window_low=1.2e-3,
                            window_high=1.2e-3, points=121, time_constant=3e-3, mod_amplitude=0.03e-3)
    info, data = run(esr_lab(world), exp)
    r = info.results
    assert np.allclose(r["g"], 2.0036, atol=1e-4)
    assert r["area"][1] / r["area"][0] == pytest.approx(3.0, rel=0.03)  # intensity ~ 1/T
    assert r["curie_deviation"] < 0.03
    # The plot shows the double integral against T with the fitted C/T curve, in units.
    ax = exp.figure(data, r).axes[-1]
    assert ax.get_ylabel() == "double integral (µV mT²)" and ax.get_xlabel() == "temperature (K)"
    curve = next(line for line in ax.get_lines() if line.get_label().startswith("Curie law"))
    assert np.interp(r["temperature"][1], curve.get_xdata(), curve.get_ydata()) == \
        pytest.approx(r["area"][1] * 1e12, rel=0.03)


@pytest.mark.slow
def test_series_without_a_line_reports_no_anisotropy():
    """The docs' old temperature-series example on the default lab (paramagnet in the X-band
    cavity, maps at 10 .. 30 GHz): only noise, so no g, no anisotropy field and no K."""
    world = SimulatedWorld(seed=24)
    world.thermal.time_constant = 3.0
    exp = TemperatureSeries(temperatures="300, 150", stable_time=2.0, geometry="easy-plane", g_guess=2.0,
                            field_guess=0.6, ms_table="5:5.2e5, 150:4.6e5, 300:3.4e5", freq_start=10e9,
                            freq_stop=30e9, n_freq=2, window_low=40e-3, window_high=110e-3, points=61)
    info, data = run(esr_lab(world), exp)
    r = info.results
    assert info.status == "completed"
    assert "at 300 K: no line found in any trace" in r["warning"] and "at 150 K: no line found" in r["warning"]
    for key in ("g", "field_parameter", "anisotropy_constant", "resonance_field", "fwhm"):
        assert np.all(np.isnan(r[key])), key
    assert "anisotropy_constant_lowest_T" not in r
    fig = exp.figure(data, r)  # the plot says why it is empty
    assert any("no line found" in t.get_text() for t in fig.axes[0].texts)


def test_temperature_that_never_settles_fails_with_a_clear_message():
    world = SimulatedWorld(Paramagnet(), seed=23)
    world.thermal.time_constant = 1e4  # a cryostat far too slow for the timeout
    exp = TemperatureSeries(temperatures="100", settle_timeout=30.0, freq_start=9.5e9, freq_stop=9.5e9, n_freq=1,
                            geometry="sphere", g_guess=2.0036, window_low=1e-3, window_high=1e-3, points=21)
    with pytest.raises(InstrumentError, match="did not settle at 100 K"):
        run(esr_lab(world), exp)
    assert_safe(world)


def test_temperatures_are_validated_before_the_run():
    from sequences.experiment import ParameterError

    with pytest.raises(ParameterError, match="temperatures"):
        TemperatureSeries(temperatures="300, warm")
    with pytest.raises(ParameterError, match="ms_table"):
        TemperatureSeries(ms_table="300=5e5")
