"""Water-selective excitation and fat suppression: LIBRE, binomial 1-1 / 1-2-1 / 1-180-1, fat-sat.

All pulses are built in the frame of the water resonance (the carrier sits on water; a pulse's
``offset`` is its frequency relative to water, a phase ramp that starts at the pulse's own
phase at its first sample, as the AWG target plays it). Fat sits ``shift_ppm`` (-3.4 ppm for
the main methylene line) from water, i.e. at ``shift_ppm * 1e-6 * gamma * B0`` Hz.

LIBRE (lipid-insensitive binomial off-resonant excitation; Bastiaansen & Stuber, Magn. Reson.
Med. 79, 3007 (2018)) is two rectangular sub-pulses of length T at a frequency offset f_RF
from water, on the side away from fat, played back to back. The design here:

* f_RF = |fat shift| puts water and fat symmetric about the RF, water at f_RF T = 1/2, where a
  sub-pulse excites an off-resonant spin most (small-tip response w1 sin(pi f T) / (pi f));
* T is chosen so that fat, 2 |shift| from the RF, nutates exactly 2 pi about its effective field
  in each sub-pulse: T sqrt(f1^2 + (2 shift)^2) = 1. Each sub-pulse then returns fat to +z, for
  any phase, and, since f1 << 2 shift, nearly so at other B1 (the error is second order in f1);
* the phase step between the sub-pulses is 0 in the model's per-pulse phase convention (each
  sub-pulse's ramp restarts at its programmed phase), so water's two contributions add;
* f1 gives the flip angle: water's small-tip response 2 * 2 pi f1 sin(pi f_RF T) / (pi f_RF)
  of the pair equals the flip angle, with T solved jointly by fixed-point iteration.

Binomial pulses (Hore, J. Magn. Reson. 55, 283 (1983)) are hard sub-pulses with amplitudes in
binomial ratios, centre-to-centre ``tau = 1 / (2 |shift|)`` apart: fat precesses by pi between
them, so for 1-1 and 1-2-1 with the carrier on water its contributions cancel. 1-180-1 (1-1bar)
flips the second pulse's phase by 180 deg and puts the carrier on fat, so water, precessing by
pi relative to it, adds.

The fat-saturation pulse is a Gaussian 90 deg pulse at the fat frequency (CHESS; Haase et al.,
Phys. Med. Biol. 30, 341 (1985)).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from sequences.pulse.model import Sequence, delay, pulse
from sequences.pulse.shapes import parse_shape

#: 1H gyromagnetic ratio / 2 pi, Hz/T (CODATA 2018, proton, unshielded).
GAMMA_1H = 42.577478e6
#: Fat methylene line relative to water, ppm (e.g. Hamilton et al., NMR Biomed. 24, 784 (2011)).
FAT_SHIFT_PPM = -3.4


class DesignError(ValueError):
    """A design the hardware limits (maximum B1) or the physics cannot meet."""


@dataclass(frozen=True)
class PulseDesign:
    """A designed excitation: its sequence (amplitudes relative to ``b1_max``) and the numbers."""

    name: str
    sequence: Sequence
    b1_max: float  # T, amplitude 1.0 of the sequence
    b1_peak: float  # T, the largest B1 the design uses
    fat_offset: float  # Hz, the suppressed line relative to water
    numbers: tuple[tuple[str, float, str], ...] = ()  # (name, SI value, unit) for printing

    @property
    def w1_max(self) -> float:
        """Nutation rate (rad/s) of amplitude 1.0."""
        return 2 * math.pi * GAMMA_1H * self.b1_max


def fat_offset_hz(b0: float, shift_ppm: float = FAT_SHIFT_PPM) -> float:
    """The suppressed line's frequency relative to water (Hz) at field ``b0`` (T)."""
    if not (b0 > 0 and shift_ppm):
        raise DesignError(f"B0 = {b0!r} T must be positive and the shift {shift_ppm!r} ppm non-zero")
    return shift_ppm * 1e-6 * GAMMA_1H * b0


def _amplitude(f1: float, b1_max: float, what: str) -> float:
    b1 = f1 / GAMMA_1H
    if not b1_max > 0:
        raise DesignError(f"b1_max = {b1_max!r} T must be positive")
    if b1 > b1_max * (1 + 1e-12):
        raise DesignError(f"{what} needs B1 = {b1 * 1e6:.4g} uT, above b1_max = {b1_max * 1e6:.4g} uT; "
                          "lower the flip angle, lengthen the pulse or raise b1_max")
    return b1 / b1_max


def design_libre(b0: float, flip_deg: float, b1_max: float, shift_ppm: float = FAT_SHIFT_PPM) -> PulseDesign:
    """LIBRE water excitation of ``flip_deg`` at ``b0`` that leaves the line at ``shift_ppm`` at +z."""
    if not 0 < flip_deg <= 90:
        raise DesignError(f"LIBRE flip angle {flip_deg!r} deg: the design holds for 0 < flip <= 90 deg")
    df = fat_offset_hz(b0, shift_ppm)
    f_rf = -df  # RF on the far side of water from fat
    theta = math.radians(flip_deg)
    t = 1.0 / (2 * abs(df))
    f1 = 0.0
    for _ in range(50):
        response = math.sin(math.pi * f_rf * t) / (math.pi * f_rf)  # s, per unit w1
        f1 = theta / (2 * 2 * math.pi * abs(response))
        t_new = 1.0 / math.sqrt(f1 * f1 + (2 * df) ** 2)
        if abs(t_new - t) < 1e-16:
            break
        t = t_new
    amp = _amplitude(f1, b1_max, f"LIBRE ({flip_deg:g} deg at {b0:g} T)")
    seq = Sequence("libre", (pulse("t_sub", "x", amplitude=amp, offset=f_rf, name="s1"),
                             pulse("t_sub", "x", amplitude=amp, offset=f_rf, name="s2")),
                   {"t_sub": t}, description=f"LIBRE {flip_deg:g} deg water excitation, fat at {df:.4g} Hz")
    return PulseDesign("libre", seq, b1_max, f1 / GAMMA_1H, df,
                       (("sub-pulse duration", t, "s"), ("RF offset from water", f_rf, "Hz"),
                        ("phase step", 0.0, "deg"), ("B1", f1 / GAMMA_1H, "T")))


BINOMIAL = {"1-1": (1, 1), "1-2-1": (1, 2, 1), "1-180-1": (1, 1)}


def design_binomial(kind: str, b0: float, flip_deg: float, b1_max: float, shift_ppm: float = FAT_SHIFT_PPM,
                    unit_pulse: float = 100e-6) -> PulseDesign:
    """Binomial water excitation ``kind`` (1-1, 1-2-1, 1-180-1) from hard pulses; the unit pulse
    (coefficient 1) lasts ``unit_pulse`` s, higher coefficients are longer at the same B1."""
    if kind not in BINOMIAL:
        raise DesignError(f"binomial pulse {kind!r} unknown; use one of {', '.join(BINOMIAL)}")
    coeffs = BINOMIAL[kind]
    df = fat_offset_hz(b0, shift_ppm)
    tau = 1.0 / (2 * abs(df))
    if coeffs[-1] * unit_pulse / 2 + coeffs[0] * unit_pulse / 2 >= tau:
        raise DesignError(f"binomial {kind}: unit pulse {unit_pulse * 1e6:g} us does not fit between pulse "
                          f"centres {tau * 1e6:.4g} us apart; shorten it")
    theta = math.radians(flip_deg)
    f1 = theta / (2 * math.pi * unit_pulse * sum(coeffs))
    amp = _amplitude(f1, b1_max, f"binomial {kind} ({flip_deg:g} deg)")
    carrier = df if kind == "1-180-1" else 0.0  # 1-180-1: carrier on fat, water precesses by pi
    items = []
    t = 0.0  # start of the current pulse, for the carrier's phase ramp
    for k, c in enumerate(coeffs):
        length = c * unit_pulse
        phase = (180.0 * k if kind == "1-180-1" else 0.0) + 360.0 * carrier * t
        items.append(pulse(length, phase % 360.0, amplitude=amp, offset=carrier, name=f"b{k + 1}"))
        if k + 1 < len(coeffs):
            gap = tau - length / 2 - coeffs[k + 1] * unit_pulse / 2
            items.append(delay(gap, "tau"))
            t += length + gap
    seq = Sequence(f"binomial-{kind}", tuple(items), {}, description=f"binomial {kind} {flip_deg:g} deg")
    return PulseDesign(f"binomial {kind}", seq, b1_max, f1 / GAMMA_1H, df,
                       (("interpulse (centres)", tau, "s"), ("unit pulse", unit_pulse, "s"),
                        ("B1", f1 / GAMMA_1H, "T")))


def design_fat_sat(b0: float, b1_max: float, shift_ppm: float = FAT_SHIFT_PPM, duration: float = 8e-3,
                   flip_deg: float = 90.0, sigma: float = 1 / 6) -> PulseDesign:
    """A Gaussian ``flip_deg`` pulse of ``duration`` s on the fat line (CHESS saturation)."""
    df = fat_offset_hz(b0, shift_ppm)
    shape = parse_shape(f"gauss(sigma={sigma:g})")
    mean = float(shape.envelope(4096, duration).real.mean())
    f1 = math.radians(flip_deg) / (2 * math.pi * duration * mean)
    amp = _amplitude(f1, b1_max, f"fat saturation ({flip_deg:g} deg in {duration * 1e3:g} ms)")
    seq = Sequence("fat-sat", (pulse("t_sat", "x", amplitude=amp, offset=df, name="sat", shape=shape.spec()),),
                   {"t_sat": duration}, description=f"Gaussian {flip_deg:g} deg on fat ({df:.4g} Hz)")
    return PulseDesign("fat-sat", seq, b1_max, f1 / GAMMA_1H, df,
                       (("duration", duration, "s"), ("offset", df, "Hz"), ("peak B1", f1 / GAMMA_1H, "T")))
