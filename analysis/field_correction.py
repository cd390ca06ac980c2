"""Field calibration: Hall readback against setpoint in both sweep directions (the iron yoke's
remanence follows the last ramp direction), and the correction that puts a g-marker (DPPH,
g = 2.0036, Poole 1983) measured in the same run at its known field."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.constants import DPPH_G, H, MU_B


@dataclass
class HysteresisFit:
    """Hall - setpoint per direction: offset at the mean setpoint and slope (scale error)."""

    offset_up: float
    offset_up_error: float
    offset_down: float
    offset_down_error: float
    slope_up: float
    slope_down: float

    @property
    def remanence(self) -> float:
        return 0.5 * (self.offset_up - self.offset_down)

    @property
    def remanence_error(self) -> float:
        return 0.5 * float(np.hypot(self.offset_up_error, self.offset_down_error))


def _line(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """Offset at mean x, its standard error, slope."""
    xc = x - x.mean()
    if len(x) < 3 or np.ptp(x) == 0:
        return float(y.mean()), float(y.std(ddof=1) / np.sqrt(len(y))) if len(y) > 1 else float("nan"), 0.0
    slope, offset = np.polyfit(xc, y, 1)
    resid = y - (offset + slope * xc)
    return float(offset), float(np.sqrt(resid @ resid / (len(y) - 2) / len(y))), float(slope)


def fit_hysteresis(setpoint: np.ndarray, hall: np.ndarray, direction: np.ndarray) -> HysteresisFit:
    """``direction`` > 0 for points reached while sweeping up, < 0 sweeping down."""
    setpoint, hall, direction = (np.asarray(v, float) for v in (setpoint, hall, direction))
    up, down = direction > 0, direction < 0
    if up.sum() < 2 or down.sum() < 2:
        raise ValueError("the hysteresis fit needs at least two points in each sweep direction")
    ou, eu, su = _line(setpoint[up], hall[up] - setpoint[up])
    od, ed, sd = _line(setpoint[down], hall[down] - setpoint[down])
    return HysteresisFit(ou, eu, od, ed, su, sd)


def marker_field(frequency: float, g_marker: float = DPPH_G) -> float:
    """Where the marker resonates: B = h f / (g muB)."""
    return H * frequency / (g_marker * MU_B)


def marker_correction(measured: float, measured_error: float, frequency: float,
                      g_marker: float = DPPH_G) -> tuple[float, float]:
    """Additive correction (T) taking measured fields to the field at the sample."""
    return marker_field(frequency, g_marker) - measured, measured_error


def g_from_field(b_res: float, b_err: float, frequency: float, correction: float = 0.0,
                 correction_error: float = 0.0) -> tuple[float, float]:
    b = b_res + correction
    g = H * frequency / (MU_B * b)
    return g, g * float(np.hypot(b_err, correction_error)) / b
