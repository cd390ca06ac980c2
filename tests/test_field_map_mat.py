"""A measured magnet field map saved from MATLAB opens with ``spinbench analyse`` and ``show``:
the MiniBumblebee robot map (tests/data/fieldmap/README.md: 144 Hall-probe positions in m, B in
mT, recorded Bz 44.6-45.6 mT), read with the units given on the command line because a
MAT-file stores none; files that are not such a map get one line saying what was found."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import scipy.io

from app.cli import main
from formats.dataset import FormatError
from formats.field_map_mat import parse_units, read_field_map_mat

MAP = Path(__file__).parent / "data" / "fieldmap" / "Result_Analysis_28-Aug-2025_14_23_21.mat"


def test_reader_gives_the_recorded_points_and_field():
    fmap = read_field_map_mat(MAP, ("m", "mT"))
    assert len(fmap) == 144 and set(fmap.components) == {"Bx", "By", "Bz"}
    bz = fmap.components["Bz"]
    assert 44.6e-3 <= bz.min() and bz.max() <= 45.6e-3  # T: the range the source states
    assert np.all(np.abs(fmap.components["Bx"]) < 0.1 * bz)  # the main field is along z
    assert np.ptp(fmap.points, axis=0).max() < 0.1  # positions in m: the robot's field of view
    # the same numbers in other units scale exactly
    other = read_field_map_mat(MAP, ("mm", "T"))
    assert other.points == pytest.approx(fmap.points * 1e-3) and other.components["Bz"] == pytest.approx(bz * 1e3)


def test_analyse_and_show_open_the_map(tmp_path, capsys):
    png = tmp_path / "map.png"
    assert main(["analyse", str(MAP), "--map-units", "m,mT", "--json", "--png", str(png)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["kind"] == "field-map" and out["results"]["points"] == 144
    assert 44.6e-3 < out["results"]["b0"]["value"] < 45.6e-3 and out["results"]["b0"]["unit"] == "T"
    assert png.stat().st_size > 10_000
    assert main(["show", str(MAP), "--map-units", "m,mT", "--png", str(png)]) == 0
    text = capsys.readouterr().out
    assert "144 (Bx, By, Bz" in text and "spherical harmonics to order 3" in text


def test_units_are_asked_for_not_assumed(capsys):
    assert main(["analyse", str(MAP)]) == 2
    assert "stores no units; give them with --map-units" in capsys.readouterr().err
    assert main(["analyse", str(MAP), "--map-units", "m,s"]) == 2
    assert "not a magnetic field" in capsys.readouterr().err
    with pytest.raises(ValueError, match="LENGTH,FIELD"):
        parse_units("mT")


def test_files_that_are_not_a_map_say_what_they_hold(tmp_path):
    struct = tmp_path / "raw.mat"
    scipy.io.savemat(struct, {"Save_Data": {"time": np.arange(3.0), "B_meas": np.ones((3, 3))}})
    with pytest.raises(FormatError, match=r"no point positions.*save_data \(struct: time, B_meas\)"):
        read_field_map_mat(struct, ("m", "mT"))
    no_field = tmp_path / "positions.mat"
    scipy.io.savemat(no_field, {"x": np.arange(5.0), "y": np.zeros(5), "z": np.ones(5), "T": np.ones(5)})
    with pytest.raises(FormatError, match="no field values"):
        read_field_map_mat(no_field, ("m", "mT"))
    text = tmp_path / "notes.mat"
    text.write_text("not a MAT-file\n")
    with pytest.raises(FormatError, match="expected a MATLAB MAT-file"):
        read_field_map_mat(text, ("m", "mT"))
    v73 = tmp_path / "v73.mat"
    v73.write_bytes(b"MATLAB 7.3 MAT-file, Platform: GLNXA64".ljust(128) + b"\0" * 400)
    with pytest.raises(FormatError, match="v7.3"):
        read_field_map_mat(v73, ("m", "mT"))
