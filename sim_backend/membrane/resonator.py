"""The membrane's fundamental mode, integrated exactly on its slowly varying complex envelope.

Equation of motion (Saulson 1990): m x'' + (m w0/Q) x' + m w0^2 x = F(t), with F the sum of the
piezo drive, the spin force and the thermal Langevin force of one-sided density
S_F = 4 kB T m w0 / Q (fluctuation-dissipation). Writing x = Re[a e^{i w_r t}] for a frame
rotating at w_r (the lock-in reference) and averaging over one period (error O(1/Q)) gives

    da/dt = (-w0/(2Q) + i (w0 - w_r)) a - i F~/(2 m w0) + xi(t),   <xi xi*> = S_F/(2 m^2 w0^2) delta

where F~ is the force's complex envelope in the same frame. The lock-in's RC stages are driven by
the demodulated interferometer voltage g a + noise. Envelope and stages form one linear system
dX/dt = A X + b F~ + noise, which is discretised *exactly* for any step h:
X(t+h) = e^{Ah} X(t) + (particular solution of each force tone) + a Gaussian increment whose
covariance is computed by Van Loan's method. Steps of seconds are therefore as exact as steps of
nanoseconds: only the time variation of the inputs limits the step.
"""
from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from sim_backend.constants import KB


def expm_small(m: np.ndarray) -> np.ndarray:
    """Matrix exponential of a small dense matrix: scaling and squaring with a degree-12 Taylor
    polynomial (truncation < 1e-17 relative for ||m / 2^s|| <= 1/4). scipy.linalg.expm is
    accurate too but takes ~15 ms on these Jordan-structured matrices; this takes ~0.1 ms."""
    norm = float(np.max(np.sum(np.abs(m), axis=1)))
    s = max(0, int(math.ceil(math.log2(norm / 0.25)))) if norm > 0.25 else 0
    a = m / (2.0**s)
    eye = np.eye(m.shape[0], dtype=m.dtype)
    result = eye + a / 12
    for k in range(11, 0, -1):  # Horner: I + a/1 (I + a/2 (I + ...))
        result = a @ result
        result /= k
        result += eye
    for _ in range(s):
        result = result @ result
    return result


@dataclass
class MembraneMode:
    """Fundamental (1,1) mode of a SiN membrane. Defaults are seed-like: f0 ~ 1 MHz, Q = 1e6,
    m_eff = 150 ng, giving sqrt(S_F) = 3.95 fN/sqrt(Hz) at 300 K (Saulson 1990)."""

    f0: float = 1_000_237.5  # Hz at t = 0 and temperature t_ref
    q: float = 1.0e6
    m_eff: float = 150e-12  # kg
    #: Slow linear drift of f0 (stress relaxation, slow heating), Hz/s of simulated time.
    f0_drift_rate: float = 0.0
    #: df0/dT (tensile stress changes with temperature), Hz/K relative to ``t_ref``.
    f0_temp_coeff: float = 0.0
    t_ref: float = 295.0
    #: Q(T) as (temperature K, Q) pairs, log Q interpolated linearly in T and held beyond the
    #: ends (SiN loss falls on cooling); empty: ``q`` at every temperature.
    q_table: tuple[tuple[float, float], ...] = ()

    def __post_init__(self) -> None:
        table = tuple((float(t), float(q)) for t, q in self.q_table)
        if any(not (math.isfinite(t) and t >= 0 and math.isfinite(q) and q > 0) for t, q in table):
            raise ValueError(f"q_table {self.q_table!r}: give [temperature K >= 0, Q > 0] pairs")
        if any(b[0] <= a[0] for a, b in zip(table, table[1:])):
            raise ValueError(f"q_table {self.q_table!r}: temperatures must increase strictly")
        self.q_table = table

    def quality(self, temperature: float) -> float:
        """Q at ``temperature`` (K): from ``q_table`` when given, else the fixed ``q``."""
        if not self.q_table:
            return self.q
        temps = [t for t, _ in self.q_table]
        logs = [math.log(q) for _, q in self.q_table]
        return math.exp(float(np.interp(temperature, temps, logs)))

    def frequency(self, t: float, temperature: float) -> float:
        return self.f0 + self.f0_drift_rate * t + self.f0_temp_coeff * (temperature - self.t_ref)

    @property
    def spring_constant(self) -> float:
        return self.m_eff * (2 * math.pi * self.f0) ** 2

    @property
    def ringdown_time(self) -> float:
        """Amplitude 1/e time tau = Q / (pi f0)."""
        return self.q / (math.pi * self.f0)

    def force_noise_psd(self, temperature: float, f0: float | None = None) -> float:
        """One-sided thermal force PSD S_F = 4 kB T m w0 / Q(T) (N^2/Hz)."""
        w0 = 2 * math.pi * (self.f0 if f0 is None else f0)
        return 4 * KB * max(temperature, 0.0) * self.m_eff * w0 / self.quality(temperature)


class JointPropagator:
    """Exact one-step maps of [envelope, lock-in stage 1..p], cached by step and coefficients.

    ``step`` advances the state in place. Coefficients:
    lam  complex envelope eigenvalue -w0/2Q + i(w0 - w_ref)     (1/s)
    beta force -> envelope coupling  -i/(2 m w0)                (m/(N s))
    gain envelope (m, peak) -> demodulated volts (RMS, rotated by the reference phase)
    tc, poles  lock-in RC filter; d_env, d_volt white-noise intensities of envelope (m^2/s) and
    of the demodulated interferometer noise (V^2/Hz, complex).
    """

    def __init__(self, max_cache: int = 256) -> None:
        self._maps: OrderedDict[tuple, tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._tones: OrderedDict[tuple, tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self.max_cache = max_cache

    @staticmethod
    def system_matrix(lam: complex, gain: complex, tc: float, poles: int) -> np.ndarray:
        n = poles + 1
        a = np.zeros((n, n), dtype=complex)
        a[0, 0] = lam
        a[1, 0] = gain / tc
        for k in range(1, n):
            a[k, k] = -1.0 / tc
            if k >= 2:
                a[k, k - 1] = 1.0 / tc
        return a

    def _map(self, key: tuple) -> tuple[np.ndarray, np.ndarray]:
        hit = self._maps.get(key)
        if hit is not None:
            self._maps.move_to_end(key)
            return hit
        h, lam, gain, tc, poles, d_env, d_volt = key
        a = self.system_matrix(lam, gain, tc, poles)
        n = poles + 1
        qc = np.zeros((n, n), dtype=complex)
        qc[0, 0] = d_env
        qc[1, 1] = d_volt / tc**2
        # Van Loan (1978) on a short step h' = h / 2^j (the block -A grows as e^{h'/tc}):
        # expm([[-A, Qc], [0, A^H]] h') = [[., F12], [0, F22]], Phi = F22^H, Qd = Phi F12;
        # then doubling: Phi(2h) = Phi(h)^2, Qd(2h) = Phi Qd Phi^H + Qd.
        rate = max(abs(lam), 1.0 / tc)
        j = max(0, int(math.ceil(math.log2(rate * h / 2.0)))) if rate * h > 2.0 else 0
        m = np.zeros((2 * n, 2 * n), dtype=complex)
        m[:n, :n] = -a
        m[:n, n:] = qc
        m[n:, n:] = a.conj().T
        e = expm_small(m * (h / 2.0**j))
        phi = e[n:, n:].conj().T
        qd = phi @ e[:n, n:]
        for _ in range(j):
            qd = phi @ qd @ phi.conj().T + qd
            phi = phi @ phi
        qd = 0.5 * (qd + qd.conj().T)
        w, v = np.linalg.eigh(qd)
        root = v * np.sqrt(np.clip(w, 0.0, None))[None, :]
        self._maps[key] = (phi, root)
        if len(self._maps) > self.max_cache:
            self._maps.popitem(last=False)
        return phi, root

    def _tone(self, key: tuple, nu: float, phi: np.ndarray, beta: complex) -> tuple[np.ndarray, np.ndarray]:
        tkey = key + (nu, beta)
        hit = self._tones.get(tkey)
        if hit is not None:
            return hit
        h, lam, gain, tc, poles = key[:5]
        a = self.system_matrix(lam, gain, tc, poles)
        b = np.zeros(poles + 1, dtype=complex)
        b[0] = beta
        v = np.linalg.solve(1j * nu * np.eye(poles + 1) - a, b)
        out = (v, phi @ v)
        self._tones[tkey] = out
        if len(self._tones) > 4 * self.max_cache:
            self._tones.popitem(last=False)
        return out

    def step(self, state: np.ndarray, t0: float, h: float, lam: complex, beta: complex, gain: complex,
             tc: float, poles: int, d_env: float, d_volt: float,
             tones: list[tuple[float, complex]], rng: np.random.Generator) -> None:
        """Advance ``state`` (length poles+1) from t0 to t0+h. ``tones`` are (nu, C): force
        envelopes C e^{i nu t} in the reference frame (nu = w_tone - w_ref, t absolute).

        The envelope is carried in volts (a' = gain a) inside the step so that the matrix is
        well scaled (|A h| ~ h / tc), which keeps the matrix exponential cheap."""
        h = float(f"{h:.10g}")  # clock steps differ in the last bits; keep the cache hitting
        scale = gain if gain != 0 else 1.0
        kappa = 1.0 if gain != 0 else 0.0
        key = (h, lam, kappa, tc, poles, d_env * abs(scale) ** 2, d_volt)
        phi, root = self._map(key)
        n = poles + 1
        x = state[:n].copy()
        x[0] *= scale
        new = phi @ x
        for nu, c in tones:
            v, phi_v = self._tone(key, nu, phi, beta * scale)
            e0 = c * np.exp(1j * nu * t0)
            new += e0 * (np.exp(1j * nu * h) * v - phi_v)
        z = (rng.standard_normal(n) + 1j * rng.standard_normal(n)) * math.sqrt(0.5)
        new += root @ z
        new[0] /= scale
        state[:n] = new

    def steps(self, state: np.ndarray, t0: float, h: float, m: int, lam: complex, beta: complex, gain: complex,
              tc: float, poles: int, d_env: float, d_volt: float, tones: list[tuple[float, complex]],
              rng: np.random.Generator) -> np.ndarray:
        """``m`` steps of ``step`` at once: the states after each (shape (m, poles + 1)); ``state``
        ends at the last. The same random numbers in the same order as m calls of ``step``; the
        recursion X_{k+1} = Phi X_k + u_k is solved stage by stage (Phi is lower triangular: each
        stage is driven only by the envelope and the stages before it) as first-order IIR filters."""
        from scipy.signal import lfilter

        h = float(f"{h:.10g}")
        scale = gain if gain != 0 else 1.0
        kappa = 1.0 if gain != 0 else 0.0
        key = (h, lam, kappa, tc, poles, d_env * abs(scale) ** 2, d_volt)
        phi, root = self._map(key)
        phi = np.tril(phi)
        n = poles + 1
        draws = rng.standard_normal(2 * n * m).reshape(m, 2, n)
        u = ((draws[:, 0, :] + 1j * draws[:, 1, :]) * math.sqrt(0.5)) @ root.T
        k = np.arange(m)
        for nu, c in tones:
            v, phi_v = self._tone(key, nu, phi, beta * scale)
            e0 = c * np.exp(1j * nu * (t0 + k * h))
            u += e0[:, None] * (np.exp(1j * nu * h) * v - phi_v)[None, :]
        x0 = state[:n].copy()
        x0[0] *= scale
        out = np.empty((m, n), dtype=complex)
        for i in range(n):
            drive = u[:, i].copy()
            for j in range(i):
                prev = np.concatenate(([x0[j]], out[:-1, j]))
                drive += phi[i, j] * prev
            out[:, i], _ = lfilter([1.0], [1.0, -phi[i, i]], drive, zi=np.array([phi[i, i] * x0[i]]))
        out[:, 0] /= scale
        state[:n] = out[-1]
        return out


def envelope_record(a0: complex, t0: float, h: float, n: int, lam: complex, beta: complex, d_env: float,
                    tones: list[tuple[float, complex]], rng: np.random.Generator) -> np.ndarray:
    """Envelope samples a(t0 + k h), k = 0..n-1, plus the state at t0 + n h as element n.

    Exact recursion a_{k+1} = e^{lam h} a_k + tone terms + noise, run as a first-order IIR filter
    (scipy.signal.lfilter) so that millions of samples cost milliseconds."""
    from scipy.signal import lfilter

    decay = np.exp(lam * h)
    var = d_env * (1 - math.exp(2 * lam.real * h)) / (-2 * lam.real) if lam.real < 0 else d_env * h
    drive = (rng.standard_normal(n) + 1j * rng.standard_normal(n)) * math.sqrt(var / 2)
    k = np.arange(n)
    for nu, c in tones:
        gain = beta * c * (np.exp(1j * nu * h) - decay) / (1j * nu - lam)
        drive = drive + gain * np.exp(1j * nu * (t0 + k * h))
    out = np.empty(n + 1, dtype=complex)
    out[0] = a0
    out[1:], _ = lfilter([1.0], [1.0, -decay], drive, zi=np.array([decay * a0]))
    return out
