"""The simulated NV ensemble executing a compiled pulse program, and its photon statistics.

``world.nv`` (an :class:`NvSpins`) holds members: each hyperfine line x quasi-static detuning
quantile (Gaussian, sigma = sqrt(2)/T2*, so the free decay is exp(-(t/T2*)^2)) x bath draws.
Each member is a two-level Bloch vector on the microwave-driven transition (m_s = 0 <-> the
nearer of m_s = -1, +1); z = +1 is m_s = 0 (bright). The nuclear bath is a classical field along
the NV axis at each species' Larmor frequency with Gaussian quadratures (a random phase per
shot, referenced to the end of the last laser pulse), so dynamical decoupling filters it.

The program's flags are decoded through its channel map: ``tx`` gates the microwave, the
``laser`` marker the laser (light arrives ``laser_delay`` after the edge; an AOM's acoustic
transit), ``adc`` the photon counter's gate; the microwave switch passes power ``mw_delay`` after
its TTL edges (tx and the phase/amplitude/offset bits that go with it). These are the hardware's
physical delays (``[sim] true_laser_delay``, ``true_mw_delay``), known to the simulation alone;
the compiled programs compensate what the lab declares, right or wrong. A loop whose passes
reach a fixed point (the laser re-initialises every shot) is run three times and the rest of its
passes are added in closed form, so 10^5 averages cost what three do. Counts per gate are Poisson draws of the expected number.
"""
from __future__ import annotations

import bisect
import math
from typing import Any

import numpy as np
from scipy.special import ndtri

from drivers.pulse_program import Op, ProgramError, PulseProgram
from sim_backend.nv.centre import GAMMA_E, NITROGEN, NUCLEAR_GAMMA, NvSample, transition_frequencies


class NvSpins:
    def __init__(self, world: Any, sample: NvSample | None = None, *, seed: int = 7):
        self.world = world
        self.sample = s = sample or NvSample()
        self.rng = np.random.default_rng(seed)
        a_par, m_i = NITROGEN[s.nitrogen]
        u = (np.arange(s.quantiles) + 0.5) / s.quantiles
        qs = ndtri(u) * math.sqrt(2) / s.t2_star  # rad/s
        hf = np.array(m_i) * a_par
        grid_hf, grid_q = np.meshgrid(hf, qs, indexing="ij")
        self.hf_offset = np.repeat(grid_hf.ravel(), s.bath_draws)  # Hz
        self.qs_offset = np.repeat(grid_q.ravel(), s.bath_draws)  # rad/s
        n = self.hf_offset.size
        brng = np.random.default_rng(seed + 1)
        #: bath field quadratures (T) per species: (gamma_n, a, b)
        self.bath = [(NUCLEAR_GAMMA[k], brng.normal(0, rms, n), brng.normal(0, rms, n))
                     for k, rms in (("1H", s.bath_1h_rms), ("13C", s.bath_13c_rms)) if rms > 0]
        self.state = np.zeros((3, n))  # unpolarised
        self.laser_on = False  # cw laser (the laser role's output)
        self.laser_delay = 0.0  # s, AOM rise delay of the gated laser
        self.mw_delay = 0.0  # s, microwave switch delay (TTL edge to power at the sample)
        self.gates: list[np.ndarray] = []
        self.armed = False
        self.busy_until = world.clock.now()
        self._bath_t0 = 0.0

    # --- coupling to the world ----------------------------------------------------------------
    def field(self) -> float:
        s = self.sample
        return s.static_field if s.static_field is not None else abs(float(self.world.magnet.true_field))

    def lines(self) -> tuple[float, float]:
        d = self.sample.zero_field_splitting(float(self.world.temperature))
        return transition_frequencies(self.field(), self.sample.field_angle, d)

    def detuning(self) -> tuple[np.ndarray, int]:
        """Per-member detuning (rad/s) of the driven transition from the microwave, and its sign
        (-1: m_s = -1 driven; the bath field shifts it by -gamma_e b)."""
        f_minus, f_plus = self.lines()
        f_mw = self.world.microwave.frequency
        sign = -1 if abs(f_minus - f_mw) <= abs(f_plus - f_mw) else 1
        f_line = f_minus if sign < 0 else f_plus
        return 2 * math.pi * (f_line + sign * self.hf_offset - f_mw) + self.qs_offset, sign

    def rabi(self) -> float:
        mw = self.world.microwave
        return 2 * math.pi * self.sample.rabi_per_sqrt_watt * math.sqrt(max(mw.power, 0.0)) if mw.output else 0.0

    def bath_phase(self, t0: float, t1: float, sign: int) -> np.ndarray | float:
        """Phase (rad) the bath field adds between t0 and t1 (s, from the bath reference)."""
        out: np.ndarray | float = 0.0
        fl = self.field()
        for gn, a, b in self.bath:
            w = 2 * math.pi * gn * fl
            integral = (a * (math.sin(w * t1) - math.sin(w * t0)) - b * (math.cos(w * t1) - math.cos(w * t0))) / w
            out = out + sign * 2 * math.pi * GAMMA_E * integral
        return out

    # --- cw -------------------------------------------------------------------------------------
    def steady_dark(self) -> float:
        """Mean m_s = +-1 population under cw laser and microwave (Bloch steady state with optical
        pumping at rate k as the longitudinal and extra transverse relaxation)."""
        if not self.laser_on:
            return float(np.mean((1 - self.state[2]) / 2))
        k = self.sample.pump_rate
        w1 = self.rabi()
        if w1 == 0:
            return 0.0
        delta, _ = self.detuning()
        g2 = k + 1 / self.sample.t2
        z = (1 + (delta / g2) ** 2) / (1 + (delta / g2) ** 2 + w1 ** 2 / (k * g2))
        return float(np.mean((1 - z) / 2))

    def count(self, duration: float) -> int:
        s = self.sample
        rate = s.count_rate * (1 - s.contrast * self.steady_dark()) if self.laser_on else 0.0
        self.world.clock.sleep(duration)
        return int(self.rng.poisson((rate + s.dark_count_rate) * duration))

    # --- pulsed ---------------------------------------------------------------------------------
    def arm(self) -> None:
        self.gates, self.armed = [], True

    def run(self, program: PulseProgram) -> float:
        """Execute ``program`` from now; returns its duration (s). Gate counts go to the counter."""
        self._prog = program
        self._tick = 1.0 / program.clock_hz
        self._delta, self._sign = self.detuning()
        self._w1 = self.rabi()
        self._laser_bit = program.channels.marker_bits.get("laser")
        ch = program.channels
        rf_mask = sum(1 << b for b in (ch.tx, *ch.phase, *ch.amplitude, *ch.offset))
        groups = [(1 << self._laser_bit if self._laser_bit is not None else 0, self.laser_delay),
                  (rf_mask, self.mw_delay)]
        self._groups = [(mask, int(round(d * program.clock_hz))) for mask, d in groups if mask and d > 0]
        self._delayed = sum(mask for mask, _ in self._groups)
        self._held = 0  # the delayed bits as they act on the spins now
        self._ttls = {mask: 0 for mask, _ in self._groups}
        self._open: float | None = None
        self._gate_list: list[float] = []
        self._chunks: list[np.ndarray] = []  # expected counts of gates already run, in order
        self._edges: list[tuple[int, int, int]] = []  # (tick the change acts, bits, new value)
        ticks = self._block(0, len(program.instructions), 0)
        if self._open is not None:
            self._gate_list.append(self._open)
        duration = ticks * self._tick
        counts = self.rng.poisson(np.concatenate(self._chunks + [np.asarray(self._gate_list, float)]))
        if self.armed:
            self.gates.append(counts.astype(np.int64))
        now = self.world.clock.now()
        self.busy_until = now + duration
        return duration

    def _block(self, a: int, b: int, t: int) -> int:
        """Execute addresses [a, b) from tick t; returns the tick after them."""
        ins = self._prog.instructions
        pc = a
        while pc < b:
            i = ins[pc]
            if i.op == Op.STOP:
                return t
            if i.op == Op.LOOP:
                end = _matching_end(ins, pc)
                t = self._loop(pc, end, i.data, t)
                pc = end + 1
                continue
            if i.op not in (Op.CONTINUE, Op.LONG_DELAY, Op.WAIT, Op.END_LOOP):
                raise ProgramError(f"the simulated NV runs CONTINUE/LOOP/LONG_DELAY/WAIT/STOP programs; "
                                   f"instruction {pc} is {i.op.name}")
            self._segment(t, i.executed_ticks(), i.flags)
            t += i.executed_ticks()
            pc += 1
        return t

    def _loop(self, start: int, end: int, count: int, t: int) -> int:
        ins = self._prog.instructions
        body = lambda t0: self._block(start + 1, end, self._seg_ret(start, t0))  # noqa: E731
        done = 0
        prev = None
        while done < count:
            n_before = len(self._gate_list)
            t_pass = t
            t = body(t)
            self._segment(t, ins[end].executed_ticks(), ins[end].flags)
            t += ins[end].executed_ticks()
            done += 1
            snap = (self.state.copy(), list(self._gate_list[n_before:]), self._open)
            if prev is not None and self._open is None and prev[2] is None and not self._edges and \
                    np.allclose(prev[0], snap[0], atol=1e-10) and np.allclose(prev[1], snap[1], rtol=1e-9):
                left = count - done
                self._chunks += [np.asarray(self._gate_list, float), np.tile(np.asarray(snap[1], float), left)]
                self._gate_list = []
                t += left * (t - t_pass)
                break
            prev = snap
        return t

    def _seg_ret(self, address: int, t: int) -> int:
        i = self._prog.instructions[address]
        self._segment(t, i.executed_ticks(), i.flags)
        return t + i.executed_ticks()

    def _segment(self, t: int, ticks: int, flags: int) -> None:
        """Hold ``flags`` for ``ticks``; each delayed group of bits acts its delay after its edge."""
        for mask, d in self._groups:
            if flags & mask != self._ttls[mask]:
                self._ttls[mask] = flags & mask
                bisect.insort(self._edges, (t + d, mask, flags & mask))
        lb = self._laser_bit
        a, end = t, t + ticks
        while a < end:
            while self._edges and self._edges[0][0] <= a:
                _, mask, value = self._edges.pop(0)
                self._held = (self._held & ~mask) | value
            b = min(end, self._edges[0][0]) if self._edges else end
            acting = (flags & ~self._delayed) | self._held
            self._evolve(a, b - a, acting, bool(lb is not None and (acting >> lb) & 1))
            a = b

    def _evolve(self, t: int, ticks: int, flags: int, light: bool) -> None:
        st = self._prog.state(flags)
        dt = ticks * self._tick
        s = self.sample
        x, y, z = self.state
        gate = st.adc
        if gate and self._open is None:
            self._open = 0.0
        elif not gate and self._open is not None:
            self._gate_list.append(self._open)
            self._open = None
        if light and self.laser_on:  # the AOM passes light only while the laser itself is on
            k = s.pump_rate
            decay = math.exp(-k * dt)
            if gate:  # integral of the dark population during the window
                dark_int = np.mean(1 - z) / 2 * (1 - decay) / k
                self._open += s.count_rate * (dt - s.contrast * dark_int) + s.dark_count_rate * dt
            self.state = np.array([x * decay, y * decay, 1 - (1 - z) * decay])
            self._bath_t0 = (t + ticks) * self._tick
            return
        if gate:
            self._open += s.dark_count_rate * dt
        t0 = t * self._tick - self._bath_t0
        if st.tx and self._w1 > 0 and st.amplitude > 0:
            w1 = self._w1 * st.amplitude
            delta = self._delta + (self.bath_phase(t0, t0 + dt, self._sign) / dt if self.bath else 0.0)
            self.state = _rotate(self.state, w1, math.radians(st.phase), delta, dt)
            return
        phi = self._delta * dt + self.bath_phase(t0, t0 + dt, self._sign)
        c, sn = np.cos(phi), np.sin(phi)
        e2 = math.exp(-dt / s.t2)
        e1 = math.exp(-dt / s.t1)
        self.state = np.array([(x * c - y * sn) * e2, (x * sn + y * c) * e2, z * e1])


def _rotate(v: np.ndarray, w1: float, phase: float, delta: np.ndarray, dt: float) -> np.ndarray:
    """Rotate Bloch vectors about (w1 cos phase, w1 sin phase, delta) by |omega| dt (Rodrigues)."""
    wx, wy = w1 * math.cos(phase), w1 * math.sin(phase)
    wz = np.broadcast_to(np.asarray(delta, float), v.shape[1:])
    w = np.sqrt(wx * wx + wy * wy + wz * wz)
    nx, ny, nz = wx / w, wy / w, wz / w
    th = w * dt
    c, s = np.cos(th), np.sin(th)
    x, y, z = v
    dot = nx * x + ny * y + nz * z
    cx, cy, cz = ny * z - nz * y, nz * x - nx * z, nx * y - ny * x
    # the rotating-frame drive turns the vector clockwise about omega (left-handed precession)
    return np.array([x * c - cx * s + nx * dot * (1 - c), y * c - cy * s + ny * dot * (1 - c),
                     z * c - cz * s + nz * dot * (1 - c)])


def _matching_end(ins: list, start: int) -> int:
    depth = 0
    for a in range(start, len(ins)):
        if ins[a].op == Op.LOOP:
            depth += 1
        elif ins[a].op == Op.END_LOOP:
            depth -= 1
            if depth == 0:
                return a
    raise ProgramError(f"LOOP at {start} has no END_LOOP")
