"""Correlated lock-in samples in a spectrum file: the variance inflation of a line fit from the
file's own acquisition parameters (``analysis.correlated_noise``).

Bruker files record the lock-in time constant (BES3T ``RCTC``, ESP/WinEPR ``RTC``) and the
conversion time, i.e. the time per field point (``SPTP``, ESP ``RCT``), both mapped to the BES3T
names by the readers. They do not record the filter's slope: the inflation is computed for one
RC pole (6 dB/oct), the least correlation a time constant implies, so the error bars are a lower
bound where the filter is steeper. Without both times the fit treats the points as independent,
and the analysis says so.
"""
from __future__ import annotations

from analysis.correlated_noise import reading_inflation
from formats import Dataset

#: Poles assumed where the file gives a time constant but no filter slope (the smallest correction).
ASSUMED_POLES = 1


def lockin_inflation(d: Dataset, points: int) -> tuple[float, str, bool]:
    """(variance inflation f, message, is_warning) for a trace of ``points`` field points of ``d``."""
    tc, dt = d.parameter("RCTC"), d.parameter("SPTP")
    if tc is None or dt is None or tc <= 0 or dt <= 0:
        missing = " and ".join(name for name, v in (("time constant (RCTC)", tc), ("conversion time (SPTP)", dt))
                               if v is None or v <= 0)
        return 1.0, (f"error bars assume independent points: the {d.format} file records no lock-in {missing}, "
                     f"so the correlation of successive samples is unknown"), True
    f = reading_inflation(points, tc, ASSUMED_POLES, interval=dt)
    return f, (f"error bars include the lock-in correlation of successive points: time constant "
               f"{tc * 1e3:.4g} ms, {dt * 1e3:.4g} ms per point, one RC pole assumed (the file gives no filter "
               f"slope): {points} points count as {points / f:.4g} independent ones"), False
