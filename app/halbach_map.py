"""``spinbench halbach DESIGN --map MAP``: what a measured map says about the built magnet, and
the shims that flatten it (design -> map -> fit -> shim). Glue between formats.field_map (the
reader) and the magnets library."""
from __future__ import annotations

from pathlib import Path

import numpy as np


def run_map(spec, design, map_path: str, order: int, fit_mode: str | None, shim: bool, engine: str, dsv: float,
            out: Path, plots: bool) -> None:
    from formats.field_map import read_field_map
    from magnets.harmonics import extrapolation_warning, fit_field
    from magnets.sampling import sphere_surface

    fmap = read_field_map(map_path)
    values = fmap.vector if fmap.vector is not None else fmap.magnitude
    kind = "3-axis" if fmap.vector is not None else "|B|-only"
    print(f"field map {map_path}: {len(fmap)} points ({fmap.layout}, {kind}), |B| {fmap.magnitude.min() * 1e3:.6g}"
          f"-{fmap.magnitude.max() * 1e3:.6g} mT")
    shift = np.zeros(3)
    if fit_mode:
        from magnets.map_fit import fit_map

        fit = fit_map(design.layout(), fmap.points, values, fit_mode, engine=engine)
        print(fit.text())
        shift = fit.shift
    expansion = fit_field(fmap.points, values, order, centre=shift)
    print(expansion.main.table_text())
    warn = extrapolation_warning(fmap.points, dsv, shift)
    print(f"  map over the {dsv * 1e3:.3g} mm DSV (from the expansion): {expansion.dsv_ppm(dsv):.4g} ppm p-p"
          + (f"\n  note: {warn}" if warn else ""))
    if plots:
        from magnets.map_plots import plot_field_map

        print(f"map figure: {plot_field_map(fmap.points, fmap.magnitude, expansion, out / 'field_map.png')}")
    if not shim:
        return
    if spec.shim_tray is None:
        raise ValueError(f"--shim needs a [shim_tray] table in {spec.path} (radius, z, n, sizes; see docs/halbach.md)")
    from magnets.field import field
    from magnets.shim_design import design_shims

    pts = sphere_surface(dsv / 2, 150)  # magnet coordinates; the map's are shifted by the registration
    current = expansion(pts + shift)
    if current.ndim == 1:  # |B| only: the direction from the design
        model = field(pts, design, engine)
        current = model / np.linalg.norm(model, axis=1)[:, None] * current[:, None]
    plan = design_shims(design, pts, current, spec.shim_tray.slots, spec.shim_tray.candidates, engine=engine)
    print(plan.text())
    shimmed = plan.apply(design)
    problem = shimmed.dsv_problem(dsv)
    if problem:
        print(f"  warning: {problem}")
    print(f"shim build sheet: {plan.write_build_sheet(out / 'shims.csv')}")
