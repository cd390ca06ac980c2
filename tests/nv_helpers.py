"""Shared set-up of the NV tests: a simulated NV bench and the line found by cw-ODMR.

The microwave frequency the pulsed tests drive is *measured* (cw-ODMR around where the set
field and the textbook constants put it), never read from the simulation.
"""
from __future__ import annotations

import tempfile

from app.runner import run_experiment
from app.simlab_nv import build_nv_lab
from sequences.experiments.nv_odmr import CwOdmr
from sim_backend.nv import NvSample

D_NOMINAL = 2.870e9  # Hz, textbook room-temperature zero-field splitting
GAMMA_NOMINAL = 28.0e9  # Hz/T, a rounded textbook value: only to place the sweep windows


def run(experiment, lab):
    out = run_experiment(experiment, lab, tempfile.mkdtemp(prefix="nv-test-"))
    assert out.info.status == "completed", out.info
    return out.info.results


def odmr(lab, field: float, nitrogen: str, half_width: float = 12e6, points: int = 121, **kw):
    """cw-ODMR over two windows around D -+ gamma B (textbook values and the set field)."""
    lo, hi = D_NOMINAL - GAMMA_NOMINAL * field, D_NOMINAL + GAMMA_NOMINAL * field
    return run(CwOdmr(freq_start=lo - half_width, freq_stop=lo + half_width, freq2_start=hi - half_width,
                      freq2_stop=hi + half_width, points=points, power=2e-3, dwell=0.05, nitrogen=nitrogen, **kw),
               lab)


def nv_bench(field: float = 0.01, **sample):
    return build_nv_lab(NvSample(static_field=field, **sample))
