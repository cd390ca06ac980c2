"""Parameter uncertainties of least-squares fits: the one place that turns a fit's Jacobian and
residuals into a covariance, standard errors, and the error of a derived quantity.

At the minimum of sum(r_i^2), with J = dr/dp, the covariance is (J^T J)^-1 times the variance of
one residual (Press et al., *Numerical Recipes*, 3rd ed., sections 15.4-15.5). Which variance
depends on what the residuals are:

- unit weights (no per-point errors known): the noise is estimated from the fit itself,
  s^2 = r.r / (n - p);
- residuals already divided by known 1-sigma errors: the stated errors are kept unless the
  scatter shows they were too small, i.e. the covariance is scaled by max(1, chi^2 / (n - p)).

Every fit in ``analysis`` uses these helpers, so the same data give the same error bars whichever
fit they go through.
"""
from __future__ import annotations

from typing import Any

import numpy as np


def covariance(jac: np.ndarray, resid: np.ndarray, *, known_errors: bool = False) -> np.ndarray:
    """Covariance of the p fitted parameters from the (n, p) Jacobian of the residuals and the
    n residuals at the minimum. ``known_errors``: the residuals are weighted by per-point 1-sigma
    errors (scale by max(1, reduced chi^2)); otherwise by the residual variance. With n <= p the
    residuals carry no noise information: r.r (unit weights) or 1 (known errors). All NaN when
    J^T J is singular (a parameter the data do not determine)."""
    jac = np.asarray(jac, float)
    r = np.asarray(resid).ravel()
    rr = float(np.real(np.vdot(r, r)))
    p = jac.shape[1]
    dof = r.size - p
    if known_errors:
        scale = max(1.0, rr / dof) if dof > 0 else 1.0
    else:
        scale = rr / max(1, dof)
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
