"""PNG figures of the ESR/FMR series (matplotlib Agg, no display needed)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from analysis.kittel import FIELD_PARAMETER, gamma_prime, resonance_field
from analysis.plotting import new_figure


def _value(results: dict[str, Any], name: str) -> float:
    v = results.get(name)
    return float(getattr(v, "value", v)) if v is not None else float("nan")


def save_figure(fig: Any, path: Path) -> Path:
    """Write a figure built by one of the ``*_figure`` functions as PNG and release it."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)



def show_warning(ax: Any, warning: str | None, limit: int = 240) -> None:
    """The analysis' 'no line found' (or other) warning, shortened and wrapped to the panel's
    width, in red at its top."""
    if warning:
        import textwrap

        text = warning if len(warning) <= limit else warning[:limit - 1] + "…"
        width = max(30, int(ax.get_position().width * ax.figure.get_figwidth() * 72 / 4.3))  # 7-pt characters
        ax.text(0.01, 0.98, textwrap.fill(text, width), transform=ax.transAxes, color="C3", fontsize=7, va="top")


def robust_limits(values: np.ndarray, errors: np.ndarray | None = None,
                  curves: list[np.ndarray] = ()) -> tuple[float, float] | None:
    """y-limits set by the data points (error bars clipped to the data's spread); model curves
    may widen them by at most that spread on each side, so a bad fit cannot squash the data."""
    v = np.asarray(values, float)
    ok = np.isfinite(v)
    if not ok.any():
        return None
    v = v[ok]
    e = np.zeros_like(v) if errors is None else np.asarray(errors, float)[ok]
    lo, hi = float(v.min()), float(v.max())
    scale = max(hi - lo, 1e-3 * float(np.max(np.abs(v))), 1e-300)
    e = np.where(np.isfinite(e), np.minimum(np.abs(e), scale), 0.0)
    lo, hi = float(np.min(v - e)), float(np.max(v + e))
    for c in curves:
        c = np.asarray(c, float)
        c = c[np.isfinite(c)]
        if len(c):
            lo, hi = min(lo, max(float(c.min()), lo - scale)), max(hi, min(float(c.max()), hi + scale))
    pad = 0.08 * max(hi - lo, scale)
    return lo - pad, hi + pad


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


def map_figure(run: Any, results: dict[str, Any], groups: list[np.ndarray]) -> Any:
    """Colour map of the traces with line centres and the Kittel curve; linewidths vs frequency."""
    fig, (ax, ax2) = new_figure(1, 2, figsize=(12, 5), gridspec_kw={"width_ratios": [3, 2]})
    if groups:
        draw_map(ax, run, groups, results)
        draw_linewidths(ax2, results)
    show_warning(ax, results.get("warning"))
    return fig


def plot_frequency_field_map(run: Any, results: dict[str, Any], path: Path, groups: list[np.ndarray]) -> Path:
    return save_figure(map_figure(run, results, groups), path)


Curve = tuple  # (x, y) or (x, y, legend label)


def series_figure(x: np.ndarray, series: dict[str, tuple[np.ndarray, np.ndarray]], xlabel: str, title: str = "",
                  curves: dict[str, Curve] | None = None, warning: str | None = None) -> Any:
    """One panel per named quantity (the name is the y label, with its unit), values with error
    bars, optional model curves; y-limits follow the data, not the curves."""
    n = max(1, len(series))
    fig, axes = new_figure(n, 1, figsize=(7, 2.6 * n + 0.4), sharex=True, squeeze=False)
    for ax, (name, (v, e)) in zip(axes[:, 0], series.items()):
        v, e = np.asarray(v, float), np.asarray(e, float)
        ax.errorbar(x, v, yerr=np.where(np.isfinite(e), e, 0.0) if len(e) == len(v) else None, fmt="o", ms=4,
                    capsize=3, label="measured")
        drawn = []
        if curves and name in curves:
            cx, cy, *label = curves[name]
            ax.plot(cx, cy, "-", label=label[0] if label else "fit")
            drawn.append(cy)
            ax.legend(fontsize=7, loc="best")
        lim = robust_limits(v, e if len(e) == len(v) else None, drawn)
        if lim is not None:
            ax.set_ylim(*lim)
        ax.ticklabel_format(axis="y", useOffset=False)
        ax.set_ylabel(name)
    axes[-1, 0].set_xlabel(xlabel)
    axes[0, 0].set_title(title)
    show_warning(axes[0, 0], warning)
    return fig


def plot_series(x: np.ndarray, series: dict[str, tuple[np.ndarray, np.ndarray]], xlabel: str, path: Path,
                title: str = "", curves: dict[str, Curve] | None = None, warning: str | None = None) -> Path:
    return save_figure(series_figure(x, series, xlabel, title, curves, warning), path)


def saturation_figure(power: np.ndarray, area: np.ndarray, area_error: np.ndarray, results: dict[str, Any],
                      title: str = "") -> Any:
    """Double integral against sqrt(P) (linear until saturation) and the same normalised by
    sqrt(P) against P (flat, then falling past P_half), with the fit and P_half marked."""
    from analysis.saturation import saturation_curve

    p, s, e = (np.asarray(v, float) for v in (power, area, area_error))
    unit = 1e12  # V T^2 -> µV mT^2
    fig, (ax, ax2) = new_figure(1, 2, figsize=(11, 4.2))
    ax.errorbar(np.sqrt(p * 1e3), s * unit, yerr=e * unit, fmt="o", ms=4, capsize=3, label="double integral")
    root = np.sqrt(p * 1e3)  # sqrt(mW)
    norm = s / root
    ax2.errorbar(p * 1e3, norm * unit, yerr=e / root * unit, fmt="o", ms=4, capsize=3,
                 label="double integral / √P")
    curves: tuple[list[np.ndarray], list[np.ndarray]] = ([], [])
    if "p_half" in results and len(p):
        ph, b, a = results["p_half"], results["inhomogeneity_b"], results["signal_per_sqrt_w"]
        fine = np.geomspace(p.min(), p.max(), 200)
        fit = saturation_curve(fine, a.value, ph.value, b.value)
        label = f"fit: P½ = {ph.value * 1e3:.3g} ± {ph.error * 1e3:.2g} mW, b = {b.value:.3g} ± {b.error:.2g}"
        ax.plot(np.sqrt(fine * 1e3), fit * unit, "-", label=label)
        ax2.plot(fine * 1e3, fit / np.sqrt(fine * 1e3) * unit, "-", label=label)
        ax2.axvline(ph.value * 1e3, color="0.5", ls="--", lw=0.8, label=f"P½ = {ph.value * 1e3:.3g} mW")
        curves = ([fit * unit], [fit / np.sqrt(fine * 1e3) * unit])
    for a_, v, err, c in ((ax, s * unit, e * unit, curves[0]), (ax2, norm * unit, e / root * unit, curves[1])):
        lim = robust_limits(v, err, c)
        if lim is not None:
            a_.set_ylim(*lim)
        a_.legend(fontsize=7, loc="best")
    ax.set_xlabel("√P (√mW)")
    ax.set_ylabel("double integral (µV mT²)")
    ax2.set_xscale("log")
    ax2.set_xlabel("microwave power P (mW)")
    ax2.set_ylabel("double integral / √P (µV mT² / √mW)")
    fig.suptitle(title)
    show_warning(ax, results.get("warning"))
    return fig
