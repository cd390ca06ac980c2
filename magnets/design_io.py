"""Read a Halbach design from TOML. Quantities are numbers in SI units or strings with a unit
("45 mm", "1.3 T", "20 degC", "90 deg"): the one place in the library that converts units.

Example (examples/halbach_ring.toml)::

    name = "two-ring stack"
    holder = "aluminium"
    [report]
    dsv = "10 mm"
    [[stack]]
    count = 2
    spacing = "optimal"          # 2 R/sqrt(2k + 4), or a length
    n = 16
    radius = "45 mm"
    material = "N42"
    magnet = { shape = "cube", size = "12 mm" }
"""
from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from magnets.closed_forms import optimal_half_spacing
from magnets.design import Cuboid, Cylinder, HalbachDesign, Ring, ShimMagnet, stack
from magnets.materials import Material, material

_UNITS = {
    "m": {"m": 1.0, "cm": 1e-2, "mm": 1e-3, "um": 1e-6, "in": 0.0254},
    "T": {"T": 1.0, "mT": 1e-3, "uT": 1e-6, "G": 1e-4, "kG": 0.1},
    "rad": {"rad": 1.0, "deg": math.pi / 180},
    "K": {"K": 1.0, "mK": 1e-3},
}
_NUM = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([A-Za-z]*)\s*$")


class DesignFileError(ValueError):
    """A design file that cannot be used; the message names the key and what is accepted."""


def quantity(value: Any, unit: str, where: str) -> float:
    """A number (SI) or a string with a unit of the same dimension as ``unit``, in SI."""
    if isinstance(value, bool):
        raise DesignFileError(f"{where}: {value!r} is not a quantity")
    if isinstance(value, (int, float)):
        return float(value)
    m = _NUM.match(str(value))
    if m:
        number, u = float(m.group(1)), m.group(2)
        if u == "":
            return number
        if unit == "K" and u in ("degC", "C"):
            return number + 273.15
        if u in _UNITS[unit]:
            return number * _UNITS[unit][u]
    accepted = ", ".join(list(_UNITS[unit]) + (["degC"] if unit == "K" else []))
    raise DesignFileError(f"{where}: cannot read {value!r}; give a number in {unit} or a string with one of: {accepted}")


def _shape(spec: Any, where: str):
    if not isinstance(spec, dict):
        raise DesignFileError(f"{where}.magnet must be a table like {{ shape = \"cube\", size = \"12 mm\" }}")
    kind = str(spec.get("shape", "cube")).lower()
    try:
        if kind == "cube":
            return Cuboid.cube(quantity(spec["size"], "m", f"{where}.magnet.size"))
        if kind == "cuboid":
            size = spec["size"]
            if not isinstance(size, list) or len(size) != 3:
                raise DesignFileError(f"{where}.magnet.size of a cuboid must be a list of 3 lengths "
                                      f"(along the magnetisation, across it, along z)")
            return Cuboid(tuple(quantity(s, "m", f"{where}.magnet.size") for s in size))
        if kind == "cylinder":
            return Cylinder(quantity(spec["diameter"], "m", f"{where}.magnet.diameter"),
                            quantity(spec["height"], "m", f"{where}.magnet.height"),
                            str(spec.get("magnetisation", "diametric")))
    except KeyError as exc:
        raise DesignFileError(f"{where}.magnet: missing {exc.args[0]!r} for shape {kind!r}") from None
    raise DesignFileError(f"{where}.magnet.shape = {kind!r}; use 'cube', 'cuboid' or 'cylinder'")


def _material(spec: dict[str, Any], where: str) -> Material:
    mat = material(spec.get("material", "N42"))
    if "br" in spec:
        mat = mat.with_br(quantity(spec["br"], "T", f"{where}.br"))
    return mat


_RING_KEYS = {"n", "radius", "z", "k", "phase", "theta0", "material", "br", "magnet", "counter"}


def _ring(spec: dict[str, Any], where: str, z: float | None = None) -> Ring:
    unknown = set(spec) - _RING_KEYS - {"count", "spacing", "z_centre"}
    if unknown:
        raise DesignFileError(f"{where}: unknown key(s) {sorted(unknown)}; a ring accepts {sorted(_RING_KEYS)}")
    for key in ("n", "radius", "magnet"):
        if key not in spec:
            raise DesignFileError(f"{where}: missing {key!r}")
    phase = quantity(spec.get("phase", 0.0), "rad", f"{where}.phase") + (math.pi if spec.get("counter") else 0.0)
    try:
        return Ring(n=int(spec["n"]), radius=quantity(spec["radius"], "m", f"{where}.radius"),
                    shape=_shape(spec["magnet"], where), material=_material(spec, where),
                    z=z if z is not None else quantity(spec.get("z", 0.0), "m", f"{where}.z"),
                    k=int(spec.get("k", 1)), phase=phase,
                    theta0=quantity(spec.get("theta0", 0.0), "rad", f"{where}.theta0"))
    except DesignFileError:
        raise
    except ValueError as exc:
        raise DesignFileError(f"{where}: {exc}") from None


@dataclass
class DesignFile:
    """A design plus the report and optimisation settings from the same file (SI)."""

    design: HalbachDesign
    dsv: float = 0.01
    species: list[str | float] = field(default_factory=lambda: ["1H", "electron"])
    engine: str = "exact"
    optimise: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None


def load_design(source: str | Path | dict[str, Any]) -> DesignFile:
    """Parse a TOML file (path) or an already-parsed dict into a :class:`DesignFile`."""
    path = None
    if isinstance(source, dict):
        doc = source
    else:
        path = Path(source)
        if not path.exists():
            raise FileNotFoundError(f"no design file at {path}")
        try:
            doc = tomllib.loads(path.read_text())
        except tomllib.TOMLDecodeError as exc:
            raise DesignFileError(f"{path}: not valid TOML: {exc}") from None
    known = {"name", "holder", "reference_temperature", "ring", "stack", "shim", "report", "optimise"}
    unknown = set(doc) - known
    if unknown:
        raise DesignFileError(f"unknown top-level key(s) {sorted(unknown)}; accepted: {sorted(known)}")
    rings: list[Ring] = []
    for i, spec in enumerate(doc.get("ring", [])):
        rings.append(_ring(spec, f"ring[{i}]"))
    for i, spec in enumerate(doc.get("stack", [])):
        where = f"stack[{i}]"
        if "z" in spec:
            raise DesignFileError(f"{where}: a stack has no 'z'; use 'z_centre' (and 'spacing', 'count')")
        template = _ring(spec, where, z=0.0)
        count = int(spec.get("count", 2))
        spacing = spec.get("spacing", "optimal")
        gap = 2 * optimal_half_spacing(template.radius, template.k) if spacing == "optimal" \
            else quantity(spacing, "m", f"{where}.spacing")
        try:
            rings += stack(template, count, gap, quantity(spec.get("z_centre", 0.0), "m", f"{where}.z_centre"))
        except ValueError as exc:
            raise DesignFileError(f"{where}: {exc}") from None
    shims = []
    for i, spec in enumerate(doc.get("shim", [])):
        where = f"shim[{i}]"
        pos = spec.get("position")
        if not isinstance(pos, list) or len(pos) != 3:
            raise DesignFileError(f"{where}.position must be a list of 3 lengths")
        shims.append(ShimMagnet(tuple(quantity(p, "m", f"{where}.position") for p in pos),
                                tuple(float(d) for d in spec.get("direction", [1, 0, 0])),
                                _shape(spec.get("magnet"), where), _material(spec, where)))
    try:
        design = HalbachDesign(rings, shims, holder=doc.get("holder", "aluminium"),
                               reference_temperature=quantity(doc.get("reference_temperature", 293.15), "K",
                                                              "reference_temperature"),
                               name=str(doc.get("name", path.stem if path else "halbach")))
    except ValueError as exc:
        raise DesignFileError(str(exc)) from None
    problems = design.overlap_problems()
    if problems:
        raise DesignFileError("; ".join(problems))
    rep = doc.get("report", {})
    opt = dict(doc.get("optimise", {}))
    if "dsv" in opt:
        opt["dsv"] = quantity(opt["dsv"], "m", "optimise.dsv")
    if "target_field" in opt:
        opt["target_field"] = quantity(opt["target_field"], "T", "optimise.target_field")
    engine = str(rep.get("engine", "exact"))
    if engine not in ("exact", "dipole"):
        raise DesignFileError(f"report.engine = {engine!r}; use 'exact' or 'dipole'")
    return DesignFile(design, quantity(rep.get("dsv", 0.01), "m", "report.dsv"),
                      list(rep.get("species", ["1H", "electron"])), engine, opt, path)
