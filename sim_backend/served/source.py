"""A served SCPI microwave source (Keysight MXG N5183B dialect) acting on the world's microwave.

Long and short SCPI forms are accepted (``SOUR:FREQ``, ``:SOURce:FREQuency:CW``), numbers
with units (``9.5GHz``); errors go to ``SYST:ERR?`` (``+0,"No error"`` when empty).
"""
from __future__ import annotations

from typing import Callable

from drivers.roles.rf import dbm_to_watt, watt_to_dbm
from sim_backend.served.protocol import ExecError, ServedInstrument, boolean, number


class ServedScpiSource(ServedInstrument):
    style = "scpi"
    idn = "Agilent Technologies, N5183B, MY53050000, B.01.80"
    min_frequency, max_frequency = 9e3, 20e9
    min_dbm, max_dbm = -20.0, 19.0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.mod_master = False
        self.freq_mode = "CW"

    def reset(self) -> None:
        mw = self.world.microwave
        mw.output, mw.frequency, mw.power = False, 1e9, dbm_to_watt(-20.0)
        mw.modulation.clear()
        self.mod_master = False

    def commands(self) -> list[tuple[str, Callable[[str], str | None]]]:
        mw = self.world.microwave
        cmds: list[tuple[str, Callable[[str], str | None]]] = [
            ("[:SOURce]:FREQuency[:CW]", self._freq),
            ("[:SOURce]:FREQuency[:CW]?", lambda a: f"{self.world.microwave.frequency:.3f}"),
            ("[:SOURce]:POWer[:LEVel][:IMMediate][:AMPLitude]", self._pow),
            ("[:SOURce]:POWer[:LEVel][:IMMediate][:AMPLitude]?", lambda a: f"{watt_to_dbm(self.world.microwave.power):.2f}"),
            (":OUTPut[:STATe]", lambda a: setattr(self.world.microwave, "output", boolean(a))),
            (":OUTPut[:STATe]?", lambda a: str(int(self.world.microwave.output))),
            (":OUTPut:MODulation[:STATe]", lambda a: setattr(self, "mod_master", boolean(a))),
            (":OUTPut:MODulation[:STATe]?", lambda a: str(int(self.mod_master))),
            (":SYSTem:ERRor[:NEXT]?", self.next_error),
            ("[:SOURce]:FREQuency:MODE", self._freq_mode), ("[:SOURce]:FREQuency:MODE?", lambda a: self.freq_mode),
        ]
        for kind, params in (("FM", ("DEViation", "INTernal#:FREQuency", "SOURce")),
                             ("AM", ("DEPTh", "INTernal#:FREQuency", "SOURce")),
                             ("PULM", ("SOURce",))):
            key = kind.lower() if kind != "PULM" else "pulse"
            for p in params:
                cmds.append((f"[:SOURce]:{kind}#:{p}", lambda a, k=key, p=p: self._mod(k, p, a)))
                cmds.append((f"[:SOURce]:{kind}#:{p}?", lambda a, k=key, p=p: self._mod_value(k, p)))
            cmds.append((f"[:SOURce]:{kind}#:STATe", lambda a, k=key: self._mod(k, "STATe", a)))
            cmds.append((f"[:SOURce]:{kind}#:STATe?",
                         lambda a, k=key: str(int(bool(mw.modulation.get(k, {}).get("enabled", False))))))
        return cmds

    def _freq(self, args: str) -> None:
        f = number(args)
        if not self.min_frequency <= f <= self.max_frequency:
            raise ExecError("Data out of range")
        self.world.microwave.frequency = f

    def _pow(self, args: str) -> None:
        p = number(args)
        if not self.min_dbm <= p <= self.max_dbm:
            raise ExecError("Data out of range")
        self.world.microwave.power = dbm_to_watt(p)

    def _freq_mode(self, args: str) -> None:
        mode = args.strip().upper()
        modes = {"CW": "CW", "FIX": "CW", "FIXED": "CW", "LIST": "LIST"}
        if mode not in modes:
            raise ExecError("Illegal parameter value", -224)  # sweeps are not simulated
        self.freq_mode = modes[mode]

    #: What a modulation query reports when nothing was set (instrument preset values).
    MOD_DEFAULTS = {"DEViation": 1e3, "DEPTh": 0.1, "SOURce": "internal", "rate": 400.0}

    def _mod_value(self, kind: str, param: str) -> str:
        entry = self.world.microwave.modulation.get(kind, {})
        if param == "SOURce":
            if entry.get("source", "internal") == "internal":
                return "INT"
            return "EXT1" if kind in ("fm", "am") else "EXT"
        if param == "DEViation":
            return f"{entry.get('deviation', self.MOD_DEFAULTS['DEViation']):+.8E}"
        if param == "DEPTh":
            return f"{100.0 * entry.get('depth', self.MOD_DEFAULTS['DEPTh']):+.8E}"
        return f"{entry.get('rate', self.MOD_DEFAULTS['rate']):+.8E}"

    def _mod(self, kind: str, param: str, args: str) -> None:
        entry = self.world.microwave.modulation.setdefault(kind, {"enabled": False})
        if param == "STATe":
            entry["enabled"] = boolean(args)
        elif param == "SOURce":
            src = args.strip().upper()
            # FM/AM name their external inputs EXT1/EXT2; pulse modulation takes EXTernal.
            external = ("EXT1", "EXT2") if kind in ("fm", "am") else ("EXT", "EXTERNAL")
            if src not in ("INT", "INTERNAL", "INT1") + external:
                raise ExecError("Illegal parameter value", -224)
            entry["source"] = "internal" if src.startswith("INT") else "external"
        elif param == "DEViation":
            entry["deviation"] = number(args)
        elif param == "DEPTh":
            entry["depth"] = number(args) / 100.0
        else:
            entry["rate"] = number(args)
