"""PNG of a spectrum file with its analysis: the analysed trace(s), the fit, the residual."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from analysis.plotting import new_figure
from formats import Axis, Dataset

#: display scale per SI unit: (factor, label unit)
_DISPLAY = {"T": (1e3, "mT"), "s": (1e6, "µs"), "Hz": (1e-6, "MHz"), "W": (1e3, "mW")}


def axis_label(axis: Axis) -> tuple[np.ndarray, str]:
    factor, unit = _DISPLAY.get(axis.unit, (1.0, axis.unit))
    if axis.unit == "s" and np.max(np.abs(axis.values)) < 5e-6:
        factor, unit = 1e9, "ns"
    return axis.values * factor, f"{axis.name or 'x'} ({unit})" if unit else (axis.name or "x")


def plot_file(d: Dataset, signal: np.ndarray, curves: dict[str, np.ndarray], title: str, path: Path) -> Path:
    """The trace (2-D: every slice, offset) and the fitted curve with its residual below."""
    x, xlabel = axis_label(d.x)
    fit = curves.get("fit")
    if signal.ndim == 1 and fit is not None and len(fit) == len(signal):
        fig, (ax, axr) = new_figure(2, 1, figsize=(8, 6), sharex=True, gridspec_kw={"height_ratios": [3, 1]})
        ax.plot(x, signal, ".", ms=2, label="data")
        ax.plot(x, fit, "-", lw=1.2, label="fit")
        axr.plot(x, signal - fit, ".", ms=2)
        axr.set_ylabel("residual")
        axr.set_xlabel(xlabel)
        ax.legend(loc="best", fontsize=8)
    else:
        fig, ax = new_figure(figsize=(8, 5))
        if signal.ndim == 1:
            ax.plot(x, signal, "-", lw=1)
        else:
            rows = signal.reshape(-1, signal.shape[-1])
            step = float(np.max(np.ptp(rows, axis=1))) or 1.0
            for i, row in enumerate(rows):
                ax.plot(x, row + i * step, "-", lw=0.8)
        ax.set_xlabel(xlabel)
    ax.set_ylabel(d.ordinates[0].name or "signal")
    ax.set_title(title[:90])
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return path
