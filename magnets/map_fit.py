"""What a measured field map says about the built magnet: fit the design's errors to it.

Unknowns, per *unit* (the whole magnet, each ring/shim group, or each magnet): the relative
remanence error and the in-plane magnetisation angle error (rotation about z), plus the map's
registration (where the probe's origin sits in the magnet: a shift, 3 numbers). The field is
linear in remanence and nearly linear in small angles and shifts, so this is a Gauss-Newton
least-squares fit (3 iterations) with Gaussian priors (Tikhonov regularisation): weak for the
few-unit fits, ``prior_br``/``prior_angle`` for per-magnet fits, which are otherwise
underdetermined (many magnets, one map). Uncertainties come from the posterior covariance with
the noise estimated from the residual. A magnitude-only map is fitted through b_hat . dB.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from magnets.design import MagnetArray
from magnets.field import field
from magnets.tolerance import Errors, apply_errors

MODES = ("global", "ring", "magnet")


@dataclass(frozen=True)
class MapFit:
    mode: str
    units: list[str]
    br: np.ndarray  # relative remanence error per unit
    angle: np.ndarray  # rad per unit
    br_sigma: np.ndarray
    angle_sigma: np.ndarray
    shift: np.ndarray  # (3,) m: the magnet relative to the map's origin
    shift_sigma: np.ndarray
    rms_before: float  # T, measured - design
    rms_after: float  # T, measured - fitted model
    n_values: int
    errors: Errors  # per magnet, for apply_errors

    def built(self, arr: MagnetArray) -> MagnetArray:
        """The design as the map says it was built."""
        return apply_errors(arr, self.errors)

    def text(self, rows: int = 12) -> str:
        out = [f"fit of the design to the map ({self.mode} errors, {self.n_values} values): residual "
               f"{self.rms_before * 1e6:.4g} uT rms -> {self.rms_after * 1e6:.4g} uT rms",
               f"  map registration: magnet centre at ({', '.join(f'{v * 1e3:.3f}' for v in self.shift)}) mm "
               f"+- {self.shift_sigma.max() * 1e3:.2g} mm in map coordinates"]
        order = np.argsort(-np.abs(self.br / np.maximum(self.br_sigma, 1e-300)))[:rows] if self.mode == "magnet" \
            else range(len(self.units))
        for k in order:
            out.append(f"  {self.units[k]:18s} B_r {self.br[k] * 100:+.3f} +- {self.br_sigma[k] * 100:.3f} %   "
                       f"angle {np.rad2deg(self.angle[k]):+.3f} +- {np.rad2deg(self.angle_sigma[k]):.3f} deg")
        if self.mode == "magnet" and len(self.units) > rows:
            out.append(f"  ... {len(self.units) - rows} more magnets (largest B_r deviations shown)")
        return "\n".join(out)


def _units(arr: MagnetArray, mode: str) -> tuple[list[str], np.ndarray]:
    if mode == "global":
        return ["all magnets"], np.zeros(len(arr), int)
    if mode == "ring":
        return list(arr.group_names), arr.groups.copy()
    if mode == "magnet":
        return arr.labels(), np.arange(len(arr))
    raise ValueError(f"fit mode {mode!r}; use one of {', '.join(MODES)}")


def _observe(b: np.ndarray, measured_is_vector: bool, unit_vec: np.ndarray) -> np.ndarray:
    return b.ravel() if measured_is_vector else np.einsum("pi,pi->p", b, unit_vec)


def fit_map(arr: MagnetArray, points: np.ndarray, measured: np.ndarray, mode: str = "ring", *,
            engine: str = "exact", fit_shift: bool = True, prior_br: float = 0.02,
            prior_angle: float = np.deg2rad(2.0), iterations: int = 3) -> MapFit:
    """Fit remanence and angle errors (per ``mode`` unit) and the map registration to ``measured``
    ((P, 3) vectors or (P,) magnitudes in T at ``points`` in m, map coordinates)."""
    names, unit_of = _units(arr, mode)
    points = np.asarray(points, float)
    measured = np.asarray(measured, float)
    vector = measured.ndim == 2
    if len(points) != len(measured):
        raise ValueError(f"{len(points)} points but {len(measured)} field values")
    y = measured.ravel() if vector else measured
    n_u = len(names)
    weak = mode != "magnet"
    prior = np.concatenate([np.full(n_u, prior_br * (1e3 if weak else 1)),
                            np.full(n_u, prior_angle * (1e3 if weak else 1)), np.full(3, 0.05)])
    theta = np.zeros(2 * n_u + 3)
    fast = engine if mode != "magnet" else "dipole"  # per-magnet Jacobian columns: the fast engine
    step = 1e-4
    rms_before = None
    for _ in range(iterations):
        errs = _errors(theta, unit_of, n_u, len(arr))
        built = apply_errors(arr, errs)
        model = field(points, built, engine)
        unit_vec = model / np.linalg.norm(model, axis=1)[:, None]
        r = y - (model.ravel() if vector else np.linalg.norm(model, axis=1))
        if rms_before is None:
            rms_before = float(np.sqrt(np.mean((y - (model.ravel() if vector else np.linalg.norm(model, axis=1)))**2)))
        cols = []
        for u in range(n_u):
            part = built.select(unit_of == u)
            cols.append(_observe(field(points, part, fast) / (1 + theta[u]), vector, unit_vec))
        for u in range(n_u):
            sel = unit_of == u
            plus = np.where(sel, step, 0.0)
            d = Errors(np.zeros(len(arr)), plus, np.zeros(len(arr)), np.zeros((len(arr), 3)))
            minus = Errors(d.br, -plus, d.tilt, d.shift)
            part_p, part_m = apply_errors(built, d).select(sel), apply_errors(built, minus).select(sel)
            cols.append(_observe((field(points, part_p, fast) - field(points, part_m, fast)) / (2 * step), vector, unit_vec))
        for k in range(3):
            e = np.zeros(3)
            e[k] = step * 0.01  # 10 nm
            grad = (field(points - e, built, engine) - field(points + e, built, engine)) / (2 * e[k])
            cols.append(_observe(grad, vector, unit_vec) if fit_shift else np.zeros_like(cols[0]))
        jac = np.column_stack(cols)
        res_noise = max(float(np.sqrt(np.mean(r**2))), 1e-12)
        noise = _noise_estimate(jac, r, prior, theta) or res_noise
        a = np.vstack([jac / noise, np.diag(1 / prior)])
        b = np.concatenate([r / noise, -theta / prior])
        delta, *_ = np.linalg.lstsq(a, b, rcond=None)
        theta = theta + delta
        if np.max(np.abs(delta[:2 * n_u])) < 1e-9:
            break
    errs = _errors(theta, unit_of, n_u, len(arr))
    final = field(points, apply_errors(arr, errs), engine)
    r = y - (final.ravel() if vector else np.linalg.norm(final, axis=1))
    rms_after = float(np.sqrt(np.mean(r**2)))
    dof = max(len(y) - (2 * n_u + 3 if weak else 0), 1)
    noise = max(float(np.sqrt(np.sum(r**2) / dof)), 1e-15)
    cov = np.linalg.pinv(jac.T @ jac / noise**2 + np.diag(1 / prior**2))
    sig = np.sqrt(np.diag(cov))
    return MapFit(mode, names, theta[:n_u], theta[n_u:2 * n_u], sig[:n_u], sig[n_u:2 * n_u], theta[-3:],
                  sig[-3:], rms_before, rms_after, len(y), errs)


def _noise_estimate(jac: np.ndarray, r: np.ndarray, prior: np.ndarray, theta: np.ndarray) -> float:
    """Residual rms of an unregularised fit of the well-determined directions (the map's noise)."""
    if jac.shape[0] <= jac.shape[1]:
        return 0.0
    sol, *_ = np.linalg.lstsq(jac, r, rcond=1e-10)
    return float(np.sqrt(np.sum((r - jac @ sol) ** 2) / (jac.shape[0] - jac.shape[1])))


def _errors(theta: np.ndarray, unit_of: np.ndarray, n_u: int, m: int) -> Errors:
    """Per-magnet errors from the unit parameters; the shift moves every magnet."""
    return Errors(theta[:n_u][unit_of], theta[n_u:2 * n_u][unit_of], np.zeros(m), np.tile(theta[-3:], (m, 1)))
