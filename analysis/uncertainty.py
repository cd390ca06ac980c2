"""Parameter uncertainties of least-squares fits: the one place that turns a fit's Jacobian and
residuals into a covariance, standard errors, and the error of a derived quantity.

At the minimum of sum(r_i^2), with J = dr/dp, the covariance is (J^T J)^-1 times the variance of
one residual (Press et al., *Numerical Recipes*, 3rd ed., sections 15.4-15.5). Which variance
depends on what the residuals are:

- unit weights (no per-point errors known): the noise is estimated from the fit itself,
  s^2 = r.r / (n - p);
- residuals already divided by known 1-sigma errors: the stated errors are kept unless the
  scatter shows they were too small, i.e. the covariance is scaled by max(1, chi^2 / (n - p)).

Correlated noise (a lock-in's output filter correlates samples read closer than a few time
constants): with noise covariance sigma^2 R and a Jacobian smooth over the correlation length, the
covariance is (J^T J)^-1 sigma^2 f with f the variance inflation (``analysis.correlated_noise``),
and the residuals of n points estimate sigma^2 as r.r / (n - p f), because the fit absorbs
tr(H R) = p f of the n noise variances (Priestley, *Spectral Analysis and Time Series*, 1981,
sec. 5.3.2, for the variance of a correlated series).

Every fit in ``analysis`` uses these helpers, so the same data give the same error bars whichever
fit they go through.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np


def correlated_scale(points: int, parameters: int, inflation: float = 1.0) -> float:
    """Factor turning a covariance scaled by r.r / (n - p) (independent points) into the one for
    noise whose correlation inflates variances by ``inflation`` = f: f (n - p) / (n - p f).
    ``inf`` when the n points are worth no more than p independent ones (n / f <= p + 1)."""
    if inflation < 1.0:
        raise ValueError(f"variance inflation {inflation}: correlated noise gives f >= 1")
    if inflation == 1.0:
        return 1.0
    dof_eff = points - parameters * inflation
    if dof_eff < inflation:  # fewer than one effective degree of freedom left
        return math.inf
    return inflation * max(1, points - parameters) / dof_eff


def covariance(jac: np.ndarray, resid: np.ndarray, *, known_errors: bool = False,
               inflation: float = 1.0) -> np.ndarray:
    """Covariance of the p fitted parameters from the (n, p) Jacobian of the residuals and the
    n residuals at the minimum. ``known_errors``: the residuals are weighted by per-point 1-sigma
    errors (scale by max(1, reduced chi^2)); otherwise by the residual variance. With n <= p the
    residuals carry no noise information: r.r (unit weights) or 1 (known errors). All NaN when
    J^T J is singular (a parameter the data do not determine). ``inflation``: the variance
    inflation f of correlated noise (``analysis.correlated_noise.variance_inflation``; 1:
    independent points), applied as :func:`correlated_scale`."""
    jac = np.asarray(jac, float)
    r = np.asarray(resid).ravel()
    rr = float(np.real(np.vdot(r, r)))
    p = jac.shape[1]
    dof = r.size - p
    if known_errors:
        scale = max(1.0, rr / dof) if dof > 0 else 1.0
    else:
        scale = rr / max(1, dof)
    scale *= correlated_scale(r.size, p, inflation)
    try:
        return np.linalg.inv(jac.T @ jac) * scale
    except np.linalg.LinAlgError:
        return np.full((p, p), np.nan)


def standard_errors(cov: np.ndarray) -> np.ndarray:
    """1-sigma errors: square roots of the covariance diagonal (round-off negatives read 0)."""
    return np.sqrt(np.clip(np.diag(cov), 0.0, np.inf))


def residual_scaled_errors(sol: Any) -> np.ndarray:
    """Standard errors of a ``scipy.optimize.least_squares`` result with unit weights (the noise
    is estimated from the fit itself)."""
    return standard_errors(covariance(sol.jac, sol.fun))


def propagate(cov: np.ndarray, grad: np.ndarray) -> np.ndarray | float:
    """1-sigma error of derived quantities to first order: sqrt(g C g^T) for each gradient row
    g = d(quantity)/d(parameters); a 1-D ``grad`` gives one float."""
    g = np.atleast_2d(np.asarray(grad, float))
    err = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", g, cov, g), 0.0, np.inf))
    return float(err[0]) if np.ndim(grad) == 1 else err
