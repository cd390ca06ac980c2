"""A served Kepco BOP magnet supply and a served Lake Shore 475 gaussmeter, both on the world's
electromagnet.

The BOP drives the world's :class:`Electromagnet` in current mode: ``CURR`` sets the target
current, which the magnet reaches at the supply's slew rate (``slew``, T/s through the
magnet's calibration; inductive load + compliance voltage). ``MEAS:CURR?`` reads the actual
current. The ``slow_ramp`` fault lowers the slew. The 475 reads the true field (with the
yoke's remanence and Hall noise) through ``RDGFIELD?`` in the selected ``UNIT``.
"""
from __future__ import annotations

import math
from typing import Callable

from sim_backend.served.protocol import ExecError, ServedInstrument, boolean, integer, number

MU0 = 4e-7 * math.pi


class ServedKepcoBOP(ServedInstrument):
    style = "scpi"
    idn = "KEPCO,BOP 20-20,E123456,4886-1.20"
    no_error = '0,"No error"'
    max_current = 20.0
    resistance = 0.5  # Ohm, magnet coil

    def __init__(self, *args, slew: float = 1.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.mode_current = True
        self.output_on = False
        self.current_setpoint = 0.0
        self.voltage = 20.0
        self.slew = float(slew)
        self.world.magnet.ramp_rate = self.slew

    @property
    def calibration(self) -> float:
        return self.world.magnet.tesla_per_amp

    def apply_slow_ramp(self, rate: float) -> None:
        self.slew = float(rate)
        self.world.magnet.ramp_rate = self.slew

    def _drive(self) -> None:
        amps = self.current_setpoint if (self.output_on and self.mode_current) else 0.0
        self.world.magnet.set_field(amps * self.calibration)

    def reset(self) -> None:
        self.mode_current, self.output_on, self.current_setpoint = True, False, 0.0
        self._drive()

    def commands(self) -> list[tuple[str, Callable[[str], str | None]]]:
        return [
            ("[:SOURce]:FUNCtion:MODE", self._mode), ("[:SOURce]:FUNCtion:MODE?", lambda a: str(int(self.mode_current))),
            ("[:SOURce]:CURRent[:LEVel][:IMMediate]", self._curr),
            ("[:SOURce]:CURRent[:LEVel][:IMMediate]?", lambda a: f"{self.current_setpoint:.5f}"),
            ("[:SOURce]:VOLTage[:LEVel][:IMMediate]", self._volt),
            ("[:SOURce]:VOLTage[:LEVel][:IMMediate]?", lambda a: f"{self.voltage:.3f}"),
            (":OUTPut[:STATe]", self._outp), (":OUTPut[:STATe]?", lambda a: str(int(self.output_on))),
            (":MEASure[:SCALar]:CURRent[:DC]?", lambda a: f"{self.world.magnet.current:.5f}"),
            (":MEASure[:SCALar]:VOLTage[:DC]?", lambda a: f"{self.world.magnet.current * self.resistance:.4f}"),
            (":SYSTem:ERRor[:NEXT]?", self.next_error),
            (":SYSTem:BEEPer[:IMMediate]", lambda a: None), (":DIAGnostic:TST?", lambda a: "0"),
        ]

    def _mode(self, args: str) -> None:
        mode = args.strip().upper()
        if mode not in ("CURR", "CURRENT", "VOLT", "VOLTAGE"):
            raise ExecError("Illegal parameter value", -224)
        self.mode_current = mode.startswith("CURR")
        self._drive()

    def _curr(self, args: str) -> None:
        amps = number(args)
        if abs(amps) > self.max_current:
            raise ExecError("Data out of range")
        self.current_setpoint = amps
        self._drive()

    def _volt(self, args: str) -> None:
        volts = number(args)
        if not 0 <= volts <= 20.0:
            raise ExecError("Data out of range")
        self.voltage = volts

    def _outp(self, args: str) -> None:
        self.output_on = boolean(args)
        self._drive()


class ServedLakeShore475(ServedInstrument):
    style = "mnemonic"
    idn = "LSCI,MODEL475,4750123,04102007"
    reply_termination = "\r\n"
    #: tesla per displayed unit for UNIT 1..4 (G, T, Oe, A/m).
    UNITS = {1: 1e-4, 2: 1.0, 3: 1e-4, 4: MU0}
    RANGES_T = (35e-4, 350e-4, 3500e-4, 35000e-4)  # HSE probe ranges, 35 G .. 35 kG

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.unit, self.auto, self.range = 1, 1, 4
        #: TUNIT 1 = Celsius, 2 = kelvin; RDGMODE <mode>,<dc resolution>,<rms mode>,<peak mode>,<peak disp>.
        self.tunit = 1
        self.rdgmode = [1, 3, 1, 1, 1]

    def commands(self) -> list[tuple[str, Callable[[str], str | None]]]:
        return [
            ("UNIT", lambda a: setattr(self, "unit", integer(a, 1, 4))), ("UNIT?", lambda a: str(self.unit)),
            ("AUTO", lambda a: setattr(self, "auto", integer(a, 0, 1))), ("AUTO?", lambda a: str(self.auto)),
            ("RANGE", lambda a: setattr(self, "range", integer(a, 1, 4))), ("RANGE?", lambda a: str(self.range)),
            ("RDGFIELD?", self._field), ("RDGTEMP?", self._probe_temperature),
            ("TUNIT", lambda a: setattr(self, "tunit", integer(a, 1, 2))), ("TUNIT?", lambda a: str(self.tunit)),
            ("RDGMODE", self._rdgmode), ("RDGMODE?", lambda a: ",".join(str(v) for v in self.rdgmode)),
        ]

    PROBE_KELVIN = 298.15  # the Hall probe sits at room temperature

    def _probe_temperature(self, args: str) -> str:
        return f"{self.PROBE_KELVIN - (273.15 if self.tunit == 1 else 0.0):+.3f}"

    def _rdgmode(self, args: str) -> None:
        parts = [p for p in args.split(",") if p.strip()]
        limits = (3, 3, 2, 2, 3)
        if not 1 <= len(parts) <= 5:
            raise ExecError(f"RDGMODE takes 1..5 values, got {args!r}")
        for i, (text, top) in enumerate(zip(parts, limits)):
            self.rdgmode[i] = integer(text, 1, top)

    def _field(self, args: str) -> str:
        tesla = self.world.magnet.hall_reading()
        if not self.auto and abs(tesla) > self.RANGES_T[self.range - 1]:
            return "OL"
        return f"{tesla / self.UNITS[self.unit]:+.5E}"
