"""``spinbench sequence profile``: design a water-selective or adiabatic pulse, profile it, plot it.

Glue between the designs (sequences.pulse.water_excitation, .adiabatic), the AWG compiler
(what the hardware plays, sampled at ``sample_rate``) and the Bloch ensemble
(sim_backend.pulsed.profile). The profile printed and plotted is that of the *sampled*
waveform; the AWG quantisation error is its largest difference from the ideal waveform's.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from drivers.errors import ConfigError
from sequences.pulse import Constraints, compile_awg
from sequences.pulse.adiabatic import design_hsec
from sequences.pulse.segments import ideal_segments, sampled_segments
from sequences.pulse.water_excitation import (FAT_SHIFT_PPM, DesignError, PulseDesign, design_binomial,
                                              design_fat_sat, design_libre)
from sim_backend.pulsed.profile import excitation_profile
from units.quantity import UnitError, parse_quantity

#: --set keys: (SI unit for parse_quantity, unit of a bare number, default).
SETTINGS = {"b0": ("T", "T", 3.0), "flip": ("", "", 10.0), "shift": ("", "", FAT_SHIFT_PPM),
            "b1_max": ("T", "T", 13.5e-6), "sample_rate": ("Hz", "Hz", 250e3),
            "duration": ("s", "s", 0.0), "unit_pulse": ("s", "s", 100e-6)}
#: B1 scales over which suppression is quoted (a transmit field within +-20% of nominal).
B1_RANGE = (0.8, 1.2)
#: The hyperbolic-secant inversion's documented B1 range (tests/test_shaped_pulses.py).
HSEC_B1_RANGE = (0.8, 2.0)


def _designs(s: dict[str, float]) -> dict[str, Callable[[], PulseDesign]]:
    b0, flip, shift, b1 = s["b0"], s["flip"], s["shift"], s["b1_max"]
    return {
        "libre": lambda: design_libre(b0, flip, b1, shift),
        "binomial-1-1": lambda: design_binomial("1-1", b0, flip, b1, shift, s["unit_pulse"]),
        "binomial-1-2-1": lambda: design_binomial("1-2-1", b0, flip, b1, shift, s["unit_pulse"]),
        "binomial-1-180-1": lambda: design_binomial("1-180-1", b0, flip, b1, shift, s["unit_pulse"]),
        "fat-sat": lambda: design_fat_sat(b0, b1, shift, s["duration"] or 8e-3),
        "hsec": lambda: design_hsec(s["duration"] or 20e-3, b1, b1),
    }


NAMES = tuple(_designs({k: v[2] for k, v in SETTINGS.items()}))


def parse_settings(items: list[str]) -> dict[str, float]:
    """``["b0=3T", "flip=10"]`` -> SI values over the defaults; every problem at once."""
    out = {k: v[2] for k, v in SETTINGS.items()}
    problems = []
    for item in items:
        key, eq, raw = (p.strip() for p in item.partition("="))
        if not eq or key not in SETTINGS:
            problems.append(f"--set {item!r}: expected one of {', '.join(SETTINGS)} as name=value, e.g. b0=3T")
            continue
        unit, bare, _ = SETTINGS[key]
        raw = raw.removesuffix("deg").removesuffix("ppm").strip() if key in ("flip", "shift") else raw
        try:
            out[key] = parse_quantity(raw, unit, bare=bare, name=key)
        except UnitError as exc:
            problems.append(str(exc))
    if problems:
        raise ConfigError("; ".join(problems))
    return out


@dataclass
class Figures:
    design: PulseDesign
    water: float  # |Mxy| of water at nominal B1 (excitation), or -Mz on resonance (inversion)
    worst: float  # fat |Mxy| / water |Mxy|, worst over B1_RANGE; for hsec the worst inversion
    quantisation: float  # max |M_sampled - M_ideal| over the grid
    offsets: np.ndarray
    scales: np.ndarray
    profile_off: np.ndarray  # |Mxy| (or -Mz) vs offset at nominal B1
    profile_b1: np.ndarray  # (2, scales): water and fat vs B1 scale


def measure(design: PulseDesign, sample_rate: float, span: float = 1500.0, n_off: int = 121) -> Figures:
    """Profile the AWG-sampled design against offset (at nominal B1) and against B1 scale."""
    c = Constraints.for_awg(sample_rate, max_pulse_length=1.0, max_rf_duty_cycle=1.0)
    sampled = sampled_segments(compile_awg(design.sequence, c))
    ideal = ideal_segments(design.sequence, reference_rate=sample_rate, oversample=4)
    inversion = design.name == "hsec"
    lo, hi = HSEC_B1_RANGE if inversion else B1_RANGE
    scales = np.linspace(lo, hi, 9)
    marks = np.array([0.0, design.fat_offset or 200.0])
    offsets = np.linspace(-span, span, n_off)
    p_off = excitation_profile(sampled, design.w1_max, offsets)
    p_b1 = excitation_profile(sampled, design.w1_max, marks, scales)
    p_ref = excitation_profile(ideal, design.w1_max, marks, scales)
    quant = float(max(np.abs(p_b1.mxy - p_ref.mxy).max(), np.abs(p_b1.mz - p_ref.mz).max()))
    if inversion:
        inv = -p_b1.mz.T
        return Figures(design, float(-p_off.mz[0, n_off // 2]), float(inv.min()), quant, offsets, scales,
                       -p_off.mz[0], inv)
    mxy = np.abs(p_b1.mxy).T
    return Figures(design, float(np.abs(p_off.mxy[0, n_off // 2])), float((mxy[1] / mxy[0]).max()), quant,
                   offsets, scales, np.abs(p_off.mxy[0]), mxy)


def report_lines(f: Figures, sample_rate: float) -> list[str]:
    d = f.design
    lines = [f"{d.sequence.name}: {d.sequence.description}"]
    for name, value, unit in d.numbers:
        shown = {"s": (1e6, "us"), "T": (1e6, "uT")}.get(unit, (1.0, unit))
        lines.append(f"  {name:24s} {value * shown[0]:.5g} {shown[1]}".rstrip())
    if d.name == "hsec":
        lines.append(f"  inversion on resonance   {f.water:.4f}")
        lines.append(f"  worst inversion, B1 x{f.scales[0]:g}-{f.scales[-1]:g} (0 and 200 Hz)  {f.worst:.4f}")
    else:
        lines.append(f"  water |Mxy|              {f.water:.4f}")
        lines.append(f"  fat |Mxy|                {f.profile_b1[1, len(f.scales) // 2]:.4f}")
        if d.name != "fat-sat":  # fat-sat excites fat on purpose (a spoiler then dephases it)
            lines.append(f"  fat/water, B1 x{f.scales[0]:g}-{f.scales[-1]:g}  {100 * f.worst:.3g} % (worst)")
    lines.append(f"  AWG quantisation error   {f.quantisation:.2e} (max |dM| at {sample_rate / 1e3:g} kS/s)")
    return lines


def plot(figs: list[Figures], path: Path) -> Path:
    """|Mxy| against offset (left) and water/fat against B1 scale (right), one curve per pulse."""
    from analysis.plotting import new_figure

    fig, (ax, ax2) = new_figure(1, 2, figsize=(11, 4.2))
    for f in figs:
        label = f.design.sequence.name
        ax.plot(f.offsets, f.profile_off, lw=1.2, label=label)
        ax2.plot(f.scales, f.profile_b1[0], "-", label=f"{label}: water" if f.design.name != "hsec" else label)
        if f.design.name != "hsec":
            ax2.plot(f.scales, f.profile_b1[1], "--", label=f"{label}: fat")
    fat = figs[0].design.fat_offset
    if fat:
        ax.axvline(fat, color="0.6", lw=0.8, ls=":")
        ax.text(fat, ax.get_ylim()[1] * 0.95, " fat", fontsize=8, color="0.4")
    inversion = figs[0].design.name == "hsec"
    ax.set_xlabel("offset from water (Hz)")
    ax.set_ylabel("-Mz" if inversion else "|Mxy| (M0 = 1)")
    ax2.set_xlabel("B1 / nominal")
    ax2.set_ylabel("-Mz" if inversion else "|Mxy|")
    ax.legend(fontsize=8)
    ax2.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path


def run_profile(name: str, items: list[str], out: Path | None) -> int:
    """Design ``name``, print its figures (and, for excitations, 1-180-1 and fat-sat beside it)."""
    s = parse_settings(items)
    designs = _designs(s)
    if name not in designs:
        raise ConfigError(f"no pulse design {name!r}; profile takes {', '.join(designs)}")
    shown = [name] if name == "hsec" else [name] + [n for n in ("binomial-1-180-1", "fat-sat") if n != name]
    try:
        figs = [measure(designs[n](), s["sample_rate"]) for n in shown]
    except DesignError as exc:
        raise ConfigError(str(exc)) from None
    for f in figs:
        print("\n".join(report_lines(f, s["sample_rate"])))
    path = plot(figs, out or Path(f"{name}-profile.png"))
    print(f"profile plot: {path}")
    return 0
