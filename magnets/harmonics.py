"""Spherical-harmonic expansion of a magnet's field (designed or measured).

In the bore every field component is harmonic, so it is a sum of regular solid harmonics:

    B(r, theta, phi) = sum_l sum_m (r / r0)^l P_l^m(cos theta) [A_lm cos m phi + B_lm sin m phi]

with Schmidt semi-normalised associated Legendre functions (no Condon-Shortley phase; each term
then peaks near 1 on the sphere r = r0, so a coefficient reads as "how much field that term
adds at the reference radius"). The ppm table quotes A_lm, B_lm / B0 x 1e6 (B0 = A_00), as
magnet builders do (e.g. Blümler & Soltner, Appl. Magn. Reson. 54 (2023) 1701, and the shim
literature). A map is fitted by linear least squares on its points (on a sphere, a cylinder
or scattered in the volume); the residual says how much the expansion misses (it should reach
the probe's noise when the order is high enough). z (the polar axis) is the bore axis.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import lpmv

from magnets.sampling import homogeneity, sphere_surface

_NAMES = {(1, 0, "c"): "Z", (1, 1, "c"): "X", (1, 1, "s"): "Y", (2, 0, "c"): "Z2", (2, 1, "c"): "ZX",
          (2, 1, "s"): "ZY", (2, 2, "c"): "X2-Y2", (2, 2, "s"): "XY", (3, 0, "c"): "Z3"}


def terms(order: int) -> list[tuple[int, int, str]]:
    """(l, m, 'c'|'s') of every term up to ``order``: (order + 1)^2 of them."""
    return [(l, m, cs) for l in range(order + 1) for m in range(l + 1) for cs in (("c",) if m == 0 else ("c", "s"))]


def term_name(t: tuple[int, int, str]) -> str:
    l, m, cs = t
    return "B0" if l == 0 else _NAMES.get(t, f"l{l} m{m}{'' if m == 0 else cs}")


def basis(points: np.ndarray, order: int, r0: float, centre: np.ndarray | None = None) -> np.ndarray:
    """Design matrix (P, (order+1)^2): every solid harmonic at every point (m)."""
    p = np.asarray(points, float) - (0 if centre is None else np.asarray(centre, float))
    r = np.linalg.norm(p, axis=1)
    ct = np.where(r > 0, p[:, 2] / np.where(r > 0, r, 1), 1.0)
    phi = np.arctan2(p[:, 1], p[:, 0])
    cols = []
    for l, m, cs in terms(order):
        norm = 1.0 if m == 0 else math.sqrt(2 * math.factorial(l - m) / math.factorial(l + m))
        radial = (r / r0) ** l * norm * (-1) ** m * lpmv(m, l, ct)  # (-1)^m removes Condon-Shortley
        cols.append(radial * (np.cos(m * phi) if cs == "c" else np.sin(m * phi)))
    return np.column_stack(cols)


@dataclass(frozen=True)
class Expansion:
    """One scalar field (T) as solid harmonics about ``centre`` at reference radius ``r0``."""

    order: int
    r0: float
    centre: np.ndarray
    coefficients: np.ndarray  # T, in the order of terms(order)
    residual_rms: float  # T, fit residual on the map's points
    residual_max: float
    n_points: int

    def __call__(self, points: np.ndarray) -> np.ndarray:
        return basis(points, self.order, self.r0, self.centre) @ self.coefficients

    @property
    def b0(self) -> float:
        return float(self.coefficients[0])

    def ppm_table(self) -> list[tuple[str, int, int, float]]:
        """(name, l, m, coefficient / B0 in ppm) for every term but B0, largest first."""
        rows = [(term_name(t), t[0], t[1] if t[2] == "c" else -t[1], c / self.b0 * 1e6)
                for t, c in zip(terms(self.order), self.coefficients)][1:]
        return sorted(rows, key=lambda row: -abs(row[3]))

    def table_text(self, rows: int = 12) -> str:
        out = [f"spherical harmonics to order {self.order} at r0 = {self.r0 * 1e3:.4g} mm "
               f"(B0 = {self.b0 * 1e3:.6g} mT; fit residual {self.residual_rms / abs(self.b0) * 1e6:.3g} ppm rms, "
               f"{self.residual_max / abs(self.b0) * 1e6:.3g} ppm max over {self.n_points} points)",
               "    term     l   m      ppm of B0"]
        out += [f"    {name:8s} {l:2d} {m:3d}  {ppm:12.4g}" for name, l, m, ppm in self.ppm_table()[:rows]]
        return "\n".join(out)


def fit_expansion(points: np.ndarray, values: np.ndarray, order: int, r0: float | None = None,
                  centre: np.ndarray | None = None) -> Expansion:
    """Least-squares solid-harmonic fit of scalar ``values`` (T) at ``points`` (m). ``r0``
    defaults to the largest distance of a point from the centre. Needs more points than the
    (order + 1)^2 terms, spread in all directions (refused otherwise)."""
    pts = np.asarray(points, float)
    v = np.asarray(values, float)
    c = np.zeros(3) if centre is None else np.asarray(centre, float)
    n_terms = (order + 1) ** 2
    if order < 0 or int(order) != order:
        raise ValueError(f"harmonic order {order!r} must be a whole number >= 0")
    if len(pts) <= n_terms:
        raise ValueError(f"order {order} has {n_terms} terms but the map has only {len(pts)} points: "
                         f"use order <= {max(0, int(math.isqrt(max(len(pts) - 1, 1))) - 1)} or measure more points")
    r0 = float(r0 if r0 is not None else np.linalg.norm(pts - c, axis=1).max())
    a = basis(pts, order, r0, c)
    coef, *_ = np.linalg.lstsq(a, v, rcond=None)
    sv = np.linalg.svd(a, compute_uv=False)
    if sv[-1] < 1e-9 * sv[0]:
        raise ValueError(f"the map's points cannot separate the {n_terms} terms of order {order} (they do not "
                         f"span the volume: points on one plane or line?); lower the order")
    res = v - a @ coef
    return Expansion(order, r0, c, coef, float(np.sqrt(np.mean(res**2))), float(np.abs(res).max()), len(pts))


@dataclass(frozen=True)
class HarmonicField:
    """A vector field as one expansion per component (a magnitude-only map: one, for |B|)."""

    components: tuple[Expansion, ...]  # (Bx, By, Bz) or (|B|,)

    def __call__(self, points: np.ndarray) -> np.ndarray:
        """(P, 3) vector, or (P,) magnitude for a magnitude-only map."""
        vals = [e(points) for e in self.components]
        return np.column_stack(vals) if len(vals) == 3 else vals[0]

    def magnitude(self, points: np.ndarray) -> np.ndarray:
        v = self(points)
        return np.linalg.norm(v, axis=1) if v.ndim == 2 else np.abs(v)

    @property
    def main(self) -> Expansion:
        """The component along B0 (the one whose table users quote)."""
        if len(self.components) == 1:
            return self.components[0]
        return max(self.components, key=lambda e: abs(e.b0))

    def dsv_ppm(self, dsv: float, n: int = 400) -> float:
        """Peak-to-peak ppm of |B| over the surface of a DSV of diameter ``dsv`` about the centre."""
        return homogeneity_of(self.magnitude(sphere_surface(dsv / 2, n, self.main.centre)))


def homogeneity_of(magnitude: np.ndarray) -> float:
    b = np.asarray(magnitude, float)
    return homogeneity(np.column_stack([b, np.zeros_like(b), np.zeros_like(b)])).ppm_pp


def fit_field(points: np.ndarray, b: np.ndarray, order: int, r0: float | None = None,
              centre: np.ndarray | None = None) -> HarmonicField:
    """Fit every component of a (P, 3) field, or a (P,) magnitude."""
    b = np.asarray(b, float)
    cols = [b[:, k] for k in range(3)] if b.ndim == 2 else [b]
    return HarmonicField(tuple(fit_expansion(points, c, order, r0, centre) for c in cols))


def extrapolation_warning(points: np.ndarray, dsv: float, centre: np.ndarray | None = None) -> str:
    """'' when the map's points reach the DSV's surface, else what is extrapolated."""
    reach = float(np.linalg.norm(np.asarray(points) - (0 if centre is None else centre), axis=1).max())
    if reach < dsv / 2 * (1 - 1e-9):
        return (f"the map reaches {reach * 1e3:.3g} mm from its centre, inside the {dsv * 1e3:.3g} mm DSV's surface: "
                f"the DSV figures are extrapolated (solid harmonics grow as r^l)")
    return ""
