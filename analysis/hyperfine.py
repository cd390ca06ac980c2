"""Isotropic hyperfine multiplets in a cw (lock-in) spectrum: g, one coupling per group of
equivalent nuclei, a common line shape, fitted to the whole spectrum.

Line positions (field sweep at fixed frequency f, B0 = h f / (g muB), couplings a in T):
- first order, n equivalent nuclei of spin I: B = B0 - a M, M = m1 + ... + mn, the intensity of
  each M its number of combinations (binomial for I = 1/2);
- second order for a single nucleus (the Breit-Rabi expansion): B = B0 - a m - a^2/(2 B0) x
  (I(I+1) - m^2) (Weil & Bolton, *Electron Paramagnetic Resonance*, 2nd ed., Wiley 2007,
  sec. 3.3); groups of several equivalent nuclei are taken to first order.
- natural isotope mixtures (Cu: 63Cu + 65Cu; Er: 167Er + spinless isotopes) add the pattern of
  each isotope weighted by its abundance, the coupling scaled by the nuclear g-factor ratio
  (abundances: Meija et al., Pure Appl. Chem. 88, 293 (2016); moments: Stone, At. Data Nucl.
  Data Tables 90, 75 (2005)).
The lines are the area-normalised profiles of analysis.line_profiles, with the modulation
amplitude when given (the modulated model, not a derivative).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import least_squares

from analysis.constants import H, MU_B
from analysis.line_profiles import line_signal
from analysis.uncertainty import covariance, propagate, standard_errors

#: nucleus -> isotopes (abundance, spin I, coupling relative to the first isotope's)
NUCLEI: dict[str, tuple[tuple[float, float, float], ...]] = {
    "1H": ((0.999885, 0.5, 1.0),),
    "14N": ((0.99636, 1.0, 1.0),),  # 15N (0.364 %, I = 1/2) neglected
    "51V": ((0.9975, 3.5, 1.0),),  # 50V (0.25 %) neglected
    "55Mn": ((1.0, 2.5, 1.0),),
    "Cu": ((0.6915, 1.5, 1.0), (0.3085, 1.5, 1.0712)),  # 63Cu, 65Cu (mu 2.2273 / 2.3817 muN)
    "Er": ((0.22869, 3.5, 1.0), (0.77131, 0.0, 0.0)),  # 167Er; the even isotopes have I = 0
}
NUCLEI["63Cu"] = ((1.0, 1.5, 1.0),)
NUCLEI["167Er"] = ((1.0, 3.5, 1.0),)
_GROUP = re.compile(r"^\s*([0-9]*[A-Za-z]+)\s*(?:[x*]\s*(\d+))?\s*$")


@dataclass(frozen=True)
class NucleusGroup:
    nucleus: str
    count: int = 1

    @property
    def isotopes(self) -> tuple[tuple[float, float, float], ...]:
        return NUCLEI[self.nucleus]


def parse_groups(text: str) -> list[NucleusGroup]:
    """'14N' or '14N,1Hx2' -> groups of equivalent nuclei."""
    groups = []
    for part in text.split(","):
        m = _GROUP.match(part)
        if not m or m.group(1) not in NUCLEI:
            raise ValueError(f"hyperfine group {part.strip()!r}: write NUCLEUS or NUCLEUSxN with NUCLEUS one of "
                             f"{', '.join(NUCLEI)} (e.g. 14N or 1Hx2)")
        count = int(m.group(2) or 1)
        if count < 1 or (count > 1 and len(NUCLEI[m.group(1)]) > 1):
            raise ValueError(f"hyperfine group {part.strip()!r}: several equivalent nuclei need a single isotope "
                             f"(e.g. 63Cu, not Cu)")
        groups.append(NucleusGroup(m.group(1), count))
    return groups


def _group_lines(group: NucleusGroup, a: float, b0: float) -> list[tuple[float, float]]:
    """(field shift, weight) of one group's lines."""
    out = []
    for abundance, spin, ratio in group.isotopes:
        if spin == 0:
            out.append((0.0, abundance))
            continue
        m = np.arange(-spin, spin + 0.5)
        if group.count == 1:
            ai = a * ratio
            shifts = -ai * m - ai * ai / (2 * b0) * (spin * (spin + 1) - m * m)
            out += [(float(s), abundance / len(m)) for s in shifts]
            continue
        dist = np.ones(1)
        for _ in range(group.count):  # distribution of M over the n nuclei
            dist = np.convolve(dist, np.ones(len(m)))
        total = np.arange(len(dist)) - spin * group.count
        out += [(float(-a * ratio * t), abundance * w / dist.sum()) for t, w in zip(total, dist)]
    return out


def multiplet_lines(groups: list[NucleusGroup], couplings: np.ndarray, b0: float) -> list[tuple[float, float]]:
    """(field, weight) of every line: the groups' patterns combined (weights sum to 1)."""
    lines = [(b0, 1.0)]
    for group, a in zip(groups, couplings):
        pattern = _group_lines(group, float(a), b0)
        lines = [(b + s, w * v) for b, w in lines for s, v in pattern]
    return lines


def multiplet_signal(b: np.ndarray, groups: list[NucleusGroup], b0: float, couplings: np.ndarray, model: str,
                     shape: np.ndarray, area: float, offset: float, bm: float = 0.0, harmonic: int = 1) -> np.ndarray:
    y = np.full(b.shape, float(offset))
    for centre, weight in multiplet_lines(groups, couplings, b0):
        y += line_signal(model, b, centre, shape, area * weight, 0.0, bm, harmonic)
    return y


@dataclass
class HyperfineFit:
    g: float
    g_error: float
    b0: float
    couplings_T: list[float]  # one per group
    couplings_error_T: list[float]
    couplings_MHz: list[float]  # A / h = g muB a / h
    couplings_error_MHz: list[float]
    widths: list[float]  # FWHM (T): [Lorentzian] or [Gaussian] or [Lorentzian, Gaussian]
    area: float
    residual_rms: float
    curve: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0))


def fit_hyperfine(b: np.ndarray, y: np.ndarray, frequency: float, groups: list[NucleusGroup], *,
                  b0: float, couplings: list[float], fwhm: float, model: str = "lorentzian",
                  bm: float = 0.0, harmonic: int = 1) -> HyperfineFit:
    """Least-squares fit of the multiplet; start values: centre ``b0``, ``couplings`` (T), ``fwhm``."""
    if model not in ("lorentzian", "gaussian", "voigt"):
        raise ValueError(f"hyperfine model {model!r}: use lorentzian, gaussian or voigt")
    b, y = np.asarray(b, float), np.asarray(y, float)
    scale = float(np.ptp(b)) or 1.0
    ys = float(np.ptp(y)) or 1.0
    ng, nshape = len(groups), 2 if model == "voigt" else 1
    shape0 = [fwhm * 0.6, fwhm * 0.6] if model == "voigt" else [fwhm]
    unit_area = multiplet_signal(b, groups, b0, np.array(couplings), model, np.array(shape0), 1.0, 0.0, bm, harmonic)
    area0 = float(np.linalg.lstsq(unit_area[:, None], y - np.median(y), rcond=None)[0][0])

    def unpack(p: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, float, float]:
        return (b0 + p[0] * scale, p[1:1 + ng] * scale, np.abs(p[1 + ng:1 + ng + nshape]) * scale,
                p[1 + ng + nshape] * abs(area0), p[2 + ng + nshape] * ys)

    def resid(p: np.ndarray) -> np.ndarray:
        c, a, w, area, off = unpack(p)
        return (multiplet_signal(b, groups, c, a, model, w, area, off, bm, harmonic) - y) / ys

    p0 = np.array([0.0, *np.array(couplings) / scale, *np.array(shape0) / scale, np.sign(area0) or 1.0,
                   float(np.median(y)) / ys])
    sol = least_squares(resid, p0, x_scale="jac", max_nfev=3000)
    cov = covariance(sol.jac, sol.fun)
    err = standard_errors(cov)
    centre, a, widths, area, _ = unpack(sol.x)
    g = H * frequency / (MU_B * centre)
    g_err = g * err[0] * scale / centre
    a_err = err[1:1 + ng] * scale
    # A/h = g muB a / h: its error from the covariance of (centre, a) through g
    mhz, mhz_err = [], []
    for j in range(ng):
        value = g * MU_B * a[j] / H / 1e6
        grad = np.zeros(len(sol.x))
        grad[0] = -value / centre * scale  # via g
        grad[1 + j] = g * MU_B / H / 1e6 * scale
        mhz.append(float(value))
        mhz_err.append(float(propagate(cov, grad)))
    curve = sol.fun * ys + y
    return HyperfineFit(float(g), float(g_err), float(centre), [float(v) for v in np.abs(a)],
                        [float(v) for v in a_err], [abs(v) for v in mhz], mhz_err, [float(w) for w in widths],
                        float(area), float(np.sqrt(np.mean((sol.fun * ys) ** 2))), curve)
