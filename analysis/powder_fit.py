"""Three principal g-values from a first-derivative powder spectrum: a start from the pattern's
turning points, then a least-squares fit of the closed-form model (``analysis.powder_model``).

The turning points of a rhombic powder derivative spectrum (Weil and Bolton, *Electron
Paramagnetic Resonance*, 2nd ed., Wiley 2007, sec. 4.4 and Fig. 4.5): at the low-field edge
B1 = hf / (g1 muB) the absorption steps up, so the derivative has an absorption-like positive
peak; at B2 (g2) the absorption diverges, so the derivative crosses zero between a positive and a
negative lobe (the absorption maximum); at the high-field edge B3 (g3) the absorption steps down,
a negative peak. An axial pattern merges two of them. The start finds these on a copy of the
spectrum smoothed by a Gaussian a third of the apparent line width wide (the noise drops by the
square root of the points averaged, the turning points hardly move), so a single noisy point
cannot pose as an edge; the few candidate combinations are then ranked by the model's chi^2.

Errors: the covariance of the least-squares fit (``analysis.uncertainty``, with the lock-in
filter's variance inflation where the caller knows it); 200 noise seeds at
1-3 % of the peak-to-peak cover the true g-values 66-70 % of the time (tests/test_fit_coverage.py).
Limit: for an axial pattern (two g-values equal) the spectrum depends on their splitting only to
second order, and the fit trades a splitting against the Gaussian width, so the linearised errors
of those two are approximate: at 2 % noise their 1-sigma intervals still held the truth in 58-77 %
of 60 seeds, but at 0.3 % noise some seeds split them by 4-10 error bars; their mean is well
determined. A pair the fit does not split at all gets a huge error (the Jacobian is zero there).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import product

import numpy as np

from analysis.constants import H, MU_B
from analysis.line_profiles import tch_width
from analysis.powder_model import CELLS_PER_WIDTH, powder_grid, powder_signal
from analysis.uncertainty import covariance, standard_errors

#: FWHM / peak-to-peak width of a derivative line: sqrt(3) Lorentzian, sqrt(2 ln 2) Gaussian; between
FWHM_PER_PP = 1.45
#: Lorentzian = Gaussian FWHM giving a Voigt of total FWHM 1 (Thompson-Cox-Hastings approximation)
SPLIT = 1 / tch_width(1.0, 1.0)[0]


@dataclass
class PowderFit:
    g: np.ndarray  # sorted descending (low-field edge first)
    g_errors: np.ndarray
    fwhm_lorentz: float
    fwhm_gauss: float
    area: float
    offset: float
    residual_rms: float
    errors: dict[str, float] = field(default_factory=dict)
    curve: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0))


def _smooth(y: np.ndarray, fwhm_points: float) -> np.ndarray:
    from scipy.ndimage import gaussian_filter1d
    return gaussian_filter1d(y, max(fwhm_points / 2.3548, 0.5), mode="nearest")


def _apparent_width(b: np.ndarray, y: np.ndarray) -> float:
    """Total FWHM of the strongest derivative feature (uniform ``b``). It is measured on the trace
    smoothed at the scale that makes the pattern stand out most above the noise (a matched filter:
    smoothing much narrower than the line leaves noise, much wider flattens the line), and the
    smoothing's own broadening is taken out (Gaussian widths add in quadrature)."""
    from analysis.line_count import derivative_line_features, trace_noise  # scipy.signal: on first use
    step = b[1] - b[0]
    noise = trace_noise(y)
    if not noise > 0:
        raise ValueError("the trace has no noise to judge a pattern against (constant data?)")
    best = (0.0, 2.0)
    scale = 2.0  # smoothing FWHM in points
    while scale <= len(y) / 16:
        sigma = scale / 2.3548
        ratio = float(np.ptp(_smooth(y, scale))) / (noise / np.sqrt(2 * np.sqrt(np.pi) * sigma))
        best = max(best, (ratio, scale))
        scale *= 1.5
    scale = best[1]
    feats = derivative_line_features(b, _smooth(y, scale), min_sigma=5.0)
    if not feats:
        raise ValueError("no derivative feature stands out of the noise (5 sigma)")
    pp = max(feats, key=lambda f: f.peak_to_peak).width
    pp_smoothing = 0.85 * scale * step  # peak-to-peak width of a Gaussian derivative: 2 sigma
    pp = np.sqrt(max(pp * pp - pp_smoothing**2, pp * pp / 4))
    return max(FWHM_PER_PP * pp, 3 * step)


def _turning_points(b: np.ndarray, ys: np.ndarray) -> tuple[list[float], list[float], list[float]]:
    """Candidate fields of the low-field positive peak, the absorption maximum (zero crossings
    from a positive to a negative lobe) and the high-field negative peak of a smoothed trace."""
    from scipy.signal import find_peaks

    from analysis.line_count import trace_noise
    thr = max(5 * trace_noise(ys), 0.05 * float(np.max(np.abs(ys))))
    maxima = [int(i) for i in find_peaks(ys, prominence=thr)[0] if ys[i] > thr]
    minima = [int(i) for i in find_peaks(-ys, prominence=thr)[0] if ys[i] < -thr]
    if not maxima or not minima:
        raise ValueError("no positive and negative turning points stand out of the noise")
    absorption = np.cumsum(ys)
    mids = {float(b[int(np.argmax(absorption))])}
    extrema = sorted([(i, 1) for i in maxima] + [(i, -1) for i in minima])
    for (i, ki), (j, kj) in zip(extrema, extrema[1:]):
        if ki == 1 and kj == -1:
            k = i + int(np.argmax(ys[i:j + 1] < 0))  # first point past the crossing
            y0, y1 = ys[k - 1], ys[k]
            mids.add(float(b[k - 1] + (b[k] - b[k - 1]) * y0 / (y0 - y1)))
    # The outermost peaks, or the strongest one where noise left a peak beyond an edge.
    lows = set(maxima[:3]) | {max(maxima, key=lambda i: ys[i])}
    highs = set(minima[-3:]) | {min(minima, key=lambda i: ys[i])}
    return [float(b[i]) for i in sorted(lows)], sorted(mids), [float(b[i]) for i in sorted(highs)]


def powder_start(b: np.ndarray, y: np.ndarray, frequency: float, bm: float = 0.0) -> tuple[np.ndarray, float]:
    """Start g-values (descending) and total line FWHM from the turning points of the smoothed
    spectrum, the best-chi^2 combination of the candidates; ValueError when there is no pattern."""
    order = np.argsort(b)
    b, y = np.asarray(b, float)[order], np.asarray(y, float)[order]
    bu = np.linspace(b[0], b[-1], len(b))  # the smoothing counts points: make them uniform
    yu = np.interp(bu, b, y)
    ends = max(5, len(b) // 20)
    yu = yu - np.median(np.r_[yu[:ends], yu[-ends:]])
    width = _apparent_width(bu, yu)
    lows, mids, highs = _turning_points(bu, _smooth(yu, width / 3 / (bu[1] - bu[0])))
    c = H * frequency / MU_B
    design = np.column_stack([np.zeros_like(b), np.ones_like(b)])
    best = (np.inf, None, width)
    # Powder features are at least as wide as the line: the ladder reaches further down than up.
    for w in (width / 2, width / np.sqrt(2), width, width * np.sqrt(2)):
        for b1, b2, b3 in product(lows, mids, highs):
            # The edge peaks sit about a quarter width inside the pattern (the density rises inward).
            g = np.sort(c / np.array([b1 - w / 4, b2, b3 + w / 4]))[::-1]
            edges = powder_grid(b, frequency, g, w, bm, cells_per_width=15)
            design[:, 0] = powder_signal(b, frequency, g, SPLIT * w, SPLIT * w, 1.0, 0.0, bm, edges)
            coef, *_ = np.linalg.lstsq(design, y, rcond=None)
            chi2 = float(np.sum((design @ coef - y) ** 2))
            if chi2 < best[0]:
                best = (chi2, g, w)
    return best[1], best[2]


def fit_powder(b: np.ndarray, y: np.ndarray, frequency: float, *, bm: float = 0.0,
               g0: np.ndarray | None = None, fwhm0: float | None = None, inflation: float = 1.0) -> PowderFit:
    """Fit three principal g-values, Lorentzian and Gaussian widths, area and offset. ``inflation``:
    the variance inflation of correlated (lock-in filtered) noise, as in ``analysis.uncertainty``."""
    from scipy.optimize import least_squares
    b, y = np.asarray(b, float), np.asarray(y, float)
    if len(b) < 20:
        raise ValueError(f"a powder fit needs at least 20 points, got {len(b)}")
    if not (np.all(np.isfinite(b)) and np.all(np.isfinite(y))):
        raise ValueError("a powder fit needs finite fields and signal (NaN or inf in the data)")
    if not frequency > 0:
        raise ValueError(f"a powder fit needs the microwave frequency, got {frequency}")
    if g0 is None or fwhm0 is None:
        gs, w = powder_start(b, y, frequency, bm)
        g0 = gs if g0 is None else g0
        fwhm0 = w if fwhm0 is None else fwhm0
    g0, w = np.asarray(g0, float), float(fwhm0)
    spacing = float(np.ptp(b)) / (len(b) - 1)
    gref = float(np.mean(g0))
    yscale = float(np.ptp(y)) or 1.0
    best = None
    for _ in range(2):  # a second pass on a grid matched to the fitted width
        # Ten cells per point spacing at most: finer cells cost time and add nothing the points can show.
        cells = int(np.clip(10 * w / spacing, 15, CELLS_PER_WIDTH))
        edges = powder_grid(b, frequency, g0, w, bm, cells_per_width=cells)
        p0 = np.r_[(g0 - gref) * 1e3, SPLIT * w * 1e3, SPLIT * w * 1e3] if best is None else best.x[:5]
        basis = powder_signal(b, frequency, gref + p0[:3] * 1e-3, p0[3] * 1e-3, p0[4] * 1e-3, 1.0, 0.0, bm, edges)
        lin = np.linalg.lstsq(np.column_stack([basis, np.ones_like(b)]), y, rcond=None)[0]
        p0 = np.r_[p0, lin]

        def resid(p: np.ndarray) -> np.ndarray:  # in units of the data's range: tolerances stay meaningful
            return (powder_signal(b, frequency, gref + p[:3] * 1e-3, abs(p[3]) * 1e-3, abs(p[4]) * 1e-3,
                                  p[5], p[6], bm, edges) - y) / yscale

        # A good start converges in tens of steps; a line the points do not resolve wanders for hundreds.
        best = least_squares(resid, p0, x_scale="jac", max_nfev=200)
        g0 = gref + best.x[:3] * 1e-3
        # A line narrower than the point spacing is not resolved: no finer grid for it.
        w_new = max(tch_width(abs(best.x[3]) * 1e-3, abs(best.x[4]) * 1e-3)[0], spacing)
        if 0.7 < w_new / w < 1.4:
            break
        w = w_new
    p, r = best.x, best.fun * yscale
    perr = standard_errors(covariance(best.jac, best.fun, inflation=inflation))
    g = gref + p[:3] * 1e-3
    ge = perr[:3] * 1e-3
    order = np.argsort(g)[::-1]
    return PowderFit(g=g[order], g_errors=ge[order], fwhm_lorentz=abs(p[3]) * 1e-3, fwhm_gauss=abs(p[4]) * 1e-3,
                     area=p[5], offset=p[6], residual_rms=float(np.sqrt(np.mean(r * r))),
                     errors={"fwhm_lorentz": perr[3] * 1e-3, "fwhm_gauss": perr[4] * 1e-3, "area": perr[5]},
                     curve=r + y)
