"""Power saturation: signal vs sqrt(P) bends over at P_half with the line's exponent b."""
from __future__ import annotations

import numpy as np
import pytest
from esrfmr_helpers import esr_lab, run

from sequences.experiments.power_saturation import PowerSaturation
from sim_backend.samples import Paramagnet
from sim_backend.world import SimulatedWorld

H, MU_B = 6.62607015e-34, 9.2740100783e-24


def test_power_saturation_recovers_p_half_and_b(tmp_path):
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
    assert exp.plot(data, r, tmp_path / "sat.png").exists()
