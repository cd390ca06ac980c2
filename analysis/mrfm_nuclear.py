"""Nuclear MRFM imaging by RF-frequency stepping with cyclic adiabatic inversion (CAI): the slice
kernel, the two-dip fit of a profile and the sensitivity in spins per sqrt(Hz).

Slice: with the RF centre at f and the tip gradient G, spins at z with B0 + G z = 2 pi f / gamma
sit mid-slice; a step df moves the slice by df / (gamma_Hz G). Under CAI (frequency sweep of
peak deviation dev at the sensor frequency; Sidles et al., Rev. Mod. Phys. 67, 249 (1995)) a spin
at static offset d (T) is locked along the effective field and its z-moment follows
(d - A cos th) / sqrt((d - A cos th)^2 + B1^2), A = dev / gamma_Hz; the force at the sensor
frequency is its first Fourier coefficient, convolved with the static NMR line (Gaussian sigma).
For B1 << A it is -(4/pi) sqrt(1 - (d/A)^2) inside the sweep: a slice of full width 2 A / G.
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np

from analysis.mrfm import slice_matrix
from analysis.uncertainty import covariance

_THETA = (np.arange(1024) + 0.5) * 2 * math.pi / 1024

#: Published sensitivity of the GaAs experiment (Thurber, Harrell & Smith, J. Magn. Reson. 162,
#: 336 (2003)): about 4e11 71Ga spins per sqrt(Hz).
PUBLISHED_SENSITIVITY = 4e11


def cai_kernel(sweep: float, b1: float, sigma: float) -> Callable[[np.ndarray], np.ndarray]:
    """Force per spin at the sensor frequency vs static offset d (T), in units of the fully
    inverted moment, for CAI of peak field excursion ``sweep`` and RF field ``b1``."""
    span = sweep + 10 * b1 + 6 * sigma
    step = max(min(b1, sweep, sigma if sigma > 0 else b1) / 20, span / 4000)
    grid = np.arange(-span, span + step / 2, step)
    delta = grid[:, None] - sweep * np.cos(_THETA)
    r1 = 2.0 * np.mean(delta / np.sqrt(delta**2 + b1 * b1) * np.cos(_THETA), axis=1)
    if sigma > step:
        u = np.arange(-int(5 * sigma / step), int(5 * sigma / step) + 1) * step
        g = np.exp(-0.5 * (u / sigma) ** 2)
        r1 = np.convolve(r1, g / g.sum(), mode="same")

    def kernel(d: np.ndarray) -> np.ndarray:
        return np.interp(np.asarray(d, float), grid, r1, left=0.0, right=0.0)

    return kernel


def kernel_fwhm(kernel: Callable[[np.ndarray], np.ndarray], span: float) -> float:
    """Full width at half maximum (T) of |kernel| (searched within +-span)."""
    d = np.linspace(-span, span, 20001)
    k = np.abs(kernel(d))
    above = d[k >= 0.5 * k.max()]
    return float(above[-1] - above[0])


def frequency_slice_matrix(frequencies: np.ndarray, z: np.ndarray, field: float, gamma_hz: float,
                           gradient: float, kernel: Callable) -> np.ndarray:
    """K[i, j]: signal at RF centre f_i per unit density at z_j (offset B0 + G z_j - f_i / gamma_Hz)."""
    return slice_matrix(field - np.asarray(frequencies, float) / gamma_hz, z, 0.0, gradient, kernel)


def two_dip_profile(z: np.ndarray, p: np.ndarray, centre: float, span: float) -> np.ndarray:
    """b0 (1 + b1 (z - centre)/span) (1 - d1 g(z - z1) - d2 g(z - z2)), g Gaussian of sigma w."""
    b0, b1, z1, z2, d1, d2, w = p
    w = abs(w) + 1e-15
    dips = d1 * np.exp(-0.5 * ((z - z1) / w) ** 2) + d2 * np.exp(-0.5 * ((z - z2) / w) ** 2)
    return b0 * (1 + b1 * (z - centre) / span) * (1 - dips)


def fit_two_dips(kmat: np.ndarray, z: np.ndarray, s: np.ndarray, start: tuple[float, float], width: float,
                 window: tuple[float, float]) -> dict[str, float]:
    """Fit the raw signal s = K n(z; p) with the two-dip profile (positions continuous, not
    tied to the slice grid; depths at most 1, no negative polarisation). Returns values and
    standard errors (``<name>_err``), the separation and each dip's deficit depth x width."""
    from scipy.optimize import least_squares

    centre, span = 0.5 * (window[0] + window[1]), max(0.5 * (window[1] - window[0]), 1e-15)
    rows = float(np.median(kmat.sum(axis=1)))
    base = float(np.median(s)) / rows if rows else 1.0
    scale = float(np.max(np.abs(s))) or 1.0
    p0 = np.array([base, 0.0, start[0], start[1], 0.5, 0.5, width])
    units = np.array([abs(base) or 1.0, 1.0, width, width, 1.0, 1.0, width])

    def resid(q: np.ndarray) -> np.ndarray:
        return (kmat @ two_dip_profile(z, q * units, centre, span) - s) / scale

    lo = np.array([-np.inf, -1.0, window[0], window[0], -0.5, -0.5, width / 20]) / units
    hi = np.array([np.inf, 1.0, window[1], window[1], 1.0, 1.0, 4 * width]) / units
    q0 = np.clip(p0 / units, lo + 1e-9, hi - 1e-9)
    sol = least_squares(resid, q0, bounds=(lo, hi), x_scale="jac", max_nfev=4000)
    cov = covariance(sol.jac, sol.fun) * np.outer(units, units)
    p = sol.x * units
    err = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    if p[2] > p[3]:  # order the dips along z
        p[[2, 3, 4, 5]] = p[[3, 2, 5, 4]]
        err[[2, 3, 4, 5]] = err[[3, 2, 5, 4]]
        cov[[2, 3]] = cov[[3, 2]]
        cov[:, [2, 3]] = cov[:, [3, 2]]
    sep_err = math.sqrt(max(cov[2, 2] + cov[3, 3] - 2 * cov[2, 3], 0.0))
    names = ("baseline", "slope", "z1", "z2", "depth1", "depth2", "dip_sigma")
    out = {n: float(v) for n, v in zip(names, p)}
    out.update({f"{n}_err": float(e) for n, e in zip(names, err)})
    out["dip_sigma"] = abs(out["dip_sigma"])
    out["separation"], out["separation_err"] = out["z2"] - out["z1"], sep_err
    # Depth and width trade off when the dips are narrower than a slice; their product (the
    # missing polarisation x length, m) is what the data fix.
    w = out["dip_sigma"] * math.sqrt(2 * math.pi)
    for k, (i, j) in enumerate(((4, 6), (5, 6)), start=1):
        grad = np.zeros(7)
        grad[i], grad[j] = w, p[i] * math.sqrt(2 * math.pi) * math.copysign(1.0, p[j])
        out[f"deficit{k}"] = float(p[i] * w)
        out[f"deficit{k}_err"] = float(math.sqrt(max(grad @ cov @ grad, 0.0)))
    out["residual_rms"] = float(np.sqrt(np.mean(sol.fun**2))) * scale
    return out


def spins_per_sqrt_hz(noise_per_point: float, average: float, baseline: float, kernel_peak: float,
                      density: float, area: float) -> float:
    """Spins giving signal-to-noise 1 in a 1 Hz bandwidth: noise density sigma sqrt(2 T) (an
    average over T has a noise bandwidth 1/(2T)) over the signal of one spin mid-slice,
    |baseline| k_max / (n A) (``baseline`` is the fitted density scale for density n)."""
    per_spin = abs(baseline) * kernel_peak / (density * area)
    return noise_per_point * math.sqrt(2 * average) / per_spin if per_spin > 0 else float("inf")


__all__ = ["cai_kernel", "kernel_fwhm", "frequency_slice_matrix", "two_dip_profile", "fit_two_dips",
           "spins_per_sqrt_hz", "PUBLISHED_SENSITIVITY"]
