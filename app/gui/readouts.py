"""How the plots write values in their read-outs: trace labels, and quantities with an SI prefix
written as the axes write it (µ, not u)."""
from __future__ import annotations

import math
from typing import Any

from app.gui.results_table import shown_unit
from sequences.experiment import FitValue
from units.display import format_quantity

LABELS = {"x": "lock-in X", "y": "lock-in Y", "r": "lock-in R", "field": "field", "frequency": "frequency"}


def describe(value: float, unit: str) -> str:
    if not math.isfinite(value):
        return "-"
    if unit in ("", "deg"):
        return f"{value:.5g} {unit}".strip()
    number, _, prefixed = format_quantity(value, unit, 5).rpartition(" ")
    return f"{number} {shown_unit(prefixed)}"  # µ as the axes and the results table write it


def format_results(results: dict[str, Any]) -> str:
    """Fit results as short lines (arrays left out)."""
    lines = []
    for name, v in results.items():
        if isinstance(v, FitValue):
            err = "" if not math.isfinite(v.error) else f" ± {describe(v.error, v.unit)}"
            lines.append(f"{name}: {describe(v.value, v.unit)}{err}")
        elif isinstance(v, (str, int, float)) and not isinstance(v, bool):
            lines.append(f"{name}: {v}")
    return "\n".join(lines)
