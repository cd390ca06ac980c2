"""Halbach magnet design, field computation, homogenisation and temperature compensation.

A library: it imports nothing else of spinbench (sequences and sim_backend import it).

- :mod:`magnets.materials`  magnet grades (B_r, alpha) and holder materials (CTE)
- :mod:`magnets.design`     shapes, rings (order k), stacks, nested rings, shims -> MagnetArray
- :mod:`magnets.field`      point-dipole (fast) and magpylib (exact) field engines
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
from magnets.design import Cuboid, Cylinder, HalbachDesign, MagnetArray, Ring, ShimMagnet, nested, stack
from magnets.field import dipole_field, exact_field, field, gradient_tensor
from magnets.lock import FieldFrequencyLock, LockCorrection, LockRangeError
from magnets.materials import HOLDERS, MATERIALS, HolderMaterial, Material, holder, material
from magnets.optimise import Progress, homogenise
from magnets.sampling import homogeneity, larmor, sphere_surface
from magnets.thermal import drift, solve_compensation

__all__ = [
    "Cuboid", "Cylinder", "HalbachDesign", "MagnetArray", "Ring", "ShimMagnet", "nested", "stack",
    "dipole_field", "exact_field", "field", "gradient_tensor",
    "FieldFrequencyLock", "LockCorrection", "LockRangeError",
    "HOLDERS", "MATERIALS", "HolderMaterial", "Material", "holder", "material",
    "Progress", "homogenise", "homogeneity", "larmor", "sphere_surface", "drift", "solve_compensation",
]
