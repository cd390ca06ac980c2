"""A run's export holds the field axis its own result used (Hall readings regressed on the
setpoints per scan / per trace, lock-in lag corrected), not the raw readings: a re-fit of the
exported file finds the run's resonance to a small fraction of its error bar."""
from __future__ import annotations

import json

import numpy as np
import pytest
from test_formats_bes3t import minimal_read  # the reader written from the BES3T description

from app.cli import main
from app.run_export import T_PER_G, export_bes3t, run_spectra
from app.runner import run_experiment
from app.simlab import build_sim_lab
from app.storage import read_run
from sequences.experiment import RunData
from sequences.experiments import EsrFieldSweep


def test_esr_sweep_export_refits_to_the_runs_own_result(tmp_path, capsys):
    outcome = run_experiment(EsrFieldSweep(field_start=0.3375, field_stop=0.3400, points=101, scans=2),
                             build_sim_lab(), tmp_path / "runs", plot=False)
    run = read_run(outcome.path)
    (dsc,) = export_bes3t(run, tmp_path / "x", "hall", axis="measured")
    x, data = minimal_read(dsc)
    b_used, x_used, _ = EsrFieldSweep.averaged(run)  # what the run's analysis fitted
    assert np.max(np.abs(x * T_PER_G - b_used)) < 1e-9 * np.ptp(b_used) and np.array_equal(data, x_used)
    raw = np.array([np.mean(run["field"][run["index"] == i]) for i in range(101)])
    assert np.max(np.abs(x * T_PER_G - raw)) > 1e-7  # the raw Hall readings: a different axis
    assert main(["analyse", str(dsc), "--json", "--png", str(tmp_path / "a.png")]) == 0
    refit = json.loads(capsys.readouterr().out)["results"]
    for key in ("resonance_field", "g_factor"):
        mine = outcome.info.results[key]
        assert abs(refit[key]["value"] - mine.value) < 0.01 * mine.error, key  # raw readings: ~20 sigma off


def test_trace_export_axis_is_each_traces_regression_on_its_setpoints():
    rng = np.random.default_rng(4)
    set_a, set_b = np.linspace(0.30, 0.31, 21), np.linspace(0.50, 0.52, 21)
    b_set = np.concatenate([set_a, set_b])
    hall = np.concatenate([1.001 * set_a + 2e-4, 0.999 * set_b - 1e-4]) + rng.normal(0, 5e-5, 42)
    run = RunData({"field_set": b_set, "field": hall, "x": np.zeros(42), "trace": np.repeat([0.0, 1.0], 21),
                   "frequency": np.repeat([9e9, 15e9], 21)}, {}, metadata={"experiment": "fmr-map"})
    spectra = run_spectra(run)
    for s, sel in zip(spectra, (slice(0, 21), slice(21, 42))):
        # ordinary least squares of Hall on setpoint, solved here in closed form
        xs, ys = b_set[sel], hall[sel]
        slope = np.sum((xs - xs.mean()) * (ys - ys.mean())) / np.sum((xs - xs.mean()) ** 2)
        assert s.field == pytest.approx(ys.mean() + slope * (xs - xs.mean()), abs=1e-12)
    assert np.array_equal(run_spectra(run, "setpoint")[1].field, set_b)
