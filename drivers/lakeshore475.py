"""Lake Shore 475 DSP Hall-probe gaussmeter (GPIB, RS-232).

Command set: Model 475 user manual ch. 6 (docs/references.md; the 455/475 family; strings from
a public ``LakeShore475`` class and ATZ ``Lakeshore_455_DSP.py``, unverified against the
manual):

* ``RDGFIELD?`` field in the present units; ``UNIT?`` / ``UNIT n`` (1 G, 2 T, 3 Oe, 4 A/m).
  The driver reads the unit once per connection and converts, rather than changing the
  front-panel unit the operator chose.
* ``RANGE n`` / ``AUTO 0|1``; ``*ESR?`` for errors.
* ``RDGTEMP?`` probe temperature in the units ``TUNIT?`` reports (Model 475 manual,
  ``TUNIT`` command: 1 = degrees Celsius, 2 = kelvin); read once per connection like ``UNIT?``.
* An over-range reading comes back as ``OL`` (front-panel convention): reported as an error
  that names the fix, never retried.
* RS-232: 9600 baud, 7 data bits, odd parity, 1 stop bit, CR LF both ways (ATZ 455 profile).

Manual command set (each sent as is from plain pyvisa to the served 475 by
``tests/test_drivers_manual_commands.py``; every query answered, no setting refused):

    *RST; *CLS; *IDN?; *ESR?; *STB?; *ESE 4; *ESE?; *SRE 0; *SRE?; *OPC?; *TST?; *WAI
    UNIT 2; UNIT?; AUTO 1; AUTO?; RANGE 3; RANGE?; RDGFIELD?; TUNIT 2; TUNIT?; RDGTEMP?
    RDGMODE 1,3,1,1,1; RDGMODE?
"""
from __future__ import annotations

import math
from typing import Any

from drivers.roles import Gaussmeter
from drivers.settings import setting
from drivers.transport import Transport
from drivers.wire_instrument import WireInstrument
from drivers.replies import integer, number, parse_bool, parse_float, parse_int

MU0 = 4e-7 * math.pi
#: UNIT code -> tesla per displayed unit (Oe and A/m as the free-space B = mu0 H).
UNITS = {1: ("G", 1e-4), 2: ("T", 1.0), 3: ("Oe", 1e-4), 4: ("A/m", MU0)}
#: ``TUNIT`` codes: 1 = degrees Celsius, 2 = kelvin.
TUNIT_CELSIUS = 1


def _parse_field(text: str) -> float:
    if text.strip().lstrip("+-").upper() == "OL":
        return math.nan
    return parse_float(text)


class LakeShore475(WireInstrument, Gaussmeter):
    terminations = {"socket": ("\r\n", "\r\n"), "serial": ("\r\n", "\r\n"), "other": ("\r\n", "\r\n")}
    serial_framing = {"baud_rate": 9600, "data_bits": 7, "parity": "odd", "stop_bits": 1}
    error_check = "esr"

    def __init__(self, address: str, name: str | None = None, **options: Any):
        Gaussmeter.__init__(self, name)
        self.options = self._init_wire(address, name or self.role, options)
        self._unit: int | None = None
        self._temperature_unit: int | None = None

    def _on_connect(self, transport: Transport) -> None:
        self._unit = None  # re-read after every reconnection: someone may have changed it
        self._temperature_unit: int | None = None

    def _parse_unit(self, text: str) -> int:
        code = parse_int(text)
        if code not in UNITS:
            raise ValueError(f"UNIT? replied {code}, expected one of {sorted(UNITS)}")
        return code

    @property
    def unit(self) -> str:
        if self._unit is None:
            self._unit = self._ask("UNIT?", self._parse_unit)
        return UNITS[self._unit][0]

    def read_field(self) -> float:
        self.unit  # noqa: B018 - known before the first reading
        value = self._ask("RDGFIELD?", _parse_field)
        if math.isnan(value):
            raise self._error("field over range (OL): select a higher range (RANGE) or AUTO 1", "RDGFIELD?")
        self.unit  # noqa: B018 - re-read if a reconnection during the query forgot it
        return value * UNITS[self._unit][1]  # type: ignore[index]

    def read_probe_temperature(self) -> float:
        """Probe temperature in K (``RDGTEMP?`` reads in the meter's ``TUNIT`` units)."""
        if self._temperature_unit is None:
            self._temperature_unit = self._ask("TUNIT?", integer(1, 2))
        offset = 273.15 if self._temperature_unit == TUNIT_CELSIUS else 0.0
        low = -273.15 + offset
        return self._ask("RDGTEMP?", number(low, low + 600.0)) + offset

    #: ``AUTO 0|1``: automatic range selection.
    auto_range = setting("AUTO", to_wire=lambda on: str(int(bool(on))), from_wire=parse_bool, snapshot=None)

    def set_auto_range(self, on: bool = True) -> None:
        self.auto_range = bool(on)

    def snapshot(self) -> dict[str, Any]:
        return {"unit": self.unit, "field_T": self.read_field(), "address": self.address}
