"""Stanford Research SR860 / SR865A lock-in amplifier (GPIB, RS-232, USB-TMC, Ethernet).

Command set: SR860 manual ch. 4 (remote programming; docs/references.md), cross-checked with
PM ``srs/sr860.py`` and QC ``SR86x.py``. Differences from the SR830 that matter here:

* ``OUTP? i`` / ``SNAP? i,j[,k]`` number X, Y, R, theta as **0..3** (SR830: 1..4), at most 3
  values per SNAP?.
* Sensitivity is ``SCAL i``, **0 = 1 V .. 27 = 1 nV** (reverse of the SR830's SENS).
* ``OFLT`` 0..21 = 1 us .. 30 ks; ``FREQ`` up to 500 kHz (SR865A: 4 MHz; option
  ``max_frequency``); ``SLVL`` 1 nV .. 2 V; ``HARM`` 1..99.
* Current input: ``IVMD 1`` with ``ICUR 0|1`` (1 MOhm / 100 MOhm); sensitivities and outputs
  are then in amperes (full scale V / 1e6 or V / 1e8).
* Data capture (``CAPTURECFG/CAPTURELEN/CAPTURERATE/CAPTURERATEMAX?/CAPTURESTART/CAPTURESTOP/
  CAPTUREBYTES?/CAPTUREGET?``, binary blocks): :mod:`drivers.sr860_capture`.
* Terminations LF both ways (QC ``default_terminator``); Ethernet is VXI-11
  ``TCPIP::<ip>::INSTR`` (ATZ config) or a raw socket.

Manual command set (each sent as is from plain pyvisa to the served SR860 by
``tests/test_drivers_manual_commands.py``; every query answered, no setting refused):

    *RST; *CLS; *IDN?; *ESR?; *STB?; *ESE 4; *ESE?; *SRE 0; *SRE?; *OPC?; *TST?; *WAI
    FREQ 1000; FREQ?; SLVL 0.1; SLVL?; HARM 1; HARM?; PHAS 10; PHAS?; SCAL 9; SCAL?
    OFLT 8; OFLT?; OFSL 1; OFSL?; IRNG 1; IRNG?; IVMD 0; IVMD?; ICUR 0; ICUR?
    OUTP? 0; SNAP? 0,1; SNAP? 0,1,2; APHS
    CAPTURECFG 1; CAPTURECFG?; CAPTURELEN 256; CAPTURELEN?; CAPTURERATE 2; CAPTURERATE?
    CAPTURERATEMAX?; CAPTURESTART 0,0; CAPTURESTOP; CAPTUREBYTES?; CAPTUREPROG?
"""
from __future__ import annotations

from typing import Any

from drivers.roles.base import Range
from drivers.settings import ladder, setting
from drivers.sr860_capture import SR860Capture
from drivers.srs_lockin import SRSLockIn
from drivers.replies import integer, number

TIME_CONSTANTS = tuple(m * 10.0**e for e in range(-6, 5) for m in (1, 3))  # 1 us .. 30 ks
SENSITIVITIES = tuple(sorted((m * 10.0**e for e in range(-9, 1) for m in (1, 2, 5) if 1e-9 <= m * 10.0**e <= 1.0),
                             reverse=True))  # index 0 = 1 V ... 27 = 1 nV
INPUT_RANGES = (1.0, 0.3, 0.1, 0.03, 0.01)  # IRNG 0..4, V


class SR860(SR860Capture, SRSLockIn):
    terminations = {"socket": ("\n", "\n"), "serial": ("\n", "\n"), "other": ("\n", "\n")}
    # SR860 RS-232 (manual §4.1, rear panel setting; unverified here): 115200 8N1 by default.
    serial_framing = {"baud_rate": 115200, "data_bits": 8, "parity": "none", "stop_bits": 1}
    driver_options = {"max_frequency": 500e3}
    reference_amplitude_range = Range(1e-9, 2.0, "V")
    reference_amplitude = setting("SLVL", range="reference_amplitude_range", to_wire="{:.9g}",
                                  from_wire=number(0.0, 2.0), unit="V", quantity="reference amplitude")
    #: ``SCAL`` 0 = 1 V .. 27 = 1 nV; the smallest full scale holding the value (never overloads).
    sensitivity = ladder("SCAL", "SENSITIVITY_LADDER", mode="at_least", unit="V")
    #: Voltage input range (``IRNG`` 0..4 = 1 V .. 10 mV).
    input_range = ladder("IRNG", "INPUT_RANGES", unit="V", quantity="input range")
    INPUT_RANGES = INPUT_RANGES
    #: ``IVMD`` 0 voltage / 1 current; ``ICUR`` 0 = 1 MOhm (1e6 V/A), 1 = 100 MOhm (1e8 V/A).
    current_input = setting("IVMD", to_wire="{:d}", from_wire=integer(0, 1), check=lambda self, on: int(bool(on)),
                            snapshot="current_input")
    current_gain_index = setting("ICUR", to_wire="{:d}", from_wire=integer(0, 1), snapshot=None)

    def current_gain(self) -> float | None:
        return (1e6, 1e8)[self.current_gain_index] if self.current_input else None
    TIME_CONSTANTS = TIME_CONSTANTS
    SENSITIVITIES = SENSITIVITIES
    SNAP_INDEX = {"x": 0, "y": 1, "r": 2, "theta": 3, "in1": 4, "in2": 5, "in3": 6, "in4": 7,
                  "xnoise": 8, "ynoise": 9, "out1": 10, "out2": 11, "phase": 12, "amplitude": 13,
                  "level": 14, "frequency_int": 15, "frequency_ext": 16}
    MAX_SNAP = 3
    MAX_HARMONIC = 99

    def __init__(self, address: str, name: str | None = None, **options: Any):
        super().__init__(address, name, **options)
        top = float(self.options["max_frequency"])
        self.reference_frequency_range = Range(1e-3, top, "Hz")
