"""Linear deconvolution with Tikhonov regularisation, the weight chosen by generalised
cross-validation (GCV).

Minimises |K n - s|^2 + alpha |L n|^2 (Tikhonov; L the identity or a difference operator). The
weight is the minimiser of GCV(alpha) = m |(I - A) s|^2 / trace(I - A)^2, A = K (K^T K +
alpha L^T L)^-1 K^T the influence matrix (Golub, Heath & Wahba, Technometrics 21, 215 (1979)),
which needs no knowledge of the noise level. The L-curve (Hansen, SIAM Rev. 34, 561 (1992)) is
the other common choice; GCV is used because it is defined for any number of data points.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def difference_operator(n: int, order: int = 1) -> np.ndarray:
    """(n - order) x n finite-difference matrix (order 0: the identity)."""
    lmat = np.eye(n)
    for _ in range(order):
        lmat = lmat[1:] - lmat[:-1]
    return lmat


@dataclass
class TikhonovResult:
    solution: np.ndarray
    alpha: float
    residual_rms: float
    #: (alpha, GCV) over the searched grid, for plots.
    gcv_curve: tuple[np.ndarray, np.ndarray]


def tikhonov(k: np.ndarray, s: np.ndarray, lmat: np.ndarray, alpha: float) -> np.ndarray:
    """The Tikhonov solution for one weight (normal equations; the problems here are small)."""
    return np.linalg.solve(k.T @ k + alpha * (lmat.T @ lmat), k.T @ s)


def tikhonov_gcv(k: np.ndarray, s: np.ndarray, lmat: np.ndarray | None = None, alpha: float | None = None,
                 grid: int = 60) -> TikhonovResult:
    """Tikhonov solution of K n = s; ``alpha`` None: chosen by GCV over ``grid`` values spanning
    1e-8..1e2 of ||K||_F^2 / n (scale-free)."""
    from scipy.linalg import eigh

    k, s = np.asarray(k, float), np.asarray(s, float)
    if k.ndim != 2 or k.shape[0] != s.size:
        raise ValueError(f"kernel matrix {k.shape} does not match {s.size} data points")
    lmat = difference_operator(k.shape[1], 1) if lmat is None else np.asarray(lmat, float)
    ktk, ltl, kts = k.T @ k, lmat.T @ lmat, k.T @ s
    scale = float(np.sum(k * k)) / k.shape[1]
    alphas = scale * np.logspace(-8, 2, grid)
    # One generalised eigendecomposition K^T K v = lam (L^T L + eps) v (V^T N V = 1) makes every
    # weight cheap: (K^T K + a N)^-1 = V (lam + a)^-1 V^T, trace of the influence = sum lam/(lam + a).
    eps = 1e-12 * max(float(np.trace(ltl)), 1e-300) / ltl.shape[0]
    lam, v = eigh(ktk, ltl + eps * np.eye(ltl.shape[0]))
    lam = np.clip(lam, 0.0, None)
    kv, b = k @ v, v.T @ kts
    m = s.size
    scores = np.empty(alphas.size)
    for i, a in enumerate(alphas):
        resid = s - kv @ (b / (lam + a))
        scores[i] = m * float(resid @ resid) / max(float(m - np.sum(lam / (lam + a))), 1e-12) ** 2
    if alpha is None:
        alpha = float(alphas[int(np.argmin(scores))])
    n = np.linalg.solve(ktk + alpha * ltl, kts)
    resid = k @ n - s
    return TikhonovResult(n, alpha, float(np.sqrt(np.mean(resid**2))), (alphas, scores))


__all__ = ["difference_operator", "tikhonov", "tikhonov_gcv", "TikhonovResult"]
