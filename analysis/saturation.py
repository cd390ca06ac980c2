"""Microwave power saturation: S(P) = A sqrt(P) / (1 + P/P_half)^(b/2) (Portis 1953), with
b = 1 for an inhomogeneously and 3 for a homogeneously broadened line."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.uncertainty import covariance, standard_errors


def saturation_curve(p: np.ndarray, a: float, p_half: float, b: float) -> np.ndarray:
    p = np.asarray(p, float)
    return a * np.sqrt(p) / (1 + p / p_half) ** (b / 2)


@dataclass
class SaturationFit:
    a: float
    p_half: float
    b: float
    errors: dict[str, float]
    fit_b: bool


def fit_saturation(power: np.ndarray, signal: np.ndarray, error: np.ndarray | None = None, *,
                   b: float | None = None) -> SaturationFit:
    """Fit A, P_half (and b unless given). Needs powers reaching into saturation to fix P_half."""
    from scipy.optimize import least_squares
    p, s = np.asarray(power, float), np.asarray(signal, float)
    if np.any(p <= 0):
        raise ValueError("saturation fit: powers must be positive")
    n_par = 2 if b is not None else 3
    if len(np.unique(p)) < n_par + 1:
        raise ValueError(f"saturation fit needs at least {n_par + 1} distinct powers, got {len(np.unique(p))}")
    sig = np.full_like(s, np.ptp(s) or 1.0) if error is None else np.where(np.asarray(error) > 0, error,
                                                                            np.nanmax(error))
    low = p <= np.quantile(p, 0.3)
    a0 = float(np.median(s[low] / np.sqrt(p[low])))
    # Start P_half where the measured signal falls 30 % below the linear extrapolation.
    ratio = s / (a0 * np.sqrt(p))
    below = np.flatnonzero(ratio < 0.7)
    ph0 = float(p[below[0]]) if len(below) else float(p.max() * 3)
    x0 = [np.log(abs(a0) or 1.0), np.log(ph0)] + ([] if b is not None else [2.0])

    def model(x: np.ndarray) -> np.ndarray:
        return saturation_curve(p, np.sign(a0) * np.exp(x[0]), np.exp(x[1]), b if b is not None else x[2])

    lb = [-np.inf, -np.inf] + ([] if b is not None else [0.2])
    ub = [np.inf, np.inf] + ([] if b is not None else [6.0])
    sol = least_squares(lambda x: (model(x) - s) / sig, x0, bounds=(lb, ub))
    perr = standard_errors(covariance(sol.jac, sol.fun, known_errors=error is not None))
    a, ph = np.sign(a0) * np.exp(sol.x[0]), np.exp(sol.x[1])
    errors = {"a": abs(a) * perr[0], "p_half": ph * perr[1], "b": perr[2] if b is None else 0.0}
    return SaturationFit(a, ph, sol.x[2] if b is None else b, errors, b is None)
