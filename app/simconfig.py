"""The ``[sim]`` table of a simulated lab config: which simulated sample sits in the resonator.

    [lab]
    simulated = true

    [sim]
    sample = "ferromagnet"      # paramagnet (default) | gtensor | powder | ferromagnet
    line = "broadband"          # cavity (default, X-band Q = 3000) | broadband (coplanar line)
    line_loss = 1.5             # dB per sqrt(GHz) of the broadband line
    seed = 0
    geometry = "in-plane"       # ferromagnet: in-plane | out-of-plane | sphere

    [sim.sample_parameters]     # SI numbers, the simulator's own field names
    g = 2.1
    ms0 = 8.0e5
    alpha = 0.007

Lets a user try FMR, powder or anisotropic samples from the CLI and GUI with ``--config``.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any

from drivers.errors import ConfigError
from sim_backend.world import SimulatedWorld

SAMPLES = ("paramagnet", "gtensor", "powder", "ferromagnet")
LINES = ("cavity", "broadband")
GEOMETRIES = ("in-plane", "out-of-plane", "sphere")
#: Physical constraints on sample parameters (names shared by the simulated samples).
POSITIVE = {"g", "n_spins", "p_half", "ms0", "quadrature_nodes", "n_orientations", "bloch_temperature"}
NON_NEGATIVE = {"alpha", "saturation_b", "amplitude"}
SIM_KEYS = {"sample", "line", "line_loss", "seed", "geometry", "sample_parameters"}


def _sample(kind: str, params: dict[str, Any], geometry: str, problems: list[str]) -> Any:
    if kind == "paramagnet":
        from sim_backend.samples import Paramagnet as cls
        extra: dict[str, Any] = {}
    elif kind in ("gtensor", "powder"):
        from sim_backend.gtensor_sample import GTensorCentre as cls
        extra = {"powder": kind == "powder"}
    else:
        from sim_backend import ferromagnet
        from sim_backend.orientation import frame_from_axes

        cls = ferromagnet.Ferromagnet
        if geometry == "sphere":
            extra = {"demag": ferromagnet.SPHERE}
        elif geometry == "in-plane":  # film normal (sample z) perpendicular to B0 (lab z)
            extra = {"mount": frame_from_axes([0, 0, 1], [0, 1, 0])}
        else:
            extra = {}
    names = {f.name for f in dataclasses.fields(cls) if f.init}
    bad = sorted(set(params) - names)
    if bad:
        problems.append(f"[sim.sample_parameters] {bad} unknown for {kind}; accepted: {', '.join(sorted(names))}")
        return None
    values: dict[str, Any] = {}
    for key, value in params.items():
        items = value if isinstance(value, list) else [value]
        if isinstance(value, bool) or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                               for v in items):
            problems.append(f"[sim.sample_parameters] {key} = {value!r}: give a number (SI units) "
                            f"or a list of numbers")
            continue
        if any(v != v or abs(v) == float("inf") for v in items):
            problems.append(f"[sim.sample_parameters] {key} = {value!r}: must be finite")
            continue
        if (key in NON_NEGATIVE or key.endswith(("_hwhm", "_sigma", "_fwhm"))) and any(v < 0 for v in items):
            problems.append(f"[sim.sample_parameters] {key} = {value!r}: must not be negative")
            continue
        if key in POSITIVE and any(v <= 0 for v in items):
            problems.append(f"[sim.sample_parameters] {key} = {value!r}: must be positive")
            continue
        values[key] = tuple(value) if isinstance(value, list) else value
    if problems:
        return None
    return cls(**{**extra, **values})


def _check_table(table: dict[str, Any]) -> list[str]:
    """Type and value problems of the ``[sim]`` table itself (not its sample parameters)."""
    problems = [f"[sim] {key!r} unknown; accepted: {', '.join(sorted(SIM_KEYS))}"
                for key in sorted(set(table) - SIM_KEYS)]
    for key, choices, default in (("sample", SAMPLES, "paramagnet"), ("line", LINES, "cavity"),
                                  ("geometry", GEOMETRIES, "in-plane")):
        value = table.get(key, default)
        if not isinstance(value, str) or value not in choices:
            problems.append(f"[sim] {key} {value!r} unknown; accepted: {', '.join(choices)}")
    seed = table.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        problems.append(f"[sim] seed = {seed!r}: must be a whole number >= 0 (e.g. seed = 0)")
    loss = table.get("line_loss", 0.0)
    if isinstance(loss, bool) or not isinstance(loss, (int, float)) or not math.isfinite(loss) or loss < 0:
        problems.append(f"[sim] line_loss = {loss!r}: must be a finite number >= 0 (dB per sqrt(GHz))")
    if not isinstance(table.get("sample_parameters", {}), dict):
        problems.append(f"[sim] sample_parameters = {table['sample_parameters']!r}: must be a table of "
                        f"numbers, e.g. [sim.sample_parameters] g = 2.1")
    return problems


def _build_sample(table: Any) -> tuple[Any, list[str]]:
    """The configured sample (None when there are problems) and every problem, one line each."""
    if not isinstance(table, dict):
        return None, [f"[sim] must be a table (e.g. [sim] sample = \"paramagnet\"), got {table!r}"]
    problems = _check_table(table)
    if problems:
        return None, problems
    try:
        sample = _sample(table.get("sample", "paramagnet"), dict(table.get("sample_parameters", {})),
                         table.get("geometry", "in-plane"), problems)
    except (TypeError, ValueError) as exc:
        problems.append(f"[sim.sample_parameters]: {exc}")
        sample = None
    return sample, problems


def sim_problems(table: Any) -> list[str]:
    """Every problem of a ``[sim]`` table, one line each (empty when it builds a world)."""
    return _build_sample(table)[1]


def world_from_config(table: dict[str, Any]) -> SimulatedWorld:
    sample, problems = _build_sample(table)
    if problems:
        raise ConfigError("; ".join(problems))
    world = SimulatedWorld(sample, seed=int(table.get("seed", 0)))
    if table.get("line", "cavity") == "broadband":
        from sim_backend.fmr_setup import use_broadband_line

        use_broadband_line(world, loss_db_per_sqrt_ghz=float(table.get("line_loss", 0.0)))
    return world


__all__ = ["world_from_config", "sim_problems", "SAMPLES", "LINES", "GEOMETRIES"]
