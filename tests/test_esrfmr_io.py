"""Interchange: Bruker BES3T and CSV round trips, malformed descriptors, the export CLI."""
from __future__ import annotations

import numpy as np
import pytest
from esrfmr_helpers import esr_lab

from app.cli import main
from app.runner import run_experiment
from app.storage import read_run
from sequences.experiments.fmr_map import FreqFieldMap
from formats import Bes3tError, read_bes3t, read_csv, write_bes3t
from app.run_export import T_PER_G, export_bes3t, run_spectra
from sim_backend.ferromagnet import Ferromagnet
from sim_backend.fmr_setup import use_broadband_line
from sim_backend.orientation import frame_from_axes
from sim_backend.world import SimulatedWorld


def test_bes3t_round_trip_is_identical(tmp_path, rng):
    x = np.linspace(3300.0, 3500.0, 1024)  # G, exactly linear: stored as XMIN/XWID
    data = rng.normal(size=1024) * 1e-5
    write_bes3t(tmp_path / "lin", x, data, parameters={"MWFQ": 9.5e9, "B0MA": 2e-4})
    back = read_bes3t(tmp_path / "lin.DSC")
    assert back.descriptor["XTYP"] == "IDX"
    assert np.array_equal(back.x, x) and np.array_equal(back.data, data)
    assert back.parameter("MWFQ") == 9.5e9 and back.x_unit == "G"

    xi = np.sort(rng.uniform(3300, 3500, 300))  # measured (non-uniform) axis: stored in .XGF
    z = (rng.normal(size=(3, 300)) + 1j * rng.normal(size=(3, 300))) * 1e-6
    write_bes3t(tmp_path / "map", xi, z, y=np.array([6e9, 9e9, 12e9]), y_name="frequency", y_unit="Hz")
    back = read_bes3t(tmp_path / "map.DTA")
    assert back.descriptor["XTYP"] == "IGD" and (tmp_path / "map.XGF").exists()
    assert np.array_equal(back.x, xi) and np.array_equal(back.data, z)
    assert np.array_equal(back.y, [6e9, 9e9, 12e9]) and back.y_unit == "Hz"


@pytest.mark.parametrize("key", ["XPTS", "BSEQ", "IKKF", "IRFMT", "XMIN"])
def test_malformed_descriptor_names_the_missing_key(tmp_path, key):
    write_bes3t(tmp_path / "s", np.linspace(3300.0, 3400.0, 64), np.arange(64.0))
    dsc = tmp_path / "s.DSC"
    text = dsc.read_text(encoding="latin-1")
    dsc.write_text("\n".join(l for l in text.splitlines() if not l.startswith(key)), encoding="latin-1")
    with pytest.raises(Bes3tError, match=f"no '{key}' key"):
        read_bes3t(dsc)


def test_truncated_data_file_is_reported(tmp_path):
    write_bes3t(tmp_path / "s", np.linspace(3300.0, 3400.0, 64), np.arange(64.0))
    (tmp_path / "s.DTA").write_bytes((tmp_path / "s.DTA").read_bytes()[:-8])
    with pytest.raises(Bes3tError, match="63 values, but XPTS x YPTS = 64 x 1"):
        read_bes3t(tmp_path / "s.DSC")


@pytest.mark.slow
def test_run_exports_to_bes3t_and_csv_through_the_cli(tmp_path, capsys):
    world = SimulatedWorld(Ferromagnet(mount=frame_from_axes([0, 0, 1], [0, 1, 0])), seed=71)
    use_broadband_line(world)
    exp = FreqFieldMap(freq_start=8e9, freq_stop=12e9, n_freq=2, g_guess=2.1, field_guess=1.0, points=61,
                       window_low=15e-3, window_high=20e-3, time_constant=10e-3)
    outcome = run_experiment(exp, esr_lab(world), tmp_path / "runs", plot=False)
    run = read_run(outcome.path)

    assert main(["export", str(outcome.path), "--format", "bes3t", "--out", str(tmp_path / "b")]) == 0
    files = sorted((tmp_path / "b").glob("*.DSC"))
    assert len(files) == 2
    told = capsys.readouterr().out  # the message names every file written, axis files included
    written = sorted(p.name for p in (tmp_path / "b").iterdir())
    for name in written:
        assert name in told, name
    spectra = run_spectra(run)
    for spectrum, dsc in zip(spectra, files):
        back = read_bes3t(dsc)
        assert np.array_equal(back.data, spectrum.x)  # identical data
        step = abs(back.x[1] - back.x[0])  # the regressed axis is linear: IDX, exact to 1e-6 of a step
        assert np.max(np.abs(back.x - spectrum.field / T_PER_G)) < 1e-6 * step  # same axis (in the file's G)
        assert back.parameter("MWFQ") == spectrum.info["frequency"]
        assert back.parameter("B0MA") == pytest.approx(2 * exp.mod_amplitude)  # Bruker: peak-to-peak

    # Setpoint axis + complex channels: still one file per trace (the windows differ).
    paths = export_bes3t(run, tmp_path / "c", "run", axis="setpoint", channels="xy")
    assert np.iscomplexobj(read_bes3t(paths[0]).data)

    assert main(["export", str(outcome.path), "--format", "csv", "--out", str(tmp_path / "c")]) == 0
    cols, units, meta = read_csv(tmp_path / "c" / (outcome.path.stem + ".csv"))
    for name in ("field", "x", "frequency", "trace"):
        assert np.array_equal(cols[name], run[name])
    assert units["field"] == "T" and units["frequency"] == "Hz"
    assert meta["experiment"] == "fmr-map" and meta["parameters"]["n_freq"] == 2
    assert "wrote" in capsys.readouterr().out


def test_export_of_a_non_spectrum_run_is_refused(tmp_path):
    from sequences.experiment import RunData

    run = RunData({"time": np.arange(3.0)}, {})
    with pytest.raises(ValueError, match="no 'field' column"):
        export_bes3t(run, tmp_path, "x")
