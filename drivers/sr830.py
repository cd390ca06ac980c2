"""Stanford Research SR830 DSP lock-in amplifier (GPIB, RS-232; non-SCPI 4-letter mnemonics).

Command set: SR830 manual ch. 5 (pp. 5-3 .. 5-20; docs/references.md).

* ``OUTX i`` selects where replies go (0 RS-232, 1 GPIB) and must be sent "at the beginning
  of every program" (SR830/SR850 manual p. 6-3): done after every (re)connection.
* ``SNAP? i,j`` reads values taken at the same instant (p. 5-15); ``OUTP?`` reads do not.
* ``SLVL`` ranges 0.004 .. 5.000 V rounded to 2 mV (p. 5-5): the safe state is 4 mV, not 0.
* ``SENS`` 0..26 = 2 nV .. 1 V (1-2-5); ``OFLT`` 0..19 = 10 us .. 30 ks (1-3); ``OFSL`` 0..3.
* Errors: ``*ESR?`` bit 4 execution error (parameter out of range), bit 5 command error.
* RS-232 replies end with CR (ATZ ``SR_830_config.ini``: 9600 8N1, read termination CR —
  check the manual's RS-232 section for your unit); over GPIB or a GPIB-LAN bridge LF.
* Data buffer (manual "Data storage commands"): ``SRAT i`` = 62.5 mHz x 2^i (i 0..13; 14 is
  the trigger input), ``SEND 0|1`` one shot / loop, ``STRT``, ``PAUS``, ``REST``, ``SPTS?``
  points stored, ``TRCA?``/``TRCB?``/``TRCL? i,j,k`` k points of channel i from bin j in
  ASCII, IEEE float32 or the SR830's mantissa/exponent format; at most 16383 points
  (:mod:`drivers.sr830_buffer`).

Manual command set (each sent as is from plain pyvisa to the served SR830 by
``tests/test_drivers_manual_commands.py``; every query answered, no setting refused):

    *RST; *CLS; *IDN?; *ESR?; *STB?; *ESE 4; *ESE?; *SRE 0; *SRE?; *OPC?; *TST?; *WAI
    OUTX 1; OUTX?; FREQ 1000; FREQ?; SLVL 0.1; SLVL?; HARM 1; HARM?; PHAS 10; PHAS?
    SENS 20; SENS?; OFLT 8; OFLT?; OFSL 1; OFSL?; RMOD 1; RMOD?; ISRC 0; ISRC?
    IGND 0; IGND?; ICPL 0; ICPL?; ILIN 0; ILIN?; SYNC 0; SYNC?; FMOD 1; FMOD?; RSLP 0; RSLP?
    DDEF 1,0,0; DDEF? 1; AUXV 1,0.5; AUXV? 1; OAUX? 1; OUTP? 1; SNAP? 1,2; LIAS?; ERRS?; APHS
    REST; SRAT 9; SRAT?; SEND 0; SEND?; STRT; PAUS; SPTS?
"""
from __future__ import annotations

from drivers.roles.base import Range
from drivers.sr830_buffer import SR830Buffer
from drivers.srs_lockin import SRSLockIn
from drivers.transport import Transport
from drivers.settings import ladder, setting
from drivers.replies import integer, number

TIME_CONSTANTS = tuple(m * 10.0**e for e in range(-5, 5) for m in (1, 3))  # 10 us .. 30 ks
SENSITIVITIES = tuple(m * 10.0**e for e in range(-9, 1) for m in (1, 2, 5) if 2e-9 <= m * 10.0**e <= 1.0)
RESERVES = ("high", "normal", "low_noise")
INPUTS = ("A", "A-B", "I1M", "I100M")
#: LIAS? bits (SR830 manual p. 5-19; PM ``LIAStatus``).
LIA_STATUS = {0: "input overload", 1: "filter overload", 2: "output overload", 3: "reference unlock",
              4: "frequency range change", 5: "time constant change", 6: "trigger"}


class SR830(SR830Buffer, SRSLockIn):
    terminations = {"socket": ("\n", "\n"), "serial": ("\r", "\r"), "other": ("\n", "\n")}
    serial_framing = {"baud_rate": 9600, "data_bits": 8, "parity": "none", "stop_bits": 1}
    #: How buffered points travel (drivers.sr830_buffer): TRCB? binary, TRCL? or TRCA? ASCII.
    driver_options = {"buffer_transfer": "binary"}
    reference_frequency_range = Range(1e-3, 102e3, "Hz")
    reference_amplitude_range = Range(0.004, 5.0, "V")
    TIME_CONSTANTS = TIME_CONSTANTS
    SENSITIVITIES = SENSITIVITIES
    #: ``SLVL`` in 2 mV steps (p. 5-5); the reply can only be 0.004 .. 5.000 V.
    reference_amplitude = setting("SLVL", range="reference_amplitude_range", to_wire="{:.3f}",
                                  from_wire=number(0.004, 5.0), unit="V", quantity="reference amplitude")
    #: ``SENS`` 0..26 = 2 nV .. 1 V (p. 5-6): the smallest full scale holding the value (never overloads).
    #: On the current input (ISRC 2/3) the same indices are amperes: V / 1e6 or V / 1e8.
    sensitivity = ladder("SENS", "SENSITIVITY_LADDER", mode="at_least", unit="V")
    reserve = ladder("RMOD", "RESERVES", snapshot="reserve", quantity="reserve")
    input_config = ladder("ISRC", "INPUTS", snapshot="input", quantity="input")
    RESERVES = RESERVES
    INPUTS = INPUTS
    SNAP_INDEX = {"x": 1, "y": 2, "r": 3, "theta": 4, "aux1": 5, "aux2": 6, "aux3": 7, "aux4": 8,
                  "frequency": 9, "ch1": 10, "ch2": 11}
    MAX_SNAP = 6
    MAX_HARMONIC = 19999

    def _on_connect(self, transport: Transport) -> None:
        # Replies go to the interface selected by OUTX: RS-232 (0) on a serial line, else GPIB (1).
        transport.write(f"OUTX {0 if self.interface_kind(self.address) == 'serial' else 1}", idempotent=True)

    CURRENT_GAINS = {"I1M": 1e6, "I100M": 1e8}  # ISRC 2 / 3 (manual p. 5-6)

    def current_gain(self) -> float | None:
        return self.CURRENT_GAINS.get(self.input_config)

    def status(self) -> list[str]:
        """Latched lock-in status (LIAS?, cleared by reading): overloads, unlock."""
        bits = self._ask("LIAS?", integer(0, 127))
        return [text for bit, text in LIA_STATUS.items() if bits & (1 << bit)]

    def is_overloaded(self) -> bool:
        return any("overload" in text for text in self.status())
