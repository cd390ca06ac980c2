"""Lake Shore 336 temperature controller (GPIB, USB virtual COM port, Ethernet port 7777).

Command set: Model 336 user manual ch. 6 (docs/references.md), cross-checked with PM
``lakeshore3xx.py``, QC ``Lakeshore_model_336.py``, LSpkg ``model_336.py``:

* ``KRDG? <A-D>`` Kelvin reading; ``RDGST? <in>`` status bits (1 invalid, 16 T under,
  32 T over, 64 sensor units zero, 128 units over).
* ``SETP <out>,<value>`` / ``SETP? <out>`` in the control input's units (this driver
  assumes Kelvin, the factory default); ``RANGE <out>,<0-3>`` (outputs 3/4: 0 off, 1 on);
  ``PID <out>,<P>,<I>,<D>`` / ``PID? <out>``; ``HTR? <out>`` heater output in %.
* Errors: ``*ESR?`` (CME bit 5, EXE bit 4, QYE bit 2).
* USB = virtual COM port at 57600 baud, 7 data bits, odd parity, 1 stop bit; host lines end LF
  (USB/TCP) or CR LF (GPIB); replies end CR LF (LSpkg ``generic_instrument.py``).

Manual command set (each sent as is from plain pyvisa to the served 336 by
``tests/test_drivers_manual_commands.py``; every query answered, no setting refused):

    *RST; *CLS; *IDN?; *ESR?; *STB?; *ESE 4; *ESE?; *SRE 0; *SRE?; *OPC?; *TST?; *WAI
    KRDG? A; CRDG? A; SRDG? A; RDGST? A; SETP 1,295; SETP? 1; RANGE 1,2; RANGE? 1
    PID 1,50,20,0; PID? 1; HTR? 1; OUTMODE 1,1,1,0; OUTMODE? 1; HTRSET 1,1,2,0,1; HTRSET? 1
    RAMP 1,0,10; RAMP? 1; INTYPE A,2,1,0,1,1; INTYPE? A
"""
from __future__ import annotations

from typing import Any

from drivers.roles import TemperatureController
from drivers.roles.temperature import HEATER_RANGES
from drivers.settings import indexed_setting
from drivers.wire_instrument import WireInstrument
from drivers.replies import integer, number, parse_floats

INPUTS = ("A", "B", "C", "D")
LOOPS = (1, 2, 3, 4)
READING_STATUS = {0: "invalid reading", 4: "temperature under range", 5: "temperature over range",
                  6: "sensor units zero", 7: "sensor units over range"}
#: KRDG?/SETP? return kelvin, 0 .. 1500 K (the 336 manual lists the sensor curves up to 1505 K).
KELVIN = number(0.0, 1505.0)


class LakeShore336(WireInstrument, TemperatureController):
    terminations = {"socket": ("\r\n", "\n"), "serial": ("\r\n", "\n"), "other": ("\r\n", "\r\n")}
    serial_framing = {"baud_rate": 57600, "data_bits": 7, "parity": "odd", "stop_bits": 1}
    error_check = "esr"
    driver_options = {"control_input": "A"}

    def __init__(self, address: str, name: str | None = None, **options: Any):
        TemperatureController.__init__(self, name)
        self.options = self._init_wire(address, name or self.role, options)
        if self.options["control_input"] not in INPUTS:
            raise ValueError(f"{self.name}: control_input {self.options['control_input']!r}; use one of {INPUTS}")

    @property
    def channels(self) -> tuple[str, ...]:
        return INPUTS

    def read_temperature(self, channel: str | None = None) -> float:
        channel = channel or self.options["control_input"]
        if channel not in INPUTS:
            raise ValueError(f"{self.name}: input {channel!r} unknown; use one of {INPUTS}")
        kelvin = self._ask(f"KRDG? {channel}", KELVIN)
        if kelvin <= 0.0:  # the 336 reports 0 K for a reading it cannot make: say why
            bits = self._ask(f"RDGST? {channel}", integer(0, 255))
            why = [text for bit, text in READING_STATUS.items() if bits & (1 << bit)] or ["reading is 0 K"]
            raise self._error(f"input {channel}: {', '.join(why)} (RDGST? = {bits})", f"KRDG? {channel}")
        return kelvin

    #: ``SETP <out>,<K>`` / ``SETP? <out>``, per output; checked against the lab's setpoint range.
    setpoints = indexed_setting("SETP", index_check="_loop", range="setpoint_range", to_wire="{:.3f}",
                                from_wire=KELVIN, quantity="temperature setpoint", unit="K")
    #: ``PID <out>,<P>,<I>,<D>`` / ``PID? <out>``: outputs 1, 2: P 0.1..1000, I 0.1..1000, D 0..200 %
    #: (QC ``Lakeshore_model_336.py`` limits).
    pids = indexed_setting("PID", index_check="_loop", check=lambda self, pid: self._check_pid(pid),
                           to_wire=lambda pid: f"{pid[0]:.1f},{pid[1]:.1f},{pid[2]:.0f}",
                           from_wire=parse_floats(3, low=0.0, high=1000.0), quantity="PID")

    def get_setpoint(self, loop: int = 1) -> float:
        return self.setpoints[loop]

    def set_setpoint(self, kelvin: float, loop: int = 1) -> None:
        self.setpoints[loop] = kelvin

    def get_heater_range(self, loop: int = 1) -> str:
        value = self._ask(f"RANGE? {self._loop(loop)}", integer(0, 3))
        if loop in (3, 4):
            return "high" if value else "off"
        if not 0 <= value < len(HEATER_RANGES):
            raise self._error(f"RANGE? replied {value}, expected 0..3", f"RANGE? {loop}")
        return HEATER_RANGES[value]

    def set_heater_range(self, level: str, loop: int = 1) -> None:
        loop = self._loop(loop)
        if loop in (3, 4):  # voltage outputs: off or on only
            if level not in ("off", "high"):
                raise ValueError(f"{self.name}: output {loop} is off/on only; use 'off' or 'high' (on)")
            self._set(f"RANGE {loop},{0 if level == 'off' else 1}")
            return
        if level not in HEATER_RANGES:
            raise ValueError(f"{self.name}: heater range {level!r}; use one of {HEATER_RANGES}")
        self._set(f"RANGE {loop},{HEATER_RANGES.index(level)}")

    def get_pid(self, loop: int = 1) -> tuple[float, float, float]:
        p, i, d = self.pids[loop]
        return p, i, d

    def set_pid(self, p: float, i: float, d: float, loop: int = 1) -> None:
        self.pids[loop] = (p, i, d)

    def _check_pid(self, pid: tuple[float, float, float]) -> tuple[float, float, float]:
        p, i, d = pid
        if not (0.1 <= p <= 1000 and 0.1 <= i <= 1000 and 0 <= d <= 200):
            raise ValueError(f"{self.name}: PID ({p}, {i}, {d}) outside P 0.1..1000, I 0.1..1000, D 0..200")
        return (float(p), float(i), float(d))

    def heater_output(self, loop: int = 1) -> float:
        """Heater output as a fraction of the range (HTR? returns %)."""
        return self._ask(f"HTR? {self._loop(loop)}", number(0.0, 100.0)) / 100.0

    def _loop(self, loop: int) -> int:
        if loop not in LOOPS:
            raise ValueError(f"{self.name}: output {loop!r}; the 336 has outputs {LOOPS}")
        return int(loop)

    def snapshot(self) -> dict[str, Any]:
        return {"temperature_K": self.read_temperature(), "setpoint_K": self.get_setpoint(1),
                "heater_range": self.get_heater_range(1), "pid": list(self.get_pid(1)),
                "control_input": self.options["control_input"], "address": self.address}
