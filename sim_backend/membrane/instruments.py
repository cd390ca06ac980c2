"""Simulated instruments of the membrane setup: interferometer (with its built-in demodulator,
a LockInAmplifier at the membrane frequency) and piezo drive. They act only on the
MembraneSystem and the world's clock."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from drivers.errors import InstrumentError
from drivers.roles import DisplacementSensor, LockInAmplifier, PiezoDrive
from drivers.roles.base import Range
from drivers.roles.lockin import FILTER_SLOPES_DB
from sim_backend.instruments.cw import SENSITIVITIES, _SimInstrument
from sim_backend.membrane.system import MembraneSystem

MAX_RECORD = 20_000_000


class SimMembraneLockIn(_SimInstrument, LockInAmplifier):
    """Lock-in demodulating the interferometer's photodiode voltage (an HF2LI-class instrument:
    references up to 50 MHz). X, Y in V RMS; the sine out drives the sample's modulation coil."""

    reference_frequency_range = Range(1e-3, 50e6, "Hz")

    def __init__(self, system: MembraneSystem, name: str = "displacement.demod"):
        _SimInstrument.__init__(self, system.world, name)
        self.system = system
        self._sensitivity = 1.0
        self.overloaded = False

    def identity(self) -> str:
        return "spinbench,SimMembraneLockIn,0011,1.0"

    @property
    def reference_frequency(self) -> float:
        return self.system.demod.frequency

    @reference_frequency.setter
    def reference_frequency(self, hz: float) -> None:
        hz = self.reference_frequency_range.check("reference frequency", hz, self.name)
        self._cmd(f"FREQ {hz!r}")
        self.system.set_reference(hz)

    @property
    def reference_amplitude(self) -> float:
        return self.system.demod.sine_out

    @reference_amplitude.setter
    def reference_amplitude(self, volts: float) -> None:
        volts = self.reference_amplitude_range.check("reference amplitude", volts, self.name)
        self._cmd(f"SLVL {volts}")
        self.system.demod.sine_out = volts

    @property
    def time_constant(self) -> float:
        return self.system.demod.time_constant

    @time_constant.setter
    def time_constant(self, seconds: float) -> None:
        if not 1e-7 <= seconds <= 3e4:
            raise ValueError(f"{self.name}: time constant {seconds} s outside 100 ns .. 30 ks")
        self._cmd(f"OFLT {seconds}")
        self.system.demod.time_constant = float(seconds)

    @property
    def filter_slope(self) -> int:
        return 6 * self.system.demod.poles

    @filter_slope.setter
    def filter_slope(self, db_per_octave: int) -> None:
        if db_per_octave not in FILTER_SLOPES_DB:
            raise ValueError(f"{self.name}: filter slope {db_per_octave} dB/oct; use one of {FILTER_SLOPES_DB}")
        self._cmd(f"OFSL {db_per_octave}")
        self.system.demod.poles = db_per_octave // 6

    @property
    def sensitivity(self) -> float:
        return self._sensitivity

    @sensitivity.setter
    def sensitivity(self, volts: float) -> None:
        self._sensitivity = min((s for s in SENSITIVITIES if s >= volts * 0.999), default=SENSITIVITIES[-1])
        self._cmd(f"SENS {self._sensitivity}")

    @property
    def phase(self) -> float:
        return self.system.demod.phase_deg

    @phase.setter
    def phase(self, degrees: float) -> None:
        self._cmd(f"PHAS {degrees}")
        self.system.demod.phase_deg = float((degrees + 180.0) % 360.0 - 180.0)

    @property
    def harmonic(self) -> int:
        return 1

    @harmonic.setter
    def harmonic(self, n: int) -> None:
        if n != 1:
            raise ValueError(f"{self.name}: only harmonic 1 is simulated for the membrane demodulator")

    def read_xy(self) -> tuple[float, float]:
        self._cmd("SNAP? 1,2")
        z = self.system.lockin_output
        fs = self._sensitivity
        self.overloaded = abs(z.real) > fs or abs(z.imag) > fs
        return max(-fs, min(fs, z.real)), max(-fs, min(fs, z.imag))

    def auto_phase(self) -> None:
        self._cmd("APHS")
        z = self.system.lockin_output
        self.phase = self.phase + math.degrees(math.atan2(z.imag, z.real))

    def make_safe(self) -> None:
        self.system.demod.sine_out = 0.0
        self.world.log(self.name, "SLVL 0 (safe)")

    def snapshot(self) -> dict[str, Any]:
        d = self.system.demod
        return {"reference_frequency_Hz": d.frequency, "reference_amplitude_V": d.sine_out,
                "time_constant_s": d.time_constant, "filter_slope_dB_per_oct": 6 * d.poles,
                "sensitivity_V": self._sensitivity, "phase_deg": d.phase_deg, "harmonic": 1}


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
