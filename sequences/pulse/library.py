"""The standard pulse-sequence library (Schweiger & Jeschke 2001; docs/references.md).

Each function returns a :class:`Sequence` with named parameters (SI seconds) and its standard
phase cycle. Defaults suit an X-band pulsed ESR spectrometer (500 MHz PulseBlaster clock, pi/2
= 20 ns); every parameter can be changed with ``seq.with_values(...)`` or ``--set`` on the CLI.

Timing conventions (stated here because papers differ):

* ``tau`` in echo sequences is centre-to-centre: the echo forms 2*tau after the *centre* of the
  pi/2 pulse, and the acquisition window is centred on it;
* ``t_rec`` / ``t_free`` are the gaps between the end of one pulse and the start of the next;
* ``dead_time`` is the gap between the end of the last pulse and the start of acquisition;
* ``rep_delay`` ends every shot so the spins relax before the next one (>= 5 T1).
"""
from __future__ import annotations

from typing import Callable

from sequences.pulse.nv_library import NV_LIBRARY
from sequences.pulse.model import (PhaseCycle, Sequence, acquire, cyclops, delay, loop, pulse, two_step)

#: Defaults shared by the library (SI).
COMMON = {"p90": 20e-9, "p180": 40e-9, "dead_time": 80e-9, "acq_time": 512e-9, "rep_delay": 200e-6}
TRIGGER = ("trigger",)


def _params(*names: str, **extra: float) -> dict[str, float]:
    out = {n: COMMON[n] for n in names}
    out.update(extra)
    return out


def fid() -> Sequence:
    """Pulse-acquire: pi/2 - dead time - acquire the free induction decay. CYCLOPS."""
    return Sequence("fid", (pulse("p90", "x", name="p1", markers=TRIGGER), delay("dead_time", "dead"),
                            acquire("acq_time"), delay("rep_delay", "rep")),
                    _params("p90", "dead_time", "acq_time", "rep_delay"), cyclops(),
                    description="pi/2 - acquire FID")


def hahn_echo() -> Sequence:
    """pi/2_x - tau - pi_x - tau - echo (window centred on 2 tau). Two-step cycle on the pi/2.

    The 256 ns window lets the receiver open a 60 ns ring-down after the pi pulse from tau = 208 ns
    (tau >= p180/2 + acq_time/2 + ring-down); lengthen it for narrow lines with long echoes.
    """
    return Sequence("hahn-echo", (
        pulse("p90", "x", name="p1", markers=TRIGGER),
        delay("tau - p90/2 - p180/2", "tau1"),
        pulse("p180", "x", name="p2"),
        delay("tau - p180/2 - acq_time/2", "tau2"),
        acquire("acq_time"),
        delay("rep_delay", "rep"),
    ), _params("p90", "p180", "rep_delay", acq_time=256e-9, tau=400e-9), two_step("p1"),
        description="Hahn echo; echo at 2 tau from the centre of the pi/2 pulse")


def cpmg() -> Sequence:
    """pi/2_x - tau - (pi_y - tau - echo - tau) x n_echoes. Echo k at 2 k tau. Two-step on the pi/2."""
    return Sequence("cpmg", (
        pulse("p90", "x", name="p1", markers=TRIGGER),
        delay("tau - p90/2 - p180/2", "tau1"),
        loop("n_echoes",
             pulse("p180", "y", name="p2"),
             delay("tau - p180/2 - acq_time/2", "pre-echo"),
             acquire("acq_time"),
             delay("tau - acq_time/2 - p180/2", "post-echo"),
             label="echo train"),
        delay("rep_delay", "rep"),
    ), _params("p90", "p180", "rep_delay", acq_time=400e-9, tau=600e-9, n_echoes=8), two_step("p1"),
        description="Carr-Purcell-Meiboom-Gill echo train", integer_parameters=("n_echoes",))


def inversion_recovery() -> Sequence:
    """pi - t_rec - pi/2 - acquire FID. Mz(t) = M0 (1 - 2 exp(-t/T1)). Two-step on the pi/2."""
    return Sequence("inversion-recovery", (
        pulse("p180", "x", name="p1", markers=TRIGGER),
        delay("t_rec", "recovery"),
        pulse("p90", "x", name="p2"),
        delay("dead_time", "dead"),
        acquire("acq_time"),
        delay("rep_delay", "rep"),
    ), _params("p90", "p180", "dead_time", "acq_time", "rep_delay", t_rec=10e-6), two_step("p2"),
        description="inversion recovery with FID detection")


def saturation_recovery() -> Sequence:
    """(pi/2 - spacing) x n_sat - t_rec - pi/2 - acquire. Mz(t) = M0 (1 - exp(-t/T1)). Two-step."""
    return Sequence("saturation-recovery", (
        loop("n_sat", pulse("p90", "x", name="sat", markers=TRIGGER), delay("sat_spacing", "spacing"),
             label="saturation comb"),
        delay("t_rec", "recovery"),
        pulse("p90", "x", name="p2"),
        delay("dead_time", "dead"),
        acquire("acq_time"),
        delay("rep_delay", "rep"),
    ), _params("p90", "dead_time", "acq_time", "rep_delay", t_rec=10e-6, n_sat=8, sat_spacing=1e-6),
        two_step("p2"), description="saturation recovery with a pi/2 comb", integer_parameters=("n_sat",))


def nutation() -> Sequence:
    """Rabi nutation: pulse of length tp - dead time - acquire FID; signal ~ sin(omega1 tp). CYCLOPS."""
    return Sequence("nutation", (
        pulse("tp", "x", name="p1", markers=TRIGGER),
        delay("dead_time", "dead"),
        acquire("acq_time"),
        delay("rep_delay", "rep"),
    ), _params("dead_time", "acq_time", "rep_delay", tp=20e-9), cyclops(),
        description="Rabi nutation (pulse length tp)")


def ramsey() -> Sequence:
    """pi/2 - t_free - pi/2 - acquire: fringes at the offset frequency, decaying with T2*. Two-step."""
    return Sequence("ramsey", (
        pulse("p90", "x", name="p1", markers=TRIGGER),
        delay("t_free", "free"),
        pulse("p90", "x", name="p2"),
        delay("dead_time", "dead"),
        acquire("acq_time"),
        delay("rep_delay", "rep"),
    ), _params("p90", "dead_time", "acq_time", "rep_delay", t_free=100e-9), two_step("p2"),
        description="Ramsey fringes")


LIBRARY: dict[str, Callable[[], Sequence]] = {
    "fid": fid, "hahn-echo": hahn_echo, "cpmg": cpmg, "inversion-recovery": inversion_recovery,
    "saturation-recovery": saturation_recovery, "nutation": nutation, "ramsey": ramsey,
    **NV_LIBRARY,
}

CYCLES: dict[str, Callable[[Sequence], PhaseCycle]] = {
    "none": lambda seq: PhaseCycle(),
    "default": lambda seq: seq.phase_cycle,
    "cyclops": lambda seq: cyclops(),
    "two-step": lambda seq: seq.phase_cycle if seq.phase_cycle.name == "two-step" else two_step("p1"),
    "full": lambda seq: (seq.phase_cycle * cyclops()) if seq.phase_cycle.name != "cyclops" else seq.phase_cycle,
}


def get_sequence(name: str, **values: float) -> Sequence:
    """A library sequence by name, with parameter values replaced."""
    from drivers.errors import ConfigError

    try:
        make = LIBRARY[name]
    except KeyError:
        raise ConfigError(f"unknown sequence {name!r}; the library has {', '.join(LIBRARY)}") from None
    seq = make()
    return seq.with_values(**values) if values else seq
