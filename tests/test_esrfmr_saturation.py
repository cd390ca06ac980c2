"""Power saturation: signal vs sqrt(P) bends over at P_half with the line's exponent b."""
from __future__ import annotations

import numpy as np
import pytest
from esrfmr_helpers import esr_lab, run

from sequences.experiments.power_saturation import PowerSaturation
from sim_backend.samples import Paramagnet
from sim_backend.world import SimulatedWorld

H, MU_B = 6.62607015e-34, 9.2740100783e-24


@pytest.mark.slow
def test_power_saturation_recovers_p_half_and_b():
    sample = Paramagnet(g=2.0036, lorentz_hwhm=0.15e-3, p_half=5e-3, saturation_b=1.5)
    world = SimulatedWorld(sample, seed=61)
    b0 = H * 9.5e9 / (sample.g * MU_B)
    exp = PowerSaturation(field_start=b0 - 1.5e-3, field_stop=b0 + 1.5e-3, frequency=9.5e9, p_start=1e-5,
                          p_stop=0.15, n_powers=8, points=121, time_constant=3e-3, mod_amplitude=0.03e-3)
    info, data = run(esr_lab(world), exp)
    r = info.results
    assert r["p_half"].value == pytest.approx(5e-3, rel=0.1)
    assert r["inhomogeneity_b"].value == pytest.approx(1.5, abs=0.15)
    # Unsaturated: the double integral grows as sqrt(P).
    area, p = np.array(r["area"]), np.array(r["power"])
    assert area[1] / area[0] == pytest.approx(np.sqrt(p[1] / p[0]), rel=0.03)
    # The plot: data with error bars and units, the fit curve, P_half in the legend.
    fig = exp.figure(data, r)
    ax, ax_norm = fig.axes
    assert ax.get_ylabel() == "double integral (µV mT²)" and ax.get_xlabel() == "√P (√mW)"
    assert ax_norm.get_xlabel() == "microwave power P (mW)"
    bars = ax.containers[0]  # errorbar container: (points, caps, bar collections)
    assert len(bars.lines[2][0].get_segments()) == len(p)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(f"P½ = {r['p_half'].value * 1e3:.3g}" in t for t in labels)
    fit = next(line for line in ax.get_lines() if line.get_label().startswith("fit: P½"))
    assert np.interp(np.sqrt(p[-1] * 1e3), fit.get_xdata(), fit.get_ydata()) == \
        pytest.approx(area[-1] * 1e12, rel=0.05)
