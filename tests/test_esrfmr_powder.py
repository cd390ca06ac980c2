"""Acceptance: a powder S = 1/2 spectrum recovers the three principal g-values within 5e-4."""
from __future__ import annotations

import pytest
from esrfmr_helpers import esr_lab, run

from sequences.experiments.esr_powder import EsrPowderSweep
from sim_backend.gtensor_sample import GTensorCentre
from sim_backend.world import SimulatedWorld

H, MU_B = 6.62607015e-34, 9.2740100783e-24


@pytest.mark.parametrize("g, widths", [((2.0021, 2.0087, 2.0310), (0.04e-3, 0.10e-3)),
                                       ((1.9795, 2.0012, 2.0150), (0.08e-3, 0.06e-3))])
def test_powder_spectrum_gives_three_principal_g_values(g, widths, tmp_path):
    sample = GTensorCentre(g=g, powder=True, lorentz_hwhm=widths[0], gauss_sigma=widths[1])
    world = SimulatedWorld(sample, seed=31)
    c = H * 9.5e9 / MU_B
    exp = EsrPowderSweep(field_start=c / max(g) - 1.5e-3, field_stop=c / min(g) + 1.5e-3, points=301,
                         time_constant=3e-3, mod_amplitude=0.05e-3, ramp_rate=0.05, sensitivity=1e-4)
    info, data = run(esr_lab(world), exp)
    r = info.results
    found = [r["g1"].value, r["g2"].value, r["g3"].value]
    assert found == pytest.approx(sorted(g, reverse=True), abs=5e-4)
    assert all(0 < r[k].error < 5e-4 for k in ("g1", "g2", "g3"))
    assert r["snr"] > 50 and "warning" not in r
    assert exp.plot(data, r, tmp_path / "powder.png").exists()


def test_noise_gives_no_principal_g_values():
    """A sweep below the pattern holds only noise: the fit must not be reported as g-values."""
    world = SimulatedWorld(GTensorCentre(g=(2.0021, 2.0087, 2.0310), powder=True), seed=33)
    exp = EsrPowderSweep(field_start=0.300, field_stop=0.306, points=151, time_constant=3e-3, mod_amplitude=0.05e-3,
                         sensitivity=1e-4)
    info, _ = run(esr_lab(world), exp)
    r = info.results
    assert r["warning"].startswith("no powder pattern found")
    assert not {"g1", "g2", "g3", "g_iso"} & set(r)
