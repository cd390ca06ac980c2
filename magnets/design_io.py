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

from magnets.clearance import BuildRules
from magnets.closed_forms import optimal_half_spacing
from magnets.constants import gamma_bar
from magnets.design import Cuboid, Cylinder, HalbachDesign, Ring, ShimMagnet, stack
from magnets.materials import Material, holder, material
from units.quantity import parse_quantity, unit_scale

#: Dimensions a design file speaks, their SI unit in the one quantity parser (units/), and the
#: spellings named in error messages. Angles are read in degrees or radians (SI: rad), lengths
#: also in inches (magnet catalogues list cubes as 1/2"), temperatures also in degC.
_DIMENSIONS = {"m": ("a length", "m, cm, mm, um, in"), "T": ("a magnetic field", "T, mT, uT, G, kG"),
               "rad": ("an angle", "rad, deg"), "K": ("a temperature", "K, mK, degC")}
_NUM = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(\S*)\s*$")


class DesignFileError(ValueError):
    """A design file that cannot be used. ``problems`` lists every problem found (each names its
    key and what is accepted); the message shows them all."""

    def __init__(self, problems: str | list[str], source: str = ""):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        head = f"{source}: " if source else ""
        if len(self.problems) == 1:
            super().__init__(head + self.problems[0])
        else:
            super().__init__(f"{head}{len(self.problems)} problems in the design file:\n  - "
                             + "\n  - ".join(self.problems))


class _Problems(list):
    """Collects every problem of a file; ``check`` runs a step and records its error instead."""

    def check(self, fn, *args, default=None, where: str = "", **kw):
        try:
            return fn(*args, **kw)
        except DesignFileError as exc:
            self.extend(exc.problems)
        except (ValueError, TypeError) as exc:
            self.append(f"{where}: {exc}" if where else str(exc))
        return default


def _dimension_of(u: str) -> str | None:
    if u in ("degC", "C"):
        return "K"
    if u in ("deg", "in"):
        return "rad" if u == "deg" else "m"
    for dim in _DIMENSIONS:
        try:
            unit_scale(u, dim)
            return dim
        except KeyError:
            continue
    return None


def quantity(value: Any, unit: str, where: str) -> float:
    """A number (SI) or a string with a unit of the same dimension as ``unit``, in SI. The
    factors are the one quantity parser's (units/); this adds only the design file's extra
    spellings (degC, deg for rad, in) and its error wording."""
    accepted = _DIMENSIONS[unit][1]
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise DesignFileError(f"{where}: {value!r} is not a quantity; give a number in {unit} or a string with "
                              f"one of: {accepted}")
    if isinstance(value, (int, float)):
        return float(value)
    m = _NUM.match(value)
    if m:
        number, u = float(m.group(1)), m.group(2)
        other = _dimension_of(u) if u else unit
        if other == unit:
            if unit == "K" and u in ("degC", "C"):
                return number + 273.15
            if u in ("deg", "in"):
                return number * (math.pi / 180 if u == "deg" else 0.0254)
            return parse_quantity(value, unit, name=where)
        if other is not None:
            raise DesignFileError(f"{where} = {value!r} is {_DIMENSIONS[other][0]} ({u}), not "
                                  f"{_DIMENSIONS[unit][0]}; use one of: {accepted}")
    raise DesignFileError(f"{where}: cannot read {value!r}; give a number in {unit} or a string with one of: {accepted}")


_SHAPES = ("cube", "cuboid", "cylinder")
_SHAPE_KEYS = {"cube": {"shape", "size"}, "cuboid": {"shape", "size"},
               "cylinder": {"shape", "diameter", "height", "magnetisation"}}


def _shape(spec: Any, where: str):
    if not isinstance(spec, dict):
        raise DesignFileError(f"{where}.magnet must be a table like {{ shape = \"cube\", size = \"12 mm\" }}")
    kind = str(spec.get("shape", "cube")).lower()
    if kind not in _SHAPES:
        raise DesignFileError(f"{where}.magnet.shape = {kind!r}; accepted: {', '.join(map(repr, _SHAPES))}")
    problems = _Problems()
    unknown = set(spec) - _SHAPE_KEYS[kind]
    if unknown:
        problems.append(f"{where}.magnet: unknown key(s) {sorted(unknown)} for shape {kind!r}; accepted: "
                        f"{sorted(_SHAPE_KEYS[kind])}")
    missing = [k for k in sorted(_SHAPE_KEYS[kind] - {"shape", "magnetisation"}) if k not in spec]
    if missing:
        problems.append(f"{where}.magnet: missing {', '.join(map(repr, missing))} for shape {kind!r}")
        raise DesignFileError(problems)
    shape = None
    if kind == "cube":
        edge = problems.check(quantity, spec["size"], "m", f"{where}.magnet.size")
        shape = None if edge is None else problems.check(Cuboid.cube, edge, where=f"{where}.magnet")
    elif kind == "cuboid":
        size = spec["size"]
        if not isinstance(size, list) or len(size) != 3:
            problems.append(f"{where}.magnet.size of a cuboid must be a list of 3 lengths (along the "
                            f"magnetisation, across it, along z)")
        else:
            sizes = [problems.check(quantity, v, "m", f"{where}.magnet.size[{i}]") for i, v in enumerate(size)]
            if None not in sizes:
                shape = problems.check(Cuboid, tuple(sizes), where=f"{where}.magnet")
    else:
        d = problems.check(quantity, spec["diameter"], "m", f"{where}.magnet.diameter")
        h = problems.check(quantity, spec["height"], "m", f"{where}.magnet.height")
        if d is not None and h is not None:
            shape = problems.check(Cylinder, d, h, str(spec.get("magnetisation", "diametric")),
                                   where=f"{where}.magnet")
    if problems:
        raise DesignFileError(problems)
    return shape


def _material(spec: dict[str, Any], where: str) -> Material:
    problems = _Problems()
    mat = problems.check(material, spec.get("material", "N42"), where=f"{where}.material")
    br = problems.check(quantity, spec["br"], "T", f"{where}.br") if "br" in spec else None
    if problems:
        raise DesignFileError(problems)
    return mat.with_br(br) if br is not None else mat


_RING_KEYS = {"n", "radius", "z", "k", "phase", "theta0", "material", "br", "magnet", "counter"}
_STACK_KEYS = (_RING_KEYS - {"z"}) | {"count", "spacing", "z_centre"}


def _whole(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value:
        raise DesignFileError(f"{where} = {value!r} must be a whole number")
    return int(value)


def _ring(spec: Any, where: str, z: float | None = None, stacked: bool = False) -> Ring:
    if not isinstance(spec, dict):
        raise DesignFileError(f"{where} must be a table ([[ring]] or [[stack]])")
    problems = _Problems()
    accepted = _STACK_KEYS if stacked else _RING_KEYS
    unknown = set(spec) - accepted
    if unknown:
        hint = "; a stack has no 'z', use 'z_centre'" if stacked and "z" in unknown else ""
        problems.append(f"{where}: unknown key(s) {sorted(unknown)}; accepted: {sorted(accepted)}{hint}")
    missing = [k for k in ("n", "radius", "magnet") if k not in spec]
    if missing:
        problems.append(f"{where}: missing {', '.join(map(repr, missing))}")
    n = problems.check(_whole, spec["n"], f"{where}.n") if "n" in spec else None
    k = problems.check(_whole, spec.get("k", 1), f"{where}.k")
    radius = problems.check(quantity, spec["radius"], "m", f"{where}.radius") if "radius" in spec else None
    shape = problems.check(_shape, spec["magnet"], where) if "magnet" in spec else None
    mat = problems.check(_material, spec, where)
    phase = problems.check(quantity, spec.get("phase", 0.0), "rad", f"{where}.phase")
    theta0 = problems.check(quantity, spec.get("theta0", 0.0), "rad", f"{where}.theta0")
    if z is None:
        z = problems.check(quantity, spec.get("z", 0.0), "m", f"{where}.z")
    if not isinstance(spec.get("counter", False), bool):
        problems.append(f"{where}.counter = {spec['counter']!r}; use true or false")
    if problems:
        raise DesignFileError(problems)
    try:
        return Ring(n=n, radius=radius, shape=shape, material=mat, z=z, k=k,
                    phase=phase + (math.pi if spec.get("counter") else 0.0), theta0=theta0)
    except ValueError as exc:
        raise DesignFileError(f"{where}: {exc}") from None


_TOP_KEYS = {"name", "holder", "reference_temperature", "ring", "stack", "shim", "report", "optimise", "build",
             "shim_tray"}
#: [build] keys: the clearance every design check and optimiser keeps (magnets.clearance.BuildRules)
_BUILD_KEYS = ("min_gap", "bore_diameter", "outer_diameter", "length")
_REPORT_KEYS = {"dsv", "species", "engine"}
#: [optimise] keys, passed to magnets.optimise.homogenise (dsv: the DSV it optimises over).
OPTIMISE_KEYS = ("dsv", "vary", "target_ppm", "target_field", "method", "max_evaluations", "symmetric", "n_points")
_VARY = ("z", "radius", "shims")
_METHODS = ("auto", "local", "global")


@dataclass
class DesignFile:
    """A design plus the report and optimisation settings from the same file (SI)."""

    design: HalbachDesign
    dsv: float = 0.01
    species: list[str | float] = field(default_factory=lambda: ["1H", "electron"])
    engine: str = "exact"
    optimise: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None
    shim_tray: Any = None  # magnets.tray_io.ShimTray when the file has [shim_tray]


def _tables(doc: dict[str, Any], key: str, problems: _Problems) -> list[Any]:
    value = doc.get(key, [])
    if not isinstance(value, list):
        problems.append(f"'{key}' must be an array of tables: write [[{key}]]")
        return []
    return value


def load_design(source: str | Path | dict[str, Any]) -> DesignFile:
    """Parse a TOML file (path) or an already-parsed dict into a :class:`DesignFile`.

    Every problem in the file is collected and reported at once (:class:`DesignFileError`)."""
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
    problems = _Problems()
    unknown = set(doc) - _TOP_KEYS
    if unknown:
        problems.append(f"unknown top-level key(s) {sorted(unknown)}; accepted: {sorted(_TOP_KEYS)}")
    rings: list[Ring] = []
    for i, spec in enumerate(_tables(doc, "ring", problems)):
        ring = problems.check(_ring, spec, f"ring[{i}]")
        if ring is not None:
            rings.append(ring)
    for i, spec in enumerate(_tables(doc, "stack", problems)):
        where = f"stack[{i}]"
        template = problems.check(_ring, spec, where, z=0.0, stacked=True)
        if not isinstance(spec, dict):
            continue
        count = problems.check(_whole, spec.get("count", 2), f"{where}.count")
        spacing = spec.get("spacing", "optimal")
        z_centre = problems.check(quantity, spec.get("z_centre", 0.0), "m", f"{where}.z_centre")
        gap = None
        if template is not None:
            gap = 2 * optimal_half_spacing(template.radius, template.k) if spacing == "optimal" \
                else problems.check(quantity, spacing, "m", f"{where}.spacing")
        elif spacing != "optimal":
            problems.check(quantity, spacing, "m", f"{where}.spacing")
        if None not in (template, count, gap, z_centre):
            rings += problems.check(stack, template, count, gap, z_centre, default=[], where=where)
    shims = []
    for i, spec in enumerate(_tables(doc, "shim", problems)):
        where = f"shim[{i}]"
        if not isinstance(spec, dict):
            problems.append(f"{where} must be a table")
            continue
        bad = set(spec) - {"position", "direction", "material", "br", "magnet"}
        if bad:
            problems.append(f"{where}: unknown key(s) {sorted(bad)}; accepted: "
                            f"{sorted({'position', 'direction', 'material', 'br', 'magnet'})}")
        pos = spec.get("position")
        if not isinstance(pos, list) or len(pos) != 3:
            problems.append(f"{where}.position must be a list of 3 lengths")
            pos = None
        else:
            pos = [problems.check(quantity, v, "m", f"{where}.position[{j}]") for j, v in enumerate(pos)]
        direction = spec.get("direction", [1, 0, 0])
        if not isinstance(direction, list) or len(direction) != 3 or not all(
                isinstance(d, (int, float)) and not isinstance(d, bool) for d in direction):
            problems.append(f"{where}.direction must be a list of 3 numbers, e.g. [1, 0, 0]")
            direction = None
        shape = problems.check(_shape, spec.get("magnet"), where)
        mat = problems.check(_material, spec, where)
        if pos is not None and None not in pos and None not in (direction, shape, mat):
            shim = problems.check(ShimMagnet, tuple(pos), tuple(float(d) for d in direction), shape, mat, where=where)
            if shim is not None:
                shims.append(shim)
    holder_name = doc.get("holder", "aluminium")
    problems.check(holder, holder_name, where="holder")
    t_ref = problems.check(quantity, doc.get("reference_temperature", 293.15), "K", "reference_temperature")
    rep = doc.get("report", {})
    if not isinstance(rep, dict):
        problems.append("[report] must be a table")
        rep = {}
    bad = set(rep) - _REPORT_KEYS
    if bad:
        problems.append(f"[report]: unknown key(s) {sorted(bad)}; accepted: {sorted(_REPORT_KEYS)}")
    dsv = problems.check(quantity, rep.get("dsv", 0.01), "m", "report.dsv")
    species = rep.get("species", ["1H", "electron"])
    if not isinstance(species, list):
        species = [species]
    for sp in species:
        problems.check(gamma_bar, sp, where="report.species")
    engine = str(rep.get("engine", "exact"))
    if engine not in ("exact", "dipole"):
        problems.append(f"report.engine = {engine!r}; accepted: 'exact' (magpylib shapes) or 'dipole' (fast)")
    opt = _optimise(doc.get("optimise", {}), problems)
    build = _build(doc.get("build", {}), problems)
    tray = None
    if "shim_tray" in doc:
        from magnets.tray_io import parse_tray  # tray_io builds on this module

        tray = problems.check(parse_tray, doc["shim_tray"])
    design = None
    if not problems:  # the design itself only when its parts could all be read
        try:
            design = HalbachDesign(rings, shims, holder=holder_name, reference_temperature=t_ref,
                                   name=str(doc.get("name", path.stem if path else "halbach")), build=build)
        except ValueError as exc:
            problems.append(str(exc))
    if design is not None:
        problems.extend(design.overlap_problems())
        for where, d in (("report.dsv", dsv), ("optimise.dsv", opt.get("dsv"))):
            msg = design.dsv_problem(d) if d is not None else ""
            if msg:
                problems.append(f"{where}: {msg}")
    if problems:
        raise DesignFileError(list(dict.fromkeys(problems)), str(path) if path else "")
    return DesignFile(design, dsv, species, engine, opt, path, tray)


def _build(spec: Any, problems: _Problems) -> BuildRules:
    """The [build] table: min_gap, bore_diameter, outer_diameter, length (lengths)."""
    if not isinstance(spec, dict):
        problems.append("[build] must be a table, e.g. min_gap = \"0.5 mm\"")
        return BuildRules()
    bad = set(spec) - set(_BUILD_KEYS)
    if bad:
        problems.append(f"[build]: unknown key(s) {sorted(bad)}; accepted: {', '.join(_BUILD_KEYS)}")
    v = {k: problems.check(quantity, spec[k], "m", f"build.{k}") for k in _BUILD_KEYS if k in spec}
    half = {"bore_diameter": "bore_radius", "outer_diameter": "outer_radius", "length": "half_length"}
    kw = {half.get(k, k): (x / 2 if k in half else x) for k, x in v.items() if x is not None}
    rules = problems.check(BuildRules, **kw, where="[build]")
    return rules if rules is not None else BuildRules()


def _optimise(opt: Any, problems: _Problems) -> dict[str, Any]:
    """The [optimise] table, checked and in SI."""
    if not isinstance(opt, dict):
        problems.append("[optimise] must be a table")
        return {}
    opt = dict(opt)
    bad = set(opt) - set(OPTIMISE_KEYS)
    if bad:
        problems.append(f"[optimise]: unknown key(s) {sorted(bad)}; accepted: {', '.join(OPTIMISE_KEYS)}")
        for k in bad:
            opt.pop(k)
    if "dsv" in opt:
        opt["dsv"] = problems.check(quantity, opt["dsv"], "m", "optimise.dsv")
    if "target_field" in opt:
        opt["target_field"] = problems.check(quantity, opt["target_field"], "T", "optimise.target_field")
    vary = opt.get("vary", ["z"])
    if not isinstance(vary, list) or not vary or any(v not in _VARY for v in vary):
        problems.append(f"optimise.vary = {vary!r}; give a list of: {', '.join(map(repr, _VARY))}")
    if opt.get("method", "auto") not in _METHODS:
        problems.append(f"optimise.method = {opt['method']!r}; accepted: {', '.join(map(repr, _METHODS))}")
    for key in ("max_evaluations", "n_points"):
        if key in opt:
            value = problems.check(_whole, opt[key], f"optimise.{key}")
            if value is not None and value < 1:
                problems.append(f"optimise.{key} = {value} must be >= 1")
    if "target_ppm" in opt and (isinstance(opt["target_ppm"], bool) or not isinstance(opt["target_ppm"], (int, float))
                                or not opt["target_ppm"] > 0):
        problems.append(f"optimise.target_ppm = {opt['target_ppm']!r} must be a number > 0 (ppm peak-to-peak)")
    return opt
