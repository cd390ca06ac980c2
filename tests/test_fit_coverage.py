"""Coverage of every fit's error bars: over 200 noise seeds the 1-sigma interval must hold the
true value 60-76 % of the time (68 % expected for honest errors; 200 seeds give +-3.3 %).

Data come from closed forms written here (Gilbert damping, Portis saturation, Kittel, a driven
damped oscillator, its thermal spectrum and ringdown, MRFM peaks, g^2 patterns, a powder
spectrum summed over orientations) or from the simulator (the antiferromagnet's normal modes),
plus Gaussian noise; no fit is told the noise.
(Pulsed fits: tests/test_pulsed_fits.py; in-plane Kittel: tests/test_kittel_warnings.py; cw lines
with correlated lock-in noise: tests/test_correlated_noise.py.)
"""
from __future__ import annotations

import math
from typing import Callable, Mapping

import numpy as np
import pytest

from analysis.constants import H, MU_B

SEEDS = 200
BAND = (0.60, 0.76)


def _coverage(fit_seed: Callable[[np.random.Generator], Mapping[str, tuple[float, float]]],
              truth: Mapping[str, float], seeds: int = SEEDS) -> dict[str, float]:
    """Fraction of seeds whose (value, 1-sigma error) from ``fit_seed`` holds ``truth``, per name."""
    hits = dict.fromkeys(truth, 0)
    for seed in range(seeds):
        got = fit_seed(np.random.default_rng(seed))
        for name, true in truth.items():
            value, error = got[name]
            hits[name] += abs(value - true) < error
    return {name: n / seeds for name, n in hits.items()}


def _assert_covers(cov: Mapping[str, float]) -> None:
    assert all(BAND[0] <= c <= BAND[1] for c in cov.values()), cov


def _gamma_prime(g: float) -> float:
    return g * MU_B / H  # Hz/T


# --- FMR: damping and Kittel without stated errors ----------------------------------------------
def test_damping_fit_without_stated_errors():
    from analysis.kittel import fit_damping
    g, alpha, db0 = 2.05, 0.006, 1.2e-3
    f = np.linspace(4e9, 18e9, 16)  # 14 degrees of freedom: +-1 s covers 67 % (Student t)
    width = db0 + 2 * alpha * f / _gamma_prime(g)  # FWHM in field: dB0 + 2 alpha omega / gamma

    def fit(rng):
        d = fit_damping(f, width + rng.normal(0, 0.1e-3, f.size), None, g)
        return {"alpha": (d.alpha, d.alpha_error), "db0": (d.db0, d.db0_error)}

    _assert_covers(_coverage(fit, {"alpha": alpha, "db0": db0}))


@pytest.mark.slow
def test_out_of_plane_kittel_fit_without_stated_errors():
    from analysis.kittel import fit_kittel
    g, meff = 2.01, 0.18
    f = np.linspace(4e9, 20e9, 16)
    b_res = f / _gamma_prime(g) + meff  # perpendicular film: f = gamma' (B - mu0 Meff)

    def fit(rng):
        k = fit_kittel(f, b_res + rng.normal(0, 0.3e-3, f.size), geometry="out-of-plane")
        return {"g": (k.g, k.errors["g"]), "bfield": (k.bfield, k.errors["bfield"])}

    _assert_covers(_coverage(fit, {"g": g, "bfield": meff}))


# --- power saturation -----------------------------------------------------------------------
def test_saturation_fit_without_stated_errors():
    from analysis.saturation import fit_saturation
    a, p_half, b = 2.0, 20e-3, 1.6
    p = np.logspace(-5, 0, 14)
    clean = a * np.sqrt(p) / (1 + p / p_half) ** (b / 2)  # Portis, inhomogeneous exponent b

    def fit(rng):
        s = fit_saturation(p, clean + rng.normal(0, 0.01 * clean.max(), p.size))
        return {"p_half": (s.p_half, s.errors["p_half"]), "b": (s.b, s.errors["b"])}

    _assert_covers(_coverage(fit, {"p_half": p_half, "b": b}))


# --- mechanical resonator -------------------------------------------------------------------
F0, Q = 1.0e5, 2.0e4  # Hz; linewidth f0 / Q = 5 Hz


@pytest.mark.slow
def test_driven_response_fit():
    from analysis.resonator_fits import fit_driven_response
    f = F0 + np.linspace(-25.0, 25.0, 41)
    amp, bg = 3e-9 * np.exp(0.7j), 1e-10 + 2e-10j
    clean = amp * F0**2 / (F0**2 - f**2 + 1j * f * F0 / Q) + bg  # harmonic oscillator, complex response
    noise = 0.02 * np.abs(clean).max()

    def fit(rng):
        z = clean + noise * (rng.normal(size=f.size) + 1j * rng.normal(size=f.size)) / math.sqrt(2)
        r = fit_driven_response(f, z)
        return {"f0": (r.f0, r.errors["f0"]), "q": (r.q, r.errors["q"])}

    _assert_covers(_coverage(fit, {"f0": F0, "q": Q}))


def test_ringdown_fit():
    """A free mode with thermal motion, exactly discretised: z_k = e^(lam h) z_(k-1) + w_k, lam =
    -1/tau + 2 pi i (f0 - f_ref), var w = s^2 (1 - e^(-2 h / tau)) (Ornstein-Uhlenbeck; Gillespie,
    Phys. Rev. E 54, 2084 (1996))."""
    from analysis.resonator_fits import fit_ringdown
    tau = Q / (math.pi * F0)
    f_ref, h, n = F0 - 0.8, tau / 40, 400
    lam = -1 / tau + 2j * math.pi * (F0 - f_ref)
    thermal = 0.05  # rms thermal envelope against an initial amplitude of 1
    t = np.arange(n) * h
    step = np.exp(lam * h)
    kick = thermal * math.sqrt(1 - math.exp(-2 * h / tau))

    def fit(rng):
        w = kick * (rng.normal(size=n) + 1j * rng.normal(size=n)) / math.sqrt(2)
        z = np.empty(n, complex)
        z[0] = 1.0 + thermal * (rng.normal() + 1j * rng.normal()) / math.sqrt(2)
        for k in range(1, n):
            z[k] = step * z[k - 1] + w[k]
        r = fit_ringdown(t, z, f_ref)
        return {"f0": (r.f0, r.errors["f0"]), "q": (r.q, r.errors["q"])}

    _assert_covers(_coverage(fit, {"f0": F0, "q": Q}))


@pytest.mark.slow
def test_thermal_spectrum_fit():
    """An average of n periodograms scatters as the model times a Gamma(n, 1/n) variate (chi^2
    with 2n degrees of freedom over 2n; Priestley 1981, sec. 6.2)."""
    from analysis.resonator_fits import fit_thermal_psd
    f = F0 + np.linspace(-30.0, 30.0, 121)
    peak, floor, n_avg = 1e-22, 2e-24, 20
    clean = peak * (F0 * F0 / Q) ** 2 / ((F0**2 - f**2) ** 2 + (f * F0 / Q) ** 2) + floor

    def fit(rng):
        r = fit_thermal_psd(f, clean * rng.gamma(n_avg, 1.0 / n_avg, f.size), 300.0, n_avg)
        return {"f0": r["f0"], "q": r["q"]}

    _assert_covers(_coverage(fit, {"f0": F0, "q": Q}))


# --- MRFM line fits ---------------------------------------------------------------------------
def test_mrfm_peak_fit():
    from analysis.mrfm import fit_peak
    b = np.linspace(0.330, 0.336, 61)
    c, fwhm = 0.3331, 1.2e-3
    clean = 5.0 / (1 + (2 * (b - c) / fwhm) ** 2) + 0.4  # Lorentzian force peak on an offset

    def fit(rng):
        p = fit_peak(b, clean + rng.normal(0, 0.15, b.size))
        return {"center": (p.center, p.errors["center"]), "width": (p.width, p.errors["width"])}

    _assert_covers(_coverage(fit, {"center": c, "width": fwhm}))


def test_mrfm_zero_crossing():
    from analysis.mrfm import zero_crossing
    b = np.linspace(0.330, 0.336, 61)
    c, hw = 0.3331, 0.6e-3
    u = (b - c) / hw
    clean = -u / (1 + u * u)  # dispersion-like signal, zero at c

    def fit(rng):
        return {"center": zero_crossing(b, clean + rng.normal(0, 0.02, b.size))}

    _assert_covers(_coverage(fit, {"center": c}))


# --- g-tensors ----------------------------------------------------------------------------------
G_PRINCIPAL = (2.0021, 2.0087, 2.0310)


def _rotation(alpha: float, beta: float, gamma: float) -> np.ndarray:
    """Rz(alpha) Ry(beta) Rz(gamma), angles in degrees."""
    def rz(a: float) -> np.ndarray:
        c, s = math.cos(math.radians(a)), math.sin(math.radians(a))
        return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])

    c, s = math.cos(math.radians(beta)), math.sin(math.radians(beta))
    ry = np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])
    return rz(alpha) @ ry @ rz(gamma)


def _g_eff(directions: np.ndarray, axes: np.ndarray) -> np.ndarray:
    """g_eff(n) = sqrt(n . g^2 . n) for the principal values along the columns of ``axes``."""
    g2 = axes @ np.diag(np.square(G_PRINCIPAL)) @ axes.T
    return np.sqrt(np.einsum("ij,jk,ik->i", directions, g2, directions))


def test_rotation_plane_fit_without_stated_errors():
    from analysis.gtensor import fit_rotation_plane
    theta = np.arange(0.0, 180.0, 15.0)
    g_max, g_min, phase = 2.031, 2.004, 25.0
    g2 = (g_max**2 + g_min**2) / 2 + (g_max**2 - g_min**2) / 2 * np.cos(2 * np.radians(theta - phase))
    clean = np.sqrt(g2)

    def fit(rng):
        p = fit_rotation_plane(theta, clean + rng.normal(0, 2e-4, theta.size))
        return {"g_max": (p.g_max, p.errors["g_max"]), "g_min": (p.g_min, p.errors["g_min"])}

    _assert_covers(_coverage(fit, {"g_max": g_max, "g_min": g_min}))


def test_g_tensor_fit_without_stated_errors():
    from analysis.gtensor import fit_g_tensor
    axes = _rotation(25.0, 40.0, -60.0)
    angles = np.radians(np.arange(0.0, 180.0, 20.0))
    planes = [np.column_stack([np.cos(angles), np.sin(angles), 0 * angles]),  # three crystal planes
              np.column_stack([0 * angles, np.cos(angles), np.sin(angles)]),
              np.column_stack([np.sin(angles), 0 * angles, np.cos(angles)])]
    n = np.vstack(planes)
    clean = _g_eff(n, axes)

    def fit(rng):
        t = fit_g_tensor(n, clean + rng.normal(0, 2e-4, clean.size))
        return {f"g{k}": (t.principal[k], t.errors[k]) for k in range(3)}

    _assert_covers(_coverage(fit, {f"g{k}": g for k, g in enumerate(sorted(G_PRINCIPAL, reverse=True))}))


# --- antiferromagnetic resonance --------------------------------------------------------------
@pytest.mark.slow
def test_afmr_map_fit():
    """The simulator's normal modes of a two-sublattice antiferromagnet (field along the easy axis)."""
    from analysis.afmr import fit_easy_axis_map
    from sim_backend.antiferromagnet import Antiferromagnet
    truth = dict(h_e=10.0, h_a=2.0, g=2.02)
    points = np.array(Antiferromagnet(**truth).field_map(np.arange(0.0, 12.01, 0.4)))
    keep = (points[:, 1] > 20e9) & (points[:, 1] < 300e9)
    h, f = points[keep, 0], points[keep, 1]

    def fit(rng):
        a = fit_easy_axis_map(h, f + rng.normal(0, 0.3e9, f.size))
        return {k: (getattr(a, k), a.errors[k]) for k in truth}

    _assert_covers(_coverage(fit, truth))


# --- powder (g-tensor) spectrum -------------------------------------------------------------
POWDER_FREQ = 9.5e9
POWDER_WIDTHS = (0.10e-3, 0.15e-3)  # Lorentzian and Gaussian FWHM (T)


def _voigt_fwhm(fwhm_l: float, fwhm_g: float) -> float:
    """FWHM of a Voigt line to 0.02 % (Olivero and Longbothum, J. Quant. Spectrosc. Radiat.
    Transfer 17, 233 (1977))."""
    return 0.5346 * fwhm_l + math.sqrt(0.2166 * fwhm_l**2 + fwhm_g**2)


def _d_voigt(x: np.ndarray, fwhm_l: float, fwhm_g: float) -> np.ndarray:
    """d/dx of the area-1 Voigt Re w(z) / (s sqrt(2 pi)), z = (x + i hwhm_L) / (s sqrt 2), with the
    Faddeeva function w (w'(z) = -2 z w(z) + 2 i / sqrt(pi))."""
    from scipy.special import wofz
    s = fwhm_g / (2 * math.sqrt(2 * math.log(2)))
    z = (x + 0.5j * fwhm_l) / (s * math.sqrt(2))
    return np.real(-2 * z * wofz(z) + 2j / math.sqrt(math.pi)) / (s * s * 2 * math.sqrt(math.pi))


def _powder_reference(b: np.ndarray, g: tuple[float, float, float], fwhm_l: float, fwhm_g: float,
                      n: int = 1000) -> np.ndarray:
    """First-derivative powder spectrum by a direct orientation sum (not the elliptic closed form
    the fit uses): an n x n midpoint grid over cos(theta) (uniform for random directions) and phi
    of one octant, direction cosines l = (sin cos phi, sin sin phi, cos), g_eff^2 = sum g_i^2 l_i^2,
    each orientation a derivative Voigt line at h f / (g_eff muB) weighted by its transition
    probability for B1 perpendicular to B0 averaged over B1's direction, (sum g_i^2 - sum g_i^4
    l_i^2 / g_eff^2) / 2, times the field-swept 1/g_eff (Aasa and Vanngard, J. Magn. Reson. 19,
    308 (1975)); the resonance fields are binned at 1/400 of the line width first (the binning
    error is second order: 1e-6 of the peak)."""
    u = (np.arange(n) + 0.5) / n
    phi = (np.arange(n) + 0.5) / n * (math.pi / 2)
    sin2 = 1 - u[:, None] ** 2
    l2 = (sin2 * np.cos(phi) ** 2, sin2 * np.sin(phi) ** 2, u[:, None] ** 2 + 0 * phi)
    g2 = sum(gi**2 * li for gi, li in zip(g, l2))
    g4 = sum(gi**4 * li for gi, li in zip(g, l2))
    weight = ((sum(gi**2 for gi in g) - g4 / g2) / 2 / np.sqrt(g2)).ravel()
    b_res = (H * POWDER_FREQ / (MU_B * np.sqrt(g2))).ravel()
    step = _voigt_fwhm(fwhm_l, fwhm_g) / 400
    lo = b_res.min() - step
    counts = np.bincount(((b_res - lo) / step).astype(int), weights=weight)
    centres = lo + (np.arange(len(counts)) + 0.5) * step
    keep = counts > 0
    out = np.zeros_like(b)
    for c, w in zip(np.array_split(centres[keep], 20), np.array_split(counts[keep], 20)):
        out += _d_voigt(b[:, None] - c[None, :], fwhm_l, fwhm_g) @ w
    return out / b_res.size


def _powder_sweep(points: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """Fields 2.5 mT beyond both edges and the clean reference spectrum there (peak-to-peak 1)."""
    c = H * POWDER_FREQ / MU_B
    b = np.linspace(c / max(G_PRINCIPAL) - 2.5e-3, c / min(G_PRINCIPAL) + 2.5e-3, points)
    clean = _powder_reference(b, G_PRINCIPAL, *POWDER_WIDTHS)
    return b, clean / np.ptp(clean)


def _scaled(model: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """``model`` times the least-squares factor onto ``ref``: the model's area is relative to the
    intensity at the mean g, the reference's is absolute."""
    return model * float(np.dot(model, ref) / np.dot(model, model))


@pytest.mark.slow
def test_powder_model_matches_the_orientation_sum():
    """The closed-form model (FFT convolution on a grid, intensity weight as a function of g_eff
    alone) against the independent orientation sum: within 5e-4 of the peak-to-peak everywhere."""
    from analysis.powder_model import powder_signal
    b, _ = _powder_sweep()
    ref = _powder_reference(b, G_PRINCIPAL, *POWDER_WIDTHS)
    model = powder_signal(b, POWDER_FREQ, np.array(G_PRINCIPAL), *POWDER_WIDTHS, 1.0, 0.0)
    assert np.max(np.abs(_scaled(model, ref) - ref)) < 5e-4 * np.ptp(ref)


@pytest.mark.slow
def test_modulated_powder_model_is_the_first_harmonic_of_the_swept_derivative():
    """Field modulation Bm cos(theta): the lock-in's first harmonic over Bm is
    (2 / Bm) <A(B + Bm cos theta) cos theta> of the absorption A; integrating by parts, it is the
    derivative spectrum averaged with weight (2 / pi) sin^2(theta) over the modulation cycle,
    evaluated here from the orientation sum by the midpoint rule over 64 phases."""
    from analysis.powder_model import powder_signal
    b, _ = _powder_sweep()
    bm = 0.2e-3
    theta = (np.arange(64) + 0.5) * math.pi / 64
    weights = 2 * np.sin(theta) ** 2 / 64  # (1 / pi) int_0^pi 2 sin^2 = 1: averages to the derivative
    wide = np.linspace(b[0] - bm, b[-1] + bm, 4 * len(b))
    deriv = _powder_reference(wide, G_PRINCIPAL, *POWDER_WIDTHS)
    ref = sum(w * np.interp(b + bm * math.cos(t), wide, deriv) for t, w in zip(theta, weights))
    model = powder_signal(b, POWDER_FREQ, np.array(G_PRINCIPAL), *POWDER_WIDTHS, 1.0, 0.0, bm)
    assert np.max(np.abs(_scaled(model, ref) - ref)) < 5e-4 * np.ptp(ref)


@pytest.mark.slow
def test_powder_fit_errors_cover_the_principal_g_values():
    """200 seeds at 2 % of the peak-to-peak noise: the 1-sigma intervals of g1, g2, g3 cover the
    truth 60-76 % of the time."""
    from analysis.powder_fit import fit_powder
    b, clean = _powder_sweep()

    def fit(rng):
        p = fit_powder(b, clean + rng.normal(0, 0.02, b.size), POWDER_FREQ)
        return {f"g{k}": (p.g[k], p.g_errors[k]) for k in range(3)}

    _assert_covers(_coverage(fit, {f"g{k}": g for k, g in enumerate(sorted(G_PRINCIPAL, reverse=True))}))


@pytest.mark.slow
def test_powder_start_is_not_caught_by_noise_spikes():
    """At 3 % noise the single-point extremes near the edges are as tall as the weaker edge peak;
    the start finds the turning points on a smoothed copy: within a line width of the true edge
    fields, and the fits within 5 error bars of the truth, on every seed."""
    from analysis.powder_fit import fit_powder, powder_start
    b, clean = _powder_sweep()
    c = H * POWDER_FREQ / MU_B
    true_fields = c / np.array(sorted(G_PRINCIPAL, reverse=True))
    width = _voigt_fwhm(*POWDER_WIDTHS)
    for seed in range(6):
        y = clean + np.random.default_rng(seed).normal(0, 0.03, b.size)
        g0, w0 = powder_start(b, y, POWDER_FREQ)
        assert np.all(np.abs(c / g0 - true_fields) < width), (seed, g0)
        assert 0.5 * width < w0 < 2 * width
        p = fit_powder(b, y, POWDER_FREQ, g0=g0, fwhm0=w0)
        assert np.all(np.abs(p.g - sorted(G_PRINCIPAL, reverse=True)) < 5 * p.g_errors), (seed, p.g, p.g_errors)
