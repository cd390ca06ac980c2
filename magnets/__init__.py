"""Halbach magnet design, field computation, homogenisation and temperature compensation.

A library: it imports nothing else of spinbench (sequences and sim_backend import it).

- :mod:`magnets.materials`  magnet grades (B_r, alpha) and holder materials (CTE)
- :mod:`magnets.design`     shapes, rings (order k), stacks, nested rings, shims -> MagnetArray
- :mod:`magnets.field`      point-dipole (fast) and exact (closed-form cuboids, magpylib cylinders) field engines
- :mod:`magnets.sampling`   lines, planes, DSV spheres; homogeneity (ppm); Larmor maps
- :mod:`magnets.closed_forms` ideal cylinders, ring formulas, optimal spacing (test oracles)
- :mod:`magnets.forces`     forces/torques on magnets, between ring halves and rings
- :mod:`magnets.optimise`   homogenisation of ring z/radius and shim positions
- :mod:`magnets.thermal`    B0(T), drift coefficients, passive compensation solver
- :mod:`magnets.lock`       FieldFrequencyLock: active compensation during runs
- :mod:`magnets.report`, :mod:`magnets.plots`, :mod:`magnets.design_io`  reports, PNGs, TOML
- :mod:`magnets.clearance`  exact clearance of rotated boxes/cylinders and holder walls
- :mod:`magnets.harmonics`  spherical-harmonic expansion of a field (designed or measured)
- :mod:`magnets.map_fit`    the built magnet's errors from a measured map
- :mod:`magnets.shim_design`, :mod:`magnets.tray_io`  shims from a map, the [shim_tray] table
- :mod:`magnets.tolerance`  built-magnet errors and the tolerance Monte Carlo
- :mod:`magnets.stray`      the 0.5 mT stray-field line; :mod:`magnets.map_plots` map figures
"""
import importlib
from typing import Any

# Eager: the function ``field`` shares its module's name, and importing the submodule later
# would rebind ``magnets.field`` to the module (numpy only: no scipy, about 15 ms).
from magnets.field import dipole_field, exact_field, field, gradient_tensor

# The other names are loaded from their module on first use (PEP 562), so importing one light
# module (``magnets.lock`` for a run) does not pay for the optimisers, thermal and sampling
# modules (scipy among them): `spinbench list` imports the package.
_HOME = {name: module for module, names in (
    ("magnets.design", ('Cuboid', 'Cylinder', 'HalbachDesign', 'MagnetArray', 'Ring', 'ShimMagnet', 'nested', 'stack',)),
    ("magnets.lock", ('FieldFrequencyLock', 'LockCorrection', 'LockRangeError',)),
    ("magnets.materials", ('HOLDERS', 'MATERIALS', 'HolderMaterial', 'Material', 'holder', 'material',)),
    ("magnets.optimise", ('Progress', 'homogenise',)),
    ("magnets.sampling", ('homogeneity', 'larmor', 'sphere_surface',)),
    ("magnets.thermal", ('drift', 'solve_compensation',)),
) for name in names}


def __getattr__(name: str) -> Any:
    """Import ``name`` from the module that defines it, the first time it is asked for."""
    try:
        module = _HOME[name]
    except KeyError:
        raise AttributeError(f"module 'magnets' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOME))


__all__ = [
    "Cuboid", "Cylinder", "HalbachDesign", "MagnetArray", "Ring", "ShimMagnet", "nested", "stack",
    "dipole_field", "exact_field", "field", "gradient_tensor",
    "FieldFrequencyLock", "LockCorrection", "LockRangeError",
    "HOLDERS", "MATERIALS", "HolderMaterial", "Material", "holder", "material",
    "Progress", "homogenise", "homogeneity", "larmor", "sphere_surface", "drift", "solve_compensation",
]
