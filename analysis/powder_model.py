"""The first-derivative cw-ESR spectrum of a powder of S = 1/2 centres with a rhombic g-tensor.

Density: the closed-form distribution of x = g_eff^2 = sum a_i l_i^2 over random directions
(a_i = g_i^2 sorted, the elliptic-integral result of Bloembergen and Rowland, Acta Metall. 1,
731 (1953), known from NMR shielding powder patterns):
    a1 < x < a2:  p(x) = K(m) / (pi sqrt((a3 - x)(a2 - a1))),  m = (x - a1)(a3 - a2) / ((a3 - x)(a2 - a1))
    a2 < x < a3:  p(x) = K(m) / (pi sqrt((x - a1)(a3 - a2))),  m = (a2 - a1)(a3 - x) / ((x - a1)(a3 - a2))
(K the complete elliptic integral of the first kind, parameter m). Mapped to field with
B = h f / (muB sqrt(x)) by a quadrature over x, deposited on a uniform field grid (the middle
singularity is integrable), then convolved with a derivative Voigt line (or its
field-modulated first harmonic).

Intensity weight (Aasa and Vanngard, J. Magn. Reson. 19, 308 (1975)): the transition
probability for B1 perpendicular to B0, averaged over B1's direction in that plane, is
P = (tr g^2 - n.g^4.n / g_eff^2) / 2, and a field-swept spectrum carries a further 1/g_eff. With
y_i = n_i^2 on the principal axes, n.g^4.n = sum a_i^2 y_i = e1 x - e2 + e3 sum y_i / a_i (each a_i
solves a^3 - e1 a^2 + e2 a - e3 = 0; e1, e2, e3 the symmetric functions of the a_i), and
sum y_i / a_i = 1/x to second order in the anisotropy, so P = (e2 / x - e3 / x^2) / 2 is a function
of x alone (relative error ~ (delta g / g)^2; leaving P out entirely biased g2 by about one error
bar at a signal-to-noise ratio of 400).

Speed: the convolution is done by FFT with the line's analytic Fourier transform (Voigt: the
product of the Lorentzian's exp(-pi G_L |k|) and the Gaussian's exp(-(pi G_G k)^2 / 4 ln 2), exact,
where a pseudo-Voigt is only an approximation; derivative 2 pi i k, field modulation of
amplitude Bm 2 i J1(2 pi k Bm) / Bm: the first harmonic of a line swept by Bm cos(theta)), so one
model costs O(N log N) on the grid instead of O(N K) for a direct convolution with a kernel of K
cells; the fit calls it a few hundred times.
"""
from __future__ import annotations

import numpy as np

from analysis.constants import H, MU_B
from analysis.line_profiles import tch_width

#: model grid cells per total line FWHM: deposition and linear interpolation err by ~1e-4 of the
#: peak-to-peak (second order in the cell; 30 cells: 5e-4), below a 1 % noise's pull on the g-values
CELLS_PER_WIDTH = 60
#: grid margin beyond the pattern and the data, in line widths (the Lorentzian tails)
MARGIN_WIDTHS = 25
MAX_CELLS = 400_000


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
    if a3 - a1 < 1e-12 * a3:  # isotropic: one line
        return np.full(2 * n, H * frequency / (MU_B * np.sqrt(a2))), np.full(2 * n, 0.5 / n)
    s = (np.arange(n) + 0.5) / n
    x_lo = a2 - (a2 - a1) * (1 - s) ** 2
    w_lo = 2 * (a2 - a1) * (1 - s) / n
    x_hi = a2 + (a3 - a2) * s**2
    w_hi = 2 * (a3 - a2) * s / n
    x = np.r_[x_lo, x_hi]
    a = np.array([a1, a2, a3])
    w = np.r_[w_lo, w_hi] * powder_density_x(x, a) * intensity_weight(x, a)
    return H * frequency / (MU_B * np.sqrt(x)), w


def intensity_weight(x: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Transition probability times the field-swept 1/g_eff at g_eff^2 = x (module docstring),
    relative to its value at the mean x, so the fitted area stays that of the pattern."""
    e2 = a[0] * a[1] + a[1] * a[2] + a[2] * a[0]
    e3 = a[0] * a[1] * a[2]

    def weight(v: np.ndarray) -> np.ndarray:
        return (e2 / v - e3 / v**2) / np.sqrt(v)

    return weight(np.asarray(x, float)) / weight(np.mean(a))


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


def powder_grid(b: np.ndarray, frequency: float, g: np.ndarray, width: float, bm: float = 0.0, *,
                cells_per_width: int = CELLS_PER_WIDTH) -> np.ndarray:
    """Cell edges of the model grid. Keep one grid for a whole fit: a grid that moved with the
    parameters would make the model jump and spoil the finite-difference Jacobian."""
    c = H * frequency / MU_B
    if not (np.all(np.isfinite(g)) and np.min(g) > 0):
        raise ValueError(f"powder model: principal g-values must be positive, got {np.asarray(g)}")
    step = max(width / cells_per_width, 1e-9)
    lo = min(b.min(), c / np.max(g)) - MARGIN_WIDTHS * width - bm
    hi = max(b.max(), c / np.min(g)) + MARGIN_WIDTHS * width + bm
    n = int(np.ceil((hi - lo) / step)) + 1
    if n > MAX_CELLS:
        raise ValueError(f"powder model grid too fine ({n} cells): linewidth {width:.3g} T over {hi - lo:.3g} T")
    return lo + step * np.arange(n + 1)


def line_transform(k: np.ndarray, fwhm_l: float, fwhm_g: float, bm: float = 0.0) -> np.ndarray:
    """Fourier transform (convention F(k) = int f(x) exp(-2 pi i k x) dx, k in 1/T) of the
    area-normalised derivative Voigt line (Lorentzian FWHM ``fwhm_l`` convolved with Gaussian FWHM
    ``fwhm_g``), or of its first harmonic over Bm for a field modulation of amplitude ``bm``
    (which tends to the derivative as bm -> 0)."""
    from scipy.special import j1
    shape = np.exp(-np.pi * abs(fwhm_l) * np.abs(k) - (np.pi * fwhm_g * k) ** 2 / (4 * np.log(2)))
    if bm > 0:
        return 2j * j1(2 * np.pi * k * bm) / bm * shape
    return 2j * np.pi * k * shape


def powder_signal(b: np.ndarray, frequency: float, g: np.ndarray, fwhm_l: float, fwhm_g: float, area: float,
                  offset: float, bm: float = 0.0, edges: np.ndarray | None = None) -> np.ndarray:
    """First-derivative (or first-harmonic / Bm) powder spectrum at fields ``b``: Voigt lines of
    Lorentzian and Gaussian FWHM ``fwhm_l``, ``fwhm_g``; ``area`` relative to the intensity at the
    mean g (``intensity_weight``)."""
    from scipy.fft import irfft, next_fast_len, rfft, rfftfreq
    g = np.asarray(g, float)
    b = np.asarray(b, float)
    if edges is None:
        edges = powder_grid(b, frequency, g, max(tch_width(fwhm_l, fwhm_g)[0], 1e-9), bm)  # ~ Voigt FWHM
    step = edges[1] - edges[0]
    ncell = len(edges) - 1
    prob = deposit(*powder_nodes(frequency, g, max(1500, 2 * ncell)), edges) * step
    # Zero padding by half the grid keeps the circular convolution's wrap-around beyond the margin.
    nfft = next_fast_len(ncell + ncell // 2 + 1, real=True)
    k = rfftfreq(nfft, step)
    # The DFT of the kernel sampled every ``step`` is its continuous transform over the step; the
    # cloud-in-cell deposit smooths by a triangle of one cell, undone by its transform sinc^2
    # (Hockney and Eastwood, Computer Simulation Using Particles, 1988, sec. 7-8).
    kernel = line_transform(k, fwhm_l, fwhm_g, bm) / (step * np.sinc(k * step) ** 2)
    spec = irfft(rfft(prob, nfft) * kernel, nfft)[:ncell]
    centres = 0.5 * (edges[1:] + edges[:-1])
    return area * np.interp(b, centres, spec) + offset
