"""The simulated field controller states what its magnet can really do: the supply saturates at
its current limit x calibration (1 T) although the simulated lab's limit is 1.5 T, so a run to
1.2 T is refused before it starts, naming both."""
from __future__ import annotations

import pytest

from app.cli import main
from drivers.errors import LimitError


def test_the_role_range_is_where_the_hall_probe_says_the_magnet_stops(sim_lab):
    top = sim_lab.field.field_range.high
    assert top < sim_lab.limits.max_field  # the magnet, not the lab limit, binds here
    sim_lab.field.ramp_rate = 0.1
    sim_lab.field.ramp_to(top)
    hall = sim_lab.gaussmeter.read_field()
    # the field is reached (to the yoke's 30 uT remanence and the probe noise): the range is true
    assert hall == pytest.approx(top, abs=1e-4)
    with pytest.raises(LimitError, match="field setpoint"):
        sim_lab.field.setpoint = top + 0.05


def test_a_run_beyond_the_magnet_is_refused_before_anything_is_sent(tmp_path, capsys, monkeypatch):
    from app import simlab

    worlds = []
    original = simlab.build_sim_lab

    def spy(*args, **kwargs):
        lab = original(*args, **kwargs)
        worlds.append(lab.world)
        return lab

    monkeypatch.setattr(simlab, "build_sim_lab", spy)
    rc = main(["run", "esr-sweep", "--sim", "--set", "field_start=1.19T", "--set", "field_stop=1.2T",
               "--out", str(tmp_path), "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2 and "Traceback" not in err
    assert "field_stop = 1200 mT" in err
    assert "field controller" in err and "[-1000, 1000] mT" in err  # what the magnet can do
    assert "max field is 1500 mT" in err                    # and the lab's own limit
    assert worlds and all(w.command_log == [] for w in worlds)
    assert not any(tmp_path.iterdir())
