"""Passive shims from a measured map: which magnet (size, magnetisation direction) goes into which
shim-tray slot, so that |B| is as flat as possible over the DSV.

Every candidate magnet adds a field that is independent of the others (rigid magnets), and to
first order it changes |B| by b_hat . dB, so the choice is an integer linear program (the
approach of the passive-shim literature, e.g. O'Reilly, Teeuwisse & Webb, ISMRM 2022 #0063):

    minimise t_max - t_min  over x in {0, 1}^(slots x candidates)
    subject to t_min <= |B_p| + sum x_j (b_hat_p . dB_jp) <= t_max at every DSV point p,
               at most one magnet per slot, never two magnets that would clash,

solved approximately: the linear relaxation (HiGHS) is rounded, then improved by exchanging the
options of single slots and of pairs of slots until nothing improves (exact branch and bound,
and diving on the relaxation, were far slower for this min-max program at ~1000 binaries and
no better: 30x vs 18x on the docs' example); the relaxation's optimum is reported as a lower
bound. Candidates that would clash with the
magnet or its walls (exact solids, :mod:`magnets.clearance`, with the design's min_gap) are
removed first; pairs of candidates that would clash with each other are excluded by
constraints, so the plan is always buildable. The result is checked with the exact (not
linearised) sum of the fields.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import lil_matrix

from magnets.clearance import TOLERANCE, Solids, close_pairs, wall_clearances
from magnets.design import Cuboid, HalbachDesign, ShimMagnet, Shape
from magnets.field import field, per_magnet_field
from magnets.materials import Material, material as _material
from magnets.sampling import homogeneity


@dataclass(frozen=True)
class Candidate:
    """A shim magnet that may go into a slot: its shape, direction (lab frame) and material."""

    shape: Shape
    direction: tuple[float, float, float]
    material: Material = _material("N42")

    def label(self) -> str:
        size = " x ".join(f"{v * 1e3:.3g}" for v in self.shape.size) if isinstance(self.shape, Cuboid) \
            else f"cyl {self.shape.diameter * 1e3:.3g} x {self.shape.height * 1e3:.3g}"
        return f"{size} mm {self.material.name} along ({', '.join(f'{v:+.3g}' for v in self.direction)})"


def standard_candidates(sizes: tuple[float, ...] = (0.002, 0.003, 0.004), mat: str = "N42") -> list[Candidate]:
    """Cubes of the given edges magnetised along +-x, +-y, +-z."""
    dirs = [tuple(float(v) for v in s * np.eye(3)[k]) for k in range(3) for s in (1, -1)]
    return [Candidate(Cuboid.cube(a), d, _material(mat)) for a in sizes for d in dirs]


def tray_slots(radius: float, z: tuple[float, ...], n_azimuth: int, theta0: float = 0.0) -> np.ndarray:
    """Slot centres (m) on a cylindrical shim tray: ``n_azimuth`` per z level."""
    th = theta0 + 2 * np.pi * np.arange(n_azimuth) / n_azimuth
    return np.array([[radius * np.cos(t), radius * np.sin(t), zz] for zz in z for t in th])


@dataclass
class ShimPlan:
    slots: np.ndarray  # (S, 3) m
    placed: list[tuple[int, Candidate]]  # (slot index, candidate)
    ppm_before: float
    ppm_predicted: float  # exact sum of the chosen shims' fields on the target
    ppm_linear: float  # the program's own (linearised) optimum
    status: str  # how it was solved, and the relaxation's lower bound
    excluded: int  # candidate placements removed because they would clash with the magnet

    def shims(self) -> list[ShimMagnet]:
        return [ShimMagnet(tuple(self.slots[s]), c.direction, c.shape, c.material) for s, c in self.placed]

    def apply(self, design: HalbachDesign) -> HalbachDesign:
        """The design with the shims added (its clearance rules still hold: checked)."""
        out = replace(design, shims=list(design.shims) + self.shims())
        problems = out.clearance_problems()
        if problems:
            raise ValueError("shim plan does not fit this design: " + "; ".join(problems))
        return out

    def text(self) -> str:
        return (f"shim plan: {len(self.placed)} magnets in {len(self.slots)} slots; p-p over the DSV "
                f"{self.ppm_before:.4g} -> {self.ppm_predicted:.4g} ppm predicted ({self.ppm_before / max(self.ppm_predicted, 1e-12):.3g}x; "
                f"solver: {self.status}; {self.excluded} placements excluded as unbuildable)")

    def write_build_sheet(self, path: str | Path) -> Path:
        """CSV: one row per shim magnet (slot, position in mm, magnet, direction, B_r)."""
        rows = ["slot,x_mm,y_mm,z_mm,magnet,material,br_T,dir_x,dir_y,dir_z"]
        for s, c in self.placed:
            p = self.slots[s] * 1e3
            shape = "x".join(f"{v * 1e3:.4g}" for v in c.shape.size) if isinstance(c.shape, Cuboid) \
                else f"cyl{c.shape.diameter * 1e3:.4g}x{c.shape.height * 1e3:.4g}"
            rows.append(f"{s},{p[0]:.3f},{p[1]:.3f},{p[2]:.3f},{shape}mm,{c.material.name},{c.material.br:.4f},"
                        + ",".join(f"{v + 0.0:.4f}" if abs(v) >= 5e-5 else "0.0000" for v in c.direction))
        path = Path(path)
        path.write_text("\n".join(rows) + "\n")
        return path


def design_shims(design: HalbachDesign, points: np.ndarray, current: np.ndarray, slots: np.ndarray,
                 candidates: list[Candidate], *, engine: str = "exact", sweeps: int = 10,
                 max_magnets: int | None = None) -> ShimPlan:
    """Choose shims for ``slots`` from ``candidates`` to flatten |B| over ``points`` (m, magnet
    coordinates; DSV surface points), where the field now is ``current`` ((P, 3) T; e.g. the
    harmonic expansion of a measured map). ``design`` supplies the geometry the shims must clear."""
    current = np.asarray(current, float)
    if current.ndim != 2 or current.shape != (len(points), 3):
        raise ValueError(f"current field must be (P, 3) vectors at the {len(points)} points")
    mag = np.linalg.norm(current, axis=1)
    unit = current / mag[:, None]
    b0 = float(mag.mean())
    shims = [(s, c) for s in range(len(slots)) for c in candidates]
    every = HalbachDesign([], [ShimMagnet(tuple(slots[s]), c.direction, c.shape, c.material) for s, c in shims]).layout()
    clash_base, clash_pairs = _clashes(design, every)
    keep = ~clash_base
    excluded = int(clash_base.sum())
    if not keep.any():
        raise ValueError("no candidate shim magnet fits any slot without clashing with the magnet or the holder: "
                         "move the tray or use smaller shims")
    index = np.cumsum(keep) - 1  # old -> new candidate index
    clash = [(index[p], index[q]) for p, q in clash_pairs if keep[p] and keep[q] and shims[p][0] != shims[q][0]]
    shims = [sc for sc, ok in zip(shims, keep) if ok]
    arr = every.select(keep)
    a = np.einsum("mpi,pi->pm", per_magnet_field(points, arr, engine), unit) / b0 * 1e6  # ppm of B0 per magnet
    g = (mag - b0) / b0 * 1e6
    scale = max(float(np.abs(g).max()), 1e-3)  # the programs work in units of the largest deviation (well scaled)
    g = g / scale
    a = a / scale
    n = len(shims)
    # variables: x_0..x_{n-1}, t_max, t_min
    rows = [LinearConstraint(np.hstack([a, -np.ones((len(g), 1)), np.zeros((len(g), 1))]), -np.inf, -g),
            LinearConstraint(np.hstack([a, np.zeros((len(g), 1)), -np.ones((len(g), 1))]), -g, np.inf)]
    slot_of = np.array([s for s, _ in shims])
    groups = [np.flatnonzero(slot_of == s) for s in np.unique(slot_of)]
    extra = lil_matrix((len(groups) + len(clash) + (max_magnets is not None), n + 2))
    for r, members in enumerate(groups):
        extra[r, members] = 1
    for r, (p, q) in enumerate(clash, start=len(groups)):
        extra[r, p] = extra[r, q] = 1
    ub = np.ones(extra.shape[0])
    if max_magnets is not None:
        extra[extra.shape[0] - 1, :n] = 1
        ub[-1] = max_magnets
    rows.append(LinearConstraint(extra.tocsr(), -np.inf, ub))
    # p-p, plus 1e-4 of the largest deviation per unit of shim moment: among equally flat plans,
    # fewer and smaller magnets (and the relaxation is no longer degenerate)
    moment = np.array([c.shape.volume * c.material.br for _, c in shims])
    cost = np.concatenate([1e-4 * moment / moment.max(), [1.0, -1.0]])
    big = 10 * (np.abs(g).max() + np.abs(a).sum(axis=1).max())
    bounds = Bounds(np.concatenate([np.zeros(n), [-big, -big]]), np.concatenate([np.ones(n), [big, big]]))
    relaxed = _lp(cost, rows, bounds)
    if relaxed.x is None:
        raise ValueError(f"the shim program has no solution ({relaxed.message})")
    # round the relaxation, then exchange the options of single slots and of pairs of slots
    x = _exchange(a, g, groups, clash, _round(relaxed.x[:n], groups, clash), max_magnets)
    status = "rounding + exchange"
    if sweeps:
        x = _pair_exchange(a, g, groups, clash, x, max_magnets, sweeps)
        status += " + pair exchange"
    res_x = x
    status += f"; relaxation bound {(relaxed.x[n] - relaxed.x[n + 1]) * scale:.3g} ppm"
    chosen = np.flatnonzero(res_x[:n] > 0.5)
    placed = [shims[k] for k in chosen]
    after = current + (field(points, arr.select(np.isin(np.arange(len(arr)), chosen)), engine) if len(chosen) else 0)
    return ShimPlan(np.asarray(slots, float), placed, homogeneity(current).ppm_pp, homogeneity(after).ppm_pp,
                    _pp(g + a @ x) * scale, status, excluded)


def _clashes(design: HalbachDesign, shims) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Which candidate placements clash with the design's magnets or walls (exact solids,
    min_gap), and which pairs of placements clash with each other."""
    base = design.layout()
    gap = design.build.min_gap
    a, b = base.solids(), shims.solids()
    both = Solids(np.vstack([a.centres, b.centres]), np.concatenate([a.rotations, b.rotations]),
                  np.concatenate([a.kinds, b.kinds]), np.vstack([a.dims, b.dims]))
    i, j, c = close_pairs(both, gap)
    bad = c < gap - TOLERANCE
    m = len(base)
    hit = np.zeros(len(shims), bool)
    lo, hi = np.minimum(i, j), np.maximum(i, j)
    hit[hi[bad & (lo < m) & (hi >= m)] - m] = True
    for clear, _ in wall_clearances(b, design.build):
        hit |= clear < gap - TOLERANCE
    pairs = [(p - m, q - m) for p, q in zip(lo[bad & (lo >= m)], hi[bad & (lo >= m)])]
    return hit, pairs


def _lp(cost: np.ndarray, rows: list[LinearConstraint], bounds: Bounds):
    """The linear relaxation (HiGHS)."""
    return milp(cost, constraints=rows, integrality=np.zeros(len(cost)), bounds=bounds,
                options={"time_limit": 120.0})


def _pp(v: np.ndarray) -> float:
    return float(v.max() - v.min())


def _pair_exchange(a: np.ndarray, g: np.ndarray, groups: list[np.ndarray], clash: list[tuple[int, int]], x: np.ndarray,
                   max_magnets: int | None, sweeps: int) -> np.ndarray:
    """Local search over pairs of slots: the best pair of options (each empty or any candidate)
    with all other slots fixed, for every pair of slots, until a sweep changes nothing."""
    clashing = {(p, q) for p, q in clash} | {(q, p) for p, q in clash}
    cols = [np.column_stack([np.zeros(len(g))] + [a[:, k] for k in m]) for m in groups]
    opts = [np.concatenate([[-1], m]) for m in groups]
    cur = [int(np.flatnonzero(np.concatenate([[0.0], x[m]]) > 0.5)[0]) if x[m].max() > 0.5 else 0 for m in groups]
    s = g + a @ x
    placed = {int(k) for k in np.flatnonzero(x > 0.5)}
    for _ in range(sweeps):
        changed = False
        for i in range(len(groups)):
            for j in range(i + 1, len(groups)):
                base = s - cols[i][:, cur[i]] - cols[j][:, cur[j]]
                v = base[:, None, None] + cols[i][:, :, None] + cols[j][:, None, :]
                pp = v.max(axis=0) - v.min(axis=0)
                for (p, q) in clashing:  # forbid clashing combinations
                    wi, wj = np.flatnonzero(opts[i] == p), np.flatnonzero(opts[j] == q)
                    if len(wi) and len(wj):
                        pp[wi[0], wj[0]] = np.inf
                    if len(wi) and q in placed and q not in (opts[i][cur[i]], opts[j][cur[j]]):
                        pp[wi[0], :] = np.inf  # would clash with a magnet in another slot
                    if len(wj) and p in placed and p not in (opts[i][cur[i]], opts[j][cur[j]]):
                        pp[:, wj[0]] = np.inf
                if max_magnets is not None:
                    others = sum(1 for k, c in enumerate(cur) if c > 0 and k not in (i, j))
                    count = (np.arange(pp.shape[0]) > 0)[:, None].astype(int) + (np.arange(pp.shape[1]) > 0)[None, :]
                    pp[others + count > max_magnets] = np.inf
                bi, bj = np.unravel_index(np.argmin(pp), pp.shape)
                if pp[bi, bj] < pp[cur[i], cur[j]] - 1e-9:
                    placed.difference_update({opts[i][cur[i]], opts[j][cur[j]]})
                    cur[i], cur[j] = int(bi), int(bj)
                    placed.update({opts[i][bi], opts[j][bj]} - {-1})
                    s = base + cols[i][:, bi] + cols[j][:, bj]
                    changed = True
        if not changed:
            break
    out = np.zeros_like(x)
    for m, o, c in zip(groups, opts, cur):
        if c > 0:
            out[o[c]] = 1.0
    return out


def _round(x: np.ndarray, groups: list[np.ndarray], clash: list[tuple[int, int]]) -> np.ndarray:
    """The largest relaxed choice per slot if >= 0.5, skipping clashes with earlier picks."""
    out = np.zeros_like(x)
    for members in sorted(groups, key=lambda m: -x[m].max()):
        k = members[np.argmax(x[members])]
        if x[k] >= 0.5 and not any(out[q] for p, q in clash if p == k) and not any(out[p] for p, q in clash if q == k):
            out[k] = 1.0
    return out


def _exchange(a: np.ndarray, g: np.ndarray, groups: list[np.ndarray], clash: list[tuple[int, int]], x: np.ndarray,
              max_magnets: int | None, sweeps: int = 20) -> np.ndarray:
    """Local search: for each slot in turn, the best option (empty or any candidate) with the
    others fixed, until a sweep changes nothing."""
    x = x.copy()
    s = g + a @ x
    partners: dict[int, set[int]] = {}
    for p, q in clash:
        partners.setdefault(p, set()).add(q)
        partners.setdefault(q, set()).add(p)
    for _ in range(sweeps):
        changed = False
        for members in groups:
            now = members[x[members] > 0.5]
            base = s - (a[:, now[0]] if len(now) else 0.0)
            best, best_k = _pp(s), (now[0] if len(now) else -1)
            options = [-1] + [k for k in members if not any(x[q] > 0.5 for q in partners.get(k, ()))]
            for k in options:
                if k >= 0 and max_magnets is not None and not len(now) and x.sum() >= max_magnets:
                    continue
                v = _pp(base + (a[:, k] if k >= 0 else 0.0))
                if v < best - 1e-9:
                    best, best_k = v, k
            if best_k != (now[0] if len(now) else -1):
                x[members] = 0.0
                if best_k >= 0:
                    x[best_k] = 1.0
                s = base + (a[:, best_k] if best_k >= 0 else 0.0)
                changed = True
        if not changed:
            break
    return x
