"""A served Lake Shore 336 acting on the world's sample temperature (input A, loop 1).

Input B reads the magnet temperature when the world has one (a Halbach magnet subsystem sets
``world.magnet_temperature``); inputs C and D have no sensor: ``KRDG?`` gives 0 and
``RDGST?`` the invalid-reading bit, as on the instrument.
"""
from __future__ import annotations

from typing import Callable

from drivers.roles.temperature import HEATER_RANGES
from sim_backend.served.protocol import ExecError, ServedInstrument, StoredSetting, choice, integer, number, ranged

#: IEC 60751 platinum RTD (Pt100) coefficients: R(t) = R0 (1 + A t + B t^2 + C (t - 100) t^3), t in
#: degrees Celsius, C only below 0 degrees C. Input A is simulated as a Pt100 (INTYPE 2).
INPUTS = ("A", "B", "C", "D")
PT100_R0, PT_A, PT_B, PT_C = 100.0, 3.9083e-3, -5.775e-7, -4.183e-12


def pt100_ohms(kelvin: float) -> float:
    t = kelvin - 273.15
    return PT100_R0 * (1 + PT_A * t + PT_B * t * t + (PT_C * (t - 100.0) * t**3 if t < 0 else 0.0))


class ServedLakeShore336(ServedInstrument):
    style = "mnemonic"
    idn = "LSCI,MODEL336,LSA1234,2.9"
    reply_termination = "\r\n"

    def __init__(self, *args, **kwargs):
        # Manual tables the simulation keeps and reports (Model 336 manual ch. 6 command list).
        self.outmode = StoredSetting((1, 2, 3, 4), [(choice(0, 5), "{}", 1), (choice(0, 4), "{}", 1),
                                                    (choice(0, 1), "{}", 0)])
        self.htrset = StoredSetting((1, 2), [(choice(1, 2), "{}", 1), (choice(0, 4), "{}", 2),
                                             (ranged(0.0, 2.0), "{:+.3f}", 0.0), (choice(1, 2), "{}", 1)])
        self.ramp = StoredSetting((1, 2, 3, 4), [(choice(0, 1), "{}", 0), (ranged(0.0, 100.0), "{:+.1f}", 0.0)])
        self.intype = StoredSetting((1, 2, 3, 4), [(choice(0, 4), "{}", 2), (choice(0, 1), "{}", 1),
                                                   (choice(0, 8), "{}", 0), (choice(0, 1), "{}", 1),
                                                   (choice(1, 3), "{}", 1)])
        super().__init__(*args, **kwargs)  # builds the command table from the tables above
        self.setpoints = {n: 0.0 for n in (1, 2, 3, 4)}
        self.setpoints[1] = self.world.thermal.setpoint
        self.ranges = {n: 0 for n in (1, 2, 3, 4)}
        self.ranges[1] = HEATER_RANGES.index(self.world.thermal.heater_range)
        self.pid = {n: (50.0, 20.0, 0.0) for n in (1, 2)}
    def commands(self) -> list[tuple[str, Callable[[str], str | None]]]:
        return [
            ("KRDG?", lambda a: self._reading(a, lambda k: f"{k:+.4f}")), ("RDGST?", self._rdgst),
            ("SETP", self._setp), ("SETP?", lambda a: f"{self.setpoints[self._out(a)]:+.3f}"),
            ("RANGE", self._range), ("RANGE?", lambda a: str(self.ranges[self._out(a)])),
            ("PID", self._pid), ("PID?", lambda a: ",".join(f"{v:+.1f}" for v in self.pid[self._out(a, 2)])),
            ("HTR?", self._htr),
            ("CRDG?", lambda a: self._reading(a, lambda k: f"{k - 273.15:+.4f}")),
            ("SRDG?", lambda a: self._reading(a, lambda k: f"{pt100_ohms(k):+.4f}")),
            ("OUTMODE", self.outmode.set), ("OUTMODE?", self.outmode.get),
            ("HTRSET", self.htrset.set), ("HTRSET?", self.htrset.get),
            ("RAMP", self.ramp.set), ("RAMP?", self.ramp.get),
            ("INTYPE", lambda a: self.intype.set(self._input_key(a))),
            ("INTYPE?", lambda a: self.intype.get(self._input_key(a))),
        ]

    @staticmethod
    def _out(args: str, top: int = 4) -> int:
        return integer(args.split(",")[0], 1, top)

    def _input(self, args: str) -> str:
        name = args.strip().upper()
        if name not in INPUTS:
            raise ExecError("input must be A..D")
        return name

    def _input_key(self, args: str) -> str:
        """INTYPE takes the input letter first: A..D -> 1..4 for the table."""
        head, sep, rest = args.partition(",")
        return f"{INPUTS.index(self._input(head)) + 1}{sep}{rest}"

    def _reading(self, args: str, fmt: Callable[[float], str]) -> str:
        name = self._input(args)
        if name == "A":
            return fmt(self.world.thermal.reading())
        if name == "B" and hasattr(self.world, "magnet_temperature"):
            return fmt(float(self.world.magnet_temperature))
        return "+0.0000"

    def _rdgst(self, args: str) -> str:
        name = self._input(args)
        return "0" if name == "A" or (name == "B" and hasattr(self.world, "magnet_temperature")) else "1"

    def _setp(self, args: str) -> None:
        out, _, value = args.partition(",")
        loop, kelvin = integer(out, 1, 4), number(value, unit_ok=False)
        if not 0 <= kelvin <= 1500:
            raise ExecError("setpoint out of range")
        self.setpoints[loop] = kelvin
        if loop == 1:
            self.world.thermal.setpoint = kelvin

    def _range(self, args: str) -> None:
        out, _, value = args.partition(",")
        loop = integer(out, 1, 4)
        level = integer(value, 0, 3 if loop <= 2 else 1)
        self.ranges[loop] = level
        if loop == 1:
            self.world.thermal.heater_range = HEATER_RANGES[level]

    def _pid(self, args: str) -> None:
        parts = args.split(",")
        if len(parts) != 4:
            raise ExecError("PID takes output,P,I,D")
        loop = integer(parts[0], 1, 2)
        p, i, d = (number(x, unit_ok=False) for x in parts[1:])
        if not (0.1 <= p <= 1000 and 0.1 <= i <= 1000 and 0 <= d <= 200):
            raise ExecError("PID out of range")
        self.pid[loop] = (p, i, d)

    def _htr(self, args: str) -> str:
        loop = self._out(args, 2)
        if self.ranges[loop] == 0 or loop != 1:
            return "+0.000"
        th = self.world.thermal
        percent = max(0.0, min(100.0, self.pid[1][0] * (th.setpoint - th.temperature)))
        return f"{percent:+.3f}"
