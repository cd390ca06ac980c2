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
