"""``spinbench analyse MAP.mat --map-units m,mT`` and ``spinbench show MAP.mat``: a measured magnet
field map saved from MATLAB (formats.field_map_mat), summarised and expanded in solid spherical
harmonics about its own centroid (magnets.harmonics), with the figure of ``spinbench halbach
--map``. The file stores no units, so they are asked for, never assumed."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

#: Expansion order of a map summary (16 terms: the main gradients and curvatures).
ORDER = 3
MAP_SUFFIXES = (".mat",)


def is_field_map(path: str | Path) -> bool:
    return Path(path).suffix.lower() in MAP_SUFFIXES


def map_units(args: argparse.Namespace, path: Path) -> tuple[str, str]:
    from formats.field_map_mat import parse_units

    text = getattr(args, "map_units", None)
    if not text:
        raise ValueError(f"{path}: a MATLAB field map stores no units; give them with --map-units LENGTH,FIELD "
                         f"(e.g. --map-units m,mT for positions in metres and the field in millitesla)")
    return parse_units(text)


def map_summary(path: Path, units: tuple[str, str]) -> tuple[Any, dict[str, Any], list[str]]:
    """(field map, results, text lines): extent, field ranges, B0 and the expansion's fit."""
    from formats.field_map_mat import read_field_map_mat
    from magnets.harmonics import fit_field
    from sequences.experiment import FitValue

    fmap = read_field_map_mat(path, units)
    pts = fmap.points
    values = fmap.vector if fmap.vector is not None else fmap.magnitude
    centroid = pts.mean(axis=0)
    order = ORDER
    while order > 0 and len(pts) <= (order + 1) ** 2:
        order -= 1
    expansion = fit_field(pts, values, order, centre=centroid)
    main = expansion.main
    mag = fmap.magnitude
    results = {
        "points": len(fmap),
        "b0": FitValue(main.b0, float("nan"), "T"),
        "expansion_residual_rms": FitValue(main.residual_rms, float("nan"), "T"),
        "field_spread_pp_ppm": FitValue(float(np.ptp(mag) / np.mean(mag) * 1e6), float("nan"), ""),
    }
    lines = [f"  points   {len(fmap)} ({', '.join(fmap.components)}; positions in {units[0]}, field in {units[1]} "
             f"as given)",
             "  extent   " + "; ".join(f"{a} {lo * 1e3:.4g} .. {hi * 1e3:.4g} mm"
                                       for a, lo, hi in zip("xyz", pts.min(axis=0), pts.max(axis=0))),
             "  field    " + "; ".join(f"{k} {v.min() * 1e3:.6g} .. {v.max() * 1e3:.6g} mT"
                                       for k, v in fmap.components.items()),
             f"  centroid {', '.join(f'{c * 1e3:.4g}' for c in centroid)} mm (the expansion's centre)",
             main.table_text(8)]
    return (fmap, expansion), results, lines


def analyse_field_map(args: argparse.Namespace) -> int:
    """Print (or emit as JSON) the map summary and write its figure."""
    from app.cli_analyse import jsonable
    from magnets.map_plots import plot_field_map

    path = Path(args.file)
    (fmap, expansion), results, lines = map_summary(path, map_units(args, path))
    png = Path(args.png) if getattr(args, "png", None) else path.with_suffix(".png")
    plot_field_map(fmap.points, fmap.magnitude, expansion, png, title=f"field map {path.name}")
    if getattr(args, "json", False):
        from app.show_json import emit

        emit({"file": str(path), "format": "MATLAB field map", "kind": "field-map", "status": "ok",
              "results": jsonable(results), "notes": [], "warnings": [], "plot": str(png)})
        return 0
    from app.cli import format_results

    print(f"{path}: measured field map (MATLAB MAT-file)")
    print("\n".join(lines[:-1]))
    print("results:")
    print(format_results(results))
    print(lines[-1])
    print(f"plot:     {png}")
    return 0
