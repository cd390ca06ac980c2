"""NV-centre ODMR spectra: the two m_s = 0 <-> +-1 line groups, their hyperfine structure, the
field along the NV axis and the zero-field splitting they imply.

For a field along the NV axis f_-+ = D -+ gamma_e B, so B_par = (f_+ - f_-) / (2 gamma_e) and
D = (f_+ + f_-) / 2 (Doherty et al., Phys. Rep. 528, 1 (2013)); a transverse component shifts
both lines up by ~ (gamma_e B_perp)^2 / (2 D) each to second order, leaving the difference
(and B_par) unchanged to that order. Each group is fitted with n equal Lorentzian dips spaced
by the hyperfine constant (14N: three lines ~2.16 MHz apart, 15N: two ~3.03 MHz apart;
Felton et al., Phys. Rev. B 79, 075203 (2009)).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.pulsed_fits import Fit, _fit

#: NV electron gyromagnetic ratio / 2 pi (Hz/T), g = 2.0028.
NV_GAMMA = 28.025e9
#: nitrogen isotope -> (number of hyperfine lines, nominal splitting in Hz) as starting values.
HYPERFINE = {"14N": (3, 2.16e6), "15N": (2, 3.03e6), "none": (1, 0.0)}


def lorentz_dips(f: np.ndarray, base: float, depth: float, centre: float, split: float, fwhm: float, n: int
                 ) -> np.ndarray:
    """base (1 - depth sum_k L(f - centre - (k - (n-1)/2) split)), L peak 1, half width fwhm/2."""
    hw = fwhm / 2
    total = np.zeros_like(np.asarray(f, float))
    for k in range(n):
        total += hw ** 2 / ((f - centre - (k - (n - 1) / 2) * split) ** 2 + hw ** 2)
    return base * (1 - depth * total)


def fit_line_group(f: np.ndarray, y: np.ndarray, nitrogen: str) -> Fit:
    """One transition's hyperfine multiplet: base, depth, centre, split, fwhm (Hz)."""
    n, split0 = HYPERFINE[nitrogen]
    f, y = np.asarray(f, float), np.asarray(y, float)
    base0 = float(np.percentile(y, 90))
    k = int(np.argmin(_smooth(y)))
    span = float(np.ptp(f))
    step = float(np.median(np.abs(np.diff(f))))
    best = None
    for width0 in sorted({max(3 * step, w) for w in (0.3e6, 1e6, 3e6) if w < span / 2} or {span / 4}):
        for shift in ((0.0,) if n != 2 else (-split0 / 2, split0 / 2)):
            p0 = [base0, max(1 - y[k] / base0, 1e-4), f[k] - shift, split0, width0]
            lo = [0, 0, f.min(), 0.5 * split0, step / 4]
            hi = [np.inf, 1, f.max(), 1.5 * split0 if n > 1 else 1.0, span]
            try:
                fit = _fit(lambda x, b, d, c, s, w: lorentz_dips(x, b, d, c, s, w, n), f, y, p0,
                           ["base", "depth", "centre", "split", "fwhm"], (lo, hi))
            except RuntimeError:
                continue
            if best is None or fit.residual_rms < best.residual_rms:
                best = fit
    if best is None:
        raise RuntimeError("ODMR line fit did not converge")
    return best


def _smooth(y: np.ndarray, n: int = 5) -> np.ndarray:
    n = max(1, min(n, len(y)))
    kernel = np.ones(n)
    return np.convolve(y, kernel, mode="same") / np.convolve(np.ones_like(y), kernel, mode="same")


def split_transitions(f: np.ndarray, y: np.ndarray, guard: float) -> float:
    """Frequency between the two deepest dip regions (each region +-``guard`` Hz wide)."""
    f, s = np.asarray(f, float), _smooth(np.asarray(y, float))
    a = int(np.argmin(s))
    far = np.abs(f - f[a]) > guard
    if not far.any():
        raise ValueError("the sweep holds only one ODMR transition; sweep both lines (or give two windows)")
    b = int(np.flatnonzero(far)[np.argmin(s[far])])
    return float((f[a] + f[b]) / 2)


@dataclass
class OdmrField:
    f_minus: Fit
    f_plus: Fit
    field: float  # T along the NV axis
    field_error: float
    d_apparent: float  # Hz, (f+ + f-) / 2
    d_error: float


def field_from_spectrum(f: np.ndarray, y: np.ndarray, nitrogen: str, gamma: float = NV_GAMMA,
                        split_at: float | None = None) -> OdmrField:
    """Fit both transitions and return B along the axis and the apparent zero-field splitting."""
    f, y = np.asarray(f, float), np.asarray(y, float)
    n, a = HYPERFINE[nitrogen]
    cut = split_at if split_at is not None else split_transitions(f, y, guard=(n + 2) * max(a, 1e6))
    lo, hi = f < cut, f >= cut
    g1, g2 = fit_line_group(f[lo], y[lo], nitrogen), fit_line_group(f[hi], y[hi], nitrogen)
    c1, c2 = g1.params["centre"], g2.params["centre"]
    e = float(np.hypot(g1.errors["centre"], g2.errors["centre"]))
    return OdmrField(g1, g2, (c2 - c1) / (2 * gamma), e / (2 * gamma), (c1 + c2) / 2, e / 2)
