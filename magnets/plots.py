"""PNG figures of a design (matplotlib's Agg canvas directly: no pyplot state, no display).

layout (top and side views with magnetisation arrows), |B| deviation maps in ppm on the xy and
xz planes with the DSV drawn, axial/radial profiles, and B0 against temperature.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from magnets.design import HalbachDesign
from magnets.field import fast_exact_field, field
from magnets.sampling import axis_line, plane
from magnets.thermal import b0_curve, drift


def _figure(w: float = 7.0, h: float = 5.0):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(w, h))
    FigureCanvasAgg(fig)
    return fig


def _save(fig, path: Path) -> Path:
    """Write the PNG; its first axes' title also goes into the PNG's Title text chunk, so a script
    (or a test) can read which engine and numbers a figure shows without OCR."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    title = fig.axes[0].get_title() if fig.axes else ""
    fig.savefig(path, dpi=110, metadata={"Title": title} if title else None)
    return path


def _map_field(pts: np.ndarray, arr, engine: str) -> np.ndarray:
    """Maps and profiles: exact shapes near the points, dipoles for magnets far from all of them
    (agreeing to ~1e-6 of their field), so a 2,700-magnet design maps in seconds."""
    return fast_exact_field(pts, arr) if engine == "exact" else field(pts, arr, engine)


def _engine_label(engine: str) -> str:
    return {"exact": "exact shapes", "dipole": "point dipoles"}.get(engine, engine)


def _footprints(arr) -> list[np.ndarray]:
    """Outline of each magnet seen from +z (rotated rectangles; circles for standing cylinders)."""
    out = []
    for p, rot, dims, kind in zip(arr.positions, arr.rotations, arr.dims, arr.kinds):
        if kind == 1:
            t = np.linspace(0, 2 * np.pi, 24)
            out.append(p[:2] + 0.5 * dims[0] * np.column_stack([np.cos(t), np.sin(t)]))
            continue
        a, b = (dims[0], dims[1]) if kind == 0 else (dims[1], dims[0])  # axial rod: length along x
        corners = np.array([[a, b], [-a, b], [-a, -b], [a, -b]]) / 2
        out.append(p[:2] + corners @ rot[:2, :2].T)
    return out


def plot_layout(design: HalbachDesign, path: Path) -> Path:
    from matplotlib.collections import PolyCollection
    from matplotlib.patches import Rectangle

    arr = design.layout()
    fig = _figure(11, 4.8)
    top, side = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    p, u = arr.positions * 1e3, arr.directions
    arrow = 0.8 * float(np.median(arr.dims[:, 0])) * 1e3
    # one collection, not a patch per magnet (2,700 patches took 15 s)
    top.add_collection(PolyCollection([o * 1e3 for o in _footprints(arr)], facecolors=[f"C{g % 10}" for g in arr.groups],
                                      edgecolors="k", linewidths=0.5, alpha=0.35))
    top.quiver(p[:, 0] - 0.5 * arrow * u[:, 0], p[:, 1] - 0.5 * arrow * u[:, 1], u[:, 0] * arrow, u[:, 1] * arrow,
               angles="xy", scale_units="xy", scale=1, width=0.004)
    reach = float(np.max(np.hypot(p[:, 0], p[:, 1]) + 0.8 * np.max(arr.dims) * 1e3))
    top.set_xlim(-reach, reach)
    top.set_ylim(-reach, reach)
    top.set_aspect("equal")
    top.set_xlabel("x (mm)")
    top.set_ylabel("y (mm)")
    top.set_title(f"top view: {len(arr)} magnets, {design.mass * 1e3:.0f} g (magnets only); arrows = magnetisation")
    zmax = 1.0
    for i, ring in enumerate(design.rings):
        h, w = ring.height * 1e3, 2 * ring.shape.half_diagonal_xy * 1e3
        for sign in (1, -1):
            side.add_patch(Rectangle((ring.z * 1e3 - h / 2, sign * ring.radius * 1e3 - w / 2), h, w,
                                     fc=f"C{i % 10}", ec="k", lw=0.5, alpha=0.5))
        zmax = max(zmax, abs(ring.z * 1e3) + h)
    side.axhline(0, color="0.6", lw=0.5, ls="--")
    side.set_xlim(-zmax, zmax)
    side.set_ylim(-reach, reach)
    side.set_aspect("equal")
    side.set_xlabel("z (mm)")
    side.set_ylabel("radius (mm)")
    side.set_title("side section (rings)")
    return _save(fig, path)


def plot_plane_map(design: HalbachDesign, which: str, half_width: float, dsv: float, path: Path,
                   engine: str = "dipole", n: int = 61) -> Path:
    """|B| deviation from the centre field, in ppm, on a central plane."""
    pts, u, v = plane(which, half_width, n)
    arr = design.layout()
    b = np.linalg.norm(_map_field(pts, arr, engine), axis=1).reshape(n, n)
    b0 = float(np.linalg.norm(field(np.zeros((1, 3)), arr, engine)[0]))
    ppm = (b - b0) / b0 * 1e6
    fig = _figure(6.2, 5.2)
    ax = fig.add_subplot(1, 1, 1)
    r = np.hypot(*np.meshgrid(u, v))
    inside = r <= dsv / 2
    near = r <= dsv  # colour range from twice the DSV: the field far off-centre would swamp it
    lim = float(np.max(np.abs(ppm[near]))) if near.any() else float(np.max(np.abs(ppm)))
    im = ax.pcolormesh(u * 1e3, v * 1e3, ppm, cmap="RdBu_r", vmin=-lim or -1, vmax=lim or 1, shading="auto")
    if inside.any() and np.ptp(ppm[inside]) > 0:
        levels = np.linspace(ppm[inside].min(), ppm[inside].max(), 7)
        cs = ax.contour(u * 1e3, v * 1e3, ppm, levels=levels, colors="k", linewidths=0.5)
        ax.clabel(cs, fmt="%.3g", fontsize=7)  # ppm inside the DSV
    t = np.linspace(0, 2 * np.pi, 200)
    ax.plot(dsv / 2 * 1e3 * np.cos(t), dsv / 2 * 1e3 * np.sin(t), "k--", lw=1, label=f"DSV {dsv * 1e3:.3g} mm")
    ax.set_aspect("equal")
    ax.set_xlabel(f"{which[0]} (mm)")
    ax.set_ylabel(f"{which[1]} (mm)")
    ax.set_title(f"|B| - B0 on the {which} plane (B0 = {b0 * 1e3:.5g} mT, {_engine_label(engine)})")
    ax.legend(loc="upper right", fontsize=8)
    fig.colorbar(im, ax=ax, label="ppm")
    return _save(fig, path)


def plot_profiles(design: HalbachDesign, half_length: float, path: Path, engine: str = "dipole") -> Path:
    arr = design.layout()
    fig = _figure(7, 4.5)
    ax = fig.add_subplot(1, 1, 1)
    b0 = float(np.linalg.norm(field(np.zeros((1, 3)), arr, engine)[0]))
    for axis in "xyz":
        pts = axis_line(axis, half_length, 201)
        b = np.linalg.norm(_map_field(pts, arr, engine), axis=1)
        ax.plot(pts[:, "xyz".index(axis)] * 1e3, (b - b0) / b0 * 1e6, label=f"along {axis}")
    ax.set_xlabel("position (mm)")
    ax.set_ylabel("|B| - B0 (ppm)")
    ax.set_title(f"field profiles (B0 = {b0 * 1e3:.5g} mT, {_engine_label(engine)})")
    ax.legend()
    ax.grid(alpha=0.3)
    return _save(fig, path)


def plot_drift(design: HalbachDesign, path: Path, span: float = 10.0, engine: str = "dipole") -> Path:
    """B0 over +-span K; the title gives the same first-order coefficient as the report
    (:func:`magnets.thermal.drift` at the reference temperature, same engine)."""
    t = design.reference_temperature + np.linspace(-span, span, 21)
    b = b0_curve(design, t, engine)
    d = drift(design, engine=engine)
    fig = _figure(6, 4)
    ax = fig.add_subplot(1, 1, 1)
    ax.plot(t - 273.15, b * 1e3, "o-")
    ax.set_xlabel("magnet temperature (degC)")
    ax.set_ylabel("B0 (mT)")
    ax.set_title(f"B0(T): {d.db_dt * 1e6:.4g} uT/K ({d.ppm_per_k:.4g} ppm/K) at "
                 f"{design.reference_temperature - 273.15:.4g} degC, {_engine_label(engine)}")
    ax.grid(alpha=0.3)
    return _save(fig, path)


def plot_convergence(result, path: Path, verified: tuple[str, float, float] | None = None) -> Path:
    """Homogenisation progress of an :class:`magnets.optimise.OptimisationResult`: the best
    design's p-p ppm (what the summary prints), the objective when it carries penalties (a target
    field), the target, and ``verified`` = (engine, before, after) p-p ppm of the report's engine."""
    return _save(convergence_figure(result, verified), path)


def convergence_figure(result, verified: tuple[str, float, float] | None = None):
    """The Figure behind :func:`plot_convergence` (its first line is the best design's p-p ppm)."""
    fig = _figure(6.5, 4.2)
    ax = fig.add_subplot(1, 1, 1)
    if result.ppm_history:
        e, f = zip(*result.ppm_history)
        ax.semilogy(e, f, ".-", label=f"best design, p-p ppm ({result.engine})")
    if result.history and any(abs(o - pp) > 1e-6 * max(pp, 1) for (_, o), (_, pp) in
                              zip(result.history, result.ppm_history)):
        e, f = zip(*result.history)
        ax.semilogy(e, f, "--", color="0.5", lw=1, label="objective (p-p + target_field penalty)")
    if result.target_ppm is not None:
        ax.axhline(result.target_ppm, color="C2", lw=0.8, ls=":", label=f"target {result.target_ppm:.4g} ppm")
    if verified is not None:
        name, before, after = verified
        ax.semilogy([0, result.evaluations], [before, after], "s", color="C3", ms=6,
                    label=f"{_engine_label(name)}: {before:.4g} -> {after:.4g} ppm")
    ax.set_xlabel("objective evaluations")
    ax.set_ylabel("p-p over the DSV (ppm)")
    ax.set_title(f"homogenisation: {result.before.ppm_pp:.4g} -> {result.after.ppm_pp:.4g} ppm p-p "
                 f"({result.objective_label})", fontsize=9)
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3, which="both")
    return fig


def write_all(design: HalbachDesign, out_dir: Path, dsv: float, engine: str = "exact") -> list[Path]:
    """Every standard figure into ``out_dir``, computed with ``engine`` (use the report's, so the
    figures and the report show the same B0 and drift); returns the paths."""
    out = Path(out_dir)
    inner = min(r.radius - r.shape.half_diagonal_xy for r in design.rings) if design.rings else dsv
    half = min(max(dsv, 0.5 * inner), 0.9 * inner)
    return [plot_layout(design, out / "layout.png"),
            plot_plane_map(design, "xy", half, dsv, out / "map_xy.png", engine),
            plot_plane_map(design, "xz", half, dsv, out / "map_xz.png", engine),
            plot_profiles(design, half, out / "profiles.png", engine),
            plot_drift(design, out / "drift.png", engine=engine)]
