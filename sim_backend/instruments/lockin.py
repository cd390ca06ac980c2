"""The simulated lock-in amplifier: one front panel (settings, range checks, sensitivity ladder,
latched overload, auto-phase) over a pluggable demodulator, the simulated physics behind it.

The cw spectrometer's demodulator is the world's field-modulation lock-in
(:class:`FieldModulationDemodulator`); the membrane's interferometer carries its own
(``sim_backend.membrane.instruments.MembraneDemodulator``). Both offer the settings below and the
filtered output, so the instrument is written once.
"""
from __future__ import annotations

import cmath
import math
from typing import Any, Protocol

from drivers.roles import LockInAmplifier
from drivers.roles.base import Range
from drivers.roles.lockin import FILTER_SLOPES_DB, BufferedLockIn, BufferedXY
from sim_backend.instruments.cw import _SimInstrument
from sim_backend.instruments.lockin_buffer import CAPACITY, RATES, BufferSampler

#: SR830-style sensitivity ladder (V full scale), used so the simulated lock-in overloads for real.
SENSITIVITIES = tuple(m * 10.0**e for e in range(-9, 1) for m in (1, 2, 5) if m * 10.0**e <= 1.0)


class Demodulator(Protocol):
    """The simulated physics a lock-in front panel sets and reads (SI units, phase in degrees)."""

    reference_frequency: float
    reference_amplitude: float  # sine out, V peak
    time_constant: float
    poles: int
    phase_deg: float
    harmonic: int
    #: Largest harmonic the demodulator simulates.
    max_harmonic: int

    @property
    def output(self) -> complex:
        """Filtered X + iY (V RMS)."""

    def rotate_output(self, phasor: complex) -> None:
        """Turn the filter state by ``phasor`` (the reference phase moved)."""


class FieldModulationDemodulator:
    """The cw world's lock-in: reference and sine out drive the modulation coil; the filter is
    ``world.lockin`` (sim_backend.lockin_physics.LockinPhysics)."""

    max_harmonic = 19999

    def __init__(self, world: Any) -> None:
        self.world = world

    reference_frequency = property(lambda s: s.world.modulation_frequency,
                                   lambda s, v: setattr(s.world, "modulation_frequency", v))
    reference_amplitude = property(lambda s: s.world.modulation_amplitude_v,
                                   lambda s, v: setattr(s.world, "modulation_amplitude_v", v))
    time_constant = property(lambda s: s.world.lockin.time_constant,
                             lambda s, v: setattr(s.world.lockin, "time_constant", v))
    poles = property(lambda s: s.world.lockin.poles, lambda s, v: setattr(s.world.lockin, "poles", v))
    phase_deg = property(lambda s: s.world.lockin.phase_deg, lambda s, v: setattr(s.world.lockin, "phase_deg", v))
    harmonic = property(lambda s: s.world.harmonic, lambda s, v: setattr(s.world, "harmonic", v))

    @property
    def output(self) -> complex:
        return self.world.lockin.output

    @property
    def process(self) -> Any:
        """The clock process holding the filter (kept from skipping time while a buffer runs)."""
        return self.world.lockin

    def rotate_output(self, phasor: complex) -> None:
        self.world.lockin.stages *= phasor


class SimLockIn(_SimInstrument, LockInAmplifier, BufferedLockIn):
    """A lock-in on the simulated world. ``demodulator`` defaults to the cw field-modulation one."""

    def __init__(self, world: Any, name: str = "lockin", demodulator: Demodulator | None = None, *,
                 identity: str = "spinbench,SimLockIn,0002,1.0", min_time_constant: float = 1e-6,
                 reference_frequency_range: Range | None = None):
        _SimInstrument.__init__(self, world, name)
        self.demod: Demodulator = demodulator or FieldModulationDemodulator(world)
        self._identity = identity
        self._min_tc = min_time_constant
        if reference_frequency_range is not None:
            self.reference_frequency_range = reference_frequency_range
        self._sensitivity = 1.0
        self.overloaded = False
        self._buffer: BufferSampler | None = None

    def identity(self) -> str:
        return self._identity

    @property
    def reference_frequency(self) -> float:
        return self.demod.reference_frequency

    @reference_frequency.setter
    def reference_frequency(self, hz: float) -> None:
        hz = self.reference_frequency_range.check("reference frequency", hz, self.name)
        self._cmd(f"FREQ {hz!r}")
        self.demod.reference_frequency = hz

    @property
    def reference_amplitude(self) -> float:
        return self.demod.reference_amplitude

    @reference_amplitude.setter
    def reference_amplitude(self, volts: float) -> None:
        volts = self.reference_amplitude_range.check("reference amplitude", volts, self.name)
        self._cmd(f"SLVL {volts}")
        self.demod.reference_amplitude = volts

    @property
    def time_constant(self) -> float:
        return self.demod.time_constant

    @time_constant.setter
    def time_constant(self, seconds: float) -> None:
        if not self._min_tc <= seconds <= 3e4:
            raise ValueError(f"{self.name}: time constant {seconds} s outside {self._min_tc:g} s .. 30 ks")
        self._cmd(f"OFLT {seconds}")
        self.demod.time_constant = float(seconds)

    @property
    def filter_slope(self) -> int:
        return 6 * self.demod.poles

    @filter_slope.setter
    def filter_slope(self, db_per_octave: int) -> None:
        if db_per_octave not in FILTER_SLOPES_DB:
            raise ValueError(f"{self.name}: filter slope {db_per_octave} dB/oct; use one of {FILTER_SLOPES_DB}")
        self._cmd(f"OFSL {db_per_octave}")
        self.demod.poles = db_per_octave // 6

    @property
    def sensitivity(self) -> float:
        return self._sensitivity

    @sensitivity.setter
    def sensitivity(self, volts: float) -> None:
        choice = min((s for s in SENSITIVITIES if s >= volts * 0.999), default=SENSITIVITIES[-1])
        self._cmd(f"SENS {choice}")
        self._sensitivity = choice

    @property
    def phase(self) -> float:
        return self.demod.phase_deg

    @phase.setter
    def phase(self, degrees: float) -> None:
        self._cmd(f"PHAS {degrees}")
        self.demod.phase_deg = float((degrees + 180.0) % 360.0 - 180.0)

    @property
    def harmonic(self) -> int:
        return self.demod.harmonic

    @harmonic.setter
    def harmonic(self, n: int) -> None:
        top = self.demod.max_harmonic
        if int(n) != n or not 1 <= n <= top:
            raise ValueError(f"{self.name}: harmonic {n} must be an integer 1..{top}"
                             + (" (only the fundamental is simulated here)" if top == 1 else ""))
        self._cmd(f"HARM {int(n)}")
        self.demod.harmonic = int(n)

    def read_xy(self) -> tuple[float, float]:
        self._cmd("SNAP? 1,2")
        return self._clipped()

    def _clipped(self) -> tuple[float, float]:
        z = self.demod.output
        fs = self._sensitivity
        self.overloaded = self.overloaded or abs(z.real) > fs or abs(z.imag) > fs  # latched
        return max(-fs, min(fs, z.real)), max(-fs, min(fs, z.imag))

    # --- data buffer (sim_backend.instruments.lockin_buffer) ------------------------------------
    buffer_capacity = CAPACITY
    #: Test hook (s): the buffer's first sample is taken this long after STRT (lockin_buffer).
    buffer_start_delay = 0.0

    def buffer_rates(self) -> tuple[float, ...]:
        return RATES

    def start_buffer(self, rate_hz: float) -> float:
        self.buffer_rate_index(rate_hz)  # refuses a rate the buffer cannot run at
        self._cmd(f"STRT {rate_hz:g} Hz")
        if self._buffer is None:  # registered last: it sees the filter after each step
            self._buffer = BufferSampler(self.world.clock, self._clipped, self.buffer_capacity)
            self.world.clock.add(self._buffer)
        self._buffer.start_delay = self.buffer_start_delay
        self._buffer.start(1.0 / rate_hz, getattr(self.demod, "process", None))
        return self._buffer.interval

    def stop_buffer(self) -> None:
        self._cmd("PAUS")
        if self._buffer is not None:
            self._buffer.stop()

    def buffer_points(self) -> int:
        self._cmd("SPTS?")
        return len(self._buffer.x) if self._buffer is not None else 0

    def read_buffer_xy(self, start: int = 0, count: int | None = None) -> BufferedXY:
        stored = self.buffer_points()
        count = stored - start if count is None else count
        if start < 0 or count < 0 or start + count > stored or self._buffer is None:
            raise ValueError(f"{self.name}: buffer points {start}..{start + count} requested, {stored} stored")
        self._cmd(f"TRCB? {start},{count}")
        x, y = self._buffer.arrays(start, count)
        return BufferedXY(x, y, self._buffer.interval, start)

    def is_overloaded(self) -> bool:
        was, self.overloaded = self.overloaded, False
        return was

    def auto_phase(self) -> None:
        self._cmd("APHS")
        shift = cmath.phase(self.demod.output)
        self.phase = self.phase + math.degrees(shift)
        self.demod.rotate_output(cmath.exp(-1j * shift))  # the output turns with the reference

    def make_safe(self) -> None:
        self.demod.reference_amplitude = 0.0
        self.world.log(self.name, "SLVL 0 (safe)")

    def snapshot(self) -> dict[str, Any]:
        return {"reference_frequency_Hz": self.reference_frequency, "reference_amplitude_V": self.reference_amplitude,
                "time_constant_s": self.time_constant, "filter_slope_dB_per_oct": self.filter_slope,
                "sensitivity_V": self._sensitivity, "phase_deg": self.phase, "harmonic": self.harmonic}
