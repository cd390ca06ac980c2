"""Nuclear MRFM imaging by RF-frequency stepping with cyclic adiabatic inversion (CAI): the slice
kernel, the fit of a film with two depleted regions and the sensitivity in spins per sqrt(Hz).

Slice: with the RF centre at f and the tip gradient G, spins at z with B0 + G z = 2 pi f / gamma
sit mid-slice; a step df moves the slice by df / (gamma_Hz G). Under CAI (frequency sweep of
peak deviation dev at the sensor frequency; Sidles et al., Rev. Mod. Phys. 67, 249 (1995)) a spin
at static offset d (T) is locked along the effective field and its z-moment follows
(d - A cos th) / sqrt((d - A cos th)^2 + B1^2), A = dev / gamma_Hz; the force at the sensor
frequency is its first Fourier coefficient, convolved with the static NMR line (Gaussian sigma).
For B1 << A it is -(4/pi) sqrt(1 - (d/A)^2) inside the sweep: a slice of full width 2 A / G.

The profile is fitted against each spin's resonance field b (T), which the RF frequencies fix
without a gradient; a film of known thickness t then calibrates it: G = (b_hi - b_lo) / t from
the fitted edges, and depths are z = b / G.
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np

from analysis.mrfm import slice_matrix
from analysis.uncertainty import covariance, propagate

_THETA = (np.arange(1024) + 0.5) * 2 * math.pi / 1024

#: Published sensitivity of the GaAs experiment (Thurber, Harrell & Smith, J. Magn. Reson. 162,
#: 336 (2003)): about 4e11 71Ga spins per sqrt(Hz).
PUBLISHED_SENSITIVITY = 4e11


def cai_kernel(sweep: float, b1: float, sigma: float) -> Callable[[np.ndarray], np.ndarray]:
    """Force per spin at the sensor frequency vs static offset d (T), in units of the fully
    inverted moment, for CAI of peak field excursion ``sweep`` and RF field ``b1``."""
    span = sweep + 10 * b1 + 6 * sigma
    # The kernel is smooth on the scale of B1 and the sweep; a line narrower than a grid step
    # (B1 / 20) would change it by about (sigma / B1)^2 / 2 < 0.2 % and is left out.
    step = max(min(b1, sweep) / 20, span / 4000)
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


def frequency_slice_matrix(frequencies: np.ndarray, b: np.ndarray, centre: float, gamma_hz: float,
                           kernel: Callable) -> np.ndarray:
    """K[i, j]: signal at RF centre f_i per unit density at local field offset b_j (T, relative
    to centre / gamma_Hz). The spins are placed by their resonance field, not by depth: that needs
    no gradient, which the film's edges measure afterwards (z = b / G)."""
    return slice_matrix((centre - np.asarray(frequencies, float)) / gamma_hz, b, 0.0, 1.0, kernel)


FILM_NAMES = ("baseline", "slope", "lo", "hi", "b1", "b2", "depth1", "depth2", "dip_sigma")


def film_profile(b: np.ndarray, p: np.ndarray, centre: float, span: float) -> np.ndarray:
    """A film between ``lo`` and ``hi`` (each cell weighted by the part of it the film covers, so
    the edges move continuously) with two Gaussian dips of sigma w at b1, b2:
    b0 (1 + s (b - centre)/span) cover(b) (1 - d1 g(b - b1) - d2 g(b - b2))."""
    b0, slope, lo, hi, b1, b2, d1, d2, w = p
    db = float(b[1] - b[0]) if b.size > 1 else 1.0
    cover = np.clip(np.minimum(b + db / 2, hi) - np.maximum(b - db / 2, lo), 0.0, None) / db
    w = abs(w) + 1e-300
    dips = d1 * np.exp(-0.5 * ((b - b1) / w) ** 2) + d2 * np.exp(-0.5 * ((b - b2) / w) ** 2)
    return b0 * (1 + slope * (b - centre) / span) * cover * (1 - dips)


def fit_film(kmat: np.ndarray, b: np.ndarray, s: np.ndarray, edges: tuple[float, float], dips: tuple[float, float],
             width: float, start: np.ndarray | None = None) -> dict[str, float | np.ndarray]:
    """Fit the raw signal s = K n(b; p) with :func:`film_profile` (edges and dip positions
    continuous, not tied to the slice grid; depths at most 1). ``edges``, ``dips`` and ``width``
    (a slice step, T) start it and set the bounds; ``start`` (all parameters, ``FILM_NAMES`` order)
replaces the start. Returns the values, their standard errors (``<name>_err``), the
    covariance ``cov`` (order ``FILM_NAMES``), ``rss``, ``residual_rms`` and ``converged``."""
    from scipy.optimize import least_squares

    lo0, hi0 = min(edges), max(edges)
    centre, span = 0.5 * (lo0 + hi0), max(0.5 * (hi0 - lo0), 1e-300)
    rows = float(np.median(np.abs(kmat).sum(axis=1)))
    base = float(np.median(s[np.abs(s) > 0.5 * np.max(np.abs(s))])) / rows * np.sign(np.sum(kmat)) if rows else 1.0
    p0 = np.array([base, 0.0, lo0, hi0, dips[0], dips[1], 0.5, 0.5, width]) if start is None else np.asarray(start)
    units = np.array([abs(base) or 1.0, 1.0, width, width, width, width, 1.0, 1.0, width])
    scale = float(np.max(np.abs(s))) or 1.0

    def resid(q: np.ndarray) -> np.ndarray:
        return (kmat @ film_profile(b, q * units, centre, span) - s) / scale

    room = 4 * width
    lo = np.array([-np.inf, -1.0, lo0 - room, hi0 - room, lo0, lo0, -0.5, -0.5, width / 20]) / units
    hi = np.array([np.inf, 1.0, lo0 + room, hi0 + room, hi0, hi0, 1.0, 1.0, 4 * width]) / units
    q0 = np.clip(p0 / units, lo + 1e-9, hi - 1e-9)
    sol = least_squares(resid, q0, bounds=(lo, hi), x_scale="jac", max_nfev=200)
    cov = covariance(sol.jac, sol.fun) * np.outer(units, units)
    p = sol.x * units
    if p[4] > p[5]:  # order the dips along b
        order = [0, 1, 2, 3, 5, 4, 7, 6, 8]
        p, cov = p[order], cov[np.ix_(order, order)]
    err = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    out: dict[str, float | np.ndarray] = {n: float(v) for n, v in zip(FILM_NAMES, p)}
    out.update({f"{n}_err": float(e) for n, e in zip(FILM_NAMES, err)})
    out["dip_sigma"] = abs(float(p[8]))
    # Depth and width trade off when the dips are narrower than a slice; their product (the
    # missing polarisation x field width, T) is what the data fix.
    w = out["dip_sigma"] * math.sqrt(2 * math.pi)
    for k, (i, j) in enumerate(((6, 8), (7, 8)), start=1):
        grad = np.zeros(9)
        grad[i], grad[j] = w, p[i] * math.sqrt(2 * math.pi) * math.copysign(1.0, p[j])
        out[f"deficit{k}"] = float(p[i] * w)
        out[f"deficit{k}_err"] = propagate(cov, grad)
    out["cov"], out["centre"], out["span"] = cov, centre, span
    out["converged"] = sol.status > 0
    out["rss"] = float(sol.fun @ sol.fun) * scale**2
    out["residual_rms"] = float(np.sqrt(np.mean(sol.fun**2))) * scale
    return out


def fit_film_cai(frequencies: np.ndarray, s: np.ndarray, b: np.ndarray, centre: float, gamma_hz: float,
                 sweep: float, b1_guess: float, sigma: float, edges: tuple[float, float],
                 dips: tuple[float, float], width: float) -> dict[str, float | np.ndarray]:
    """:func:`fit_film` with the RF field of the CAI kernel fitted too: B1 shapes the slice (its
    edges and so the film's edges and the dips), and the lab's calibration of it is a guess. The
    residual is minimised over log B1 in guess/3..3 guess (the rest refitted at each); its error
    from the curvature of the residual sum there. Adds ``rf_field``, ``rf_field_err``, ``kmat``
    and ``kernel``."""
    from scipy.optimize import minimize_scalar

    last: list[np.ndarray] = []

    def at(log_b1: float) -> dict[str, float | np.ndarray]:
        kernel = cai_kernel(sweep, math.exp(log_b1), sigma)
        kmat = frequency_slice_matrix(frequencies, b, centre, gamma_hz, kernel)
        fit = fit_film(kmat, b, s, edges, dips, width, last[-1] if last else None)
        fit["kmat"], fit["kernel"] = kmat, kernel
        if not last:  # each refit starts from the first (B1 moves the optimum little)
            last.append(np.array([fit[k] for k in FILM_NAMES]))
        return fit

    x0 = math.log(b1_guess)
    best = minimize_scalar(lambda x: float(at(x)["rss"]), bounds=(x0 - math.log(3), x0 + math.log(3)),
                           method="bounded", options={"xatol": 2e-3})
    x, h = float(best.x), 0.05
    fit = at(x)
    rss = [float(at(x + d)["rss"]) for d in (-h, h)]
    curv = (rss[0] - 2 * float(fit["rss"]) + rss[1]) / h**2  # d2 RSS / d(log B1)^2
    dof = max(s.size - len(FILM_NAMES) - 1, 1)
    fit["rf_field"] = math.exp(x)
    fit["rf_field_err"] = math.exp(x) * math.sqrt(2 * float(fit["rss"]) / dof / curv) if curv > 0 else float("nan")
    return fit


def spins_per_sqrt_hz(noise_per_point: float, average: float, baseline: float, kernel_peak: float,
                      density: float, area: float) -> float:
    """Spins giving signal-to-noise 1 in a 1 Hz bandwidth: noise density sigma sqrt(2 T) (an
    average over T has a noise bandwidth 1/(2T)) over the signal of one spin mid-slice,
    |baseline| k_max / (n A) (``baseline`` is the fitted density scale for density n)."""
    per_spin = abs(baseline) * kernel_peak / (density * area)
    return noise_per_point * math.sqrt(2 * average) / per_spin if per_spin > 0 else float("inf")


__all__ = ["cai_kernel", "kernel_fwhm", "frequency_slice_matrix", "film_profile", "fit_film", "fit_film_cai",
           "FILM_NAMES", "spins_per_sqrt_hz", "PUBLISHED_SENSITIVITY"]
