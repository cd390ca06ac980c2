"""PNG plots of the membrane and MRFM experiments (matplotlib Agg, no display)."""
from __future__ import annotations

import math
import textwrap
from pathlib import Path
from typing import Any

import numpy as np

from analysis.plotting import new_figure
from analysis.resonator_fits import (driven_model, fit_driven_response, folded, lockin_settling,
                                               psd_model)


def _save(fig: Any, path: Path) -> Path:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)


def _title(what: str, status: str) -> str:
    return f"{what} \u2014 {status}" if status else what


def _phase_deg(z: np.ndarray) -> np.ndarray:
    """Phase in degrees, unwrapped along the sweep (no 360 degree jumps across the resonance)."""
    return np.degrees(np.unwrap(np.angle(z)))


def _val(results: dict[str, Any], name: str) -> float:
    v = results.get(name)
    return float(getattr(v, "value", v)) if v is not None else float("nan")


def plot_driven_sweep(run: Any, results: dict[str, Any], path: Path) -> Path:
    return _save(driven_sweep_figure(run, results), path)


def driven_sweep_figure(run: Any, results: dict[str, Any]) -> Any:
    """Amplitude and (unwrapped) phase against f - f0, with the complex fit."""
    f = np.asarray(run["frequency"], float)
    z = np.asarray(run["x"]) + 1j * np.asarray(run["y"])
    f0 = _val(results, "f0")
    fig, (ax, axp) = new_figure(2, 1, figsize=(8, 6), sharex=True)
    ax.plot(f - f0, np.abs(z) * 1e12, ".", label="measured")
    order = np.argsort(f)
    f, z = f[order], z[order]
    phase = _phase_deg(z)
    axp.plot(f - f0, phase, ".")
    if math.isfinite(f0):
        fit = fit_driven_response(f, z)
        conj = bool(fit.extra["conjugated"])
        fine = np.linspace(f.min(), f.max(), 800)
        q = _val(results, "q")
        curve = _rescale(f, np.conj(z) if conj else z, f0, q if math.isfinite(q) else fit.q)(fine)
        curve = np.conj(curve) if conj else curve
        ax.plot(fine - f0, np.abs(curve) * 1e12, "-", label=f"fit: f0 = {f0:.3f} Hz, Q = {_val(results, 'q'):.4g}")
        curve_phase = _phase_deg(curve)
        # Put the fitted curve on the same 360-degree branch as the data at the nearest point.
        curve_phase += 360.0 * round((phase[0] - curve_phase[0]) / 360.0)
        axp.plot(fine - f0, curve_phase, "-")
    ax.set_ylabel("amplitude (pm)")
    axp.set_ylabel("phase (deg)")
    axp.set_xlabel("f - f0 (Hz)")
    ax.legend(fontsize=8)
    ax.set_title(_title("membrane driven sweep", run.status))
    return fig


def _rescale(f: np.ndarray, z: np.ndarray, f0: float, q: float):
    """Least-squares complex amplitude and background for the fitted shape (for drawing)."""
    shape = driven_model(f, f0, q, 1.0, 0.0)
    a = np.vstack([shape, np.ones_like(shape)]).T
    coef, *_ = np.linalg.lstsq(a, z, rcond=None)
    return lambda ff: driven_model(ff, f0, q, coef[0], coef[1])


def plot_ringdown(run: Any, results: dict[str, Any], path: Path) -> Path:
    t = np.asarray(run["time"], float)
    r = np.asarray(run["amplitude"], float)
    fig, ax = new_figure(figsize=(8, 5))
    ax.semilogy(t, r * 1e12, ".", ms=3, label="lock-in amplitude")
    tau, a0, floor = _val(results, "ringdown_time"), _val(results, "initial_amplitude"), _val(results, "noise_floor")
    if math.isfinite(tau):
        span = lockin_settling(float(run.parameters.get("time_constant", 1e-3)),
                               int(run.parameters.get("filter_slope", 24)) // 6)
        t0 = t[np.argmax(t >= span)]
        curve = np.sqrt(a0**2 * np.exp(-2 * (t - t0) / tau) + floor**2)
        ax.semilogy(t, curve * 1e12, "-", label=f"fit: tau = {tau:.4g} s, Q = {_val(results, 'q'):.4g}, "
                                                f"f0 = {_val(results, 'f0'):.3f} Hz")
    ax.set_xlabel("time after release (s)")
    ax.set_ylabel("amplitude (pm)")
    ax.legend(fontsize=8)
    ax.set_title(_title("membrane ringdown", run.status))
    return _save(fig, path)


def plot_psd(run: Any, results: dict[str, Any], path: Path, spectrum: tuple) -> Path:
    f, s, _ = spectrum
    f0, q = _val(results, "f0"), _val(results, "q")
    fig, ax = new_figure(figsize=(8, 5))
    ax.semilogy(f - f0, np.sqrt(s), "-", lw=0.8, label="measured sqrt(S_x)")
    if math.isfinite(f0):
        peak = _val(results, "peak_displacement_noise") ** 2
        floor = _val(results, "displacement_floor") ** 2
        p = run.parameters
        sampling = (float(p["center_frequency"]), float(p["sample_rate"]), float(p["time_constant"]),
                    int(p["filter_slope"]) // 6)
        model = folded(lambda ff: psd_model(ff, f0, q, peak, floor), f, sampling)
        ax.semilogy(f - f0, np.sqrt(model), "-",
                    label=f"fit: Q = {q:.4g}, k = {_val(results, 'spring_constant'):.4g} N/m, "
                          f"F_th = {_val(results, 'force_noise') * 1e15:.3g} fN/sqrt(Hz) at "
                          f"{_val(results, 'temperature'):.1f} K")
    ax.set_xlabel(f"f - f0 (Hz), f0 = {f0:.3f} Hz")
    ax.set_ylabel("displacement noise (m/sqrt(Hz))")
    ax.legend(fontsize=8)
    ax.set_title(_title("membrane thermal noise spectrum", run.status))
    return _save(fig, path)


def plot_force_spectrum(fields: np.ndarray, signal: np.ndarray, curve: tuple | None, results: dict[str, Any],
                        path: Path, status: str) -> Path:
    return _save(force_spectrum_figure(fields, signal, curve, results, status), path)


def force_spectrum_figure(fields: np.ndarray, signal: np.ndarray, curve: tuple | None, results: dict[str, Any],
                          status: str) -> Any:
    """The spectrum, its fit or half-maximum edges, and the analysis' warning if any."""
    fig, ax = new_figure(figsize=(8, 5))
    ax.plot(fields * 1e3, signal * 1e12, ".", label="force-detected signal (principal axis)")
    if curve is not None:
        ax.plot(curve[0] * 1e3, curve[1] * 1e12, "-", label=f"fit: B0 = {_val(results, 'resonance_field') * 1e3:.4f} mT,"
                                                            f" g = {_val(results, 'g_factor'):.5f}")
    ax.set_xlabel("field (mT)")
    ax.set_ylabel("membrane amplitude (pm)")
    if results.get("model") == "half maximum":
        c, w = _val(results, "resonance_field"), _val(results, "linewidth_fwhm")
        for edge in (c - w / 2, c + w / 2):
            ax.axvline(edge * 1e3, color="0.5", ls="--", lw=0.8)
        label = f"half maximum: B0 = {c * 1e3:.3f} mT, FWHM = {w * 1e3:.3g} mT, g = {_val(results, 'g_factor'):.5f}"
        ax.plot([], [], color="0.5", ls="--", lw=0.8, label=label)
    ax.legend(fontsize=8, loc="lower right" if results.get("warning") else "best")
    if results.get("warning"):
        ax.text(0.01, 0.99, "\n".join(textwrap.wrap(str(results["warning"]), 100)), transform=ax.transAxes,
                va="top", fontsize=7, color="firebrick",
                bbox=dict(facecolor="white", alpha=0.85, edgecolor="none"))
    ax.set_title(_title("force-detected ESR", status))
    return fig


def plot_profile(slice_z: np.ndarray, signal: np.ndarray, z: np.ndarray, density: np.ndarray,
                 results: dict[str, Any], path: Path, status: str) -> Path:
    fig, (ax, axs) = new_figure(2, 1, figsize=(8, 7), sharex=True)
    ax.plot(z * 1e9, density, "-", label="reconstructed spin density (NNLS + Tikhonov)")
    for name in ("z1", "z2"):
        if name in results:
            ax.axvline(_val(results, name) * 1e9, color="0.6", ls="--", lw=0.8)
    ax.set_ylabel("relative density")
    ax.legend(fontsize=8)
    ratio = _val(results, "dip_ratio")
    ax.set_title(_title("1D MRFM profile", status) + (f" (dip ratio {ratio:.2f})" if math.isfinite(ratio) else ""))
    axs.plot(slice_z * 1e9, signal * 1e12, "o-", ms=3, label="slice signal")
    axs.set_xlabel("slice position z (nm)")
    axs.set_ylabel("signal (pm)")
    axs.legend(fontsize=8)
    return _save(fig, path)
