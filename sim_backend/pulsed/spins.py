"""The pulsed-spectrometer part of the simulated world: a spin ensemble and its receiver.

``world.pulsed`` (a :class:`PulsedSpins`) executes a *compiled* PulseBlaster program: the
program's flow control is run by :func:`drivers.pulse_program.expand`, each executed
instruction's flags are decoded through the board's wiring (channel map) and register tables,
and the spins evolve through one closed-form Bloch map per interval (folded and squared while
nothing samples them: ``bloch.PendingMaps``). Resonance offset and B1
come from the rest of the world: Delta = 2 pi (gamma B - f_mw) with B from the electromagnet
(or a fixed field), omega1 = 2 pi k sqrt(P) * amplitude only while the microwave source's
output is on. The receiver records ``record_length`` samples at ``sample_rate`` from each
rising edge of the ADC gate (a trigger during a record is ignored, as digitizers do).

Between programs the spins relax in closed form, lazily, up to the world clock's time.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from drivers.pulse_program import ChannelState, PulseProgram, expand
from sim_backend.pulsed.bloch import Ensemble, PendingMaps
from sim_backend.pulsed.cavity import Cavity, CoupledSpins, run_coupled


@dataclass
class PulsedSample:
    """An inhomogeneously broadened S = 1/2 line for pulsed experiments (SI units)."""

    gamma: float = 28.0249514e9  # Hz/T (free electron; 1H is 42.577478e6)
    t1: float = 20e-6
    t2: float = 1.5e-6
    linewidth: float = 2e6  # Hz FWHM of the inhomogeneous distribution (sets T2*)
    lineshape: str = "gaussian"  # or "lorentzian"
    isochromats: int = 2001
    #: Nutation frequency (Hz) per sqrt(W) of source power, at full amplitude.
    rabi_per_sqrt_watt: float = 50e6
    b1_spread: float = 0.0  # relative sigma of B1 over the sample
    static_field: float | None = None  # T; None: the world's electromagnet
    signal_volts: float = 1e-3  # receiver volts for all spins in phase, at reference_temperature
    noise_volts: float = 20e-6  # rms per quadrature per sample
    receiver_phase: float = 0.6  # rad, cable and mixer phase the experiment does not know
    reference_temperature: float = 295.0
    #: float32 halves the memory traffic of every map; a 1e3-interval CPMG stays within ~5e-5 of
    #: float64 (tests/test_bloch_folding.py), far below the receiver noise.
    dtype: str = "float32"
    #: probe resonator acting back on the spins (radiation damping); None: no back-action
    cavity: Cavity | None = None

    def __post_init__(self) -> None:
        if self.lineshape not in ("gaussian", "lorentzian"):
            raise ValueError(f"lineshape {self.lineshape!r}: use 'gaussian' or 'lorentzian'")
        if self.isochromats < 1 or not (self.t1 > 0 and self.t2 > 0):
            raise ValueError("need at least one isochromat and positive T1, T2")

    def offsets(self) -> np.ndarray:
        """Isochromat offsets (rad/s) at the distribution's quantiles: deterministic, no sampling noise."""
        from scipy.special import ndtri  # here: scipy.special is a heavy import for `spinbench --help`

        u = (np.arange(self.isochromats) + 0.5) / self.isochromats
        if self.lineshape == "gaussian":
            hz = ndtri(u) * self.linewidth / (2 * math.sqrt(2 * math.log(2)))
        else:
            hz = np.tan(np.pi * (u - 0.5)) * self.linewidth / 2
        return 2 * np.pi * hz

    def b1_scale(self, seed: int = 11) -> np.ndarray | None:
        if self.b1_spread <= 0:
            return None
        from scipy.special import ndtri

        u = (np.random.default_rng(seed).permutation(self.isochromats) + 0.5) / self.isochromats
        return 1.0 + self.b1_spread * ndtri(u)


@dataclass
class Receiver:
    armed: bool = False
    sample_rate: float = 250e6
    record_length: int = 128
    records: list[np.ndarray] = field(default_factory=list)
    missed_triggers: int = 0


class PulsedSpins:
    def __init__(self, world: Any, sample: PulsedSample | None = None, *, seed: int = 5):
        self.world = world
        self.sample = sample or PulsedSample()
        s = self.sample
        self.ensemble = Ensemble(s.offsets(), b1_scale=s.b1_scale(), t1=s.t1, t2=s.t2, dtype=np.dtype(s.dtype).type)
        self.receiver = Receiver()
        self.rng = np.random.default_rng(seed)
        self.state_time = world.clock.now()
        self.busy_until = self.state_time
        self.programs_run = 0
        self._context: tuple = ()
        self.coupled: CoupledSpins | None = None
        if s.cavity is not None:
            delta_c = 2 * math.pi * (s.cavity.frequency - world.microwave.frequency)
            self.coupled = CoupledSpins(self.ensemble, s.cavity, 2 * math.pi * s.gamma, delta_c)

    # --- coupling to the rest of the world ------------------------------------------------------
    def field(self) -> float:
        s = self.sample
        return s.static_field if s.static_field is not None else float(self.world.magnet.true_field)

    def larmor_offset(self) -> float:
        """2 pi (gamma B - f_mw) in rad/s: where the line centre sits in the rotating frame."""
        return 2 * math.pi * (self.sample.gamma * abs(self.field()) - self.world.microwave.frequency)

    def nutation_rate(self) -> float:
        """omega1 (rad/s) at full amplitude; zero while the source output is off."""
        mw = self.world.microwave
        if not mw.output:
            return 0.0
        return 2 * math.pi * self.sample.rabi_per_sqrt_watt * math.sqrt(max(mw.power, 0.0))

    def curie_factor(self) -> float:
        return self.sample.reference_temperature / max(float(self.world.temperature), 1e-3)

    def catch_up(self) -> None:
        """Relax the spins (closed form) from the end of the last program to the clock's now."""
        now = self.world.clock.now()
        if now > self.state_time:
            if self.coupled is not None:  # the resonator keeps acting between programs
                self.coupled.evolve(now - self.state_time, delta0=self.larmor_offset())
            else:
                self.ensemble.free(now - self.state_time, self.larmor_offset())
            self.state_time = now

    # --- receiver -------------------------------------------------------------------------------
    def arm(self, sample_rate: float, record_length: int) -> None:
        self.receiver = Receiver(True, float(sample_rate), int(record_length))

    def stop(self) -> None:
        self.busy_until = min(self.busy_until, self.world.clock.now())

    # --- execution ------------------------------------------------------------------------------
    def run(self, program: PulseProgram) -> float:
        """Execute ``program`` from now; returns its duration (s). Records go to the receiver."""
        self.catch_up()
        if self.coupled is not None:
            return self._finish(run_coupled(self, _merged(program), program))
        ens = self.ensemble
        delta0, w1 = self.larmor_offset(), self.nutation_rate()
        context = (delta0, w1, program.clock_hz, program.phase_table, program.amplitude_table, program.offset_table)
        if context != self._context:
            ens.clear_cache()
            self._context = context
        tick = 1.0 / program.clock_hz
        rx = self.receiver
        active: list | None = None  # [t_trigger, next index, data]
        prev_adc = False
        end = 0
        pending = PendingMaps(ens)  # maps folded and squared until something samples the state
        for start, ticks, flags in _merged(program):
            st = program.state(flags)
            t0, dt = start * tick, ticks * tick
            if st.adc and not prev_adc:
                if active is not None:
                    rx.missed_triggers += 1
                elif rx.armed:
                    active = [t0, 0, np.zeros(rx.record_length, complex)]
            prev_adc = st.adc
            if active is not None:
                pending.flush()  # the receiver samples from the state at t0
                active = self._sample(active, t0, t0 + dt, st, delta0, w1)
            if st.tx and w1 > 0 and st.amplitude > 0:
                key: tuple = (ticks, flags)
                m = ens.cached(key, lambda: ens.rf_map(dt, w1 * st.amplitude, math.radians(st.phase), delta0,
                                                       2 * math.pi * st.offset))
            else:
                key = (ticks, "free")
                m = ens.cached(key, lambda: ens.free_map(dt, delta0))
            if active is None:
                pending.push(key, m)
            else:
                ens.apply(m)
            end = start + ticks
        pending.flush()
        if active is not None:  # the record runs past the program: free evolution after STOP
            t_end = end * tick
            j = active[1]
            n = rx.record_length - j
            tau0 = active[0] + j / rx.sample_rate - t_end
            active[2][j:] = ens.sample_free(tau0, 1.0 / rx.sample_rate, n, delta0)
            rx.records.append(active[2])
        return self._finish(end * tick)

    def _finish(self, duration: float) -> float:
        now = self.world.clock.now()
        self.state_time = now + duration
        self.busy_until = now + duration
        self.programs_run += 1
        return duration

    def _sample(self, active: list, a: float, b: float, st: ChannelState, delta0: float, w1: float):
        """Fill the record's samples that fall in [a, b) from the state at a; None when complete."""
        rx = self.receiver
        t_trig, j, data = active
        fs = rx.sample_rate
        j_end = min(rx.record_length, math.ceil((b - t_trig) * fs - 1e-9))
        if j_end > j:
            tau0 = t_trig + j / fs - a
            if st.tx and w1 > 0 and st.amplitude > 0:
                taus = tau0 + np.arange(j_end - j) / fs
                data[j:j_end] = self.ensemble.sample_rf(taus, w1 * st.amplitude, math.radians(st.phase), delta0,
                                                        2 * math.pi * st.offset)
            else:
                data[j:j_end] = self.ensemble.sample_free(tau0, 1.0 / fs, j_end - j, delta0)
            active[1] = j_end
        if active[1] >= rx.record_length:
            rx.records.append(data)
            return None
        return active

    def records_volts(self, phase: float) -> np.ndarray:
        """The receiver's records in volts (complex I + iQ) with noise; ``phase`` is the receiver's
        reference phase setting (rad)."""
        rx = self.receiver
        if not rx.records:
            return np.zeros((0, rx.record_length), complex)
        s = self.sample
        data = np.asarray(rx.records) * (s.signal_volts * self.curie_factor() * np.exp(1j * (s.receiver_phase - phase)))
        noise = self.rng.normal(0.0, s.noise_volts, data.shape) + 1j * self.rng.normal(0.0, s.noise_volts, data.shape)
        return data + noise


def _merged(program: PulseProgram):
    """Executed instructions with consecutive equal flags merged (one Bloch map per interval)."""
    start = ticks = flags = None
    for seg in expand(program):
        if flags is not None and seg.flags == flags:
            ticks += seg.ticks
            continue
        if flags is not None:
            yield start, ticks, flags
        start, ticks, flags = seg.start, seg.ticks, seg.flags
    if flags is not None:
        yield start, ticks, flags
