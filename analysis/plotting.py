"""PNG plots of results (matplotlib, Agg: no display needed)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np


def new_figure(*args: Any, **kwargs: Any):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(*args, **kwargs)


def plot_esr_spectrum(run: Any, results: dict[str, Any], path: Path, averaged: tuple) -> Path:
    """Scan-averaged derivative spectrum with the fitted curve and the residual."""
    b, x, _ = averaged
    fig, (ax, axr) = new_figure(2, 1, figsize=(8, 6), sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    ax.plot(b * 1e3, x * 1e6, ".", ms=3, label="lock-in X (scan average)")
    curve = results.get("fit_curve")
    if curve is not None and len(curve) == len(b):
        curve = np.asarray(curve)
        label = f"{results.get('model')} fit"
        if "g_factor" in results:
            label += f": g = {results['g_factor'].value:.5f}, ΔBpp = {results['linewidth_pp'].value * 1e3:.4f} mT"
        ax.plot(b * 1e3, curve * 1e6, "-", lw=1.2, label=label)
        axr.plot(b * 1e3, (x - curve) * 1e6, ".", ms=2)
        if "resonance_field" in results:
            ax.axvline(results["resonance_field"].value * 1e3, color="0.6", lw=0.8, ls="--")
    ax.set_ylabel("signal (µV)")
    axr.set_ylabel("residual (µV)")
    axr.set_xlabel("field (mT)")
    ax.legend(loc="best", fontsize=8)
    from analysis.fmr_plots import show_warning  # here: fmr_plots builds on this module

    show_warning(ax, results.get("warning"))  # e.g. a lock-in lag that biases the fit
    ax.set_title(f"{run.metadata.get('title', 'cw-ESR field sweep')} — {run.status}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return Path(path)
