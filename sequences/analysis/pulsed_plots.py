"""PNG plots for the pulsed experiments (matplotlib Figure, Agg; no pyplot state, no display)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure


def _save(fig: Figure, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    return path


def plot_sweep(x: np.ndarray, y: np.ndarray, fit_x: np.ndarray | None, fit_y: np.ndarray | None, *,
               xlabel: str, ylabel: str, title: str, label: str, path: Path, x_scale: float = 1e6,
               log_x: bool = False, traces: tuple[np.ndarray, np.ndarray] | None = None,
               trace_label: str = "") -> Path:
    """Signal vs swept variable with the fit; optionally a second panel of the raw traces."""
    fig = Figure(figsize=(8, 6.5 if traces is not None else 4.5), layout="constrained")
    axes = fig.subplots(2 if traces is not None else 1, 1, squeeze=False)[:, 0]
    ax = axes[0]
    ax.plot(x * x_scale, y * 1e6, "o", ms=4, label="data (phased)")
    if fit_x is not None and fit_y is not None:
        ax.plot(fit_x * x_scale, fit_y * 1e6, "-", lw=1.3, label=label)
    if log_x:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.axhline(0, color="0.8", lw=0.7)
    ax.legend(fontsize=8)
    if traces is not None:
        t, mag = traces
        axt = axes[1]
        for k in range(len(mag)):
            axt.plot(t[k] * 1e6, mag[k] * 1e6, lw=0.8)
        axt.set_xlabel(trace_label or "time (us)")
        axt.set_ylabel("|signal| (uV)")
    return _save(fig, path)


def plot_spectrum(t: np.ndarray, trace: np.ndarray, freq: np.ndarray, real: np.ndarray, results: dict[str, Any],
                  path: Path) -> Path:
    fig = Figure(figsize=(8, 6.5), layout="constrained")
    ax1, ax2 = fig.subplots(2, 1)
    ax1.plot(t * 1e6, trace.real * 1e6, lw=0.9, label="I")
    ax1.plot(t * 1e6, trace.imag * 1e6, lw=0.9, label="Q")
    ax1.set_xlabel("time after the pulse's effective origin (us)")
    ax1.set_ylabel("signal (uV)")
    ax1.legend(fontsize=8)
    ax1.set_title("FID (phase-cycled average)", fontsize=10)
    ax2.plot(freq / 1e6, real * 1e6, lw=1.0)
    peak = results.get("peak_offset")
    width = results.get("linewidth")
    if peak is not None:
        ax2.axvline(peak.value / 1e6, color="C3", lw=0.8, ls="--",
                    label=f"peak {peak.value / 1e6:+.4f} MHz, FWHM {width.value / 1e6:.3f} MHz")
        ax2.legend(fontsize=8)
        span = max(5 * width.value, 2e6)
        ax2.set_xlim((peak.value - span) / 1e6, (peak.value + span) / 1e6)
    ax2.set_xlabel("offset from the carrier (MHz)")
    ax2.set_ylabel("absorption (a.u.)")
    return _save(fig, path)
