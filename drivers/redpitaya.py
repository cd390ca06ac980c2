"""Red Pitaya STEMlab 125-14 through its SCPI server: digitizer (fast inputs) and generator.

Command set: Red Pitaya SCPI documentation and the official examples (``redpitaya_scpi.py``,
``acquire_trigger_posedge.py``, ``generate_continuous.py``; docs/references.md). Raw TCP port 5000, CR LF both ways; the SCPI server must be started from the web UI.

Digitizer (role ``digitizer``): 125 MS/s divided by ``ACQ:DEC`` (powers of two 1..65536),
buffer 16384 samples; per record ``ACQ:START``, ``ACQ:TRIG <source>``, poll ``ACQ:TRIG:STAT?``
until ``TD`` and ``ACQ:TRig:FILL?`` until 1 (OS 2.00+: the post-trigger part is written after
TD), then ``ACQ:SOUR<n>:DATA:OLD:N? <n>`` (ASCII ``{v1,v2,...}`` in volts after
``ACQ:DATA:FORMAT ASCII`` / ``ACQ:DATA:UNITS VOLTS``). Input 1 is I, input 2 is Q.
Errors: ``SYST:ERR:NEXT?`` until ``0,...`` (official ``check_error``).

Acquisition window: the buffer holds [trigger - 8192 + d, trigger + 8192 + d) samples for
``ACQ:TRIG:DLY d`` and ``DATA:OLD:N?`` reads from its oldest sample, so the driver sets d = 8192
for a record that starts at the trigger, whatever its length.

Arbitrary waveforms: :meth:`RedPitayaGenerator.upload_waveform` (one period, 1..16384 values in
[-1, 1]) and :meth:`RedPitayaGenerator.play_samples` (a sampled program at a given rate); the
generator's limits as an AWG target are ``AWG_PROFILE`` (``drivers.awg_profile``, profile
``redpitaya-125-14``), which ``sequences.pulse.Constraints.for_awg(profile=...)`` checks.

Generator (role ``piezo``): ``SOUR1:FUNC SINE``, ``SOUR1:FREQ:FIX <Hz>`` (<= 50 MHz),
``SOUR1:VOLT <V>`` (|V| <= 1), ``OUTPUT1:STATE ON|OFF``; with the output on, the waveform only
starts with ``SOUR1:TRig:INT`` (before it the output holds its initial value, i.e. DC).

Manual command set (each sent as is from plain pyvisa to the served Red Pitaya by
``tests/test_drivers_manual_commands.py``; every query answered, no setting refused):

    *IDN?; *OPC?; *STB?; *CLS; ACQ:RST; ACQ:DEC 8; ACQ:DEC?; ACQ:DATA:FORMAT ASCII; ACQ:DATA:UNITS VOLTS
    ACQ:SOUR1:GAIN LV; ACQ:TRIG:LEV 0.1; ACQ:TRIG:DLY 8192; ACQ:TRIG:DLY?; ACQ:BUF:SIZE?
    ACQ:START; ACQ:TRIG NOW; ACQ:TRIG:STAT?; ACQ:TRig:FILL?; ACQ:SOUR1:DATA:OLD:N? 16; ACQ:STOP
    SOUR2:FUNC ARBITRARY; SOUR2:TRAC:DATA:DATA 0,0.5,1,0.5,0,-0.5,-1,-0.5; SOUR2:FUNC?
    SOUR1:FUNC SINE; SOUR1:FUNC?; SOUR1:FREQ:FIX 1000; SOUR1:FREQ:FIX?; SOUR1:VOLT 0.5; SOUR1:VOLT?
    OUTPUT1:STATE ON; SOUR1:TRig:INT; OUTPUT1:STATE?; OUTPUT1:STATE OFF; SYST:ERR:NEXT?
"""
from __future__ import annotations

from typing import Any

import numpy as np

from drivers.awg_profile import AWG_PROFILES
from drivers.errors import InstrumentError
from drivers.roles import Digitizer, PiezoDrive
from drivers.roles.base import Range
from drivers.settings import setting
from drivers.transport import ReplyError
from drivers.wire_instrument import WireInstrument
from drivers.replies import number, parse_bool, parse_floats, parse_scpi_error

CLOCK_HZ = 125e6
#: What the generator can play (sample rate, 16384-sample buffer, full scale [-1, 1], no markers).
AWG_PROFILE = AWG_PROFILES["redpitaya-125-14"]
DECIMATIONS = tuple(2**k for k in range(17))
BUFFER = 16384
TRIGGERS = ("NOW", "CH1_PE", "CH1_NE", "CH2_PE", "CH2_NE", "EXT_PE", "EXT_NE", "AWG_PE", "AWG_NE")


def parse_trigger_state(text: str) -> str:
    """``ACQ:TRIG:STAT?`` answers TD (triggered) or WAIT; anything else is another query's reply."""
    state = text.strip().upper()
    if state not in ("TD", "WAIT"):
        raise ReplyError(f"expected TD or WAIT, got {text[:80]!r}")
    return state


class _RedPitaya(WireInstrument):
    terminations = {"socket": ("\r\n", "\r\n"), "serial": ("\r\n", "\r\n"), "other": ("\r\n", "\r\n")}
    error_check = "scpi"

    def check_errors(self, command: str = "") -> None:
        """The Red Pitaya names its queue SYST:ERR:NEXT? (official examples)."""
        if not self.check_errors_enabled:
            return
        errors = []
        for _ in range(32):
            code, text = self._ask("SYST:ERR:NEXT?", parse_scpi_error)
            if code == 0:
                break
            errors.append(f"{code}, {text}")
        if errors:
            raise InstrumentError(self.name, "instrument reported " + "; ".join(errors),  # type: ignore[attr-defined]
                                  address=self.address, command=command)


class RedPitayaDigitizer(_RedPitaya, Digitizer):
    driver_options = {"trigger": "EXT_PE", "trigger_level": 0.1, "records": 1, "trigger_timeout": 5.0,
                      "poll_interval": 0.005, "high_voltage": False}

    def __init__(self, address: str, name: str | None = None, **options: Any):
        Digitizer.__init__(self, name)
        self.options = self._init_wire(address, name or self.role, options)
        if self.options["trigger"] not in TRIGGERS:
            raise ValueError(f"{self.name}: trigger {self.options['trigger']!r}; use one of {TRIGGERS}")
        if int(self.options["records"]) < 1:
            raise ValueError(f"{self.name}: records must be >= 1")
        self._decimation = 1
        self._length = BUFFER

    @property
    def sample_rate(self) -> float:
        return CLOCK_HZ / self._decimation

    @sample_rate.setter
    def sample_rate(self, hz: float) -> None:
        if not CLOCK_HZ / DECIMATIONS[-1] * 0.999 <= hz <= CLOCK_HZ * 1.001:
            raise ValueError(f"{self.name}: sample rate {hz:g} Hz outside {CLOCK_HZ / DECIMATIONS[-1]:g} .. "
                             f"{CLOCK_HZ:g} Hz (125 MHz / 2^k)")
        dec = min(DECIMATIONS, key=lambda d: abs(np.log(CLOCK_HZ / d / hz)))
        self._set(f"ACQ:DEC {dec}")
        self._decimation = dec

    @property
    def record_length(self) -> int:
        return self._length

    @record_length.setter
    def record_length(self, n: int) -> None:
        if int(n) != n or not 1 <= n <= BUFFER:
            raise ValueError(f"{self.name}: record length {n!r} must be an integer 1..{BUFFER}")
        self._length = int(n)

    def arm(self) -> None:
        self._set("ACQ:RST")
        self._set(f"ACQ:DEC {self._decimation}")
        self._set("ACQ:DATA:FORMAT ASCII")
        self._set("ACQ:DATA:UNITS VOLTS")
        gain = "HV" if self.options["high_voltage"] else "LV"
        self._set(f"ACQ:SOUR1:GAIN {gain}")
        self._set(f"ACQ:SOUR2:GAIN {gain}")
        self._set(f"ACQ:TRIG:LEV {float(self.options['trigger_level']):.4f}")
        # The buffer holds [trigger - 8192 + d, trigger + 8192 + d) (Red Pitaya SCPI docs,
        # "ACQ:TRIG:DLY"); d = 8192 puts the oldest sample, where DATA:OLD:N? reads, at the trigger.
        self._set(f"ACQ:TRIG:DLY {BUFFER // 2}")

    def _record(self) -> np.ndarray:
        self._do("ACQ:START")
        self._do(f"ACQ:TRIG {self.options['trigger']}")
        t0 = self.clock.now()
        while self._ask("ACQ:TRIG:STAT?", parse_trigger_state) != "TD":
            if self.clock.now() - t0 > float(self.options["trigger_timeout"]):
                raise self._error(f"no trigger ({self.options['trigger']}) within "
                                  f"{self.options['trigger_timeout']:g} s", "ACQ:TRIG:STAT?")
            self.clock.sleep(float(self.options["poll_interval"]))
        self._wait_filled(t0)
        n = self._length
        i = self._ask(f"ACQ:SOUR1:DATA:OLD:N? {n}", parse_floats(n, low=-25.0, high=25.0))
        q = self._ask(f"ACQ:SOUR2:DATA:OLD:N? {n}", parse_floats(n, low=-25.0, high=25.0))
        return np.asarray(i) + 1j * np.asarray(q)

    def _wait_filled(self, t0: float) -> None:
        """After TD the post-trigger part is still being written: ``ACQ:TRig:FILL?`` says 1 when
        the buffer is full (Red Pitaya OS 2.00 and later; older ones lack it and are refused)."""
        while True:
            try:
                filled = self._ask("ACQ:TRig:FILL?", parse_bool)
            except InstrumentError as exc:
                raise self._error(f"no usable answer to ACQ:TRig:FILL? ({exc.detail}); this driver needs "
                                  "Red Pitaya OS 2.00 or later, whose acquisition reports when the buffer "
                                  "is full", "ACQ:TRig:FILL?") from None
            if filled:
                return
            if self.clock.now() - t0 > float(self.options["trigger_timeout"]):
                raise self._error("the buffer did not fill after the trigger", "ACQ:TRig:FILL?")
            self.clock.sleep(float(self.options["poll_interval"]))

    def fetch(self) -> np.ndarray:
        records = [self._record() for _ in range(int(self.options["records"]))]
        self._set("ACQ:STOP")
        return np.vstack(records)

    def snapshot(self) -> dict[str, Any]:
        return {"sample_rate_Hz": self.sample_rate, "record_length": self._length,
                "trigger": self.options["trigger"], "records": int(self.options["records"]), "address": self.address}


class RedPitayaGenerator(_RedPitaya, PiezoDrive):
    """Output 1 as a sine drive (e.g. the membrane's piezo)."""

    amplitude_range = Range(0.0, 1.0, "V")
    driver_options = {"channel": 1}
    awg_profile = AWG_PROFILE

    def __init__(self, address: str, name: str | None = None, **options: Any):
        PiezoDrive.__init__(self, name)
        self.options = self._init_wire(address, name or self.role, options)
        if self.options["channel"] not in (1, 2):
            raise ValueError(f"{self.name}: channel {self.options['channel']!r}; use 1 or 2")
        self.ch = int(self.options["channel"])
        self._func_set = False

    def _sine_first(self, value: Any) -> Any:
        """Amplitude and frequency apply to the selected waveform: select the sine once (unless
        an arbitrary waveform was uploaded), after the value has passed its checks."""
        if not self._func_set:
            self._set(f"SOUR{self.ch}:FUNC SINE")
            self._func_set = True
        return value

    def _check_frequency(self, hz: float) -> float:
        if not 0 < hz <= 50e6:
            raise ValueError(f"{self.name}: frequency {hz!r} Hz outside (0, 50 MHz]")
        return hz

    #: ``SOUR<n>:VOLT`` amplitude (V, 0..1; scales an arbitrary waveform's full scale).
    amplitude = setting("SOUR{ch}:VOLT", to_wire="{:.4f}", from_wire=number(-1.0, 1.0), unit="V", snapshot=None,
                        check=lambda self, v: self._sine_first(self.amplitude_range.check("drive amplitude", v,
                                                                                          self.name)))
    #: ``SOUR<n>:FREQ:FIX`` frequency (Hz, up to 50 MHz).
    frequency = setting("SOUR{ch}:FREQ:FIX", to_wire="{:.3f}", from_wire=number(0.0, 62.5e6), unit="Hz",
                        snapshot=None, check=lambda self, hz: self._sine_first(self._check_frequency(hz)))
    _output_state = setting("OUTPUT{ch}:STATE", to_wire=lambda on: "ON" if on else "OFF", from_wire=parse_bool,
                            snapshot=None)

    @property
    def output(self) -> bool:
        return self._output_state

    @output.setter
    def output(self, on: bool) -> None:
        self._output_state = bool(on)
        if on:  # ON alone holds the initial value (DC); the waveform starts on a trigger (SCPI docs)
            self._do(f"SOUR{self.ch}:TRig:INT")

    def upload_waveform(self, samples: Any) -> None:
        """An arbitrary waveform for one period: at most 16384 samples in [-1, 1] (full scale;
        ``SOUR<n>:VOLT`` scales it), sent with ``SOUR<n>:FUNC ARBITRARY`` and
        ``SOUR<n>:TRAC:DATA:DATA`` (Red Pitaya SCPI docs). Checked before anything is sent."""
        data = np.asarray(samples, dtype=float).ravel()
        if not 1 <= data.size <= BUFFER:
            raise ValueError(f"{self.name}: waveform of {data.size} samples; the generator holds 1..{BUFFER}")
        bad = np.flatnonzero(~np.isfinite(data) | (np.abs(data) > 1.0))
        if bad.size:
            raise ValueError(f"{self.name}: waveform sample {bad[0]} = {float(data[bad[0]])!r} outside the full scale "
                             f"[-1, 1] ({bad.size} such samples)")
        self._set(f"SOUR{self.ch}:FUNC ARBITRARY")
        self._func_set = True  # keep the waveform: amplitude/frequency setters must not reselect SINE
        self._set(f"SOUR{self.ch}:TRAC:DATA:DATA " + ",".join(f"{v:.6f}" for v in data))

    def play_samples(self, samples: Any, sample_rate: float) -> None:
        """A sampled program (e.g. one output of ``sequences.pulse.compile_awg`` for the
        ``redpitaya-125-14`` profile) at ``sample_rate``: zero-padded to the 16384-sample buffer,
        whose playback period 16384 / sample_rate is set with ``SOUR<n>:FREQ:FIX`` (the buffer
        holds one period of the arbitrary waveform; Red Pitaya SCPI docs). ``SOUR<n>:VOLT``
        (``amplitude``) scales the full scale [-1, 1]. The frequency is sent to 1 mHz, so the
        sample clock is exact to about 1e-7 (1 ns over a full buffer)."""
        data = np.asarray(samples)
        if np.iscomplexobj(data):
            raise ValueError(f"{self.name}: complex samples; each output plays a real track (send the real part "
                             "(I) to one output and the imaginary part (Q) to the other)")
        rate = float(sample_rate)
        if not 0 < rate <= CLOCK_HZ * (1 + 1e-9):
            raise ValueError(f"{self.name}: sample rate {sample_rate!r} S/s outside (0, {CLOCK_HZ:g}] (the DAC clock)")
        data = np.asarray(data, dtype=float).ravel()
        if data.size > BUFFER:
            raise ValueError(f"{self.name}: {data.size} samples ({data.size / rate * 1e6:.6g} us at {rate:g} S/s) do "
                             f"not fit the generator's {BUFFER}-sample buffer; compile for the redpitaya-125-14 AWG "
                             "profile to have this refused at validation")
        padded = np.zeros(BUFFER)
        padded[:data.size] = data
        self.upload_waveform(padded)
        self.frequency = rate / BUFFER

    def snapshot(self) -> dict[str, Any]:
        return {"channel": self.ch, "amplitude_V": self.amplitude, "frequency_Hz": self.frequency,
                "output": self.output, "address": self.address}
