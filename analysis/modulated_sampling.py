"""The modulated-line model of a long sweep, evaluated on a few hundred nodes and interpolated to
the sweep's fields.

A 1e5-point sweep samples a line hundreds of times more finely than its shape changes, and the
modulated model (complex square roots, or a quadrature for the Gaussian) costs tens of ms per
evaluation there. Here the model and its derivatives are computed on nodes spaced a fraction of the
line width apart near the line and geometrically further apart in its wings, then interpolated:
the value by cubic Hermite interpolation with the exact field derivative (the model depends on
B - B0, so d/dB = -d/dB0, which the gradient carries anyway), error h^4 max|f''''| / 384
(de Boor, *A Practical Guide to Splines*, rev. ed. 2001, ch. II); the derivatives linearly, error
h^2 max|f''| / 8, which only the step directions see. With nodes a 32nd of a width apart the
value is within a few 1e-6 of the peak of the exact one, far below any measurable noise; the fits
(:mod:`analysis.modulated_fit`) evaluate the exact model once at their solution, take the curve and
the covariance from it, and refit exactly where the interpolated curve is not within a thousandth
of the residual noise.
"""
from __future__ import annotations

import numpy as np

from analysis.modulated_line import line_gradient

#: Node spacing near the line, in widths, and the growth of the spacing per node in the wings
#: (spacing = distance from the modulated line's edge / WING_NODES).
NODES_PER_WIDTH = 32
WING_NODES = 32
#: Half-width of the finely sampled core beyond the modulation's reach, in widths.
CORE_WIDTHS = 8.0


def line_nodes(lo: float, hi: float, centre: float, width: float, bm: float) -> np.ndarray:
    """Sorted nodes covering [lo, hi]: every width / NODES_PER_WIDTH within
    bm + CORE_WIDTHS widths of ``centre``, growing geometrically by 1 / WING_NODES outside."""
    reach = abs(bm) + CORE_WIDTHS * width
    core = centre + np.arange(-reach, reach + width / NODES_PER_WIDTH, width / NODES_PER_WIDTH)
    span = max(hi - lo, 0.0) + abs(centre - lo) + abs(centre - hi)
    d = CORE_WIDTHS * width
    n_wing = int(np.ceil(np.log(max(span + reach, d) / d) / np.log1p(1.0 / WING_NODES))) + 1
    wing = abs(bm) + d * (1.0 + 1.0 / WING_NODES) ** np.arange(1, n_wing + 1)
    nodes = np.concatenate([centre - wing[::-1], core, centre + wing, [lo, hi]])
    return np.unique(np.clip(nodes, lo, hi))


class SampledLine:
    """``line_gradient`` of one model at the fields ``b`` (any order), from nodes laid out once
    around the start values; evaluates exactly when asked to or when the nodes would not be
    fewer than the fields."""

    def __init__(self, model: str, b: np.ndarray, harmonic: int, centre: float, width: float, bm: float,
                 exact: bool = False):
        self.model, self.b, self.harmonic = model, np.asarray(b, float), harmonic
        nodes = None if exact or not width else line_nodes(float(self.b.min()), float(self.b.max()), centre,
                                                            abs(width), bm)
        self.exact = nodes is None or 2 * len(nodes) >= len(self.b)
        if self.exact:
            return
        self.nodes = nodes
        idx = np.clip(np.searchsorted(nodes, self.b, side="right") - 1, 0, len(nodes) - 2)
        h = nodes[idx + 1] - nodes[idx]
        t = (self.b - nodes[idx]) / h
        self.idx, self.idx1, self.t = idx, idx + 1, t
        self._lo: np.ndarray | None = None
        self._hi: np.ndarray | None = None
        u = 1.0 - t
        # Cubic Hermite basis (value at both ends, slope at both ends times the interval).
        self.h00, self.h01 = (1 + 2 * t) * u * u, t * t * (3 - 2 * t)
        self.h10, self.h11 = t * u * u * h, -t * t * u * h

    def __call__(self, b0: float, dbpp: float, bm: float, rows: int = 4) -> np.ndarray:
        """The unit line and its derivatives by B0, dBpp and Bm at the fields (the first ``rows``
        of those 4 x points). Sampled, the array is a buffer the next call overwrites: the
        fits use each evaluation before the next, and a fresh 3 MB array per call costs more in
        page faults than the interpolation itself."""
        if self.exact:
            return line_gradient(self.model, self.b, b0, dbpp, bm, self.harmonic)[:rows]
        g = line_gradient(self.model, self.nodes, b0, dbpp, bm, self.harmonic)[:rows]
        if self._lo is None or len(self._lo) < rows:
            self._lo, self._hi = np.empty((rows, len(self.b))), np.empty((rows, len(self.b)))
        lo, out = self._lo[:rows], self._hi[:rows]
        np.take(g, self.idx, axis=1, out=lo)
        np.take(g, self.idx1, axis=1, out=out)
        value = self.h00 * lo[0]
        value += self.h01 * out[0]
        value -= self.h10 * lo[1]
        value -= self.h11 * out[1]  # d/dB = -d/dB0: the value's slope for the Hermite form
        out -= lo
        out *= self.t
        out += lo
        out[0] = value
        return out
