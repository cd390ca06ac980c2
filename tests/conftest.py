"""Shared fixtures. Qt runs headless in every test."""
from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402


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
    automatic collection in some later test's worker thread (see app/gui/gc_guard.py)."""
    yield
    if request.node.module.__name__.rsplit(".", 1)[-1].startswith("test_gui"):
        import gc

        gc.collect()
