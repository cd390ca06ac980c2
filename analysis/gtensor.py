"""Principal g-values from powder spectra and from single-crystal rotations.

Powder: the closed-form distribution of x = g_eff^2 = sum a_i l_i^2 over random directions
(a_i = g_i^2 sorted, the elliptic-integral result of Bloembergen and Rowland, Acta Metall. 1,
731 (1953), known from NMR shielding powder patterns):
    a1 < x < a2:  p(x) = K(m) / (pi sqrt((a3 - x)(a2 - a1))),  m = (x - a1)(a3 - a2) / ((a3 - x)(a2 - a1))
    a2 < x < a3:  p(x) = K(m) / (pi sqrt((x - a1)(a3 - a2))),  m = (a2 - a1)(a3 - x) / ((x - a1)(a3 - a2))
(K the complete elliptic integral of the first kind, parameter m). Mapped to field with
B = h f / (muB sqrt(x)), cell-averaged on a fine grid (the middle singularity is integrable),
then convolved with a derivative pseudo-Voigt line (or its field-modulated form).
Orientation dependence of the transition probability is neglected (a percent-level smooth
weight for g anisotropy of a few percent; it barely moves the turning points).

Single crystal: g_eff^2(n) = n^T (g g^T) n for the B0 direction n in the crystal frame; a
rotation about one axis gives g^2(theta) = A + B cos 2theta + C sin 2theta; three or more
planes give the full tensor (Schonland, Proc. Phys. Soc. 73, 788 (1959)) by linear least
squares, whose eigenvalues are the squared principal g-values.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from analysis.constants import H, MU_B
from analysis.line_profiles import _THETA, d_pseudo_voigt, pseudo_voigt, tch_width
from analysis.uncertainty import covariance, propagate, residual_scaled_errors


def powder_density_x(x: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Probability density of x = sum a_i l_i^2 for a random unit vector l (a sorted)."""
    from scipy.special import ellipk
    a1, a2, a3 = a
    a2 = min(max(a2, a1 + 1e-12), a3 - 1e-12)  # axial limits stay finite
    x = np.asarray(x, float)
    out = np.zeros_like(x)
    lo = (x > a1) & (x < a2)
    hi = (x >= a2) & (x < a3)
    xl = x[lo]
    m = (xl - a1) * (a3 - a2) / ((a3 - xl) * (a2 - a1))
    out[lo] = ellipk(np.clip(m, 0, 1 - 1e-16)) / (np.pi * np.sqrt((a3 - xl) * (a2 - a1)))
    xh = x[hi]
    m = (a2 - a1) * (a3 - xh) / ((xh - a1) * (a3 - a2))
    out[hi] = ellipk(np.clip(m, 0, 1 - 1e-16)) / (np.pi * np.sqrt((xh - a1) * (a3 - a2)))
    return out


def powder_nodes(frequency: float, g: np.ndarray, n: int = 1500) -> tuple[np.ndarray, np.ndarray]:
    """Resonance fields and probability weights of a quadrature over x = g_eff^2.

    Each interval [a1, a2], [a2, a3] is mapped from s in [0, 1] so that dx/ds vanishes at the
    middle singularity (x = a2 - (a2 - a1)(1 - s)^2, x = a2 + (a3 - a2) s^2): the integrand
    p(x) dx/ds is bounded and the nodes move smoothly with the g-values."""
    a1, a2, a3 = np.sort(np.asarray(g, float) ** 2)
    s = (np.arange(n) + 0.5) / n
    x_lo = a2 - (a2 - a1) * (1 - s) ** 2
    w_lo = 2 * (a2 - a1) * (1 - s) / n
    x_hi = a2 + (a3 - a2) * s**2
    w_hi = 2 * (a3 - a2) * s / n
    x = np.r_[x_lo, x_hi]
    w = np.r_[w_lo, w_hi] * powder_density_x(x, np.array([a1, a2, a3]))
    return H * frequency / (MU_B * np.sqrt(x)), w


def deposit(b_nodes: np.ndarray, weights: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Density per T on the cells between ``edges`` by linear (cloud-in-cell) deposition, which
    is continuous in the node positions (a histogram would make the model jump)."""
    step = edges[1] - edges[0]
    ncell = len(edges) - 1
    pos = (b_nodes - edges[0]) / step - 0.5
    i0 = np.floor(pos).astype(int)
    frac = pos - i0
    ok = (i0 >= 0) & (i0 + 1 < ncell)
    out = np.bincount(i0[ok], weights=weights[ok] * (1 - frac[ok]), minlength=ncell)
    out += np.bincount(i0[ok] + 1, weights=weights[ok] * frac[ok], minlength=ncell)
    return out[:ncell] / step


def powder_grid(b: np.ndarray, frequency: float, g: np.ndarray, width: float, bm: float = 0.0) -> np.ndarray:
    """Cell edges of the model grid. Keep one grid for a whole fit: a grid that moved with the
    parameters would make the model jump and spoil the finite-difference Jacobian."""
    c = H * frequency / MU_B
    step = max(width / 15, 1e-8)
    lo = min(b.min(), c / np.max(g)) - 25 * width - bm
    hi = max(b.max(), c / np.min(g)) + 25 * width + bm
    n = int(np.ceil((hi - lo) / step)) + 1
    if n > 200_000:
        raise ValueError(f"powder model grid too fine ({n} cells): linewidth {width:.3g} T over {hi - lo:.3g} T")
    return lo + step * np.arange(n + 1)


def powder_signal(b: np.ndarray, frequency: float, g: np.ndarray, fwhm_l: float, fwhm_g: float, area: float,
                  offset: float, bm: float = 0.0, edges: np.ndarray | None = None) -> np.ndarray:
    """First-derivative (or first-harmonic / Bm) powder spectrum at fields ``b``."""
    g = np.asarray(g, float)
    if edges is None:
        edges = powder_grid(b, frequency, g, max(tch_width(fwhm_l, fwhm_g)[0], 1e-9), bm)
    step = edges[1] - edges[0]
    dens = deposit(*powder_nodes(frequency, g, max(1500, 2 * len(edges))), edges)
    half = min((len(edges) - 2) // 2, int(np.ceil(25 * max(tch_width(fwhm_l, fwhm_g)[0], step) / step)))
    off = step * np.arange(-half, half + 1)
    if bm > 0:
        grid = off[:, None] + bm * np.cos(_THETA)[None, :]
        kernel = 2.0 * np.mean(pseudo_voigt(grid, 0.0, fwhm_l, fwhm_g) * np.cos(_THETA), axis=1) / bm
    else:
        kernel = d_pseudo_voigt(off, 0.0, fwhm_l, fwhm_g)
    spec = np.convolve(dens * step, kernel, mode="same")
    centres = 0.5 * (edges[1:] + edges[:-1])
    return area * np.interp(b, centres, spec) + offset


@dataclass
class PowderFit:
    g: np.ndarray  # sorted descending (low-field edge first)
    g_errors: np.ndarray
    fwhm_lorentz: float
    fwhm_gauss: float
    area: float
    offset: float
    residual_rms: float
    errors: dict[str, float] = field(default_factory=dict)
    curve: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0))


def powder_start(b: np.ndarray, y: np.ndarray, frequency: float) -> tuple[np.ndarray, float]:
    """g-values from the spectrum's landmarks: the first clear positive peak from low field (the
    low-field edge, largest g), the last clear negative peak (high-field edge, smallest g) and the
    maximum of the integrated absorption (middle g); a width from the edge peaks."""
    order = np.argsort(b)
    b, y = b[order], y[order]
    y = y - np.median(np.r_[y[:10], y[-10:]])
    thr = 0.1 * np.max(np.abs(y))
    i = int(np.argmax(y > thr))
    while i + 1 < len(y) and y[i + 1] >= y[i]:
        i += 1
    j = len(y) - 1 - int(np.argmax(y[::-1] < -thr))
    while j > 0 and y[j - 1] <= y[j]:
        j -= 1
    c = H * frequency / MU_B
    b_mid = b[np.argmax(np.cumsum(y))]
    # The derivative peak of a broadened step sits about a half width past the edge.
    k = i
    while k > 0 and y[k - 1] > 0.5 * y[i]:
        k -= 1
    width = max(2 * (b[i] - b[k]), 2 * np.median(np.diff(b)))
    return np.array([c / (b[i] - width / 4), c / b_mid, c / (b[j] + width / 4)]), width


def fit_powder(b: np.ndarray, y: np.ndarray, frequency: float, *, bm: float = 0.0,
               g0: np.ndarray | None = None, fwhm0: float | None = None) -> PowderFit:
    """Fit three principal g-values, Lorentzian and Gaussian widths, area and offset."""
    from scipy.optimize import least_squares
    b, y = np.asarray(b, float), np.asarray(y, float)
    if len(b) < 20:
        raise ValueError(f"a powder fit needs at least 20 points, got {len(b)}")
    gs, w = powder_start(b, y, frequency)
    g0 = gs if g0 is None else np.asarray(g0, float)
    w = fwhm0 if fwhm0 is not None else w
    gref = float(np.mean(g0))
    yscale = float(np.ptp(y)) or 1.0
    best = None
    for _ in range(2):  # a second pass on a grid matched to the fitted width
        edges = powder_grid(b, frequency, g0, w, bm)
        p0 = np.r_[(g0 - gref) * 1e3, w * 0.5e3, w * 0.5e3] if best is None else best.x[:5]
        basis = powder_signal(b, frequency, gref + p0[:3] * 1e-3, p0[3] * 1e-3, p0[4] * 1e-3, 1.0, 0.0, bm, edges)
        lin = np.linalg.lstsq(np.column_stack([basis, np.ones_like(b)]), y, rcond=None)[0]
        p0 = np.r_[p0, lin]

        def resid(p: np.ndarray) -> np.ndarray:  # in units of the data's range: tolerances stay meaningful
            return (powder_signal(b, frequency, gref + p[:3] * 1e-3, abs(p[3]) * 1e-3, abs(p[4]) * 1e-3,
                                  p[5], p[6], bm, edges) - y) / yscale

        best = least_squares(resid, p0, x_scale="jac", max_nfev=800)
        g0 = gref + best.x[:3] * 1e-3
        w_new = tch_width(abs(best.x[3]) * 1e-3, abs(best.x[4]) * 1e-3)[0]
        if 0.7 < w_new / w < 1.4:
            break
        w = w_new
    p, r = best.x, best.fun * yscale
    perr = residual_scaled_errors(best)
    g = gref + p[:3] * 1e-3
    ge = perr[:3] * 1e-3
    order = np.argsort(g)[::-1]
    return PowderFit(g=g[order], g_errors=ge[order], fwhm_lorentz=abs(p[3]) * 1e-3, fwhm_gauss=abs(p[4]) * 1e-3,
                     area=p[5], offset=p[6], residual_rms=float(np.sqrt(np.mean(r * r))),
                     errors={"fwhm_lorentz": perr[3] * 1e-3, "fwhm_gauss": perr[4] * 1e-3, "area": perr[5]},
                     curve=r + y)


# --- single crystal ---------------------------------------------------------------------------
#: Goniometer convention (drivers/roles/goniometer.py): B0 along lab z, rotation about lab y.
#: Mount 'a': crystal a along the rotation axis, b along B0 at angle 0 (then c, a cyclically).
MOUNTS = {"a": (0, 1, 2), "b": (1, 2, 0), "c": (2, 0, 1)}


def rotation_directions(theta_deg: np.ndarray, mount: str) -> np.ndarray:
    """Unit B0 directions in the crystal frame (rows) for goniometer angles ``theta_deg``.

    With the sample turned by +theta about lab y, B0 seen from the sample is R_y(-theta) z =
    (-sin theta, 0, cos theta) in mount coordinates (x, y, z); the mount maps crystal axes
    (axis along y, next along z, last along x)."""
    if mount not in MOUNTS:
        raise ValueError(f"unknown mount {mount!r}; use one of {list(MOUNTS)}")
    t = np.deg2rad(np.asarray(theta_deg, float))
    along_y, along_z, along_x = MOUNTS[mount]
    n = np.zeros((len(t), 3))
    n[:, along_x] = -np.sin(t)
    n[:, along_y] = 0.0
    n[:, along_z] = np.cos(t)
    return n


@dataclass
class PlaneFit:
    g_max: float
    g_min: float
    theta_max: float  # degrees
    coefficients: np.ndarray  # A, B, C of g^2 = A + B cos 2t + C sin 2t
    errors: dict[str, float]


#: Goniometer angles closer than this (deg, modulo 180) count as the same orientation of g^2.
ANGLE_TOLERANCE = 1e-3


def distinct_orientations(theta_deg: np.ndarray, tol: float = ANGLE_TOLERANCE) -> int:
    """How many of the angles differ modulo 180 deg (g^2 repeats every 180 deg). Wraps the circle:
    a read-back 179.99999999999662 deg is the same orientation as 0 deg."""
    v = np.sort(np.mod(np.asarray(theta_deg, float), 180.0))
    if len(v) == 0:
        return 0
    gaps = np.r_[np.diff(v), v[0] + 180.0 - v[-1]]
    return max(1, int(np.sum(gaps > tol)))


def fit_rotation_plane(theta_deg: np.ndarray, g_eff: np.ndarray, g_err: np.ndarray | None = None) -> PlaneFit:
    """g^2 = A + B cos 2theta + C sin 2theta by weighted linear least squares; ValueError when the
    angles cannot determine the three coefficients or the result is not a g^2 pattern."""
    t = np.deg2rad(np.asarray(theta_deg, float))
    g_eff = np.asarray(g_eff, float)
    n = distinct_orientations(theta_deg)
    if n < 3:
        raise ValueError(f"a rotation-plane fit needs at least three angles distinct modulo 180 degrees, got {n} "
                         f"({', '.join(f'{a:.6g}' for a in np.asarray(theta_deg, float))} deg)")
    sig = 2 * g_eff * (np.ones_like(g_eff) if g_err is None else np.asarray(g_err, float))
    design = np.column_stack([np.ones_like(t), np.cos(2 * t), np.sin(2 * t)]) / sig[:, None]
    coef, *_ = np.linalg.lstsq(design, g_eff**2 / sig, rcond=None)
    cov = covariance(design, g_eff**2 / sig - design @ coef, known_errors=g_err is not None)
    a, bc, cc = coef
    amp = np.hypot(bc, cc)
    if not a - amp > 0:
        raise ValueError(f"the rotation pattern is not a g^2 curve (A = {a:.4g}, amplitude {amp:.4g}: minimum "
                         f"g^2 <= 0); the line positions are inconsistent")
    gmax, gmin = np.sqrt(a + amp), np.sqrt(a - amp)
    # First-order errors of a +- amp.
    grad_amp = np.array([0.0, bc / amp, cc / amp]) if amp > 0 else np.zeros(3)
    unit_a = np.array([1.0, 0.0, 0.0])
    e_max = propagate(cov, unit_a + grad_amp) / (2 * gmax)
    e_min = propagate(cov, unit_a - grad_amp) / (2 * gmin)
    return PlaneFit(gmax, gmin, float(np.rad2deg(0.5 * np.arctan2(cc, bc))), coef,
                    {"g_max": float(e_max), "g_min": float(e_min)})


@dataclass
class TensorFit:
    principal: np.ndarray  # g-values, descending
    errors: np.ndarray
    axes: np.ndarray  # columns: principal directions in the crystal frame
    tensor_g2: np.ndarray


def fit_g_tensor(directions: np.ndarray, g_eff: np.ndarray, g_err: np.ndarray | None = None) -> TensorFit:
    """Full g^2 tensor from g_eff along many B0 directions (crystal frame), by linear least squares."""
    n = np.asarray(directions, float)
    g_eff = np.asarray(g_eff, float)
    if len(g_eff) < 6:
        raise ValueError(f"the g-tensor has 6 components; need at least 6 orientations, got {len(g_eff)}")
    sig = 2 * g_eff * (np.ones_like(g_eff) if g_err is None else np.asarray(g_err, float))
    x, y, z = n.T
    design = np.column_stack([x * x, y * y, z * z, 2 * x * y, 2 * x * z, 2 * y * z]) / sig[:, None]
    coef, *_ = np.linalg.lstsq(design, g_eff**2 / sig, rcond=None)
    if np.linalg.matrix_rank(design) < 6:
        raise ValueError("the orientations do not determine the tensor (use three non-coplanar rotation planes)")
    cov = covariance(design, g_eff**2 / sig - design @ coef, known_errors=g_err is not None)
    xx, yy, zz, xy, xz, yz = coef
    t = np.array([[xx, xy, xz], [xy, yy, yz], [xz, yz, zz]])
    vals, vecs = np.linalg.eigh(t)
    order = np.argsort(vals)[::-1]
    vals, vecs = vals[order], vecs[:, order]
    errs = []
    for k in range(3):
        v = vecs[:, k]
        w = np.array([v[0] ** 2, v[1] ** 2, v[2] ** 2, 2 * v[0] * v[1], 2 * v[0] * v[2], 2 * v[1] * v[2]])
        errs.append(propagate(cov, w) / (2 * np.sqrt(max(vals[k], 1e-30))))
    return TensorFit(np.sqrt(np.clip(vals, 0, None)), np.array(errs), vecs, t)
