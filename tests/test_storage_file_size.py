"""Run-file size: chunks are sized from the run's expected points, so a short sweep's file is
about the size of its data (before, 512 kB chunks per column made a 401-point sweep 4.75 MB)."""
from __future__ import annotations

import numpy as np

from app.engine import RunInfo
from app.simlab import build_sim_lab
from app.storage import HDF5Writer, chunk_rows, read_run
from sequences.experiment import FitValue
from sequences.experiments import EsrFieldSweep


def test_401_point_run_file_is_at_most_twice_its_data_plus_64_kB(tmp_path):
    exp = EsrFieldSweep(points=401)
    lab = build_sim_lab()
    info = RunInfo(exp, exp.columns(), exp.total_points(), lab.snapshot(), "2026-12-02T12:00:00+00:00")
    path = tmp_path / "run.h5"
    writer = HDF5Writer(path, lab_config=lab.config)
    writer.start(info)
    names = [c.name for c in info.columns]
    rng = np.random.default_rng(0)
    for i in range(401):
        writer.point(i, dict(zip(names, rng.standard_normal(len(names)).tolist())))
    info.status = "completed"
    info.results = {"g_factor": FitValue(2.0036, 1e-5, ""), "resonance_field": FitValue(0.3388, 1e-6, "T")}
    writer.end(info)
    lab.close()
    data_bytes = 401 * len(names) * 8  # float64 columns
    assert path.stat().st_size <= 2 * data_bytes + 64 * 1024, (path.stat().st_size, data_bytes)
    assert len(read_run(path).columns["x"]) == 401


def test_chunk_rows_follow_expected_points_within_bounds():
    assert chunk_rows(401, 8) == 512            # at least a 4 kB page
    assert chunk_rows(10_000, 8) == 10_000      # the whole short run in one chunk
    assert chunk_rows(10**7, 8) == 2**19 // 8   # at most 512 kB
    assert chunk_rows(401, 2**20) == 1          # a trace larger than the bound: one row
