"""The membrane setup as one clock process: mode + piezo + spins + interferometer + demodulator.

Every clock step it gathers the forces acting now (piezo tone, spin-force harmonics from the
field the magnet reached, the microwave settings and the coil modulation), the temperature of
the world (thermal Langevin force) and the readout settings, and advances the joint
[envelope, lock-in stages] state exactly (``resonator.JointPropagator``). Raw digitizer records
(``record``) are generated sample by sample from the same envelope, without ever integrating
the MHz oscillation itself.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim_backend.membrane.bloch import Protocol
from sim_backend.membrane.buffer import DemodBuffer
from sim_backend.membrane.readout import Demodulator, Interferometer
from sim_backend.membrane.resonator import JointPropagator, MembraneMode, envelope_record
from sim_backend.membrane.nuclear import NuclearSample, NuclearSpinForce
from sim_backend.membrane.spins import SpinForce, SpinSample


@dataclass
class Piezo:
    amplitude: float = 0.0  # V peak
    frequency: float = 1_000_000.0  # Hz
    output: bool = False
    force_per_volt: float = 1e-12  # N at the membrane per V of drive (inertial drive of the frame)
    phase_deg: float = -17.0  # transfer phase of piezo + mount (unknown to experiments)


class MembraneSystem:
    """World subsystem; instruments in ``instruments.py`` act on it."""

    def __init__(self, world: Any, mode: MembraneMode | None = None, *, sample: SpinSample | None = None,
                 gradient: float = 2e4, b1_per_sqrt_w: float = 3e-3, coil_t_per_v: float = 1e-4,
                 interferometer: Interferometer | None = None, seed: int | None = None) -> None:
        if seed is None:  # follow the world's seed without drawing from its generators
            seed_seq = getattr(getattr(getattr(world, "thermal", None), "rng", None), "bit_generator", None)
            entropy = getattr(getattr(seed_seq, "seed_seq", None), "entropy", 0) or 0
            seed = int(entropy) % 2**63 + 7
        rng = np.random.default_rng(seed)
        self.world = world
        self.mode = mode or MembraneMode()
        self.ifo = interferometer or Interferometer(rng=np.random.default_rng(rng.integers(2**32)))
        self.demod = Demodulator(frequency=self.mode.f0)
        self.piezo = Piezo(frequency=self.mode.f0)
        #: Field gradient dBz/dz of the gradient source at the sample (T/m).
        self.gradient = gradient
        #: Microwave field at the sample per sqrt(W) of source power (T/sqrt(W)).
        self.b1_per_sqrt_w = b1_per_sqrt_w
        #: Field-modulation coil at the sample, driven by the demodulator's sine out (T/V peak).
        self.coil_t_per_v = coil_t_per_v
        self.spins: SpinForce | NuclearSpinForce | None = None
        #: Optical-pumping light on the sample (nuclear samples; ``SimPumpLaser`` switches it).
        self.pump_light = False
        if sample is not None:
            self.set_sample(sample)
        self.state = np.zeros(5, dtype=complex)  # [envelope a (m, reference frame), stages (V)]
        self.rng = np.random.default_rng(rng.integers(2**32))
        self.propagator = JointPropagator()
        #: Longest step while f0 drifts (inputs piecewise constant; the drift is slow).
        self.max_static_step = 0.05
        self._skip_until = -math.inf
        #: Lazy integration: the interval [from, until] not yet integrated, with its inputs.
        self._pending: tuple[float, float, tuple] | None = None
        self._pending_key: tuple | None = None
        self.notes: list[str] = []
        #: The demodulator's data buffer while one is recording (``buffer.py``).
        self.buffer: DemodBuffer | None = None

    # --- configuration ----------------------------------------------------------------------
    def set_sample(self, sample: SpinSample | NuclearSample | None, gradient: float | None = None) -> None:
        if gradient is not None:
            self.gradient = gradient
        if isinstance(sample, NuclearSample):
            self.spins = NuclearSpinForce(sample, self.gradient)
        else:
            self.spins = SpinForce(sample, self.gradient) if sample is not None else None

    @property
    def nuclear(self) -> NuclearSpinForce | None:
        """The history-tracking nuclear spins, when the sample is nuclear."""
        return self.spins if isinstance(self.spins, NuclearSpinForce) else None

    def set_reference(self, hz: float) -> None:
        """Retune the demodulator: the envelope is re-expressed in the new rotating frame."""
        self.flush()
        t = self.world.clock.now()
        dw = 2 * math.pi * (self.demod.frequency - hz)
        self.state[0] *= complex(math.cos(dw * t), math.sin(dw * t))
        self.demod.frequency = hz

    # --- inputs -----------------------------------------------------------------------------
    def temperature(self) -> float:
        """World temperature in 0.5 % bins: a temperature that relaxes a little every clock step
        then does not force a new exact map every step (the noise lags by < 0.5 %)."""
        t = float(self.world.thermal.temperature)
        return math.exp(round(math.log(t) / 0.005) * 0.005) if t > 0 else 0.0

    def f0_now(self, t: float | None = None) -> float:
        t = self.world.clock.now() if t is None else t
        return self.mode.frequency(t, self.temperature())

    def protocol(self) -> Protocol | None:
        """The spin modulation the hardware applies now (None: microwaves off or no modulation)."""
        mw = self.world.microwave
        if self.spins is None or not mw.output:
            return None
        fm, am = mw.modulation.get("fm", {}), mw.modulation.get("am", {})
        parts: list[tuple[str, float]] = []
        if fm.get("enabled") and fm.get("rate", 0) > 0:
            parts.append(("fm", float(fm["rate"])))
        if am.get("enabled") and am.get("rate", 0) > 0:
            parts.append(("am", float(am["rate"])))
        if self.demod.sine_out > 0:
            parts.append(("coil", self.demod.frequency))
        if not parts:
            return None
        rate = parts[0][1]
        used = {k for k, r in parts if abs(r - rate) <= 1e-9 * rate}
        if len(used) < len(parts):
            note = f"modulations at different rates {parts}: only those at {rate} Hz act on the spins"
            if note not in self.notes:
                self.notes.append(note)
        return Protocol(rate=rate, b1=self.b1_per_sqrt_w * math.sqrt(max(mw.power, 0.0)),
                        field_amplitude=self.demod.sine_out * self.coil_t_per_v if "coil" in used else 0.0,
                        fm_deviation=float(fm.get("deviation", 0.0)) if "fm" in used else 0.0,
                        am_depth=min(1.0, float(am.get("depth", 0.0))) if "am" in used else 0.0)

    def force_tones(self) -> list[tuple[float, complex]]:
        """[(angular frequency, complex peak force)] acting on the mode now (lab frame)."""
        tones: list[tuple[float, complex]] = []
        p = self.piezo
        if p.output and p.amplitude > 0:
            tones.append((2 * math.pi * p.frequency,
                          p.amplitude * p.force_per_volt * complex(math.cos(math.radians(p.phase_deg)),
                                                                   math.sin(math.radians(p.phase_deg)))))
        if self.spins is not None:
            tones += self.spins.tones(self.protocol(), self.world.magnet.true_field,
                                      self.world.microwave.frequency, self.temperature())
        return tones

    def coefficients(self, t: float, f0: float | None = None) -> tuple[complex, complex, float, complex]:
        """(lam, beta, envelope noise intensity, gain) of the envelope equation at time t."""
        f0 = self.mode.frequency(t, self.temperature()) if f0 is None else f0
        w0 = 2 * math.pi * f0
        lam = complex(-w0 / (2 * self.mode.quality(self.temperature())), w0 - 2 * math.pi * self.demod.frequency)
        beta = complex(0.0, -1.0 / (2 * self.mode.m_eff * w0))
        d_env = self.mode.force_noise_psd(self.temperature(), f0) / (2 * (self.mode.m_eff * w0) ** 2)
        return lam, beta, d_env, self.demod.gain(self.ifo.volts_per_metre)

    # --- clock process ----------------------------------------------------------------------
    def max_step(self) -> float:
        """Exact for any step while the inputs hold still; inputs that change (field ramps) are
        re-read every step the other processes make. Only a drifting f0 bounds the step. The
        membrane never shortens other processes' steps otherwise: the magnet ramp, for one,
        is integrated on the steps the rest of the world chooses."""
        if self.mode.f0_drift_rate or self.mode.f0_temp_coeff:
            return self.max_static_step
        return math.inf

    def inputs(self, t: float) -> tuple:
        """Everything the next interval's evolution depends on (compared to detect changes)."""
        f0 = self.mode.frequency(t, self.temperature())
        residual = 0.0
        if self.mode.f0_drift_rate or self.mode.f0_temp_coeff:
            # A drifting f0 would make every step's exact map new (~0.4 ms each). Use the map of
            # f0 rounded to 1 % of the linewidth and apply the remainder to the envelope as the
            # exact phase rotation it is; the lock-in sees that rotation <= 0.5 % late.
            quantum = 0.01 * self.mode.f0 / self.mode.quality(self.temperature())
            f0_q = round(f0 / quantum) * quantum
            residual, f0 = 2 * math.pi * (f0 - f0_q), f0_q
        wr = 2 * math.pi * self.demod.frequency
        tones = tuple((w - wr, c) for w, c in self.force_tones())
        return (self.coefficients(t, f0), residual, self.demod.time_constant, self.demod.poles,
                self.ifo.noise_density, tones)

    def quick_key(self) -> tuple | None:
        """Raw settings the inputs depend on, cheap to compare every clock step (the membrane is
        attached to every simulated lab: it must cost next to nothing while idle). None while f0
        drifts (then the inputs change every step anyway)."""
        if self.mode.f0_drift_rate or self.mode.f0_temp_coeff:
            return None
        p, d, mw = self.piezo, self.demod, self.world.microwave
        spins = None
        if self.spins is not None and mw.output:
            mods = tuple((k, v.get("enabled"), v.get("rate"), v.get("deviation"), v.get("depth"))
                         for k, v in mw.modulation.items())
            active = d.sine_out > 0 or any(m[1] for m in mods)
            spins = (mw.frequency, mw.power, mods, self.world.magnet.true_field if active else None)
        m = self.mode
        return (self.world.thermal.temperature, p.output, p.amplitude, p.frequency, p.force_per_volt, p.phase_deg,
                d.frequency, d.phase_deg, d.time_constant, d.poles, d.sine_out, self.ifo.phase,
                self.ifo.noise_density, self.ifo.v_pp, self.ifo.wavelength, m.f0, m.q, m.q_table, m.m_eff, id(self.spins),
                self.gradient, self.b1_per_sqrt_w, self.coil_t_per_v, spins, getattr(self.spins, "version", 0))

    def advance(self, t0: float, dt: float) -> None:
        """Clock process: extend the pending interval while nothing changes, else integrate it."""
        end = t0 + dt
        nuclear = self.nuclear
        if nuclear is not None:  # the nuclear moments evolve whatever the readout does
            nuclear.evolve(dt, self.protocol(), self.world.magnet.true_field, self.world.microwave.frequency,
                           self.temperature(), self.pump_light)
        if end <= self._skip_until:
            return
        t0 = max(t0, self._skip_until)
        key = self.quick_key()
        if self._pending is not None and self._pending[1] >= t0 - 1e-12:
            start, _, sig = self._pending
            if key is not None and key == self._pending_key:
                self._pending = (start, end, sig)
                return
            now = self.inputs(t0)
            if now == sig:
                self._pending, self._pending_key = (start, end, sig), key
                return
            self.flush()
            self._pending, self._pending_key = (t0, end, now), key
            return
        self._pending, self._pending_key = (t0, end, self.inputs(t0)), key

    def flush(self) -> None:
        """Integrate the pending interval exactly (called before any read or retuning)."""
        if self._pending is None:
            return
        start, end, sig = self._pending
        self._pending = None
        if end - start <= 0:
            return
        if self.buffer is not None and self.buffer.running:
            self._integrate_sampled(start, end, sig, self.buffer)
        else:
            self._integrate(start, end - start, sig)

    def _integrate(self, start: float, h: float, sig: tuple) -> None:
        (lam, beta, d_env, gain), residual, tc, poles, e_n, tones = sig
        self.propagator.step(self.state, start, h, lam, beta, gain, tc, poles, d_env, e_n**2, list(tones), self.rng)
        if residual:
            self.state[0] *= complex(math.cos(residual * h), math.sin(residual * h))
        self.ifo.advance(h)

    def _integrate_sampled(self, start: float, end: float, sig: tuple, buf: DemodBuffer) -> None:
        """Integrate up to every buffer sample due in (start, end] and store the lock-in output
        there; whole sample intervals in one vectorised call (``JointPropagator.steps``)."""
        first, n = buf.due(start, end)
        t = start
        if n:
            (lam, beta, d_env, gain), residual, tc, poles, e_n, tones = sig
            t_first = buf.time(first)
            if t_first > t:
                self._integrate(t, t_first - t, sig)
            buf.take(self.state[poles])
            t = t_first
            if n > 1 and not residual:
                out = self.propagator.steps(self.state, t, buf.interval, n - 1, lam, beta, gain, tc, poles, d_env,
                                            e_n**2, list(tones), self.rng)
                self.ifo.advance((n - 1) * buf.interval)
                buf.take(out[:, poles])
            else:
                for k in range(first + 1, first + n):
                    self._integrate(t, buf.time(k) - t, sig)
                    buf.take(self.state[poles])
                    t = buf.time(k)
            t = buf.time(first + n - 1)
        if end > t:
            self._integrate(t, end - t, sig)

    def start_buffer(self, interval: float) -> None:
        """Record the lock-in output every ``interval`` from now (the first sample now)."""
        self.flush()
        self.buffer = DemodBuffer(self.world.clock.now(), interval)
        self.buffer.take(self.state[self.demod.poles])

    def stop_buffer(self) -> None:
        self.flush()
        if self.buffer is not None:
            self.buffer.running = False

    # --- readouts ---------------------------------------------------------------------------
    @property
    def lockin_output(self) -> complex:
        self.flush()
        return complex(self.state[self.demod.poles])

    def displacement_now(self) -> float:
        self.flush()
        t = self.world.clock.now()
        wr = 2 * math.pi * self.demod.frequency
        return float((self.state[0] * complex(math.cos(wr * t), math.sin(wr * t))).real)

    def record(self, n: int, sample_rate: float) -> np.ndarray:
        """Photodiode voltages at t_k = now + k / sample_rate (k < n); advances the membrane and
        the demodulator over the record; the caller then lets the clock catch up. Forces are
        held at their values at the start of the record."""
        self.flush()
        t0 = self.world.clock.now()
        h = 1.0 / sample_rate
        lam, beta, d_env, gain = self.coefficients(t0)
        wr = 2 * math.pi * self.demod.frequency
        tones = [(w - wr, c) for w, c in self.force_tones()]
        env = envelope_record(complex(self.state[0]), t0, h, n, lam, beta, d_env, tones, self.rng)
        k = np.arange(n)
        cycles = (self.demod.frequency * t0) % 1.0 + self.demod.frequency * h * k
        carrier = np.exp(2j * math.pi * (cycles % 1.0))
        # Anti-alias filter at 0.45 fs: a mode above it does not reach the digitizer.
        x = (env[:n] * carrier).real if self.f0_now(t0) < 0.45 * sample_rate else np.zeros(n)
        bandwidth = min(sample_rate / 2, self.ifo.detector_bandwidth)
        noise = self.ifo.noise_density * math.sqrt(bandwidth) * self.rng.standard_normal(n)
        volts = self.ifo.voltage(x) + noise
        # The demodulator sees the same envelope and noise (2f terms removed by its filter).
        u = gain * env[:n] + math.sqrt(2) * noise * np.conj(carrier) * np.exp(-1j * math.radians(self.demod.phase_deg))
        from scipy.signal import lfilter  # imported here: scipy.signal costs ~1 s to import

        a = math.exp(-h / self.demod.time_constant)
        for s in range(1, self.demod.poles + 1):
            u, _ = lfilter([1 - a], [1.0, -a], u, zi=np.array([a * self.state[s]]))
            self.state[s] = u[-1]
        self.state[0] = env[n]
        self._skip_until = t0 + n * h
        self.ifo.advance(n * h)
        return volts
