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
"""
from __future__ import annotations

from drivers.roles.base import Range
from drivers.srs_lockin import SRSLockIn
from drivers.transport import Transport
from drivers.settings import ladder, setting
from drivers.wire import number, parse_int

TIME_CONSTANTS = tuple(m * 10.0**e for e in range(-5, 5) for m in (1, 3))  # 10 us .. 30 ks
SENSITIVITIES = tuple(m * 10.0**e for e in range(-9, 1) for m in (1, 2, 5) if 2e-9 <= m * 10.0**e <= 1.0)
RESERVES = ("high", "normal", "low_noise")
INPUTS = ("A", "A-B", "I1M", "I100M")
#: LIAS? bits (SR830 manual p. 5-19; PM ``LIAStatus``).
LIA_STATUS = {0: "input overload", 1: "filter overload", 2: "output overload", 3: "reference unlock",
              4: "frequency range change", 5: "time constant change", 6: "trigger"}


class SR830(SRSLockIn):
    terminations = {"socket": ("\n", "\n"), "serial": ("\r", "\r"), "other": ("\n", "\n")}
    serial_framing = {"baud_rate": 9600, "data_bits": 8, "parity": "none", "stop_bits": 1}
    reference_frequency_range = Range(1e-3, 102e3, "Hz")
    reference_amplitude_range = Range(0.004, 5.0, "V")
    TIME_CONSTANTS = TIME_CONSTANTS
    SENSITIVITIES = SENSITIVITIES
    #: ``SLVL`` in 2 mV steps (p. 5-5); the reply can only be 0.004 .. 5.000 V.
    reference_amplitude = setting("SLVL", range="reference_amplitude_range", to_wire="{:.3f}",
                                  from_wire=number(0.004, 5.0), unit="V", quantity="reference amplitude")
    #: ``SENS`` 0..26 = 2 nV .. 1 V (p. 5-6): the smallest full scale holding the value (never overloads).
    sensitivity = ladder("SENS", "SENSITIVITIES", mode="at_least", unit="V")
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

    def status(self) -> list[str]:
        """Latched lock-in status (LIAS?, cleared by reading): overloads, unlock."""
        bits = self._ask("LIAS?", parse_int)
        return [text for bit, text in LIA_STATUS.items() if bits & (1 << bit)]

    def is_overloaded(self) -> bool:
        return any("overload" in text for text in self.status())
