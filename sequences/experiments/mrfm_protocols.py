"""Spin-modulation protocols of force-detected magnetic resonance, shared by the ESR sweep and
the 1D imaging experiment.

The spin magnetisation in the resonant slice is modulated at the membrane frequency f_m so the
spin force F = m_z dBz/dz drives the mode on resonance (Sidles et al. 1995):

- ``cyclic_saturation``: microwave AM (depth, rate f_m): the slice is saturated and recovers
  with T1 every cycle (needs T1 <~ 1/f_m).
- ``field_modulation``: the membrane lock-in's sine out drives a coil at the sample (Bm at f_m).
- ``frequency_modulation``: microwave FM (deviation, rate f_m); equivalent to field modulation
  of amplitude 2 pi dev / gamma.
- ``cyclic_adiabatic_inversion``: microwave FM with a deviation and B1 large enough that
  (gamma B1)^2 >> gamma dB/dt, so slice spins are inverted twice per cycle.
"""
from __future__ import annotations

from typing import Any

from drivers.lab import Lab
from drivers.roles import LockInAmplifier
from analysis.constants import H, MU_B
from sequences.experiment import Parameter
from sequences.experiments.membrane_readout import MembraneLockinExperiment

PROTOCOLS = ("cyclic_saturation", "field_modulation", "frequency_modulation", "cyclic_adiabatic_inversion")

class MrfmExperiment(MembraneLockinExperiment):
    """Base of the force-detected resonance experiments: the microwave, spin-modulation and
    membrane lock-in settings they share."""

    mw_frequency = Parameter(9.5e9, "Hz", "microwave frequency", 1e6, 300e9, display_unit="GHz")
    power = Parameter(1.1e-3, "W", "microwave power at the source", 0.0, 10.0, display_unit="mW",
                      limit="max_rf_power")
    protocol = Parameter("cyclic_saturation", "", "spin-modulation protocol", choices=PROTOCOLS)
    membrane_frequency = Parameter(1_000_237.5, "Hz", "modulation rate = lock-in reference (the mode's f0)",
                                   1.0, 50e6, display_unit="Hz")
    am_depth = Parameter(1.0, "", "AM depth for cyclic saturation", 0.0, 1.0)
    fm_deviation = Parameter(1e6, "Hz", "FM peak deviation (frequency modulation, adiabatic inversion)",
                             0.0, 1e9, display_unit="MHz")
    coil_amplitude = Parameter(0.1e-3, "T", "field-modulation amplitude (peak) at the sample", 0.0, 0.1,
                               display_unit="mT")
    coil_t_per_v = Parameter(1e-4, "T/V", "modulation coil calibration (peak T per V of sine out)", 1e-9, 1.0,
                             display_unit="mT/V")
    g_factor = Parameter(2.0023, "", "g of the spins (field <-> frequency conversions)", 0.1, 10.0)
    settle = Parameter(1.6, "s", "wait after each field step (>= 5 ringdown times)", 0.0, 1e4)
    average = Parameter(1.0, "s", "averaging time per point", 0.0, 1e4)
    read_interval = Parameter(0.01, "s", "time between lock-in reads while averaging", 1e-5, 10.0,
                              display_unit="ms")
    time_constant = MembraneLockinExperiment.time_constant.replace(default=10e-3)
    ramp_rate = Parameter(0.05, "T/s", "field ramp rate (capped by the lab limit)", 1e-6, 1.0, display_unit="mT/s")
    spring_constant = Parameter(0.0, "N/m", "mode stiffness from the thermal spectrum (0: report m only)",
                                0.0, 1e9)
    quality_factor = Parameter(0.0, "", "mode Q (0: report displacement only)", 0.0, 1e12)


def protocol_problems(exp: Any, lab: Lab) -> list[str]:
    problems = []
    if exp.protocol == "field_modulation":
        volts = exp.coil_amplitude / exp.coil_t_per_v
        if volts > 5.0:
            problems.append(f"coil_amplitude = {exp.coil_amplitude * 1e3:g} mT needs {volts:.3g} V of sine out; "
                            f"at most 5 V (coil {exp.coil_t_per_v * 1e3:g} mT/V)")
    elif exp.protocol == "cyclic_saturation" and exp.am_depth <= 0:
        problems.append("cyclic_saturation needs am_depth > 0")
    elif exp.protocol in ("frequency_modulation", "cyclic_adiabatic_inversion") and exp.fm_deviation <= 0:
        problems.append(f"{exp.protocol} needs fm_deviation > 0")
    return problems


def sweep_amplitude(exp: Any) -> float:
    """Peak excursion (T) of the resonance offset that the protocol applies."""
    if exp.protocol == "field_modulation":
        return exp.coil_amplitude
    if exp.protocol in ("frequency_modulation", "cyclic_adiabatic_inversion"):
        return H * exp.fm_deviation / (exp.g_factor * MU_B)
    return 0.0


def resonance_field(exp: Any) -> float:
    return H * exp.mw_frequency / (exp.g_factor * MU_B)


def start_protocol(lab: Lab, li: LockInAmplifier, exp: Any, rate: float) -> None:
    """Set the microwaves and the modulation at ``rate`` (Hz) and switch the microwaves on."""
    rf = lab.rf
    rf.frequency = exp.mw_frequency
    rf.power = exp.power
    set_rate(lab, li, exp, rate)
    rf.output = True


def set_rate(lab: Lab, li: LockInAmplifier, exp: Any, rate: float) -> None:
    """Move the modulation and the lock-in reference to ``rate`` (frequency tracking)."""
    rf = lab.rf
    li.reference_frequency = rate
    if exp.protocol == "cyclic_saturation":
        rf.set_modulation("am", True, depth=exp.am_depth, rate=rate)
    elif exp.protocol in ("frequency_modulation", "cyclic_adiabatic_inversion"):
        rf.set_modulation("fm", True, deviation=exp.fm_deviation, rate=rate)
    else:
        li.reference_amplitude = exp.coil_amplitude / exp.coil_t_per_v


def stop_protocol(lab: Lab, li: LockInAmplifier) -> None:
    rf = lab.rf
    rf.output = False
    for kind in ("am", "fm"):
        rf.set_modulation(kind, False)
    li.reference_amplitude = 0.0


def to_force(exp_values: dict[str, Any], displacement: float) -> float | None:
    """Force amplitude F = k x / Q on resonance (None when k or Q is not given)."""
    k, q = float(exp_values.get("spring_constant", 0.0)), float(exp_values.get("quality_factor", 0.0))
    return k * displacement / q if k > 0 and q > 0 else None
