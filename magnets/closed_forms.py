"""Closed-form Halbach results: first estimates and test oracles.

Sources (full references in docs/references.md; each form is checked against magpylib in
tests/test_halbach_closed_forms.py):
ideal 2-D multipoles (Halbach 1980; Bluemler & Soltner 2023), the finite-length thick dipole
cylinder (derived from the magnetic-charge picture), the segmentation factor of M uniformly
magnetised annular sectors, the point-dipole ring (NMR-MANDHALA: Raich & Bluemler 2004;
Soltner & Bluemler 2010) and the ring spacing that cancels d2B/dz2 (z0 = R/sqrt(2k + 4)).
"""
from __future__ import annotations

import math


def _check_radii(ri: float, ro: float) -> None:
    if not 0 < ri < ro:
        raise ValueError(f"radii must satisfy 0 < r_inner < r_outer, got {ri} m and {ro} m")


def ideal_dipole_field(br: float, ri: float, ro: float) -> float:
    """Infinitely long, continuous k = 1 Halbach cylinder: B = B_r ln(ro/ri), uniform in the bore."""
    _check_radii(ri, ro)
    return br * math.log(ro / ri)


def ideal_multipole_field(br: float, ri: float, ro: float, k: int, rho: float) -> float:
    """|B| at radius rho in the bore of an infinite k >= 2 Halbach cylinder:
    B_r k/(k-1) [1 - (ri/ro)^(k-1)] (rho/ri)^(k-1)."""
    _check_radii(ri, ro)
    if k < 2:
        raise ValueError("use ideal_dipole_field for k = 1")
    return br * k / (k - 1) * (1 - (ri / ro) ** (k - 1)) * (rho / ri) ** (k - 1)


def ideal_quadrupole_gradient(br: float, ri: float, ro: float) -> float:
    """Infinite k = 2 Halbach cylinder: G = 2 B_r (1/ri - 1/ro)."""
    _check_radii(ri, ro)
    return 2 * br * (1 / ri - 1 / ro)


def finite_dipole_cylinder(br: float, ri: float, ro: float, length: float) -> float:
    """Centre field of a k = 1 Halbach cylinder of finite ``length`` (exact for the continuous
    magnetisation; tends to B_r ln(ro/ri) as length -> infinity, with a 1/L^4 approach)."""
    _check_radii(ri, ro)
    h = length / 2
    si, so = math.hypot(h, ri), math.hypot(h, ro)
    return br * (math.log(ro / ri * (h + si) / (h + so)) + h / 2 * (1 / si - 1 / so))


def segmentation_factor(k: int, segments: int) -> float:
    """f_s = sin(x)/x, x = (k+1) pi / M: M uniformly magnetised annular sectors vs continuous."""
    x = (k + 1) * math.pi / segments
    return math.sin(x) / x


def ring_centre_field(n: int, br: float, volume: float, radius: float) -> float:
    """Centre field of a k = 1 ring of n point dipoles: B0 = 3 n B_r V / (8 pi r^3)."""
    return 3 * n * br * volume / (8 * math.pi * radius**3)


def ring_centre_gradient(n: int, br: float, volume: float, radius: float) -> float:
    """Centre gradient of a k = 2 ring of n point dipoles: G = 15 n B_r V / (16 pi r^4)."""
    return 15 * n * br * volume / (16 * math.pi * radius**4)


def ring_axial_profile(b0: float, radius: float, z: float, k: int = 1) -> float:
    """On-axis field (k = 1) or gradient (k = 2) of a point-dipole ring at height z:
    b0 r^(2k+3) / (r^2 + z^2)^(k + 3/2)."""
    return b0 * radius ** (2 * k + 3) / (radius**2 + z**2) ** (k + 1.5)


def optimal_half_spacing(radius: float, k: int = 1) -> float:
    """Distance from the centre of each of two identical rings that cancels d2B/dz2:
    z0 = R/sqrt(2k + 4) (R/sqrt 6 for a dipole pair)."""
    return radius / math.sqrt(2 * k + 4)


def dipole_error_at_centre(edge: float, radius: float) -> float:
    """Relative error of the point-dipole centre field of a cube ring, about -0.064 (a/r)^4
    (fitted to magpylib's exact fields at r/a = 3.75 ... 12.5; docs/references.md)."""
    return -0.064 * (edge / radius) ** 4


def compensation_ratio(alpha_main: float, alpha_comp: float) -> float:
    """Field ratio B_comp/B_main of a counter-oriented compensator that cancels the first-order
    drift: alpha_main B_main - alpha_comp B_comp = 0 (e.g. NdFeB under Sm2Co17: 0.29)."""
    if alpha_comp == 0:
        raise ValueError("a compensator with alpha = 0 cannot cancel any drift")
    return alpha_main / alpha_comp
