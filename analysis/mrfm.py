"""Force-detected spectra and 1D MRFM reconstruction (Sidles et al. 1995; Thurber, Harrell & Smith 2003).

The lock-in at the membrane frequency reports a complex amplitude whose phase is fixed by the
protocol and the mode; the spin signal lies along one axis of the X-Y plane, found as the
principal axis of the data. A 1D image is the spin density n(z) convolved with the slice
response: s(B) = sum_j K(B + G z_j - B_res) n_j dz; it is inverted by (non-negative) least squares
with Tikhonov regularisation, the weight given or chosen by generalised cross-validation.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from analysis.uncertainty import covariance, propagate


def principal_projection(z: np.ndarray) -> tuple[np.ndarray, float]:
    """Signed signal along the principal axis of complex data, and that axis' angle (rad).
    The sign is chosen so that the largest excursion is positive."""
    z = np.asarray(z, complex)
    m = np.vstack([z.real, z.imag])
    w, v = np.linalg.eigh(m @ m.T)
    axis = v[:, int(np.argmax(w))]
    s = axis[0] * z.real + axis[1] * z.imag
    if abs(s.min()) > abs(s.max()):
        s, axis = -s, -axis
    return s, math.atan2(axis[1], axis[0])


def quadrature_noise(z: np.ndarray) -> float:
    """Noise per point of the principal-axis signal, from the perpendicular component (which
    carries no spin signal) by its median absolute deviation: unlike point-to-point
    differences it is not inflated by steep line edges."""
    z = np.asarray(z, complex)
    _, angle = principal_projection(z)
    perp = (z * complex(math.cos(angle), -math.sin(angle))).imag
    return float(1.4826 * np.median(np.abs(perp - np.median(perp))))


def line_window_problem(b: np.ndarray, s: np.ndarray, noise: float, min_snr: float = 6.0,
                        edge_fraction: float = 0.25) -> str:
    """Why a force-detected spectrum (sorted by field) shows no line whose centre and width can
    be measured ('' when it does): the largest signal is not clearly above the noise, or the
    signal has not fallen back towards zero (off resonance) at both ends of the window, i.e.
    the line (or the film's slice profile) extends beyond it."""
    b, s = np.asarray(b, float), np.asarray(s, float)
    peak = float(np.max(np.abs(s)))
    snr = peak / noise if noise > 0 else math.inf
    if snr < min_snr:
        return (f"the largest signal, {peak * 1e12:.3g} pm, is only {snr:.1f} x the noise ({noise * 1e12:.2g} pm): "
                f"no line in {b[0] * 1e3:.4f}..{b[-1] * 1e3:.4f} mT")
    ne = max(2, b.size // 10)
    ends = (float(np.mean(s[:ne])), float(np.mean(s[-ne:])))
    limit = edge_fraction * peak + 2 * noise / math.sqrt(ne)
    if max(abs(e) for e in ends) > limit:
        return (f"the line is not contained in the field window: at its ends ({b[0] * 1e3:.4f} and "
                f"{b[-1] * 1e3:.4f} mT) the signal is still {100 * abs(ends[0]) / peak:.0f} % and "
                f"{100 * abs(ends[1]) / peak:.0f} % of the largest ({peak * 1e12:.3g} pm)")
    return ""


def half_maximum(b: np.ndarray, s: np.ndarray, noise: float) -> tuple[float, float, float, float]:
    """(centre, centre error, FWHM, FWHM error) of a peak from its outermost half-maximum
    crossings above the baseline at the window's ends: for shapes no Lorentzian or Gaussian
    describes, such as a film thicker than a slice, whose spectrum is its profile. Errors:
    noise / slope at each crossing."""
    b, s = np.asarray(b, float), np.asarray(s, float)
    ne = max(2, b.size // 10)
    base = float(np.median(np.concatenate([s[:ne], s[-ne:]])))
    level = base + (float(np.max(s)) - base) / 2
    above = np.flatnonzero(s >= level)
    i, j = int(above[0]), int(above[-1])
    if i == 0 or j == b.size - 1:
        raise ValueError("the half maximum is not crossed inside the window")
    crossings, errs = [], []
    for lo, hi in ((i - 1, i), (j, j + 1)):
        slope = (s[hi] - s[lo]) / (b[hi] - b[lo])
        crossings.append(b[lo] + (level - s[lo]) / slope)
        errs.append(noise / abs(slope))
    spread = math.hypot(*errs)
    return 0.5 * (crossings[0] + crossings[1]), 0.5 * spread, crossings[1] - crossings[0], spread


def voigt(x: np.ndarray, sigma: float, hwhm: float) -> np.ndarray:
    """Area-normalised Voigt profile (Gaussian sigma convolved with Lorentzian HWHM)."""
    from scipy.special import wofz
    x = np.asarray(x, float)
    if sigma <= 0:
        return (hwhm / math.pi) / (x * x + hwhm * hwhm)
    zz = (x + 1j * max(hwhm, 1e-15)) / (sigma * math.sqrt(2))
    return np.real(wofz(zz)) / (sigma * math.sqrt(2 * math.pi))


@dataclass
class PeakFit:
    model: str
    center: float
    width: float  # FWHM
    height: float
    offset: float
    errors: dict[str, float]
    residual_rms: float


def _peak(model: str, b: np.ndarray, c: float, fwhm: float, h: float, o: float) -> np.ndarray:
    if model == "lorentzian":
        return h / (1 + (2 * (b - c) / fwhm) ** 2) + o
    return h * np.exp(-4 * math.log(2) * ((b - c) / fwhm) ** 2) + o


def fit_peak(b: np.ndarray, s: np.ndarray) -> PeakFit:
    """Lorentzian and Gaussian peak fits with offset; the better one is returned."""
    from scipy.optimize import least_squares
    b, s = np.asarray(b, float), np.asarray(s, float)
    if b.size < 5:
        raise ValueError(f"need at least 5 points to fit a peak, got {b.size}")
    i = int(np.argmax(s))
    base = float(np.median(s))
    above = b[s >= (s[i] + base) / 2]
    fwhm0 = max(float(above.max() - above.min()), float(np.ptp(b)) / b.size)
    scale = float(np.ptp(s)) or 1.0
    fits = []
    for model in ("lorentzian", "gaussian"):
        def resid(p: np.ndarray, model: str = model) -> np.ndarray:
            return (_peak(model, b, b[i] + p[0] * fwhm0, abs(p[1]) * fwhm0, p[2] * scale, p[3] * scale) - s) / scale

        sol = least_squares(resid, [0.0, 1.0, (s[i] - base) / scale, base / scale], max_nfev=5000)
        cov = covariance(sol.jac, sol.fun)
        p = sol.x
        fits.append(PeakFit(model, b[i] + p[0] * fwhm0, abs(p[1]) * fwhm0, p[2] * scale, p[3] * scale,
                            {"center": math.sqrt(max(cov[0, 0], 0)) * fwhm0,
                             "width": math.sqrt(max(cov[1, 1], 0)) * fwhm0},
                            float(np.sqrt(np.mean(sol.fun**2))) * scale))
    return min(fits, key=lambda f: f.residual_rms)


def zero_crossing(b: np.ndarray, s: np.ndarray) -> tuple[float, float]:
    """Centre of an odd (dispersion-like) signal: root of a polynomial fitted between its
    extrema, a cubic or (where 9 or more points allow it) a quintic, whichever has the lower
    Bayesian information criterion (Schwarz, Ann. Stat. 6, 461 (1978)): between the extrema a
    dispersion line bends beyond a cubic, and that misfit would inflate the residual-scaled
    error. Returns (field, standard error: the polynomial's error at the root over its slope)."""
    b, s = np.asarray(b, float), np.asarray(s, float)
    i, j = sorted((int(np.argmax(s)), int(np.argmin(s))))
    if j - i < 3:
        i, j = max(0, i - 2), min(b.size - 1, j + 2)
    bb, ss = b[i:j + 1], s[i:j + 1]
    mid = 0.5 * (bb[0] + bb[-1])
    half = max(0.5 * (bb[-1] - bb[0]), 1e-15)
    x = (bb - mid) / half
    best = None
    for deg in [min(3, bb.size - 2)] + ([5] if bb.size >= 9 else []):
        coef = np.polyfit(x, ss, deg)
        design = np.vander(x, deg + 1)
        r = ss - design @ coef
        bic = bb.size * math.log(max(float(r @ r), 1e-300) / bb.size) + (deg + 1) * math.log(bb.size)
        if best is None or bic < best[0]:
            best = (bic, coef, design, r)
    _, coef, design, r = best
    cov = covariance(design, r)
    roots = [r.real for r in np.roots(coef) if abs(r.imag) < 1e-9 and -1.2 <= r.real <= 1.2]
    if not roots:
        raise ValueError("the signal does not cross zero between its extrema")
    x0 = min(roots, key=abs)
    slope = np.polyval(np.polyder(coef), x0)
    err = propagate(cov, np.vander([x0], len(coef))[0]) / abs(slope) if slope else float("nan")
    return mid + x0 * half, err * half


# --- 1D imaging -----------------------------------------------------------------------------------
def slice_matrix(fields: np.ndarray, z: np.ndarray, b_res: float, gradient: float,
                 kernel) -> np.ndarray:
    """K[i, j] = kernel(B_i + G z_j - B_res) * dz: signal at field B_i per unit density at z_j."""
    dz = float(np.mean(np.diff(z))) if z.size > 1 else 1.0
    offsets = np.asarray(fields, float)[:, None] + gradient * np.asarray(z, float)[None, :] - b_res
    return kernel(offsets) * dz


def gcv_weight(k: np.ndarray, s: np.ndarray, lmat: np.ndarray, grid: int = 60) -> tuple[float, np.ndarray, np.ndarray]:
    """Tikhonov weight alpha minimising generalised cross-validation, GCV(alpha) = m |(I - A) s|^2 /
    trace(I - A)^2 with A = K (K^T K + alpha L^T L)^-1 K^T the influence matrix (Golub, Heath &
    Wahba, Technometrics 21, 215 (1979)): it needs no noise level. Searched over ``grid`` values
    spanning 1e-8..1e2 of ||K||_F^2 / n (scale-free). Returns (alpha, alphas, GCV scores)."""
    from scipy.linalg import eigh
    ktk, ltl = k.T @ k, lmat.T @ lmat
    alphas = float(np.sum(k * k)) / k.shape[1] * np.logspace(-8, 2, grid)
    # One generalised eigendecomposition K^T K v = lam (L^T L + eps) v (V^T N V = 1) makes every
    # weight cheap: (K^T K + a N)^-1 = V (lam + a)^-1 V^T, trace of the influence = sum lam/(lam + a).
    eps = 1e-12 * max(float(np.trace(ltl)), 1e-300) / ltl.shape[0]
    lam, v = eigh(ktk, ltl + eps * np.eye(ltl.shape[0]))
    lam = np.clip(lam, 0.0, None)
    kv, b = k @ v, v.T @ (k.T @ s)
    scores = np.empty(alphas.size)
    for i, a in enumerate(alphas):
        resid = s - kv @ (b / (lam + a))
        scores[i] = s.size * float(resid @ resid) / max(float(s.size - np.sum(lam / (lam + a))), 1e-12) ** 2
    return float(alphas[int(np.argmin(scores))]), alphas, scores


def regularised_solve(k: np.ndarray, signal: np.ndarray, regularisation: float | None = None, smooth: bool = True,
                      nonnegative: bool = True) -> tuple[np.ndarray, float, float]:
    """The Tikhonov solution of K n = s: minimises |K n - s|^2 + alpha |L n|^2 (over n >= 0 when
    ``nonnegative``), L the first difference (``smooth``) or the identity. alpha =
    ``regularisation`` x ||K||_F^2 / n, or chosen by :func:`gcv_weight` when it is None (for the
    linear problem; the non-negative solution then uses the same weight). Returns (n, residual
    rms, alpha)."""
    k, s = np.asarray(k, float), np.asarray(signal, float)
    if k.ndim != 2 or k.shape[0] != s.size:
        raise ValueError(f"kernel matrix {k.shape} does not match {s.size} data points")
    nz = k.shape[1]
    lmat = (np.eye(nz) - np.eye(nz, k=1))[:-1] if smooth else np.eye(nz)
    if regularisation is None:
        alpha = gcv_weight(k, s, lmat)[0]
    else:
        alpha = regularisation * float(np.sum(k * k)) / nz
    if nonnegative:
        from scipy.optimize import nnls
        a = np.vstack([k, math.sqrt(alpha) * lmat])
        n, _ = nnls(a, np.concatenate([s, np.zeros(lmat.shape[0])]), maxiter=50 * nz)
    else:
        n = np.linalg.solve(k.T @ k + alpha * (lmat.T @ lmat), k.T @ s)
    resid = k @ n - s
    return n, float(np.sqrt(np.mean(resid**2))), alpha


def reconstruct(fields: np.ndarray, signal: np.ndarray, z: np.ndarray, b_res: float, gradient: float,
                kernel, regularisation: float | None = 0.05, smooth: bool = True) -> tuple[np.ndarray, float]:
    """Non-negative, Tikhonov-regularised deconvolution of a slice scan (:func:`regularised_solve`
    on the slice matrix; ``regularisation`` None: the weight chosen by GCV). Returns (n,
    residual rms)."""
    n, rms, _ = regularised_solve(slice_matrix(fields, z, b_res, gradient, kernel), signal, regularisation, smooth)
    return n, rms


def depletion_features(z: np.ndarray, n: np.ndarray, edge_margin: float = 0.0) -> dict[str, float]:
    """The two deepest local minima of a reconstructed film profile (ignoring ``edge_margin``
    inside each film edge) and how well they are separated: depletion d = baseline - n;
    ``dip_ratio`` = depletion at the most filled point between them / the smaller depletion
    peak (< 0.5: resolved)."""
    z, n = np.asarray(z, float), np.asarray(n, float)
    inside = n > 0.3 * n.max()
    if inside.sum() < 5:
        return {}
    idx = np.flatnonzero(inside)
    lo, hi = idx[0], idx[-1]
    zi, ni = z[lo:hi + 1], n[lo:hi + 1]
    baseline = float(np.percentile(ni, 75))
    minima = [i for i in range(1, ni.size - 1) if ni[i] <= ni[i - 1] and ni[i] < ni[i + 1]
              and zi[0] + edge_margin <= zi[i] <= zi[-1] - edge_margin]
    if len(minima) < 2:
        return {"baseline": baseline, "minima": float(len(minima))}
    two = sorted(sorted(minima, key=lambda i: ni[i])[:2])
    d1, d2 = baseline - ni[two[0]], baseline - ni[two[1]]
    between = ni[two[0]:two[1] + 1]
    d_mid = baseline - float(between.max())
    return {"baseline": baseline, "z1": float(zi[two[0]]), "z2": float(zi[two[1]]),
            "separation": float(zi[two[1]] - zi[two[0]]), "depth1": float(d1 / baseline),
            "depth2": float(d2 / baseline), "dip_ratio": float(max(d_mid, 0.0) / max(min(d1, d2), 1e-300)),
            "minima": float(len(minima))}
