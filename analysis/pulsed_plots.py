"""PNG plots for the pulsed experiments (matplotlib Figure, Agg; no pyplot state, no display)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np


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
    from matplotlib.figure import Figure
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


def spectrum_figure(t: np.ndarray, trace: np.ndarray, freq: np.ndarray, real: np.ndarray,
                    results: dict[str, Any]) -> Figure:
    """FID (I, Q) above its phased spectrum. Two widths are labelled for what they are: the
    spectrum's own half-height width (what the eye reads off this plot; narrowed by the missing
    dead-time points) and the line FWHM of the Voigt fit to the FID envelope (the physical one)."""
    from matplotlib.figure import Figure
    fig = Figure(figsize=(8, 6.5), layout="constrained")
    ax1, ax2 = fig.subplots(2, 1)
    ax1.plot(t * 1e6, trace.real * 1e6, lw=0.9, label="I")
    ax1.plot(t * 1e6, trace.imag * 1e6, lw=0.9, label="Q")
    ax1.set_xlabel("time after the pulse's effective origin (us)")
    ax1.set_ylabel("signal (uV)")
    ax1.legend(fontsize=8)
    ax1.set_title("FID (phase-cycled average)", fontsize=10)
    ax2.plot(freq / 1e6, real * 1e6, lw=1.0, label="phased spectrum")
    peak = results.get("peak_offset")
    width = results.get("linewidth")
    spec_w = results.get("spectrum_fwhm")
    if peak is not None:
        ax2.axvline(peak.value / 1e6, color="C3", lw=0.8, ls="--", label=f"peak {peak.value / 1e6:+.4f} MHz")
        if spec_w is not None and np.isfinite(spec_w.value):
            half = float(np.interp(peak.value, freq, real)) / 2
            ax2.plot([(peak.value - spec_w.value / 2) / 1e6, (peak.value + spec_w.value / 2) / 1e6],
                     [half * 1e6] * 2, "-", color="C2", lw=2,
                     label=f"half-height width of this spectrum {spec_w.value / 1e6:.3f} MHz "
                           f"(narrowed: dead-time points missing)")
        if width is not None:
            ax2.plot([], [], " ", label=f"line FWHM {width.value / 1e6:.3f} MHz from the Voigt fit to the FID envelope")
        lo_y, hi_y = float(np.min(real)) * 1e6, float(np.max(real)) * 1e6
        ax2.set_ylim(min(lo_y, 0.0) - 0.05 * (hi_y - lo_y), hi_y + 0.75 * (hi_y - min(lo_y, 0.0)))  # room for the legend
        ax2.legend(fontsize=7, loc="upper left")
        span = max(5 * (width.value if width is not None else 0.0), 2e6)
        ax2.set_xlim((peak.value - span) / 1e6, (peak.value + span) / 1e6)
    ax2.set_xlabel("offset from the carrier (MHz)")
    ax2.set_ylabel("absorption (a.u.)")
    return fig


def plot_spectrum(t: np.ndarray, trace: np.ndarray, freq: np.ndarray, real: np.ndarray, results: dict[str, Any],
                  path: Path) -> Path:
    return _save(spectrum_figure(t, trace, freq, real, results), path)
