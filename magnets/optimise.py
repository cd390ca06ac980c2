"""Homogenisation: move rings (z, radius) and shim magnets to flatten |B| over a DSV.

The objective is the peak-to-peak ppm of |B| on the DSV surface (Fibonacci points; the extremes
of a harmonic field lie on the surface), computed with the fast dipole engine (or, for a final
polish, the exact one), plus a hard penalty
for any design that breaks the clearance rules (exact solids, :mod:`magnets.clearance`; the result
is always buildable) and, optionally, for missing a target field. Variables are scaled to
[0, 1] inside their bounds. 'local' runs bounded Nelder-Mead; 'global' runs scipy's
differential evolution and polishes with Nelder-Mead; 'auto' tries local first and goes global
only if the local search stalls above the target (p-p ppm is non-smooth and multi-modal, so
gradient methods and single starts often stop early).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Callable, Sequence

import numpy as np

from magnets.design import HalbachDesign, ShimMagnet
from magnets.field import field as field_of
from magnets.sampling import Homogeneity, homogeneity, sphere_surface


@dataclass(frozen=True)
class Progress:
    """What a progress callback receives after each optimiser iteration."""

    stage: str  # 'local', 'global' or 'polish'
    iteration: int
    evaluations: int
    best_ppm: float  # best objective so far (p-p ppm plus any penalties)
    max_evaluations: int


@dataclass
class Variable:
    """One scalar design variable: what it moves, and its bounds (SI)."""

    name: str
    low: float
    high: float
    start: float


@dataclass
class OptimisationResult:
    design: HalbachDesign
    before: Homogeneity
    after: Homogeneity
    dsv: float
    variables: list[Variable]
    values: np.ndarray
    evaluations: int
    stages: list[str]
    history: list[tuple[int, float]] = field(default_factory=list)  # (evaluations, best objective)
    target_ppm: float | None = None
    stopped: bool = False
    #: (evaluations, p-p ppm of the best design so far): the objective without its penalties
    ppm_history: list[tuple[int, float]] = field(default_factory=list)
    engine: str = "dipole"
    n_points: int = 300
    target_field: float | None = None
    field_penalty: float = 0.0  # ppm the best design pays in the objective for missing target_field

    @property
    def objective_label(self) -> str:
        return f"{self.engine} model, {self.n_points} points on the DSV surface"

    @property
    def improvement(self) -> float:
        """p-p ppm before / after (>1 is better)."""
        return self.before.ppm_pp / self.after.ppm_pp

    @property
    def reached_target(self) -> bool:
        return self.target_ppm is None or self.after.ppm_pp <= self.target_ppm

    def summary(self) -> str:
        lines = [f"homogeneity over {self.dsv * 1e3:.3g} mm DSV ({self.objective_label}): {self.before.ppm_pp:.4g} -> "
                 f"{self.after.ppm_pp:.4g} ppm p-p ({self.improvement:.3g}x), {self.evaluations} evaluations, "
                 f"stages {'+'.join(self.stages)}"
                 + ("" if self.reached_target else f"; target {self.target_ppm:.4g} ppm NOT reached")]
        if self.target_field is not None:
            lines.append(f"  B0 {self.after.mean * 1e3:.5g} mT for target_field {self.target_field * 1e3:.5g} mT: the "
                         f"objective adds the miss ({self.field_penalty:.3g} ppm), trading homogeneity against "
                         f"field")
        if not self.reached_target:
            names = ", ".join(v.name for v in self.variables)
            tips = ["add rings (another mirror pair)"]
            if not any(v.name.endswith(".radius") for v in self.variables):
                tips.append("vary 'radius'")
            if not any(v.name.startswith("shim") for v in self.variables):
                tips.append("add [[shim]] magnets and vary 'shims'")
            if self.target_field is not None:
                tips.append("drop or loosen target_field")
            tips.append("shrink the DSV")
            lines.append(f"  why not: {len(self.variables)} variable(s) ({names}) cannot cancel enough field "
                         f"harmonics (a mirror pair of rings cancels the 2nd order only): {', '.join(tips)}")
        lines += [f"  {v.name} = {x * 1e3:.4f} mm" for v, x in zip(self.variables, self.values)]
        return "\n".join(lines)


class _Stop(Exception):
    pass


def _mirror_pairs(design: HalbachDesign) -> list[tuple[int, ...]]:
    """Group rings into mirror pairs (z, -z) and centre singles; error if not mirror-symmetric."""
    left = set(range(len(design.rings)))
    groups: list[tuple[int, ...]] = []
    for i in sorted(left, key=lambda i: design.rings[i].z):
        if i not in left:
            continue
        a = design.rings[i]
        left.discard(i)
        if abs(a.z) < 1e-12:
            groups.append((i,))
            continue
        mate = next((j for j in sorted(left) if abs(design.rings[j].z + a.z) < 1e-9
                     and abs(design.rings[j].radius - a.radius) < 1e-9 and design.rings[j].n == a.n), None)
        if mate is None:
            raise ValueError(f"ring {i} at z = {a.z * 1e3:.4g} mm has no mirror ring at z = {-a.z * 1e3:.4g} mm "
                             f"with the same radius and count; use symmetric=False or make the stack symmetric")
        left.discard(mate)
        groups.append((i, mate))
    return groups


def _variables(design: HalbachDesign, vary: Sequence[str], symmetric: bool, shim_range: float,
               z_max: float | None, radius_span: float) -> tuple[list[Variable], list[Callable]]:
    allowed = {"z", "radius", "shims"}
    bad = set(vary) - allowed
    if bad:
        raise ValueError(f"cannot vary {sorted(bad)}; choose from {sorted(allowed)}")
    groups = _mirror_pairs(design) if symmetric else [(i,) for i in range(len(design.rings))]
    zmax = z_max or max([abs(r.z) + r.height for r in design.rings] + [r.radius for r in design.rings])
    variables: list[Variable] = []
    setters: list[Callable] = []
    for g in groups:
        ring = design.rings[g[0]]
        if "z" in vary and not (symmetric and len(g) == 1):
            if symmetric:
                lo = ring.height / 2
                variables.append(Variable(f"rings{list(g)}.z_half", lo, max(zmax, lo * 1.01), max(abs(ring.z), lo)))
                # g[0] is the ring below the mid-plane (groups are built in ascending z)
                setters.append(lambda rings, v, g=g: (_set(rings, g[0], z=-v), _set(rings, g[1], z=v)))
            else:
                variables.append(Variable(f"ring{g[0]}.z", -zmax, zmax, ring.z))
                setters.append(lambda rings, v, g=g: _set(rings, g[0], z=v))
        if "radius" in vary:
            lo = ring.min_radius(design.build.min_gap)
            variables.append(Variable(f"rings{list(g)}.radius", lo, max(ring.radius * (1 + radius_span), lo * 1.01),
                                      max(ring.radius, lo)))
            setters.append(lambda rings, v, g=g: [_set(rings, i, radius=v) for i in g])
    if "shims" in vary:
        if not design.shims:
            raise ValueError("vary includes 'shims' but the design has no shim magnets")
        for j, s in enumerate(design.shims):
            for axis in range(3):
                variables.append(Variable(f"shim{j}.{'xyz'[axis]}", s.position[axis] - shim_range,
                                          s.position[axis] + shim_range, s.position[axis]))
                setters.append(("shim", j, axis))
    if not variables:
        raise ValueError(f"nothing to vary with vary={list(vary)} on this design")
    return variables, setters


def _set(rings: list, i: int, **changes: float) -> None:
    rings[i] = replace(rings[i], **changes)


def _apply(design: HalbachDesign, variables: list[Variable], setters: list, x: np.ndarray) -> HalbachDesign:
    rings = list(design.rings)
    shims = [list(s.position) for s in design.shims]
    for s, val in zip(setters, x):
        if isinstance(s, tuple):
            shims[s[1]][s[2]] = val
        else:
            s(rings, val)
    new_shims = [ShimMagnet(tuple(p), s.direction, s.shape, s.material) for p, s in zip(shims, design.shims)]
    return replace(design, rings=rings, shims=new_shims)


def _penalty(design: HalbachDesign) -> float:
    """0 for a buildable design, else 1e7 ppm plus 1e7 per mm of summed clearance violation
    (exact solids, the design's min_gap and walls): a hard wall for the optimiser that still
    points back towards buildable designs."""
    v = design.clearance_violation()
    return 0.0 if v <= 0 else 1e7 * (1.0 + v / 1e-3)


def homogenise(design: HalbachDesign, dsv: float, *, vary: Sequence[str] = ("z",), symmetric: bool = True,
               target_ppm: float | None = None, target_field: float | None = None, method: str = "auto",
               n_points: int = 300, max_evaluations: int = 3000, shim_range: float = 0.005,
               z_max: float | None = None, radius_span: float = 0.5, seed: int = 0, engine: str = "dipole",
               callback: Callable[[Progress], bool | None] | None = None) -> OptimisationResult:
    """Optimise ring z positions / radii (and shim positions) for p-p homogeneity over a DSV of
    diameter ``dsv`` (m). ``callback(progress)`` is called every iteration; returning True stops.
    ``engine='exact'`` evaluates magpylib shapes (about 20x slower): use it for a short local
    polish of a dipole optimum, whose magnets may sit where the dipole model is optimistic."""
    from scipy.optimize import differential_evolution, minimize
    if engine not in ("dipole", "exact"):
        raise ValueError(f"engine {engine!r}; use 'dipole' or 'exact'")
    if method not in ("auto", "local", "global"):
        raise ValueError(f"method {method!r}; use 'auto', 'local' or 'global'")
    problem = design.dsv_problem(dsv)
    if problem:
        raise ValueError(problem)
    unbuildable = design.clearance_problems()
    if unbuildable:
        raise ValueError("the starting design cannot be built: " + "; ".join(unbuildable))
    pts = sphere_surface(dsv / 2, n_points)
    variables, setters = _variables(design, vary, symmetric, shim_range, z_max, radius_span)
    lo = np.array([v.low for v in variables])
    span = np.array([v.high - v.low for v in variables])
    x0 = np.clip((np.array([v.start for v in variables]) - lo) / span, 0, 1)
    state = {"evals": 0, "best": math.inf, "best_x": x0.copy(), "it": 0, "stage": "", "best_pp": math.inf,
             "best_penalty": 0.0}
    history: list[tuple[int, float]] = []
    ppm_history: list[tuple[int, float]] = []

    def objective(u: np.ndarray) -> float:
        if state["evals"] >= max_evaluations:
            raise _Stop
        u = np.clip(u, 0, 1)
        cand = _apply(design, variables, setters, lo + u * span)
        h = homogeneity(field_of(pts, cand, engine))
        penalty = abs(h.mean - target_field) / target_field * 1e6 if target_field is not None else 0.0
        f = h.ppm_pp + _penalty(cand) + penalty
        state["evals"] += 1
        if f < state["best"]:
            state.update(best=f, best_x=u.copy(), best_pp=h.ppm_pp, best_penalty=penalty)
        return f

    def tick(*_args, **_kw) -> bool:
        state["it"] += 1
        history.append((state["evals"], state["best"]))
        ppm_history.append((state["evals"], state["best_pp"]))
        stop = bool(callback(Progress(state["stage"], state["it"], state["evals"], state["best"], max_evaluations))) \
            if callback else False
        if stop or state["evals"] >= max_evaluations:
            raise _Stop
        if target_ppm is not None and state["best"] <= target_ppm:
            raise _Stop
        return False

    stages: list[str] = []
    before = homogeneity(field_of(pts, design, engine))
    objective(x0)
    history.append((state["evals"], state["best"]))
    ppm_history.append((state["evals"], state["best_pp"]))
    stopped = False
    bounds = [(0.0, 1.0)] * len(x0)
    try:
        if method in ("auto", "local"):
            state["stage"] = "local"
            stages.append("local")
            minimize(objective, x0, method="Nelder-Mead", bounds=bounds, callback=tick,
                     options={"maxfev": max_evaluations, "xatol": 1e-7, "fatol": 1e-3, "adaptive": len(x0) > 3})
        stalled = target_ppm is None or state["best"] > target_ppm
        if method == "global" or (method == "auto" and stalled and state["evals"] < max_evaluations):
            state["stage"] = "global"
            stages.append("global")
            de_cb = lambda *a, **k: tick()  # noqa: E731
            # leave about a quarter of the budget for the Nelder-Mead polish
            generations = int(0.75 * (max_evaluations - state["evals"])) // (12 * len(x0)) - 1
            differential_evolution(objective, bounds, seed=seed, popsize=12, tol=1e-8, polish=False,
                                   maxiter=max(1, generations),
                                   x0=state["best_x"], callback=de_cb, init="sobol")
            state["stage"] = "polish"
            stages.append("polish")
            minimize(objective, state["best_x"], method="Nelder-Mead", bounds=bounds, callback=tick,
                     options={"maxfev": max(1, max_evaluations - state["evals"]), "xatol": 1e-8, "fatol": 1e-4})
    except _Stop:
        stopped = callback is not None and (target_ppm is None or state["best"] > target_ppm) \
            and state["evals"] < max_evaluations
    values = lo + np.clip(state["best_x"], 0, 1) * span
    best = _apply(design, variables, setters, values)
    problems = best.clearance_problems()
    if problems:  # cannot happen from a buildable start (infeasible points score >= 1e7 ppm)
        raise ValueError("optimiser could not find a buildable design: " + "; ".join(problems))
    history.append((state["evals"], state["best"]))
    ppm_history.append((state["evals"], state["best_pp"]))
    return OptimisationResult(best, before, homogeneity(field_of(pts, best, engine)), dsv, variables, values,
                              state["evals"], stages, history, target_ppm, stopped, ppm_history, engine, n_points,
                              target_field, state["best_penalty"])
