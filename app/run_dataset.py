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

from app.run_export import OUTER, run_spectra, spl_parameters
from formats import Axis, Dataset, Ordinate
from sequences.experiment import RunData
from units.display import format_quantity


def run_datasets(run: RunData) -> list[tuple[str, Dataset]]:
    """Every spectrum of the run as (label, 1-D dataset: field (T) against X + iY (V)): one for a
    plain sweep, one per trace for maps and series, labelled by what changes between traces
    ('t002: temperature_set 10 K'); each carries its own microwave frequency (FMR maps)."""
    spectra = run_spectra(run)
    if not spectra:
        raise ValueError("the run has no points to process")
    title = str(run.metadata.get("title") or run.metadata.get("experiment") or "run")
    changing = [(name, unit) for name, unit, _ in OUTER
                if len({sp.info.get(name) for sp in spectra}) > 1]  # what tells the traces apart
    out = []
    for s in spectra:
        what = ", ".join(f"{name} {format_quantity(s.info[name], unit, 5)}" for name, unit in changing
                         if name in s.info)
        label = f"{s.label}: {what}" if s.label and what else s.label or "scan average"
        d = Dataset((Axis(np.asarray(s.field, float), "field", "T"),),
                    (Ordinate(np.asarray(s.x, float) + 1j * np.asarray(s.y, float), "lock-in", "V"),),
                    spl_parameters(run, s), "spinbench run", Path(run.path) if run.path else None,
                    f"{title} ({label})" if len(spectra) > 1 else title)
        out.append((label, d))
    return out


def run_as_dataset(run: RunData, index: int = 0) -> Dataset:
    """The run's ``index``-th spectrum (see :func:`run_datasets`)."""
    found = run_datasets(run)
    if not 0 <= index < len(found):
        raise ValueError(f"trace {index}: the run has {len(found)} spectra (0 .. {len(found) - 1})")
    return found[index][1]


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
