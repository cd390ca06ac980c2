"""Helpers shared by the least-squares fits."""
from __future__ import annotations

from typing import Any

import numpy as np


def residual_scaled_errors(sol: Any) -> np.ndarray:
    """Standard errors of a ``scipy.optimize.least_squares`` result, the covariance
    (J^T J)^-1 scaled by the residual variance (unit weights: the noise is estimated from the
    fit itself). NaN where J^T J is singular."""
    n = len(sol.x)
    dof = max(1, len(sol.fun) - n)
    try:
        cov = np.linalg.inv(sol.jac.T @ sol.jac) * (sol.fun @ sol.fun) / dof
    except np.linalg.LinAlgError:
        return np.full(n, np.nan)
    return np.sqrt(np.clip(np.diag(cov), 0, np.inf))
