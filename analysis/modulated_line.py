"""The lock-in's n-th harmonic of a field-modulated absorption line (Lorentzian in closed form,
Gaussian by a quadrature with a stated error bound) and its derivatives by the line's centre,
width and the modulation amplitude: the models of the modulation-aware fits
(:mod:`analysis.modulated_fit`)."""
from __future__ import annotations

import numpy as np

#: Field points x quadrature nodes evaluated at once (1 MB of float64): memory stays flat for
#: any sweep length.
_GRID_ELEMENTS = 2**17


def _lorentzian_harmonic(b: np.ndarray, b0: float, dbpp: float, bm: float, harmonic: int) -> np.ndarray:
    """Closed form of the n-th harmonic of a modulated unit-peak Lorentzian (Wilson, J. Appl.
    Phys. 34, 1963; Robinson, Mailer & Reese, J. Magn. Reson. 138, 199 (1999)). The absorption
    is Re[i gamma / (z + Bm cos t)] with z = B - B0 + i gamma, and
    (1/2 pi) int cos(n t) / (z + a cos t) dt = r^n / w, w = sqrt(z^2 - a^2), r = -a / (w + z)
    (the root of modulus < 1; written without the cancellation of (w - z) / a at small a)."""
    return _lorentzian_terms(b, b0, dbpp, bm, harmonic)[0].real.copy()


def _lorentzian_terms(b: np.ndarray, b0: float, dbpp: float, bm: float, harmonic: int):
    """(T, w, z, r, r^(n-1)) of the closed form, the harmonic being Re T."""
    gamma = np.sqrt(3) / 2 * dbpp
    z = (b - b0) + 1j * gamma
    w = np.sqrt(z - bm)
    w *= np.sqrt(z + bm)  # principal roots: Im w > 0 like Im z, so w ~ z
    r = w + z
    np.divide(-bm, r, out=r)
    rn1 = np.ones_like(r)
    for _ in range(harmonic - 1):  # r**(n-1) by products: numpy's complex power goes through log/exp
        rn1 *= r
    term = rn1 * r
    term *= 2j * gamma
    term /= w
    return term, w, z, r, rn1


def _lorentzian_gradient(b: np.ndarray, b0: float, dbpp: float, bm: float, harmonic: int) -> np.ndarray:
    """The closed form and its derivatives by B0, dBpp and Bm (rows), from
    dT/dz = -T (n w + z) / w^2, dT/dgamma = T/gamma + i dT/dz and
    dT/da = 2 i gamma r^(n-1) / w (n dr/da + r a / w^2), dr/da = -1/(w + z) - r^2 / w."""
    n, gamma = harmonic, np.sqrt(3) / 2 * dbpp
    t, w, z, r, rn1 = _lorentzian_terms(b, b0, dbpp, bm, harmonic)
    w2 = w * w
    dt_dz = -t * (n * w + z) / w2
    t_over_gamma = 2j * rn1 * r / w
    dr_da = -1.0 / (w + z) - r * r / w
    dt_da = 2j * gamma * rn1 / w * (n * dr_da + r * bm / w2)
    return np.stack([t.real, -dt_dz.real, (np.sqrt(3) / 2) * (t_over_gamma + 1j * dt_dz).real, dt_da.real])


def _gaussian_nodes(bm: float, dbpp: float, harmonic: int) -> int:
    """Midpoint nodes on [0, 2 pi) for the Gaussian's harmonic to 1e-12 of its peak: the rule's
    error is the integrand's Fourier coefficients at multiples of M, bounded on the strip
    |Im t| <= 1 by 2 exp(n + (Bm/s)^2 sinh^2(1) / 2 - M) (s = dBpp/2, the Gaussian's sigma)."""
    r = bm / (dbpp / 2) if dbpp else 0.0
    m = int(np.ceil(harmonic + 0.5 * np.sinh(1.0) ** 2 * r * r + 29))
    return m + (m % 2)


def _gaussian_harmonic(b: np.ndarray, b0: float, dbpp: float, bm: float, harmonic: int) -> np.ndarray:
    """The n-th harmonic of a modulated unit-peak Gaussian by the midpoint rule (no closed
    form): nodes from :func:`_gaussian_nodes`, each symmetric pair t, 2 pi - t taken once, the
    field points in blocks of bounded size."""
    m = _gaussian_nodes(bm, dbpp, harmonic)
    theta = (np.arange(m // 2) + 0.5) * 2 * np.pi / m
    shift, weight = bm * np.cos(theta), (4.0 / m) * np.cos(harmonic * theta)
    inv = -2.0 / (dbpp * dbpp) if dbpp else -np.inf  # -1 / (2 s^2), s = dbpp / 2
    out = np.empty(len(b))
    step = max(1, _GRID_ELEMENTS // len(theta))
    for i in range(0, len(b), step):
        d = (b[i:i + step] - b0)[:, None] + shift[None, :]
        np.square(d, out=d)
        d *= inv
        np.exp(d, out=d)
        np.dot(d, weight, out=out[i:i + step])
    return out


def _gaussian_gradient(b: np.ndarray, b0: float, dbpp: float, bm: float, harmonic: int) -> np.ndarray:
    """:func:`_gaussian_harmonic` and its derivatives by B0, dBpp and Bm (rows), on the same
    nodes: with E = exp(k d^2), k = -2 / dBpp^2, d = B - B0 + Bm cos t: dE/dB0 = -2 k d E,
    dE/ddBpp = 4 d^2 E / dBpp^3 and dE/dBm = 2 k d E cos t."""
    m = _gaussian_nodes(bm, dbpp, harmonic)
    theta = (np.arange(m // 2) + 0.5) * 2 * np.pi / m
    shift, weight = bm * np.cos(theta), (4.0 / m) * np.cos(harmonic * theta)
    weights = np.stack([weight, weight * np.cos(theta)], axis=1)
    inv = -2.0 / (dbpp * dbpp)
    out = np.empty((4, len(b)))
    step = max(1, _GRID_ELEMENTS // len(theta))
    for i in range(0, len(b), step):
        d = (b[i:i + step] - b0)[:, None] + shift[None, :]
        e = np.exp(inv * d * d)
        out[0, i:i + step] = e @ weight
        e *= d
        out[[1, 3], i:i + step] = (e @ weights).T
        e *= d
        out[2, i:i + step] = e @ weight
    out[3] *= 2.0 * inv
    out[1] *= -2.0 * inv
    out[2] *= 4.0 / dbpp**3
    return out


def modulated_line(b: np.ndarray, b0: float, dbpp: float, amp: float, offset: float, *,
                   model: str, bm: float, harmonic: int = 1) -> np.ndarray:
    """The n-th harmonic Fourier component of a unit-peak absorption under field modulation of
    peak amplitude ``bm``: what a lock-in reports when the modulation is not small. The
    Lorentzian in closed form, the Gaussian by a quadrature with a stated error bound: a fit of
    a 1e5-point sweep stays well under a second and a few MB (``benchmarks/fit_large.py``)."""
    b = np.asarray(b, float)
    if model == "lorentzian":
        comp = _lorentzian_harmonic(b, b0, dbpp, bm, harmonic)
    else:
        comp = _gaussian_harmonic(b, b0, dbpp, bm, harmonic)
    return amp * comp + offset


def line_gradient(model: str, b: np.ndarray, b0: float, dbpp: float, bm: float, harmonic: int) -> np.ndarray:
    """The unit-amplitude modulated line and its derivatives by B0, dBpp and Bm (4 x points)."""
    if model == "lorentzian":
        return _lorentzian_gradient(b, b0, dbpp, bm, harmonic)
    if model == "gaussian":
        return _gaussian_gradient(b, b0, dbpp, bm, harmonic)
    raise ValueError(f"unknown lineshape {model!r}; use 'lorentzian' or 'gaussian'")
