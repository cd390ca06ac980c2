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


def test_blocks_of_any_size_reach_the_file_intact(tmp_path):
    """Blocks that start inside a chunk, cover whole chunks (written directly) and end inside
    one, for scalar, trace and integer columns: the file holds exactly the rows given."""
    from app.engine import RunInfo
    from sequences.experiment import Column

    cols = [Column("a", "V"), Column("trace", "V", shape=(5,)), Column("i", "", dtype="int64")]
    n = 150_000
    rng = np.random.default_rng(0)
    a, trace, i = rng.standard_normal(n), rng.standard_normal((n, 5)), np.arange(n)
    writer = HDF5Writer(tmp_path / "blocks.h5")
    info = RunInfo(EsrFieldSweep(), cols, n, {}, "2026-12-02T12:00:00+00:00")
    writer.start(info)
    pos = 0
    for size in [17, 65_536, 1, 70_000, 131_072]:
        size = min(size, n - pos)
        writer.block(pos, {"a": a[pos:pos + size], "trace": trace[pos:pos + size], "i": i[pos:pos + size]})
        pos += size
    info.status = "completed"
    writer.end(info)
    data = read_run(tmp_path / "blocks.h5").columns
    assert pos == n
    np.testing.assert_array_equal(data["a"], a)
    np.testing.assert_array_equal(data["trace"], trace)
    np.testing.assert_array_equal(data["i"], i)
