"""Resonator back-action on the spins (Bloch-Maxwell): radiation damping emerges, it is not put in.

The precessing magnetisation M+ = Mx + i My induces an EMF in the probe coil; the resonator
(frequency f_c, quality factor Q, filling factor eta) turns it into a current whose field acts
back on the spins. For a series LRC circuit with coil inductance L over volume V_c, the sample
flux is Phi = sqrt(mu0 L / V_c) M V_s (reciprocity), the linear coil field per current is
sqrt(mu0 L / V_c), and at resonance I = -(dPhi/dt) / R. In the frame rotating at the carrier,
with the rotating-wave approximation (the co-rotating half of the linear field acts), the complex
rotating field b = B+ obeys

    db/dt = (i Delta_c - kappa / 2) b - i (mu0 eta omega_c / 4) M+,     kappa = omega_c / Q,

with Delta_c = omega_c - omega_carrier. In the bad-cavity limit (kappa >> the spin rates) on
tune, b = -i (mu0 eta Q / 2) M+, and the Bloch equations then give the Bloembergen-Pound
radiation damping with 1/T_rd = mu0 gamma eta Q M0 / 2 (N. Bloembergen and R. V. Pound,
Phys. Rev. 95, 8 (1954); S. Bloom, J. Appl. Phys. 28, 800 (1957); review: M. P. Augustine,
Prog. NMR Spectrosc. 40, 111 (2002)). Nothing here uses T_rd: the simulation integrates the
coupled spin-resonator equations, and T_rd, the tanh/sech return to +z, the faster FID decay
and the frequency pulling of a detuned resonator follow from them.

Integration: second-order splitting per step h. The resonator field is advanced h/2 exactly
with M frozen (an exponential integrator, so a high-Q or low-Q resonator is equally stable),
the ensemble rotates by h about (RF + resonator field) with the ensemble's own exact maps
(``Ensemble.rf_map``: offsets and relaxation included), then the resonator takes the other h/2.
"""
from __future__ import annotations

import cmath
import math
from dataclasses import dataclass

import numpy as np

from sim_backend.constants import MU0
from sim_backend.pulsed.bloch import Ensemble


@dataclass
class Cavity:
    """The probe resonator and the sample's magnetisation scale (SI units).

    ``m0``: equilibrium magnetisation (A/m) of the sample the ensemble's unit M_z stands for;
    ``frequency``: resonator frequency (Hz); ``q``: loaded quality factor; ``filling_factor``:
    eta, 0 < eta <= 1."""

    frequency: float
    q: float
    filling_factor: float
    m0: float

    def __post_init__(self) -> None:
        if not (self.frequency > 0 and self.q > 0 and 0 < self.filling_factor <= 1 and self.m0 >= 0):
            raise ValueError(f"cavity: need frequency > 0 Hz, Q > 0, 0 < filling factor <= 1, M0 >= 0 A/m "
                             f"(got {self.frequency}, {self.q}, {self.filling_factor}, {self.m0})")

    @property
    def kappa(self) -> float:
        """Energy decay rate omega_c / Q (1/s); the field amplitude decays at kappa / 2."""
        return 2 * math.pi * self.frequency / self.q

    @property
    def drive(self) -> float:
        """mu0 eta omega_c M0 / 4 (T/s per unit M+): how fast M+ drives the rotating field."""
        return MU0 * self.filling_factor * 2 * math.pi * self.frequency * self.m0 / 4


class CoupledSpins:
    """An ``Ensemble`` and the resonator field ``b`` (T, complex rotating component) evolved together.

    ``gamma``: gyromagnetic ratio in rad/s/T (the ensemble's nutation is gamma b);
    ``delta_c``: resonator frequency minus carrier (rad/s); ``steps_per_rate``: resolution of
    the fastest spin-resonator rate (step <= 1 / (steps_per_rate * rate))."""

    def __init__(self, ensemble: Ensemble, cavity: Cavity, gamma: float, delta_c: float = 0.0,
                 steps_per_rate: float = 200.0) -> None:
        self.ens, self.cavity, self.gamma = ensemble, cavity, float(gamma)
        self.steps_per_rate = steps_per_rate
        self.b = 0j
        self.slope = 0j  # dM+/dt over the last step (T/s scale: unit M+ per s)
        self.detune(delta_c)

    def detune(self, delta_c: float) -> None:
        """Set the resonator's detuning from the carrier (rad/s), e.g. after the source moved."""
        self.delta_c = float(delta_c)
        self._a = complex(1j * self.delta_c - self.cavity.kappa / 2)
        # fastest rate the splitting must resolve: the damping rate gamma D / |kappa/2 - i Delta_c|
        # (the resonator's own response is integrated exactly)
        coupling = abs(self.gamma) * self.cavity.drive / abs(self._a)
        self.max_step = 1.0 / (self.steps_per_rate * max(coupling, 1e-30))

    def m_plus(self) -> complex:
        """Coil-weighted transverse magnetisation (reciprocity: the coil sees b1_scale x M)."""
        e = self.ens
        w = e.weights * e.b1_scale
        return complex(np.dot(w, e.m[0]) + 1j * np.dot(w, e.m[1]))

    def _cavity(self, h: float, mp: complex, slope: complex) -> None:
        """Advance b by h exactly for a drive linear in time: M+ = mp + slope t."""
        x = self._a * h
        if abs(x) < 1e-4:  # (e^x - 1) / x and (e^x - 1 - x) / x^2 by their series
            p1, p2 = 1 + x / 2 + x * x / 6, 0.5 + x / 6 + x * x / 24
        else:
            p1, p2 = (cmath.exp(x) - 1) / x, (cmath.exp(x) - 1 - x) / (x * x)
        d = -1j * self.cavity.drive
        self.b = self.b * cmath.exp(x) + d * (mp * h * p1 + slope * h * h * p2)

    def quiet(self, tol: float = 1e-7) -> bool:
        """No back-action worth a step: the net transverse magnetisation and the resonator field
        are negligible and M_z > 0 (near +z the resonator only damps; an inverted magnetisation
        is unstable, so a tiny M+ there still has to be followed)."""
        return (self.ens.mz() > 0 and abs(self.m_plus()) < tol
                and abs(self.gamma * self.b) * self.max_step < tol)

    def step(self, h: float, w1: float = 0.0, phase: float = 0.0, delta0: float = 0.0) -> None:
        """One splitting step. The resonator's drive over the first half is extrapolated from the
        previous step's dM+/dt and over the second half interpolated between the step's ends, so
        the field that rotates the spins is the one of the step's midpoint (second order: a
        resonator that follows M at once would otherwise lag by h / 2)."""
        m_start = self.m_plus()
        self._cavity(h / 2, m_start, self.slope)
        om = w1 * cmath.exp(1j * phase) + self.gamma * self.b
        self.ens.apply(self.ens.rf_map(h, abs(om), cmath.phase(om), delta0))
        m_end = self.m_plus()
        self.slope = (m_end - m_start) / h
        self._cavity(h / 2, (m_start + m_end) / 2, self.slope)

    def evolve(self, duration: float, w1: float = 0.0, phase: float = 0.0, delta0: float = 0.0,
               sample_times: np.ndarray | None = None, max_step: float | None = None) -> np.ndarray:
        """Evolve for ``duration`` s under RF (``w1`` rad/s at ``phase``) and the resonator field;
        returns the ensemble signal (``Ensemble.signal``) at each of ``sample_times`` (s from now,
        ascending, within [0, duration])."""
        hmax = min(self.max_step, max_step or math.inf)
        times = np.asarray([] if sample_times is None else sample_times, float)
        out = np.empty(len(times), complex)
        t = 0.0
        for j, ts in enumerate(np.append(times, duration)):
            if w1 == 0 and self.quiet():  # nothing left to act back: one exact free map
                self.ens.apply(self.ens.free_map(ts - t, delta0))
                self.b *= cmath.exp(self._a * (ts - t))
                self.slope = 0j
                t = ts
            while ts - t > 1e-15 * max(1.0, duration):
                h = min(hmax, ts - t)
                self.step(h, w1, phase, delta0)
                t += h
            if j < len(times):
                out[j] = self.ens.signal()
        return out


def run_coupled(spins, intervals, program) -> float:
    """Execute ``program`` on ``spins`` (a ``PulsedSpins`` whose sample has a cavity) with the
    resonator back-action; ``intervals``: its merged (start, ticks, flags). Records go to the
    receiver as in the uncoupled path; returns the duration (s). Step by step (no map folding:
    the back-action makes every step depend on the state)."""
    cs = spins.coupled
    cs.detune(2 * math.pi * (cs.cavity.frequency - spins.world.microwave.frequency))  # the carrier now
    delta0, w1 = spins.larmor_offset(), spins.nutation_rate()
    tick = 1.0 / program.clock_hz
    rx = spins.receiver
    rec = None  # [t_trigger, data]
    prev_adc = False
    end = 0
    for start, ticks, flags in intervals:
        st = program.state(flags)
        t0, dt = start * tick, ticks * tick
        if st.tx and st.offset:
            raise ValueError("cavity back-action: RF offsets within a pulse are not simulated (offset "
                             f"{st.offset} Hz); use offset 0 with a cavity")
        if st.adc and not prev_adc and rx.armed and rec is None:
            rec = [t0, np.zeros(rx.record_length, complex)]
        prev_adc = st.adc
        on = st.tx and w1 > 0 and st.amplitude > 0
        times = None
        if rec is not None:
            j = np.arange(rx.record_length)
            tj = rec[0] + j / rx.sample_rate
            sel = (tj >= t0) & (tj < t0 + dt)
            times = tj[sel] - t0
        s = cs.evolve(dt, w1 * st.amplitude if on else 0.0, math.radians(st.phase) if on else 0.0, delta0, times)
        if rec is not None:
            rec[1][sel] = s
        end = start + ticks
    if rec is not None:  # the record runs past the program: evolve a copy, the state stays at the end
        tj = rec[0] + np.arange(rx.record_length) / rx.sample_rate - end * tick
        sel = tj >= 0
        m, b, slope = spins.ensemble.m.copy(), cs.b, cs.slope
        if sel.any():
            rec[1][sel] = cs.evolve(float(tj[sel][-1]), 0.0, 0.0, delta0, tj[sel])
        spins.ensemble.m[:] = m
        cs.b, cs.slope = b, slope
        rx.records.append(rec[1])
    return end * tick
