"""Hyperbolic-secant adiabatic inversion (Silver, Joseph & Hoult, J. Magn. Reson. 59, 347 (1984)).

B1(t) = B1 sech(beta' t) with the frequency swept as -mu beta' tanh(beta' t), beta' = 2 beta / T
over a pulse of length T. It inverts every spin within the swept band (mu beta' / pi Hz) once
the pulse is adiabatic, omega1 >= sqrt(mu) beta' (the adiabaticity factor K below >= 1; a few
for robust inversion), and then for any B1 above that: the inversion is B1-insensitive.
"""
from __future__ import annotations

import math

from sequences.pulse.model import Sequence, pulse
from sequences.pulse.shapes import Shape
from sequences.pulse.water_excitation import GAMMA_1H, DesignError, PulseDesign


def design_hsec(duration: float, b1: float, b1_max: float, beta: float = 5.3, mu: float = 5.0) -> PulseDesign:
    """An HS inversion of ``duration`` s at peak ``b1`` (T, <= ``b1_max``)."""
    if not (duration > 0 and b1 > 0):
        raise DesignError(f"hsec: duration {duration!r} s and b1 {b1!r} T must be positive")
    if b1 > b1_max * (1 + 1e-12):
        raise DesignError(f"hsec needs B1 = {b1 * 1e6:.4g} uT, above b1_max = {b1_max * 1e6:.4g} uT")
    shape = Shape("hsec", (("beta", beta), ("mu", mu)))
    beta_rate = 2 * beta / duration
    w1 = 2 * math.pi * GAMMA_1H * b1
    k = w1 / (math.sqrt(mu) * beta_rate)
    seq = Sequence("hsec-inversion", (pulse("t_hs", "x", amplitude=b1 / b1_max, name="hs", shape=shape.spec()),),
                   {"t_hs": duration}, description=f"hyperbolic-secant inversion, beta {beta:g}, mu {mu:g}")
    return PulseDesign("hsec", seq, b1_max, b1, 0.0,
                       (("duration", duration, "s"), ("sweep width", mu * beta_rate / math.pi, "Hz"),
                        ("peak B1", b1, "T"), ("adiabaticity K", k, "")))
