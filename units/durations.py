"""Durations as people read them ("2 min 05 s", "1 h 03 min"): the one formatter for the CLI
progress bar's ETA, the GUI's estimated duration and time left, and the safe state's ramp."""
from __future__ import annotations

import math


def format_duration(seconds: float) -> str:
    """Rounded to the second; hours and minutes only when they are not zero. Negative, NaN or
    infinite durations (nothing known yet) read "unknown"."""
    if not math.isfinite(seconds) or seconds < 0:
        return "unknown"
    h, rem = divmod(int(round(seconds)), 3600)
    m, s = divmod(rem, 60)
    return f"{h} h {m:02d} min" if h else f"{m} min {s:02d} s" if m else f"{s} s"
