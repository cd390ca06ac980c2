"""Shared fixtures. Qt runs headless in every test."""
from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

# No example database (the tests run in several processes at once, pytest-xdist, which must not
# share a directory of the checkout) and derandomised: every run draws the same examples, so a
# failure in CI reproduces on any machine.
settings.register_profile("spinbench", database=None, derandomize=True)
settings.load_profile("spinbench")


@pytest.fixture
def world():
    from sim_backend.world import SimulatedWorld

    return SimulatedWorld(seed=1)


@pytest.fixture
def sim_lab(world):
    from app.simlab import build_sim_lab

    return build_sim_lab(world)


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture(autouse=True)
def _collect_qt_garbage_in_the_main_thread(request):
    """Qt wrappers left by a GUI test must be destroyed in this (the GUI) thread, not by an
    automatic collection in some later test's worker thread (see app/gui/gc_guard.py).

    Everything older than the test is frozen first (``gc.freeze``), so the collection after it
    scans only what the test created (its Qt wrappers included) instead of the whole heap of the
    session: 0.1-0.4 s less per GUI test. Unfreezing hands the older objects back to the normal
    collector."""
    import gc

    gui = request.node.module.__name__.rsplit(".", 1)[-1].startswith("test_gui")
    if gui:
        gc.freeze()
    yield
    if gui:
        gc.collect()
        gc.unfreeze()



#: Undeclared result keys seen by the check below (the engine turns an exception raised inside an
#: analysis into the run's error, so the check records instead of raising there).
_UNDECLARED: list[str] = []


@pytest.fixture(autouse=True, scope="session")
def _analyses_return_only_declared_results():
    """Every analysis any test runs in this process returns only the result keys its experiment
    declares (``Experiment.results``), so the generated experiment pages cannot go stale."""
    from sequences.experiments import EXPERIMENTS
    from sequences.result import undeclared

    originals = {cls: cls.__dict__.get("analyse") for cls in EXPERIMENTS.values()}

    def checked(analyse):
        def analyse_and_check(self, *args, **kwargs):
            results = analyse(self, *args, **kwargs)
            declared = type(self).results
            if declared and isinstance(results, dict):
                extra = undeclared(results, declared)
                if extra:
                    _UNDECLARED.append(f"{type(self).__name__}.analyse returned undeclared result keys {extra}")
            return results
        return analyse_and_check

    for cls in EXPERIMENTS.values():
        cls.analyse = checked(cls.analyse)
    yield
    for cls, original in originals.items():
        if original is None:
            del cls.analyse
        else:
            cls.analyse = original


@pytest.fixture(autouse=True)
def _no_undeclared_results(_analyses_return_only_declared_results):
    yield
    found, _UNDECLARED[:] = list(_UNDECLARED), []
    assert not found, "; ".join(found)
