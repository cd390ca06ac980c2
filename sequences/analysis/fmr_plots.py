"""PNG figures of the ESR/FMR series (matplotlib Agg, no display needed)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from sequences.analysis.kittel import FIELD_PARAMETER, gamma_prime, resonance_field
from sequences.analysis.plotting import new_figure


def _value(results: dict[str, Any], name: str) -> float:
    v = results.get(name)
    return float(getattr(v, "value", v)) if v is not None else float("nan")


def _save(fig: Any, path: Path) -> Path:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)


def draw_map(ax: Any, run: Any, groups: list[np.ndarray], results: dict[str, Any], label: str = "") -> None:
    """Each trace as a horizontal band (signal normalised per trace), Kittel curve on top."""
    freqs = np.array([float(run["frequency"][idx[0]]) for idx in groups])
    order = np.argsort(freqs)
    fs = freqs[order]
    mids = 0.5 * (fs[1:] + fs[:-1]) if len(fs) > 1 else np.array([])
    span = (fs[-1] - fs[0]) / max(len(fs) - 1, 1) if len(fs) > 1 else max(fs[0] * 0.05, 1e8)
    lows = np.r_[fs[0] - span / 2, mids]
    highs = np.r_[mids, fs[-1] + span / 2]
    mesh = None
    for k, i in enumerate(order):
        idx = groups[i]
        b, x = run["field"][idx], run["x"][idx]
        norm = np.max(np.abs(x)) or 1.0
        edges = np.r_[b[0] - (b[1] - b[0]) / 2, 0.5 * (b[1:] + b[:-1]), b[-1] + (b[-1] - b[-2]) / 2] \
            if len(b) > 1 else np.array([b[0] - 1e-4, b[0] + 1e-4])
        mesh = ax.pcolormesh(edges * 1e3, np.array([lows[k], highs[k]]) / 1e9, (x / norm)[None, :],
                             cmap="RdBu_r", vmin=-1, vmax=1, shading="flat")
    b_res = np.array(results.get("resonance_field", []), float)
    b_err = np.array(results.get("resonance_field_error", []), float)
    if len(b_res) == len(freqs):
        ax.errorbar(b_res * 1e3, freqs / 1e9, xerr=b_err * 1e3, fmt="o", ms=3, color="k", label="line centres")
    g = _value(results, "g_factor")
    geometry = results.get("geometry", "")
    if np.isfinite(g) and geometry in FIELD_PARAMETER:
        name = FIELD_PARAMETER[geometry]
        bfield = _value(results, name) if name else 0.0
        fine = np.linspace(lows[0], highs[-1], 300)
        curve = resonance_field(fine, g, bfield, geometry)
        text = f"Kittel ({geometry}): g = {g:.4f}" + (f", {name} = {bfield * 1e3:.1f} mT" if name else "")
        ax.plot(curve * 1e3, fine / 1e9, "-", color="gold", lw=1.5, label=text)
    ax.set_xlabel("field (mT)")
    ax.set_ylabel("frequency (GHz)")
    ax.set_title(label or "frequency-field map")
    ax.legend(loc="lower right", fontsize=7)
    if mesh is not None:
        ax.figure.colorbar(mesh, ax=ax, label="lock-in X (per-trace normalised)")


def draw_linewidths(ax: Any, results: dict[str, Any]) -> None:
    f = np.array(results.get("trace_frequency", []), float)
    w = np.array(results.get("fwhm", []), float)
    we = np.array(results.get("fwhm_error", []), float)
    if len(f) == 0:
        return
    ax.errorbar(f / 1e9, w * 1e3, yerr=we * 1e3, fmt="o", ms=4, label="absorption FWHM")
    alpha, db0, g = _value(results, "alpha"), _value(results, "inhomogeneous_fwhm"), _value(results, "g_factor")
    if np.isfinite(alpha) and np.isfinite(g):
        fine = np.linspace(0, f.max() * 1.05, 50)
        ax.plot(fine / 1e9, (db0 + 2 * alpha * fine / gamma_prime(g)) * 1e3, "-",
                label=f"alpha = {alpha:.4g}, dB0 = {db0 * 1e3:.3f} mT")
    ax.set_xlabel("frequency (GHz)")
    ax.set_ylabel("FWHM (mT)")
    ax.legend(fontsize=7)


def plot_frequency_field_map(run: Any, results: dict[str, Any], path: Path, groups: list[np.ndarray]) -> Path:
    fig, (ax, ax2) = new_figure(1, 2, figsize=(12, 5), gridspec_kw={"width_ratios": [3, 2]})
    if groups:
        draw_map(ax, run, groups, results)
        draw_linewidths(ax2, results)
    return _save(fig, path)


def plot_series(x: np.ndarray, series: dict[str, tuple[np.ndarray, np.ndarray]], xlabel: str, path: Path,
                title: str = "", curves: dict[str, tuple[np.ndarray, np.ndarray]] | None = None) -> Path:
    """One panel per named quantity (values with error bars), optional model curves."""
    n = max(1, len(series))
    fig, axes = new_figure(n, 1, figsize=(7, 2.6 * n), sharex=True, squeeze=False)
    for ax, (name, (v, e)) in zip(axes[:, 0], series.items()):
        ax.errorbar(x, v, yerr=e, fmt="o", ms=4)
        if curves and name in curves:
            ax.plot(*curves[name], "-")
        ax.set_ylabel(name)
    axes[-1, 0].set_xlabel(xlabel)
    axes[0, 0].set_title(title)
    return _save(fig, path)
