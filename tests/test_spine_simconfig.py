"""The [sim] table picks the simulated sample and line from a lab TOML."""
from __future__ import annotations

from pathlib import Path

import pytest

from app.labconfig import build_lab, lab_from_file
from drivers.errors import ConfigError

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_ferromagnet_on_a_broadband_line(tmp_path):
    lab = build_lab({"lab": {"simulated": True},
                     "sim": {"sample": "ferromagnet", "line": "broadband", "geometry": "in-plane",
                             "sample_parameters": {"g": 2.05, "ms0": 6e5}}})
    from sim_backend.ferromagnet import Ferromagnet

    assert isinstance(lab.world.sample, Ferromagnet)
    assert lab.world.sample.g == 2.05 and lab.world.sample.ms0 == 6e5
    assert lab.has("goniometer")  # the simulated lab has a rotation stage


def test_powder_sample_and_bad_keys_are_reported_together():
    lab = build_lab({"lab": {"simulated": True}, "sim": {"sample": "powder",
                                                         "sample_parameters": {"g": [2.0, 2.01, 2.03]}}})
    assert lab.world.sample.powder and lab.world.sample.g == (2.0, 2.01, 2.03)
    with pytest.raises(ConfigError) as err:
        build_lab({"lab": {"simulated": True}, "sim": {"sample": "unobtainium", "line": "fibre", "colour": 1}})
    text = str(err.value)
    assert "sample 'unobtainium' unknown" in text and "line 'fibre' unknown" in text and "'colour' unknown" in text
    with pytest.raises(ConfigError, match="accepted: .*lorentz_hwhm"):
        build_lab({"lab": {"simulated": True}, "sim": {"sample_parameters": {"linewidth": 1e-3}}})


def test_example_configs_load():
    lab = lab_from_file(EXAMPLES / "lab-sim-fmr.toml")
    assert lab.limits.max_ramp_rate == pytest.approx(0.1)
    assert lab_from_file(EXAMPLES / "lab-sim.toml").limits.max_field == pytest.approx(0.8)


def test_sample_parameters_are_checked_before_the_run():
    with pytest.raises(ConfigError) as err:
        build_lab({"lab": {"simulated": True},
                   "sim": {"sample_parameters": {"g": "two", "lorentz_hwhm": -1e-3, "n_spins": 0}}})
    text = str(err.value)
    assert "g = 'two': give a number" in text
    assert "lorentz_hwhm = -0.001: must not be negative" in text
    assert "n_spins = 0: must be positive" in text


def test_a_simulated_lab_takes_its_coil_calibration_from_the_config():
    """[lab] modulation_coil is the lab's calibration; the simulated coil keeps its own constant
    (1 mT/V), so a config can make the two differ as they do on a real bench."""
    lab = build_lab({"lab": {"simulated": True, "modulation_coil": "0.8 mT/V"}})
    assert lab.modulation_t_per_v == pytest.approx(0.8e-3)
    assert lab.world.modulation_t_per_v == pytest.approx(1e-3)
