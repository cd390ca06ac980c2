"""The [shim_tray] table of a design file: where shim magnets may go and which magnets to use.

    [shim_tray]
    radius = "30 mm"                       # slots on a cylinder about the bore axis
    z = ["-18 mm", "-6 mm", "6 mm", "18 mm"]
    n = 12                                 # slots per z level
    theta0 = "0 deg"
    sizes = ["1 mm", "1.5 mm", "2 mm", "3 mm"]   # cube edges on hand
    material = "N42"
    directions = "axes"                    # +-x, +-y, +-z; or "transverse" (+-x, +-y)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from magnets.design import Cuboid
from magnets.design_io import DesignFileError, quantity
from magnets.materials import material
from magnets.shim_design import Candidate, tray_slots

_KEYS = ("radius", "z", "n", "theta0", "sizes", "material", "directions")
_DIRECTIONS = {"axes": (0, 1, 2), "transverse": (0, 1)}


@dataclass(frozen=True)
class ShimTray:
    slots: np.ndarray  # (S, 3) m
    candidates: list[Candidate]

    def text(self) -> str:
        return f"{len(self.slots)} slots x {len(self.candidates)} candidate magnets"


def parse_tray(spec: Any) -> ShimTray:
    """Read [shim_tray]; every problem is reported at once (DesignFileError)."""
    if not isinstance(spec, dict):
        raise DesignFileError("[shim_tray] must be a table (radius, z, n, sizes, material, directions)")
    problems: list[str] = []

    def get(fn, *args):
        try:
            return fn(*args)
        except DesignFileError as exc:
            problems.extend(exc.problems)
        except (ValueError, TypeError) as exc:
            problems.append(str(exc))
        return None

    bad = set(spec) - set(_KEYS)
    if bad:
        problems.append(f"[shim_tray]: unknown key(s) {sorted(bad)}; accepted: {', '.join(_KEYS)}")
    missing = [k for k in ("radius", "z", "n", "sizes") if k not in spec]
    if missing:
        problems.append(f"[shim_tray]: missing {', '.join(map(repr, missing))}")
        raise DesignFileError(problems)
    radius = get(quantity, spec["radius"], "m", "shim_tray.radius")
    zs = spec["z"] if isinstance(spec["z"], list) else [spec["z"]]
    z = [get(quantity, v, "m", f"shim_tray.z[{i}]") for i, v in enumerate(zs)]
    sizes = spec["sizes"] if isinstance(spec["sizes"], list) else [spec["sizes"]]
    edges = [get(quantity, v, "m", f"shim_tray.sizes[{i}]") for i, v in enumerate(sizes)]
    theta0 = get(quantity, spec.get("theta0", 0.0), "rad", "shim_tray.theta0")
    n = spec["n"]
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        problems.append(f"shim_tray.n = {n!r} must be a whole number >= 1 (slots per z level)")
    mat = get(material, spec.get("material", "N42"))
    directions = spec.get("directions", "axes")
    if directions not in _DIRECTIONS:
        problems.append(f"shim_tray.directions = {directions!r}; accepted: {', '.join(map(repr, _DIRECTIONS))}")
    for i, e in enumerate(edges):
        if e is not None and not e > 0:
            problems.append(f"shim_tray.sizes[{i}] = {sizes[i]!r} must be > 0")
    if radius is not None and not radius > 0:
        problems.append(f"shim_tray.radius = {spec['radius']!r} must be > 0")
    if problems:
        raise DesignFileError(problems)
    axes = [s * np.eye(3)[k] for k in _DIRECTIONS[directions] for s in (1.0, -1.0)]
    cands = [Candidate(Cuboid.cube(e), tuple(float(v) for v in d), mat) for e in edges for d in axes]
    return ShimTray(tray_slots(radius, tuple(z), n, theta0), cands)
