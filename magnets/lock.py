"""Active drift compensation during runs: a feed-forward field-frequency lock from temperature.

A permanent magnet's B0 follows its temperature (NdFeB: about -1200 ppm/K;
Blümler & Soltner 2023), so thermostats alone cannot hold a narrow line. The lock keeps a calibrated model

    B0(T) = B0(T_ref) + a (T - T_ref) + b (T - T_ref)^2

and, for each temperature reading, returns either the RF frequency that stays on resonance
(mode 'frequency': f = f_nominal + gamma_bar dB0, for NMR or a pulsed run) or the sweep-coil
setpoint that restores the field (mode 'field': B_set = B_nominal - dB0, for cw ESR, where the
source is locked to the cavity). Every correction is kept as a :class:`LockCorrection` for the
run's file. Calibrate a, b in situ from (T, B0) or (T, f0) pairs of a run: catalogue alpha
values are only good to about +-10 % (Blümler & Soltner 2023).

This is pure logic: it reads nothing and sets nothing. The run plan reads the sensor and applies
the result, so the same class works on the simulated and the real lab.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Sequence

import numpy as np

from magnets.constants import gamma_bar

MODES = ("frequency", "field")


class LockRangeError(ValueError):
    """A correction beyond the lock's allowed range: a broken sensor or a wrong calibration."""


@dataclass(frozen=True)
class LockCorrection:
    """One correction: what was read and what the lock asked for (SI)."""

    time: float  # s
    temperature: float  # K, as read
    filtered_temperature: float  # K, after the optional low-pass
    field_shift: float  # T, predicted B0(T) - B0(T_ref)
    frequency: float  # Hz, corrected RF frequency (mode 'frequency'; the nominal one otherwise)
    setpoint: float  # T, corrected field setpoint (mode 'field'; the nominal one otherwise)


@dataclass
class Calibration:
    """How the model was obtained: number of samples, residual rms (T) and slope error (T/K)."""

    n_samples: int = 0
    residual_rms: float = float("nan")
    slope_error: float = float("nan")
    source: str = "given"


@dataclass
class FieldFrequencyLock:
    """Feed-forward lock: temperature reading in, corrected frequency or field setpoint out."""

    db0_dt: float  # T/K
    reference_temperature: float  # K
    reference_field: float  # T, B0 at the reference temperature
    d2b0_dt2: float = 0.0  # T/K^2
    mode: str = "frequency"
    species: str | float = "1H"
    nominal_frequency: float | None = None  # Hz; default gamma_bar * reference_field
    nominal_setpoint: float = 0.0  # T, used when correct() is given no setpoint
    filter_time: float = 0.0  # s, first-order low-pass on the temperature reading (0 = off)
    max_field_shift: float = math.inf  # T; a larger predicted shift raises LockRangeError
    calibration: Calibration = field(default_factory=Calibration)
    records: list[LockCorrection] = field(default_factory=list)
    _t_filtered: float | None = field(default=None, repr=False)
    _t_last: float | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"lock mode {self.mode!r}; use one of {MODES}")
        for name in ("db0_dt", "reference_temperature", "reference_field", "d2b0_dt2"):
            if not math.isfinite(getattr(self, name)):
                raise ValueError(f"lock {name} = {getattr(self, name)!r} must be finite")
        if self.reference_temperature <= 0:
            raise ValueError(f"reference temperature {self.reference_temperature} K must be > 0 (kelvin)")
        if self.filter_time < 0:
            raise ValueError(f"filter_time {self.filter_time} s must be >= 0")
        self.gamma_bar = gamma_bar(self.species)
        if self.nominal_frequency is None:
            self.nominal_frequency = self.gamma_bar * self.reference_field

    # --- model -------------------------------------------------------------------------------
    def field_shift(self, temperature: float) -> float:
        """Predicted B0(T) - B0(T_ref) in T."""
        d = temperature - self.reference_temperature
        return self.db0_dt * d + self.d2b0_dt2 * d * d

    def predicted_field(self, temperature: float) -> float:
        return self.reference_field + self.field_shift(temperature)

    @property
    def ppm_per_k(self) -> float:
        return self.db0_dt / self.reference_field * 1e6

    # --- in a run ----------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget the filter state and the records (start of a run)."""
        self.records.clear()
        self._t_filtered = self._t_last = None

    def correct(self, temperature: float, time: float | None = None, setpoint: float | None = None) -> LockCorrection:
        """Correction for a temperature reading (K) taken at ``time`` (s); ``setpoint`` is the
        nominal field setpoint of the current point in 'field' mode. Recorded and returned."""
        if not (math.isfinite(temperature) and temperature > 0):
            raise LockRangeError(f"temperature reading {temperature!r} K is not a valid kelvin value; "
                                 f"check the magnet sensor")
        now = float(len(self.records)) if time is None else float(time)
        if self._t_filtered is None or self.filter_time == 0:
            tf = float(temperature)
        else:
            dt = max(0.0, now - (self._t_last if self._t_last is not None else now))
            k = 1.0 - math.exp(-dt / self.filter_time)
            tf = self._t_filtered + k * (temperature - self._t_filtered)
        self._t_filtered, self._t_last = tf, now
        shift = self.field_shift(tf)
        if abs(shift) > self.max_field_shift:
            raise LockRangeError(
                f"lock would shift the field by {shift * 1e6:.4g} uT at T = {tf:.4g} K, beyond the allowed "
                f"+-{self.max_field_shift * 1e6:.4g} uT: check the sensor, the calibration or max_field_shift")
        nominal = self.nominal_setpoint if setpoint is None else float(setpoint)
        freq = self.nominal_frequency + (self.gamma_bar * shift if self.mode == "frequency" else 0.0)
        sp = nominal - shift if self.mode == "field" else nominal
        rec = LockCorrection(now, float(temperature), tf, shift, freq, sp)
        self.records.append(rec)
        return rec

    def table(self) -> dict[str, np.ndarray]:
        """The corrections as columns (for an HDF5 group), SI with units in the names."""
        cols = {"time_s": "time", "temperature_K": "temperature", "filtered_temperature_K": "filtered_temperature",
                "field_shift_T": "field_shift", "frequency_Hz": "frequency", "setpoint_T": "setpoint"}
        return {k: np.array([getattr(r, a) for r in self.records], float) for k, a in cols.items()}

    def metadata(self) -> dict[str, Any]:
        """The model and its calibration, JSON-able, for the run's metadata."""
        out = {k: getattr(self, k) for k in ("db0_dt", "reference_temperature", "reference_field", "d2b0_dt2",
                                             "mode", "nominal_frequency", "nominal_setpoint", "filter_time")}
        out["species"] = self.species
        out["max_field_shift"] = None if math.isinf(self.max_field_shift) else self.max_field_shift
        out["ppm_per_K"] = self.ppm_per_k
        out["calibration"] = asdict(self.calibration)
        return out

    # --- construction ------------------------------------------------------------------------
    @classmethod
    def calibrate(cls, temperatures: Sequence[float], *, fields: Sequence[float] | None = None,
                  frequencies: Sequence[float] | None = None, line_fields: Sequence[float] | None = None,
                  species: str | float = "1H", order: int = 1, reference_temperature: float | None = None,
                  **kwargs: Any) -> "FieldFrequencyLock":
        """Fit the model to samples of one run. Give exactly one of: ``fields`` (B0 measured, T),
        ``frequencies`` (resonance frequency at fixed field, Hz) or ``line_fields`` (the sweep
        setpoint at which a line appears at fixed frequency, T: it moves opposite to B0)."""
        given = [n for n, v in (("fields", fields), ("frequencies", frequencies), ("line_fields", line_fields))
                 if v is not None]
        if len(given) != 1:
            raise ValueError(f"calibrate needs exactly one of fields, frequencies or line_fields; got {given or 'none'}")
        if order not in (1, 2):
            raise ValueError(f"calibration order {order}; use 1 (linear) or 2 (quadratic)")
        t = np.asarray(temperatures, float)
        y = np.asarray(fields if fields is not None else frequencies if frequencies is not None else line_fields, float)
        if t.shape != y.shape or t.ndim != 1:
            raise ValueError(f"temperatures ({t.shape}) and {given[0]} ({y.shape}) must be 1-D and the same length")
        if not (np.all(np.isfinite(t)) and np.all(np.isfinite(y))):
            raise ValueError("calibration samples contain NaN or infinite values")
        if len(t) < order + 2:
            raise ValueError(f"need at least {order + 2} samples for an order-{order} calibration, got {len(t)}")
        if np.ptp(t) < 1e-3:
            raise ValueError(f"temperatures span only {np.ptp(t) * 1e3:.3g} mK: the slope cannot be determined; "
                             f"calibrate over a run in which the magnet temperature changes")
        # b is the magnet's field; a line seen at fixed frequency moves opposite to it, and its
        # position at T_ref is the resonance field, used as the reference field.
        sign = -1.0 if line_fields is not None else 1.0
        b = sign * (y / gamma_bar(species) if frequencies is not None else y)
        t_ref = float(np.mean(t)) if reference_temperature is None else float(reference_temperature)
        x = t - t_ref
        design = np.column_stack([x**p for p in range(order + 1)])
        coef, *_ = np.linalg.lstsq(design, b, rcond=None)
        resid = b - design @ coef
        dof = max(1, len(t) - order - 1)
        s2 = float(resid @ resid) / dof
        cov = s2 * np.linalg.pinv(design.T @ design)
        cal = Calibration(len(t), float(np.sqrt(np.mean(resid**2))), float(np.sqrt(cov[1, 1])), given[0])
        ref_field = kwargs.pop("reference_field", float(sign * coef[0]))
        return cls(db0_dt=float(coef[1]), reference_temperature=t_ref, reference_field=float(ref_field),
                   d2b0_dt2=float(coef[2]) if order == 2 else 0.0, species=species, calibration=cal, **kwargs)

    @classmethod
    def from_drift(cls, drift: Any, species: str | float = "1H", **kwargs: Any) -> "FieldFrequencyLock":
        """A lock from a design's computed :class:`magnets.thermal.Drift` (before any in-situ data)."""
        return cls(db0_dt=drift.db_dt, reference_temperature=drift.temperature, reference_field=drift.b0,
                   species=species, calibration=Calibration(source="design"), **kwargs)
