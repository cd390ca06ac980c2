"""app.compute: the same results from this process, a local process pool and a Dask cluster
(LocalCluster, 2 in-process workers), results in input order, failures reported with their
inputs while the others complete, a dead worker process retried."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from app.compute import Compute, TasksFailed
from app.sweep import grid_points, parse_grid, run_point
from magnets.design import Cuboid, HalbachDesign, Ring
from magnets.tolerance import Tolerances, monte_carlo


@pytest.fixture(scope="module")
def dask_client():
    from distributed import Client, LocalCluster

    # in-process workers over Dask's inproc:// transport: nothing listens on any port
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None)
    client = Client(cluster)
    yield client
    client.close()
    cluster.close()


def _square(x: int) -> int:
    return x * x


def _fails_on_three(x: int) -> int:
    if x == 3:
        raise ZeroDivisionError("three is bad")
    return -x


def _dies_once(path: str) -> str:
    """Kill its worker process the first time (as an out-of-memory kill would), then succeed."""
    marker = Path(path)
    if not marker.exists():
        marker.write_text("died")
        os._exit(1)
    return "ok"


def test_tolerance_monte_carlo_is_bit_identical_locally_and_on_dask(dask_client):
    """A 64-magnet ring's B_r-only Monte Carlo: B0 spread sigma B0 / sqrt(64) (every magnet adds
    the same field at the centre), identical digits from every backend."""
    arr = HalbachDesign([Ring(16, 0.06, Cuboid.cube(0.008))]).layout()
    tol = Tolerances(br=0.02, angle=np.deg2rad(0.5), position=1e-4)
    results = []
    for compute in (Compute(workers=1), Compute(workers=2), Compute(client=dask_client)):
        with compute:
            results.append(monte_carlo(arr, tol, 0.01, trials=24, seed=3, n_points=30, attribute=False,
                                       map=compute.map))
    for other in results[1:]:
        assert np.array_equal(results[0].b0, other.b0) and np.array_equal(results[0].ppm, other.ppm)
    assert results[0].b0.std() > 0


def test_sweep_points_give_the_same_fits_locally_and_on_dask(dask_client):
    axes = parse_grid("esr-sweep", ["mod_amplitude=20uT:60uT:2"])
    points = grid_points("esr-sweep", {"points": 41}, axes, seed=11, out_dir=None)
    assert len({p.seed for p in points}) == 2
    with Compute(workers=1) as local:
        here = local.map(run_point, points)
    with Compute(client=dask_client) as remote:
        there = remote.map(run_point, points)
    for a, b in zip(here, there):  # bit for bit: every number comes from the point's own seed
        assert a.keys() == b.keys()
        assert np.array_equal(list(a.values()), list(b.values()), equal_nan=True)
    assert here[0]["snr"] != here[1]["snr"]
    # the simulated line sits at g = 2.0036 (the default paramagnet): the fit finds it from the data alone
    assert all(abs(r["g_factor"] - 2.0036) < 1e-3 for r in here)


@pytest.mark.parametrize("backend", ["pool", "dask"])
def test_results_in_input_order_and_a_failure_reported_with_its_inputs(backend, dask_client):
    compute = Compute(workers=2) if backend == "pool" else Compute(client=dask_client)
    arrived = []
    with compute:
        assert compute.map(_square, range(8)) == [x * x for x in range(8)]
        with pytest.raises(TasksFailed) as info:
            compute.map(_fails_on_three, range(6), on_result=lambda i, r: arrived.append(i))
    err = info.value
    assert err.results == [0, -1, -2, None, -4, -5] and sorted(arrived) == [0, 1, 2, 4, 5]
    (failure,) = err.failures
    assert failure.index == 3 and failure.inputs == "3"
    assert "ZeroDivisionError: three is bad" in failure.line() and "_fails_on_three" in failure.traceback


def test_a_dead_worker_process_is_retried(tmp_path):
    with Compute(workers=2) as compute:
        assert compute.map(_dies_once, [str(tmp_path / "marker")]) == ["ok"]


def test_interrupt_cancels_and_keeps_what_arrived():
    got = []

    def arrived(i, r):
        got.append(r)
        raise KeyboardInterrupt

    with Compute(workers=2) as compute:
        with pytest.raises(KeyboardInterrupt):
            compute.map(_square, range(50), on_result=arrived)
        assert compute._pool is None  # pending tasks cancelled, pool gone
    assert len(got) == 1


def test_bad_scheduler_addresses_get_one_line_errors(monkeypatch):
    with pytest.raises(ValueError, match="give tcp://HOST:PORT"):
        Compute("host:8786")
    monkeypatch.setenv("SPINBENCH_TLS_CA", "/nonexistent/ca.pem")
    with pytest.raises(ValueError, match="SPINBENCH_TLS_CERT"):
        Compute("tls://10.0.0.5:8786")
    with pytest.raises(ValueError, match="--workers 0"):
        Compute(workers=0)


def test_a_plain_tcp_scheduler_on_the_network_is_warned_about(monkeypatch, capsys):
    import distributed

    class FakeClient:  # records the connection instead of making it
        def __init__(self, address, **kwargs):
            self.address, self.kwargs = address, kwargs

        def close(self):
            pass

    monkeypatch.setattr(distributed, "Client", FakeClient)
    Compute("tcp://10.0.0.5:8786").close()
    assert "anyone who can connect can run code on the workers" in capsys.readouterr().err
    Compute("tcp://127.0.0.1:8786").close()
    assert capsys.readouterr().err == ""
    monkeypatch.setenv("SPINBENCH_SCHEDULER", "tcp://localhost:8786")
    assert Compute()._client.address == "tcp://localhost:8786"


@pytest.mark.slow
def test_a_lost_dask_worker_is_replaced_and_its_task_rerun(tmp_path):
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        with Compute(client=client) as compute:
            assert compute.map(_dies_once, [str(tmp_path / "marker")]) == ["ok"]
