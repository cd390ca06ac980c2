"""The per-point hot path: the engine calls the handlers subscribers have after ``start`` (the run
file binds a leaner one there), and every row reaches the file in order, also across blocks."""
from __future__ import annotations

from typing import Any, Iterator

import numpy as np

from app.engine import MemoryCollector, RunEngine
from app.simlab import build_sim_lab
from app.storage import HDF5Writer, read_run
from sequences.experiment import Point
from sequences.experiments import EsrFieldSweep


class Rows(EsrFieldSweep):
    """esr-sweep's columns; the plan yields prepared rows and touches no instrument."""

    name = "esr-sweep"

    def __init__(self, rows: list[dict[str, float]]):
        super().__init__()
        self._rows = rows

    def total_points(self) -> int:
        return len(self._rows)

    def plan(self, lab: Any) -> Iterator[Point]:
        for row in self._rows:
            yield Point(row)


class Rebinding:
    """Installs its per-point handler in ``start``, as the HDF5 writer does."""

    def __init__(self) -> None:
        self.seen: list[int] = []

    def start(self, run: Any) -> None:
        self.point = lambda index, data: self.seen.append(index)


def test_handlers_bound_in_start_receive_every_point_and_the_file_holds_them_in_order(tmp_path):
    names = [c.name for c in EsrFieldSweep().columns()]
    rng = np.random.default_rng(3)
    table = rng.standard_normal((2 * 1000 + 17, len(names)))
    exp = Rows([dict(zip(names, r.tolist())) for r in table])
    lab = build_sim_lab()
    writer, late, memory = HDF5Writer(tmp_path / "run.h5", block_size=1000), Rebinding(), MemoryCollector()
    engine = RunEngine(lab)
    engine.analyse = False
    info = engine.run(exp, [writer, late, memory])
    lab.close()
    assert info.status == "completed" and info.points == len(table)
    assert late.seen == list(range(len(table)))
    data = read_run(tmp_path / "run.h5").columns
    for j, name in enumerate(names):
        np.testing.assert_array_equal(data[name], table[:, j])


def test_single_subscriber_path_writes_every_row(tmp_path):
    names = [c.name for c in EsrFieldSweep().columns()]
    table = np.arange(3 * len(names) * 700, dtype=float).reshape(-1, len(names))
    lab = build_sim_lab()
    engine = RunEngine(lab)
    engine.analyse = False
    engine.run(Rows([dict(zip(names, r.tolist())) for r in table]), [HDF5Writer(tmp_path / "one.h5", block_size=512)])
    lab.close()
    data = read_run(tmp_path / "one.h5").columns
    np.testing.assert_array_equal(np.column_stack([data[n] for n in names]), table)
