"""``spinbench halbach DESIGN.toml``: report a Halbach design and write its field maps (PNG)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from app.compute import add_compute_options


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("halbach", help="Halbach magnet design report, field maps, homogenisation, drift",
                              description="Compute B0, homogeneity, Larmor frequencies, magnet count, mass and "
                                          "temperature drift of a design TOML (see examples/halbach_ring.toml), "
                                          "and write PNG field maps.")
    p.add_argument("design", help="design TOML file")
    p.add_argument("--out", help="directory for PNGs and the magnet CSV (default: halbach-<design name>)")
    p.add_argument("--engine", choices=("exact", "dipole"), help="field engine for the report (default: file, exact)")
    p.add_argument("--dsv", help="DSV diameter, e.g. 10mm (default: the file's report.dsv)")
    p.add_argument("--optimise", action="store_true", help="homogenise first, with the file's [optimise] settings")
    p.add_argument("--compensate", type=int, metavar="RING",
                   help="solve the radius of counter-oriented ring RING so that dB0/dT = 0 (rings are "
                        "numbered as the report lists them: [[ring]] entries first, then [[stack]] rings)")
    p.add_argument("--forces", action="store_true", help="report forces on magnets and between ring halves")
    p.add_argument("--map", metavar="MAP", help="measured field map (CSV/TSV with units in the header): "
                   "spherical-harmonic table, DSV ppm, map figure")
    p.add_argument("--order", type=int, default=6, help="spherical-harmonic order for --map (default 6)")
    p.add_argument("--fit", choices=("global", "ring", "magnet"),
                   help="with --map: fit remanence and angle errors (one scale, per ring, or per magnet) and the "
                        "map's registration")
    p.add_argument("--shim", action="store_true", help="with --map: choose shims for the file's [shim_tray] "
                   "(writes shims.csv)")
    p.add_argument("--tolerance", metavar="BR,DEG,MM",
                   help="Monte Carlo of built magnets: sigma of B_r (relative), magnetisation angle (deg) and "
                        "position (mm), e.g. 0.01,1,0.1")
    p.add_argument("--trials", type=int, default=200, help="Monte Carlo trials for --tolerance (default 200)")
    p.add_argument("--restarts", type=int, default=1, metavar="K",
                   help="with --optimise: K homogenisations from seeds 0..K-1 in parallel (local processes or "
                        "--scheduler); the best is kept (default 1)")
    p.add_argument("--stray", action="store_true", help="how far the 0.5 mT (5 G) stray-field line reaches")
    p.add_argument("--no-plots", action="store_true", help="skip the PNG figures")
    p.add_argument("--json", action="store_true", help="print one JSON object (B0, homogeneity, Larmor frequencies, "
                   "drift as value/error/unit; the files written; the text report as 'log') instead of text")
    add_compute_options(p)
    p.set_defaults(func=cmd_halbach)


def _progress(min_interval: float = 0.1):
    import time

    last = [0.0]

    def show(p) -> None:
        now = time.monotonic()
        if now - last[0] < min_interval:
            return
        last[0] = now
        stream = sys.stderr
        frac = min(1.0, p.evaluations / max(1, p.max_evaluations))
        bar = "#" * int(frac * 24)
        stream.write(f"\rhomogenise [{bar:24s}] {p.stage:6s} {p.evaluations:5d} evals  objective {p.best_ppm:10.4g} ppm")
        stream.flush()
    return show


def cmd_halbach(args: argparse.Namespace) -> int:
    if not args.json:
        _halbach(args)
        return 0
    import contextlib
    import io

    from app.show_json import emit

    text = io.StringIO()
    with contextlib.redirect_stdout(text):  # the text report becomes the object's "log"
        report, files = _halbach(args)
    emit(_report_json(report, files, text.getvalue().splitlines()))
    return 0


def _report_json(report, files: dict[str, Any], log: list[str]) -> dict[str, Any]:
    """The design report's numbers (SI) as {value, error, unit} (computed, so no error), the files."""
    def q(value: float, unit: str) -> dict[str, Any]:
        return {"value": float(value), "error": None, "unit": unit}

    results = {"b0": q(report.b0, "T"), "mass": q(report.mass, "kg"), "magnets": report.n_magnets,
               "gradient": q(report.gradient, "T/m"), "drift": q(report.drift.db_dt, "T/K"),
               "drift_relative": q(report.drift.ppm_per_k, "ppm/K")}
    if report.homogeneity is not None:
        results["homogeneity_pp"] = q(report.homogeneity.ppm_pp, "ppm")
        results["homogeneity_rms"] = q(report.homogeneity.ppm_rms, "ppm")
        results["dsv"] = q(report.dsv, "m")
    for sp in report.species:
        results[f"larmor_{sp}"] = q(report.larmor(sp), "Hz")
    if report.dipole_error_ppm is not None:
        results["dipole_error"] = q(report.dipole_error_ppm, "ppm")
    warnings = [line.strip() for line in log if "optimistic" in line or "warning" in line.lower()]
    return {"kind": "halbach", "design": report.name, "engine": report.engine, "status": "ok",
            "results": results, "files": files, "warnings": warnings, "log": log}


def _halbach(args: argparse.Namespace) -> tuple[Any, dict[str, Any]]:
    """Everything ``spinbench halbach`` does; returns the design report and the files written."""
    from units.quantity import parse_quantity
    from magnets.design_io import load_design
    from magnets.report import design_report

    spec = load_design(args.design)  # every file problem is reported before any computation
    design = spec.design
    engine = args.engine or spec.engine
    dsv = parse_quantity(args.dsv, "m", name="--dsv") if args.dsv else spec.dsv
    problem = design.dsv_problem(dsv)
    if problem:
        raise ValueError(f"--dsv {args.dsv}: {problem}" if args.dsv else f"report.dsv: {problem}")
    out = Path(args.out) if args.out else Path(f"halbach-{Path(args.design).stem}")
    result = verified = None
    if args.restarts < 1 or (args.restarts > 1 and not args.optimise):
        raise ValueError(f"--restarts {args.restarts}: give 1 or more, with --optimise")
    if args.optimise:
        result, verified = _optimise(design, spec.optimise, dsv, engine, args)
        design = result.design
    if args.compensate is not None:
        design = _compensate(design, args.compensate, engine, dsv)
    report = design_report(design, dsv, spec.species, engine)
    print(report.text())
    if args.forces:
        _print_forces(design, engine)
    if args.stray:
        from magnets.stray import stray_field

        print(stray_field(design).text())
    out.mkdir(parents=True, exist_ok=True)
    if args.tolerance:
        _tolerance(design, args.tolerance, args.trials, dsv, args)
    if args.map:
        from app.halbach_map import run_map

        run_map(spec, design, args.map, args.order, args.fit, args.shim, engine, dsv, out, not args.no_plots)
    elif args.fit or args.shim:
        raise ValueError("--fit and --shim work on a measured map: add --map MAP.csv")
    csv = _write_csv(design, out / "magnets.csv")
    files: dict[str, Any] = {"folder": str(out), "magnet_list": str(csv)}
    print(f"magnet list:  {csv}")
    if design.rings:
        from magnets.dxf import write_ring_layers

        files["drawings"] = [str(p) for p in write_ring_layers(design, out)]
        print(f"machining drawings (DXF, mm, one per ring layer): {len(files['drawings'])} files")
    if not args.no_plots:
        from magnets import plots

        paths = plots.write_all(design, out, dsv, engine=engine)  # the report's engine: same B0, drift
        if result is not None:
            paths.append(plots.plot_convergence(result, out / "convergence.png", verified))
        files["plots"] = [str(p) for p in paths]
        print(f"field maps ({engine} fields): " + ", ".join(str(p) for p in paths))
    return report, files


class _Restart:
    """One homogenisation from its own seed (picklable: a task for app.compute)."""

    def __init__(self, design, dsv: float, kwargs: dict):
        self.design, self.dsv, self.kwargs = design, dsv, kwargs

    def __call__(self, seed: int):
        from magnets.optimise import homogenise

        return homogenise(self.design, self.dsv, **{**self.kwargs, "seed": seed})


def _optimise(design, opt: dict, dsv: float, engine: str, args: argparse.Namespace):
    """Homogenise with the file's [optimise] settings (dipole model); print the summary and the
    before/after homogeneity with the report's engine, which the report below then repeats.
    With ``--restarts K`` the K seeds run as parallel tasks and the lowest objective wins."""
    from app.compute import compute_from_args
    from magnets.field import field
    from magnets.optimise import homogenise
    from magnets.sampling import homogeneity, sphere_surface

    kwargs = dict(opt)
    opt_dsv = kwargs.pop("dsv", None) or dsv  # load_design checked it against the bore
    if args.restarts == 1:
        result = homogenise(design, opt_dsv, callback=_progress(), **kwargs)
    else:
        base = int(kwargs.pop("seed", 0))
        with compute_from_args(args) as compute:
            sys.stderr.write(f"homogenise: {args.restarts} restarts on {compute.backend}\n")
            runs = compute.map(_Restart(design, opt_dsv, kwargs), range(base, base + args.restarts))
        best = min(range(len(runs)), key=lambda i: runs[i].after.ppm_pp + runs[i].field_penalty)
        result = runs[best]
        print(f"restarts: seeds {base}..{base + args.restarts - 1}, p-p ppm "
              + ", ".join(f"{r.after.ppm_pp:.4g}" for r in runs) + f"; seed {base + best} kept")
    sys.stderr.write("\n")
    print(result.summary())
    pts = sphere_surface(opt_dsv / 2, 400)
    before = homogeneity(field(pts, design, engine)).ppm_pp
    after = homogeneity(field(pts, result.design, engine)).ppm_pp
    print(f"  checked with {engine} fields (400 points, as the report): {before:.4g} -> {after:.4g} ppm p-p "
          f"({before / after:.3g}x)")
    if engine != result.engine and after > 1.5 * result.after.ppm_pp:
        print(f"  the {result.engine} model is optimistic here (magnets close to the DSV); polish with "
              f"magnets.optimise.homogenise(..., method='local', engine='exact')")
    return result, (engine, before, after)


def _tolerance(design, text: str, trials: int, dsv: float, args: argparse.Namespace) -> None:
    import numpy as np  # here, not at the top: `spinbench --help` imports every subcommand module

    from magnets.tolerance import Tolerances, monte_carlo

    parts = text.split(",")
    try:
        br, deg, mm = (float(v) for v in parts)
    except ValueError:
        raise ValueError(f"--tolerance {text!r}: give three numbers BR,DEG,MM (relative B_r, angle in deg, "
                         f"position in mm), e.g. 0.01,1,0.1") from None
    if min(br, deg, mm) < 0 or trials < 2:
        raise ValueError(f"--tolerance {text!r} must be >= 0 and --trials {trials} >= 2")
    from app.compute import compute_from_args

    with compute_from_args(args) as compute:  # trials are seeded tasks: the same numbers on any backend
        print(monte_carlo(design.layout(), Tolerances(br, np.deg2rad(deg), mm * 1e-3), dsv, trials,
                          map=compute.map).text())


def _compensate(design, ring: int, engine: str, dsv: float | None = None):
    from dataclasses import replace

    import numpy as np

    from magnets.field import field
    from magnets.sampling import homogeneity, sphere_surface
    from magnets.thermal import drift_range, solve_compensation

    if not 0 <= ring < len(design.rings):
        raise ValueError(f"--compensate {ring}: the design has rings 0..{len(design.rings) - 1}")
    counter = [i for i, r in enumerate(design.rings) if abs(np.cos(r.phase) + 1) < 1e-9]
    if ring not in counter:
        which = (f"counter-oriented ring(s): {counter}" if counter else
                 "no counter-oriented ring: add a [[ring]] with counter = true and a material of a different "
                 "temperature coefficient (see examples/halbach_compensated.toml)")
        raise ValueError(f"--compensate {ring}: ring {ring} is not counter-oriented; this design has {which}")
    comp = solve_compensation(design, ring, engine=engine)
    print(f"passive compensation ({engine} fields): ring {comp.ring} radius {comp.value * 1e3:.4f} mm; drift "
          f"{comp.drift_before.ppm_per_k:.4g} ppm/K without it -> {comp.drift_after.ppm_per_k:.3g} ppm/K; "
          f"field kept {comp.field_fraction:.1%}")
    print(f"  with the catalogue alphas' tolerance: {drift_range(comp.design, engine)} (measure the batch's "
          f"alpha to use the compensation)")
    if dsv is not None:
        others = replace(design, rings=[r for i, r in enumerate(design.rings) if i != ring])
        pts = sphere_surface(dsv / 2, 400)
        before, after = (homogeneity(field(pts, d, engine)).ppm_pp for d in (others, comp.design))
        print(f"  homogeneity cost: {before:.4g} ppm without the compensator -> {after:.4g} ppm with it over the "
              f"{dsv * 1e3:.3g} mm DSV")
    return comp.design


def _print_forces(design, engine: str) -> None:
    """Forces with the report's engine (the dipole model is up to ~50 % off for neighbours)."""
    import numpy as np

    from magnets.field import field
    from magnets.forces import per_magnet, split_force

    arr = design.layout()
    f, t = per_magnet(arr, engine)
    i = int(np.argmax(np.linalg.norm(f, axis=1)))
    print(f"  forces ({engine} model): largest on one magnet {np.linalg.norm(f[i]):.3g} N (magnet {i}), "
          f"largest torque {np.linalg.norm(t, axis=1).max():.3g} N m")
    b = field(np.zeros((1, 3)), arr, engine)[0]
    along = b / np.linalg.norm(b) if np.linalg.norm(b) > 0 else np.array([1.0, 0, 0])
    across = np.cross([0, 0, 1.0], along)
    for name, n in (("split normal along B0", along), ("split normal across B0", across)):
        s = split_force(arr, tuple(n), engine)
        word = "repel" if s.normal_force > 0 else "attract"
        note = f"; {s.on_plane} magnets lie on the plane, counted in one half" if s.on_plane else ""
        print(f"  halves, {name}: {abs(s.normal_force):.3g} N ({word}{note})")


def _write_csv(design, path: Path) -> Path:
    arr = design.layout()
    rows = ["group,x_m,y_m,z_m,mx,my,mz,br_T,volume_m3"]
    for g, p, u, br, v in zip(arr.groups, arr.positions, arr.directions, arr.br, arr.volumes):
        rows.append(f"{arr.group_names[g]},{p[0]:.6e},{p[1]:.6e},{p[2]:.6e},{u[0]:.6f},{u[1]:.6f},{u[2]:.6f},"
                    f"{br:.5f},{v:.4e}")
    path.write_text("\n".join(rows) + "\n")
    return path
