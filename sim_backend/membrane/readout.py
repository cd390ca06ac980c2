"""Fibre-interferometer readout of the membrane and the demodulator (lock-in) behind it.

The photodiode voltage of a low-finesse fibre interferometer is
V(d) = V_mid + (V_pp/2) cos(4 pi d / lambda + phi), d = d0 + x (cavity length plus membrane
displacement). Its slope, and so the volts per metre of membrane motion, depends on the working
point d0: largest at mid-fringe (quadrature), zero at a fringe extremum. The working point
wanders until it is locked; the fringe calibration measures V_pp by sweeping the laser through a
fringe. Voltage noise (shot, laser and electronics noise) is white with density ``noise_density``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Interferometer:
    wavelength: float = 1550e-9  # m
    v_pp: float = 1.0  # V, fringe peak to peak
    v_mid: float = 0.5  # V
    noise_density: float = 40e-9  # V/sqrt(Hz) at the photodiode (~1e-14 m/sqrt(Hz) at quadrature)
    #: Interferometric phase 4 pi d0 / lambda + phi of the working point (rad).
    phase: float = 1.1
    locked: bool = False
    #: Residual phase error of the working-point servo (rad) and random-walk drift of the unlocked
    #: cavity (rad/sqrt(s); 0: an unlocked working point stays where it happens to be).
    lock_error: float = 0.01
    free_drift: float = 0.0
    calibration_error: float = 1e-3  # relative error of one fringe measurement
    detector_bandwidth: float = 20e6  # Hz, analog bandwidth of photodiode + anti-alias filter
    calibrated_v_pp: float | None = None
    calibrated_v_mid: float | None = None
    rng: np.random.Generator = field(default_factory=lambda: np.random.default_rng(11))

    @property
    def fringe_k(self) -> float:
        return 4 * math.pi / self.wavelength

    @property
    def volts_per_metre(self) -> float:
        """True small-signal slope dV/dx at the present working point (signed)."""
        return -(self.v_pp / 2) * self.fringe_k * math.sin(self.phase)

    def voltage(self, x: np.ndarray | float) -> np.ndarray | float:
        return self.v_mid + (self.v_pp / 2) * np.cos(self.phase + self.fringe_k * np.asarray(x))

    def advance(self, dt: float) -> None:
        if not self.locked and self.free_drift > 0:
            self.phase += self.free_drift * math.sqrt(dt) * float(self.rng.standard_normal())

    def calibrate(self) -> float:
        """Sweep through a fringe: measure V_pp and V_mid; returns metres per volt at quadrature."""
        self.calibrated_v_pp = self.v_pp * (1 + self.calibration_error * float(self.rng.standard_normal()))
        self.calibrated_v_mid = self.v_mid + self.calibration_error * self.v_pp * float(self.rng.standard_normal())
        return self.metres_per_volt()

    def metres_per_volt(self) -> float:
        if self.calibrated_v_pp is None:
            raise RuntimeError("fringe not calibrated: call calibrate_fringe() first")
        return 1.0 / ((self.calibrated_v_pp / 2) * self.fringe_k)

    def lock(self) -> None:
        """Servo to mid-fringe on the negative-cosine flank, where V rises with x."""
        self.phase = -math.pi / 2 + self.lock_error * float(self.rng.standard_normal())
        self.locked = True


@dataclass
class Demodulator:
    """State of the lock-in that demodulates the photodiode voltage (HF2LI-like, to 50 MHz)."""

    frequency: float = 1_000_237.5  # reference, Hz
    phase_deg: float = 0.0
    time_constant: float = 1e-3
    poles: int = 4
    #: Sine-out amplitude (V peak) at the reference frequency; drives the field-modulation coil.
    sine_out: float = 0.0

    def gain(self, volts_per_metre: float) -> complex:
        """Envelope (m, peak) -> demodulated output (V RMS), rotated by the reference phase."""
        return volts_per_metre / math.sqrt(2) * complex(math.cos(math.radians(self.phase_deg)),
                                                        -math.sin(math.radians(self.phase_deg)))
