"""Simulated instruments of the membrane setup: interferometer (with its built-in demodulator,
a LockInAmplifier at the membrane frequency) and piezo drive. They act only on the
MembraneSystem and the world's clock."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from drivers.errors import InstrumentError
from drivers.roles import DisplacementSensor, LaserGate, PiezoDrive
from drivers.roles.base import Range
from drivers.roles.lockin import BufferedXY
from sim_backend.instruments.cw import _SimInstrument
from sim_backend.instruments.lockin import SimLockIn
from sim_backend.membrane.buffer import MEMBRANE_CAPACITY, MEMBRANE_RATES
from sim_backend.membrane.system import MembraneSystem

MAX_RECORD = 20_000_000


class MembraneDemodulator:
    """The demodulator behind the interferometer's photodiode (an HF2LI-class instrument:
    references up to 50 MHz; its sine out drives the sample's modulation coil). Its filter is
    integrated jointly with the membrane envelope (``MembraneSystem``); only the fundamental
    is simulated."""

    max_harmonic = 1
    harmonic = 1

    def __init__(self, system: MembraneSystem) -> None:
        self.system = system

    reference_frequency = property(lambda s: s.system.demod.frequency, lambda s, hz: s.system.set_reference(hz))
    reference_amplitude = property(lambda s: s.system.demod.sine_out,
                                   lambda s, v: setattr(s.system.demod, "sine_out", v))
    time_constant = property(lambda s: s.system.demod.time_constant,
                             lambda s, v: setattr(s.system.demod, "time_constant", v))
    poles = property(lambda s: s.system.demod.poles, lambda s, v: setattr(s.system.demod, "poles", v))
    phase_deg = property(lambda s: s.system.demod.phase_deg, lambda s, v: setattr(s.system.demod, "phase_deg", v))

    @property
    def output(self) -> complex:
        return self.system.lockin_output

    def rotate_output(self, phasor: complex) -> None:
        self.system.flush()
        self.system.state[1:] *= phasor


class SimMembraneLockIn(SimLockIn):
    """The interferometer's lock-in: the one simulated lock-in on the membrane's demodulator.
    X, Y in V RMS."""

    def __init__(self, system: MembraneSystem, name: str = "displacement.demod"):
        SimLockIn.__init__(self, system.world, name, MembraneDemodulator(system),
                           identity="spinbench,SimMembraneLockIn,0011,1.0", min_time_constant=1e-7,
                           reference_frequency_range=Range(1e-3, 50e6, "Hz"))
        self.system = system

    # --- data buffer: the demodulator streams into memory; sampled exactly by the system ----------
    buffer_capacity = MEMBRANE_CAPACITY

    def buffer_rates(self) -> tuple[float, ...]:
        return MEMBRANE_RATES

    def start_buffer(self, rate_hz: float) -> float:
        self.buffer_rate_index(rate_hz)  # refuses a rate the buffer cannot run at
        self._cmd(f"STRT {rate_hz:g} Hz")
        self.system.start_buffer(1.0 / rate_hz)
        return 1.0 / rate_hz

    def stop_buffer(self) -> None:
        self._cmd("PAUS")
        self.system.stop_buffer()

    def buffer_points(self) -> int:
        self._cmd("SPTS?")
        self.system.flush()
        return self.system.buffer.count if self.system.buffer is not None else 0

    def read_buffer_xy(self, start: int = 0, count: int | None = None) -> BufferedXY:
        stored = self.buffer_points()
        count = stored - start if count is None else count
        buf = self.system.buffer
        if start < 0 or count < 0 or start + count > stored or buf is None:
            raise ValueError(f"{self.name}: buffer points {start}..{start + count} requested, {stored} stored")
        self._cmd(f"TRCB? {start},{count}")
        z = buf.values(start, count)
        fs = self.sensitivity
        if np.any(np.abs(z.real) > fs) or np.any(np.abs(z.imag) > fs):
            self.overloaded = True
        return BufferedXY(np.clip(z.real, -fs, fs), np.clip(z.imag, -fs, fs), buf.interval, start)


class SimInterferometer(_SimInstrument, DisplacementSensor):
    """Fibre interferometer on the membrane. ``demodulator`` is its lock-in (see
    sequences/experiments/membrane_readout.py for how experiments find it)."""

    sample_rate_range = Range(1e3, 100e6, "Hz")

    def __init__(self, system: MembraneSystem, name: str = "displacement"):
        _SimInstrument.__init__(self, system.world, name)
        self.system = system
        self._sample_rate = 10e6
        self.demodulator = SimMembraneLockIn(system, f"{name}.demod")

    def identity(self) -> str:
        return "spinbench,SimFibreInterferometer,0010,1.0"

    @property
    def sample_rate(self) -> float:
        return self._sample_rate

    @sample_rate.setter
    def sample_rate(self, hz: float) -> None:
        hz = self.sample_rate_range.check("sample rate", hz, self.name)
        self._cmd(f"RATE {hz}")
        self._sample_rate = hz

    def calibrate_fringe(self) -> float:
        """Sweeps the laser through a fringe (0.2 s); returns metres per volt at mid-fringe."""
        self._cmd("CAL:FRINGE")
        self.world.clock.sleep(0.2)
        return self.system.ifo.calibrate()

    def lock_working_point(self) -> None:
        self._cmd("LOCK 1")
        self.system.ifo.lock()
        self.world.clock.sleep(0.05)

    def _to_metres(self, volts: np.ndarray | float) -> np.ndarray | float:
        ifo = self.system.ifo
        if ifo.calibrated_v_mid is None:
            raise InstrumentError(self.name, "fringe not calibrated: call calibrate_fringe() first")
        return (np.asarray(volts) - ifo.calibrated_v_mid) * ifo.metres_per_volt()

    def read_displacement(self) -> float:
        self._cmd("DISP?")
        ifo = self.system.ifo
        v = ifo.voltage(self.system.displacement_now())
        v += ifo.noise_density * math.sqrt(ifo.detector_bandwidth) * float(ifo.rng.standard_normal())
        return float(self._to_metres(v))

    def acquire(self, n_samples: int) -> np.ndarray:
        if int(n_samples) != n_samples or not 1 <= n_samples <= MAX_RECORD:
            raise ValueError(f"{self.name}: n_samples = {n_samples!r}; use a whole number in 1..{MAX_RECORD}")
        if self.system.ifo.calibrated_v_mid is None:
            raise InstrumentError(self.name, "fringe not calibrated: call calibrate_fringe() first")
        self._cmd(f"ACQ {int(n_samples)}")
        with self.world.clock.lock:
            volts = self.system.record(int(n_samples), self._sample_rate)
            self.world.clock.sleep(int(n_samples) / self._sample_rate)
        return np.asarray(self._to_metres(volts))

    def make_safe(self) -> None:
        self.demodulator.make_safe()

    def snapshot(self) -> dict[str, Any]:
        ifo = self.system.ifo
        return {"sample_rate_Hz": self._sample_rate, "wavelength_m": ifo.wavelength, "locked": ifo.locked,
                "calibrated_fringe_pp_V": ifo.calibrated_v_pp, "demodulator": self.demodulator.snapshot()}


class SimPiezo(_SimInstrument, PiezoDrive):
    frequency_range = Range(1.0, 50e6, "Hz")

    def __init__(self, system: MembraneSystem, name: str = "piezo"):
        _SimInstrument.__init__(self, system.world, name)
        self.system = system

    def identity(self) -> str:
        return "spinbench,SimPiezoDrive,0012,1.0"

    @property
    def amplitude(self) -> float:
        return self.system.piezo.amplitude

    @amplitude.setter
    def amplitude(self, volts: float) -> None:
        volts = self.amplitude_range.check("piezo amplitude", volts, self.name)
        self._cmd(f"VOLT {volts}")
        self.system.piezo.amplitude = volts

    @property
    def frequency(self) -> float:
        return self.system.piezo.frequency

    @frequency.setter
    def frequency(self, hz: float) -> None:
        hz = self.frequency_range.check("piezo frequency", hz, self.name)
        self._cmd(f"FREQ {hz!r}")
        self.system.piezo.frequency = hz

    @property
    def output(self) -> bool:
        return self.system.piezo.output

    @output.setter
    def output(self, on: bool) -> None:
        self._cmd(f"OUTP {int(bool(on))}")
        self.system.piezo.output = bool(on)

    def make_safe(self) -> None:
        self.system.piezo.output = False
        self.world.log(self.name, "OUTP 0 (safe)")

    def snapshot(self) -> dict[str, Any]:
        p = self.system.piezo
        return {"amplitude_V": p.amplitude, "frequency_Hz": p.frequency, "output": p.output}


class SimPumpLaser(LaserGate):
    """The optical-pumping light on a nuclear sample (near-band-gap light on GaAs): while it is
    on, the nuclear polarisation builds up towards the pumped value (``nuclear.py``)."""

    power_range = Range(0.0, 1.0, "W")

    def __init__(self, system: MembraneSystem, name: str = "laser"):
        super().__init__(name)
        self.system = system
        self._power = 0.01

    def identity(self) -> str:
        return "spinbench,SimPumpLaser,0013,1.0"

    @property
    def output(self) -> bool:
        return self.system.pump_light

    @output.setter
    def output(self, on: bool) -> None:
        self.system.world.log(self.name, f"OUTP {int(bool(on))}")
        self.system.pump_light = bool(on)

    @property
    def power(self) -> float:
        return self._power

    @power.setter
    def power(self, watts: float) -> None:
        self._power = self.power_range.check("laser power", watts, self.name)

    def make_safe(self) -> None:
        self.system.pump_light = False
        self.system.world.log(self.name, "OUTP 0 (safe)")

    def snapshot(self) -> dict[str, Any]:
        return {"output": self.system.pump_light, "power_W": self._power}
