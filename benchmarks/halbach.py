"""Field-map speed of the magnets library's point-dipole kernel.

    python benchmarks/halbach.py [--quick]

Two designs on 10^4 observer points inside the bore: (a) a 2-ring, 32-magnet stack of 12 mm
cubes (r = 45 mm); (b) 1000 cubes, 20 rings of 50 at r = 150 mm (r/a = 12.5). Each is timed for

- ours:      magnets.field.dipole_field (matrix-product form: BLAS does the (P, M) sums)
- baseline:  the plain broadcast (P, M, 3) numpy dipole sum (magnets.field.dipole_field_plain)
- magpylib:  exact cuboid fields, object API getB(Collection) (the reference measurement) and
             our functional-API wrapper magnets.field.exact_field

and prints times (best of N), speed ratios and the agreement (max |dB|/|B| in ppm). Targets, checked
for every design (exit 1 when one is missed): the exact engine at least as fast as magpylib's
object API (>= 1.0x), and the dipole kernel faster than the plain numpy sum.
Measured before (docs/references.md), on this kind of 2-core machine, 1000 magnets x 10^4
points: magpylib getB 2.2-2.3 s, a chunked-einsum numpy dipole sum 0.32 s.
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from magnets.design import Cuboid, HalbachDesign, Ring, stack
from magnets.field import dipole_field, dipole_field_plain, exact_field, magpylib_objects
from magnets.sampling import sphere_volume


def best_of(fn, repeats: int) -> tuple[float, np.ndarray]:
    best, out = float("inf"), None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def designs() -> dict[str, HalbachDesign]:
    cube = Cuboid.cube(0.012)
    small = HalbachDesign(stack(Ring(16, 0.045, cube, "N42"), 2, 2 * 0.045 / 6**0.5))
    big = HalbachDesign(stack(Ring(50, 0.15, cube, "N42"), 20, 0.014))
    return {"2 rings, 32 magnets": (small, 0.015), "20 rings, 1000 magnets": (big, 0.05)}


EXACT_VS_MAGPYLIB_TARGET = 1.0
DIPOLE_VS_PLAIN_TARGET = 1.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one repeat, for a smoke test")
    parser.add_argument("--points", type=int, default=10_000)
    args = parser.parse_args()
    repeats = 1 if args.quick else 3
    import magpylib as magpy

    print(f"field maps on {args.points} points, best of {repeats}")
    missed: list[str] = []
    for label, (design, radius) in designs().items():
        arr = design.layout()
        pts = sphere_volume(radius, args.points, seed=1)
        coll = magpy.Collection(*magpylib_objects(arr))
        t_ours, b_ours = best_of(lambda: dipole_field(pts, arr), repeats)
        t_plain, b_plain = best_of(lambda: dipole_field_plain(pts, arr), repeats)
        t_obj, b_obj = best_of(lambda: magpy.getB(coll, pts), repeats)
        t_func, b_func = best_of(lambda: exact_field(pts, arr), repeats)
        mag = np.linalg.norm(b_obj, axis=1)
        ppm = lambda b: float(np.max(np.linalg.norm(b - b_obj, axis=1) / mag) * 1e6)  # noqa: E731
        print(f"\n{label} ({len(arr)} magnets, observers in a {2 * radius * 1e3:.0f} mm sphere):")
        print(f"  ours (dipole, BLAS form)   {t_ours * 1e3:9.1f} ms")
        print(f"  baseline (plain numpy)     {t_plain * 1e3:9.1f} ms   ours is {t_plain / t_ours:5.1f}x faster;"
              f" agree to {float(np.max(np.abs(b_ours - b_plain)) / np.max(mag)):.1e} of |B|")
        print(f"  magpylib getB(Collection)  {t_obj * 1e3:9.1f} ms   ours is {t_obj / t_ours:5.1f}x faster;"
              f" dipole vs exact cubes max {ppm(b_ours):.0f} ppm")
        print(f"  magpylib functional (ours) {t_func * 1e3:9.1f} ms   {t_obj / t_func:5.2f}x the object API;"
              f" agree to {ppm(b_func):.1e} ppm")
        print(f"  pairs/s: ours {len(arr) * len(pts) / t_ours:.2e}, baseline {len(arr) * len(pts) / t_plain:.2e}, "
              f"magpylib {len(arr) * len(pts) / t_obj:.2e}")
        if t_obj / t_func < EXACT_VS_MAGPYLIB_TARGET:
            missed.append(f"{label}: exact engine {t_obj / t_func:.2f}x magpylib < {EXACT_VS_MAGPYLIB_TARGET}")
        if t_plain / t_ours < DIPOLE_VS_PLAIN_TARGET:
            missed.append(f"{label}: dipole kernel {t_plain / t_ours:.2f}x plain numpy < {DIPOLE_VS_PLAIN_TARGET}")
    print("\ntargets: " + ("MISSED: " + "; ".join(missed) if missed else
                           f"met (exact >= {EXACT_VS_MAGPYLIB_TARGET}x magpylib, dipole > plain numpy)"))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
