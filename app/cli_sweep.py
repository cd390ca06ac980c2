"""``spinbench sweep EXPERIMENT --sim --grid name=a:b:n ...``: the simulated experiment over a
parameter grid, each point with its own seed, on local processes or a Dask cluster
(:mod:`app.compute`); fitted results into one HDF5 table, a PNG map of one result."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.compute import add_compute_options


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("sweep", help="run a simulated experiment over a parameter grid (local or Dask)",
                              description="Run EXPERIMENT in the simulated lab at every point of the grid "
                                          "(each point its own seed), in parallel; results go into one HDF5 "
                                          "table as they arrive, and a PNG map of --map against two grid "
                                          "parameters.")
    p.add_argument("experiment", help="experiment name (see 'spinbench list')")
    p.add_argument("--sim", action="store_true", help="the built-in simulated lab (the only lab a sweep uses)")
    p.add_argument("--grid", action="append", metavar="NAME=START:STOP:COUNT", default=[],
                   help="a swept parameter, e.g. mod_amplitude=10uT:200uT:8 (bare numbers in the unit "
                        "'spinbench list' shows); several --grid make a full grid")
    p.add_argument("--set", action="append", metavar="NAME=VALUE", default=[], help="a fixed parameter")
    p.add_argument("--seed", type=int, default=0, help="the sweep's seed; point k gets its k-th child (default 0)")
    p.add_argument("--map", metavar="RESULT", help="result to map against the first two grid parameters (PNG)")
    p.add_argument("--out", default="sweeps", help="folder for sweep.h5, the map and the point runs (default sweeps)")
    p.add_argument("--no-runs", action="store_true", help="do not keep each point's run file")
    add_compute_options(p)
    p.set_defaults(func=cmd_sweep)


def cmd_sweep(args: argparse.Namespace) -> int:
    import numpy as np

    from app.compute import compute_from_args, map_on_terminal, print_failures
    from app.result_table import ResultTable
    from app.runner import parse_settings
    from app.sweep import check_points, grid_points, parse_grid, run_point
    from sequences.experiments import get_experiment

    axes = parse_grid(args.experiment, args.grid)  # every input problem before anything runs
    fixed = parse_settings(get_experiment(args.experiment), args.set)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out}: exists and is not a folder")
    runs = None if args.no_runs else str(out / "runs")
    points = grid_points(args.experiment, fixed, axes, args.seed, runs)
    check_points(points)
    out.mkdir(parents=True, exist_ok=True)
    if runs:
        Path(runs).mkdir(exist_ok=True)
    inputs = {a.name: np.array([p.values[a.name] for p in points]) for a in axes}
    inputs["seed"] = np.array([p.seed for p in points], dtype=np.uint64)
    table_path = out / "sweep.h5"
    shape = [len(a.values) for a in axes]
    collected: dict[int, dict[str, float]] = {}

    def arrived(i: int, result: dict[str, float]) -> None:
        table.write(i, result)
        collected[i] = result

    with compute_from_args(args) as compute, ResultTable(
            table_path, len(points), inputs, {"experiment": args.experiment, "seed": args.seed,
                                              "grid": [a.name for a in axes], "shape": shape}) as table:
        failures, interrupted = map_on_terminal(compute, run_point, points, arrived, f"{args.experiment} points")
    if interrupted:
        print(f"spinbench: interrupted: {len(collected)} of {len(points)} points kept in {table_path}",
              file=sys.stderr)
        return 130
    print(f"table: {table_path}  ({len(collected)} of {len(points)} points)")
    if args.map:
        png = _plot_map(table_path, args.map, axes, shape)
        print(f"map:   {png}")
    if failures:
        print_failures(failures)
        return 3
    return 0


def _plot_map(table_path: Path, result: str, axes, shape: list[int]) -> Path:
    """``result`` against the first two grid axes (a line against one axis if there is one)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from app.result_table import read_table

    cols = read_table(table_path)
    if result not in cols:
        names = sorted(k for k in cols if k not in ("done", "seed") and k not in {a.name for a in axes})
        raise ValueError(f"--map {result!r}: no such result; the table has {', '.join(names)}")
    z = cols[result].reshape(shape)
    while z.ndim > 2:
        z = z[..., 0]  # further axes: their first value
    fig, ax = plt.subplots(figsize=(6, 4.5))
    if z.ndim == 1 or len(axes) == 1:
        ax.plot(axes[0].values, z.ravel(), "o-")
        ax.set_xlabel(f"{axes[0].name} (SI)")
        ax.set_ylabel(result)
    else:
        mesh = ax.pcolormesh(axes[1].values, axes[0].values, z, shading="nearest")
        fig.colorbar(mesh, ax=ax, label=result)
        ax.set_xlabel(f"{axes[1].name} (SI)")
        ax.set_ylabel(f"{axes[0].name} (SI)")
    ax.set_title(f"{result} over the grid")
    png = table_path.with_name(f"sweep_{result}.png")
    fig.savefig(png, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return png
