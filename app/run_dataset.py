"""A spinbench run as a :class:`formats.Dataset`, so the file analysis (channel choice, phase,
baseline, double integration: ``app.file_analysis.analyse_dataset``, what ``spinbench analyse``
does) and peak picking work on runs and foreign files alike; and a foreign file as a
:class:`RunData`, so the Compare tab overlays both.

The run's spectrum is the one ``spinbench export`` writes (``app.run_export.run_spectra``: the
scan average over the measured field the run's analysis used), as complex X + iY, with the
acquisition parameters under their BES3T names (``spl_parameters``: MWFQ, B0MA, RCHM ...).
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from app.run_export import run_spectra, spl_parameters
from formats import Axis, Dataset, Ordinate
from sequences.experiment import RunData


def run_as_dataset(run: RunData) -> Dataset:
    """The run's (first) spectrum as a 1-D dataset: field (T) against X + iY (V)."""
    spectra = run_spectra(run)
    if not spectra:
        raise ValueError("the run has no points to process")
    s = spectra[0]
    title = str(run.metadata.get("title") or run.metadata.get("experiment") or "run")
    if len(spectra) > 1:
        title += f" (trace {s.label} of {len(spectra)})"
    params = spl_parameters(run, s)
    return Dataset((Axis(np.asarray(s.field, float), "field", "T"),),
                   (Ordinate(np.asarray(s.x, float) + 1j * np.asarray(s.y, float), "lock-in", "V"),),
                   params, "spinbench run", Path(run.path) if run.path else None, title)


def dataset_as_run(d: Dataset, name: str = "") -> tuple[RunData, dict[str, str]]:
    """A 1-D or 2-D dataset as run columns (and their units) for the Compare tab: the x axis
    under ``field`` when it is a field (T), else its own name; the real part as ``x``, the
    imaginary part (complex data) as ``y``; a 2-D file's slices as scans."""
    x_name = "field" if d.x.unit == "T" else (d.x.name or "x")
    z = np.atleast_2d(d.data)
    if z.ndim != 2:
        raise ValueError(f"{name or d.source}: {d.ndim}-D data: compare takes 1-D spectra and 2-D series")
    rows, n = z.shape
    cols = {x_name: np.tile(np.asarray(d.x.values, float), rows), "x": np.real(z).ravel().astype(float)}
    units = {x_name: d.x.unit, "x": d.ordinates[0].unit}
    if np.iscomplexobj(z):
        cols["y"], units["y"] = np.imag(z).ravel().astype(float), d.ordinates[0].unit
    if rows > 1:
        cols["scan"] = np.repeat(np.arange(rows), n)
        cols["index"] = np.tile(np.arange(n), rows)
    meta = {"experiment": d.format, "title": d.title, "source": str(d.source) if d.source else name}
    return RunData(cols, dict(d.parameters), metadata=meta, results={}, status="file",
                   path=d.source), units


def phase_rotated(d: Dataset, degrees: float) -> Dataset:
    """The dataset with its (complex) signal rotated by ``-degrees``: the real part becomes
    X cos(phi) + Y sin(phi), as turning a lock-in's reference phase by phi does."""
    if not degrees:
        return d
    z = d.ordinates[0].values
    if not np.iscomplexobj(z):
        raise ValueError(f"a phase of {degrees:g} deg needs a complex (X + iY) signal; this one is real")
    rotated = dataclasses.replace(d.ordinates[0], values=z * np.exp(-1j * np.radians(degrees)))
    return dataclasses.replace(d, ordinates=(rotated, *d.ordinates[1:]))
