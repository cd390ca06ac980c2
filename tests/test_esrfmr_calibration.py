"""Field calibration: Hall vs setpoint with hysteresis, and a DPPH marker in the same run."""
from __future__ import annotations

import numpy as np
import pytest
from esrfmr_helpers import esr_lab, run

from sequences.experiments.field_calibration import FieldCalibration
from sim_backend.fmr_setup import SampleSum, ShiftedField
from sim_backend.samples import Paramagnet
from sim_backend.world import SimulatedWorld

H, MU_B = 6.62607015e-34, 9.2740100783e-24


@pytest.mark.slow
def test_marker_corrects_the_field_at_the_sample_and_hysteresis_is_measured():
    shift = 0.25e-3  # the sample sits where the field is 0.25 mT above the Hall probe's
    dpph, unknown = Paramagnet(g=2.0036, lorentz_hwhm=0.12e-3), Paramagnet(g=2.0150, lorentz_hwhm=0.15e-3)
    world = SimulatedWorld(SampleSum([ShiftedField(dpph, offset=shift), ShiftedField(unknown, offset=shift)]), seed=51)
    b_unknown = H * 9.5e9 / (2.0150 * MU_B) - shift
    exp = FieldCalibration(loop_start=0.30, loop_stop=0.36, loop_points=7, frequency=9.5e9,
                           sample_start=b_unknown - 1.2e-3, sample_stop=b_unknown + 1.2e-3, points=151,
                           time_constant=3e-3, mod_amplitude=0.03e-3, marker_window=1.2e-3)
    info, data = run(esr_lab(world), exp)
    r = info.results
    rem = world.magnet.remanence
    assert r["hall_offset_up"].value == pytest.approx(rem, abs=3e-6)  # field leads the setpoint going up
    assert r["hall_offset_down"].value == pytest.approx(-rem, abs=3e-6)
    assert r["remanence"].value == pytest.approx(rem, abs=2e-6)
    assert r["hall_correction"].value == pytest.approx(shift, abs=5e-6)
    assert r["setpoint_correction_up"].value == pytest.approx(shift + rem, abs=5e-6)
    assert r["setpoint_correction_down"].value == pytest.approx(shift - rem, abs=5e-6)
    assert abs(r["sample_g_uncorrected"].value - 2.0150) > 1e-3
    assert r["sample_g"].value == pytest.approx(2.0150, abs=3e-5)
    assert r["sample_g_ratio"].value == pytest.approx(2.0150, abs=3e-5)
    assert "warning" not in r
    # The figure: a title, and the fitted lines drawn over the marker and sample sweeps.
    fig = exp.figure(data, r)
    assert "Field calibration" in fig._suptitle.get_text()
    ax = fig.axes[1]
    labels = [line.get_label() for line in ax.get_lines()]
    for name in ("marker up fit", "marker down fit", "sample fit"):
        assert any(label.startswith(name) for label in labels), name
    sample_fit = next(line for line in ax.get_lines() if line.get_label().startswith("sample fit"))
    peak = sample_fit.get_xdata()[np.argmax(sample_fit.get_ydata())]
    assert r["sample_field_hall"].value * 1e3 - 0.3 < peak < r["sample_field_hall"].value * 1e3
    assert ax.get_ylabel() == "lock-in X (µV)" and ax.get_xlabel() == "Hall field (mT)"


@pytest.mark.slow
def test_sample_window_without_the_line_gives_no_sample_g():
    """The docs' old example: the sample window 335 .. 338 mT misses the only line (338.77 mT at
    9.5 GHz); its wing must not be fitted into a g-value outside the sweep."""
    world = SimulatedWorld(seed=52)  # the default paramagnet, g = 2.0036
    exp = FieldCalibration(loop_start=0.33, loop_stop=0.34, loop_points=3, frequency=9.5e9, sample_start=0.335,
                           sample_stop=0.338, points=81, time_constant=3e-3, marker_window=1.2e-3)
    info, _ = run(esr_lab(world), exp)
    r = info.results
    assert "no line found in the sample sweep" in r["warning"]
    for key in ("sample_field_hall", "sample_g", "sample_g_uncorrected", "sample_g_ratio"):
        assert key not in r
    assert r["marker_field_hall_up"].value == pytest.approx(H * 9.5e9 / (2.0036 * MU_B), abs=5e-6)
