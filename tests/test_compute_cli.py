"""spinbench sweep / reanalyse / sim-serve --host: grids with per-point seeds into one HDF5 table
and a PNG map, a folder of real spectra re-analysed with failures reported per file, one-line
errors for bad input, the network warning."""
from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from app.cli import main
from app.result_table import read_table
from app.sweep import grid_points, parse_grid, run_point

REAL = Path(__file__).parent / "data" / "real"


def test_sweep_fills_the_table_in_grid_order_and_maps_a_result(tmp_path, capsys):
    out = tmp_path / "sw"
    args = ["sweep", "esr-sweep", "--sim", "--grid", "mod_amplitude=0.02:0.06:2", "--grid", "points=41:61:2",
            "--seed", "4", "--out", str(out), "--map", "linewidth_pp", "--workers", "1", "--no-runs"]
    assert main(args) == 0
    t = read_table(out / "sweep.h5")
    assert t["done"].all() and len(t["done"]) == 4
    assert np.allclose(t["mod_amplitude"], [20e-6, 20e-6, 60e-6, 60e-6])  # a bare number is in mT (its display unit)
    assert list(t["points"]) == [41, 61, 41, 61]
    # the default paramagnet's line (g 2.0036) found by every point's fit from its own data
    assert np.all(np.abs(t["g_factor"] - 2.0036) < 1e-3)
    assert (out / "sweep_linewidth_pp.png").stat().st_size > 1000
    # row k is point k of the grid run alone from its own seed (any backend, any order)
    again = run_point(grid_points("esr-sweep", {}, parse_grid("esr-sweep", ["mod_amplitude=0.02:0.06:2",
                                                                            "points=41:61:2"]), 4, None)[3])
    assert again["snr"] == t["snr"][3] and int(t["seed"][3]) > 0


@pytest.mark.parametrize("grid, message", [
    ("mod_amp=1:2:3", "esr-sweep has no parameter 'mod_amp'"),
    ("mod_amplitude=1:2", "expected name=start:stop:count"),
    ("mod_amplitude=1:2:x", "count 'x' must be a whole number"),
    ("mod_amplitude=1:abc:2", "mod_amplitude"),
])
def test_bad_grids_get_one_line_errors_before_anything_runs(tmp_path, capsys, grid, message):
    assert main(["sweep", "esr-sweep", "--grid", grid, "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "x").exists()


def test_reanalyse_matches_analyse_and_reports_a_broken_file_while_the_rest_complete(tmp_path, capsys):
    folder = tmp_path / "data"
    folder.mkdir()
    for name in ("2024_08_CaWO4171Yb_rabi_6K_6724G_18dB.DSC", "2024_08_CaWO4171Yb_rabi_6K_6724G_18dB.DTA",
                 "SAMPLE2.PAR", "SAMPLE2.SPC", "specman_2pfs.d01", "specman_2pfs.exp"):
        shutil.copy(REAL / name, folder)
    (folder / "broken.dsc").write_text("not a descriptor\n")
    assert main(["reanalyse", str(folder), "--workers", "2"]) == 3  # one file failed
    err = capsys.readouterr().err
    assert "broken.dsc" in err and "failed" in err
    rows = {Path(r["file"]).name: r for r in csv.DictReader((folder / "reanalysis" / "summary.csv").open())}
    rabi = "2024_08_CaWO4171Yb_rabi_6K_6724G_18dB.DSC"
    assert set(rows) == {rabi, "SAMPLE2.PAR", "specman_2pfs.d01", "broken.dsc"}
    assert rows["broken.dsc"]["error"] and rows["SAMPLE2.PAR"]["kind"] == "cw"
    assert rows["specman_2pfs.d01"]["kind"] == "echo-sweep" and rows[rabi]["kind"] == "nutation"
    assert main(["analyse", str(folder / "SAMPLE2.PAR"), "--json"]) == 0
    alone = json.loads(capsys.readouterr().out)
    assert float(rows["SAMPLE2.PAR"]["g_factor"]) == pytest.approx(alone["results"]["g_factor"]["value"], rel=1e-9)
    t = read_table(folder / "reanalysis" / "summary.h5")
    done = {Path(f).name: bool(d) for f, d in zip(t["file"], t["done"])}
    assert done == {rabi: True, "SAMPLE2.PAR": True, "broken.dsc": False, "specman_2pfs.d01": True}


def test_reanalyse_of_an_empty_folder_says_what_it_looks_for(tmp_path, capsys):
    assert main(["reanalyse", str(tmp_path)]) == 2
    assert "no run files" in capsys.readouterr().err


def test_sim_serve_on_a_network_address_warns(capsys):
    main(["sim-serve", "--host", "0.0.0.0", "--timeout", "-1"])  # refused before any port opens
    assert "anyone who can connect can command the served instruments" in capsys.readouterr().err


def test_an_interrupted_sweep_keeps_the_points_it_finished(tmp_path, capsys, monkeypatch):
    import app.sweep

    real, calls = app.sweep.run_point, []

    def ctrl_c_on_third(point):
        calls.append(point)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(point)

    monkeypatch.setattr(app.sweep, "run_point", ctrl_c_on_third)
    out = tmp_path / "sw"
    assert main(["sweep", "esr-sweep", "--grid", "points=41:51:4", "--out", str(out), "--workers", "1",
                 "--no-runs"]) == 130
    assert "2 of 4 points kept" in capsys.readouterr().err
    t = read_table(out / "sweep.h5")
    assert list(t["done"]) == [True, True, False, False] and np.isfinite(t["g_factor"][:2]).all()


def test_halbach_tolerance_gives_the_same_report_on_one_process_and_a_pool(tmp_path, capsys):
    design = str(Path(__file__).parents[1] / "examples" / "halbach_ring.toml")
    base = ["halbach", design, "--no-plots", "--engine", "dipole", "--tolerance", "0.01,1,0.1", "--trials", "24",
            "--out", str(tmp_path)]
    texts = []
    for workers in ("1", "2"):
        assert main(base + ["--workers", workers]) == 0
        out = capsys.readouterr().out
        texts.append(out[out.index("tolerance Monte Carlo"):out.index("magnet list")])
    assert texts[0] == texts[1] and "24 built magnets" in texts[0]
    assert main(["halbach", design, "--restarts", "3", "--out", str(tmp_path)]) == 2
    assert "--restarts 3: give 1 or more, with --optimise" in capsys.readouterr().err
