"""Simulated cw-spectrometer instruments: microwave source, magnet supply, Hall probe (the lock-in:
``sim_backend.instruments.lockin``)."""
from __future__ import annotations

from typing import Any

from drivers.errors import InstrumentError
from drivers.roles import FieldController, Gaussmeter, Range, RFSource
from sim_backend.world import SimulatedWorld


class _SimInstrument:
    def __init__(self, world: SimulatedWorld, name: str):
        self.world = world
        self.name = name
        self.fail_after: int | None = None  # fault injection: raise after this many commands
        self._commands = 0

    def _cmd(self, text: str) -> None:
        self._commands += 1
        if self.fail_after is not None and self._commands > self.fail_after:
            raise InstrumentError(self.name, "simulated fault: instrument stopped answering",
                                  address="sim", command=text)
        self.world.log(self.name, text)


class SimRFSource(_SimInstrument, RFSource):
    def __init__(self, world: SimulatedWorld, name: str = "rf"):
        _SimInstrument.__init__(self, world, name)

    def identity(self) -> str:
        return "spinbench,SimMicrowaveSource,0001,1.0"

    @property
    def frequency(self) -> float:
        return self.world.microwave.frequency

    @frequency.setter
    def frequency(self, hz: float) -> None:
        hz = self.frequency_range.check("frequency", hz, self.name)
        self._cmd(f"FREQ {hz}")
        self.world.microwave.frequency = hz

    @property
    def power(self) -> float:
        return self.world.microwave.power

    @power.setter
    def power(self, watts: float) -> None:
        watts = self.power_range.check("power", watts, self.name)
        self._cmd(f"POW {watts}")
        self.world.microwave.power = watts

    @property
    def output(self) -> bool:
        return self.world.microwave.output

    @output.setter
    def output(self, on: bool) -> None:
        self._cmd(f"OUTP {int(bool(on))}")
        self.world.microwave.output = bool(on)

    def set_modulation(self, kind: str, enabled: bool, **settings: float) -> None:
        if kind not in self.MODULATIONS:
            raise ValueError(f"{self.name}: modulation {kind!r} unknown; use one of {self.MODULATIONS}")
        self._cmd(f"{kind.upper()} {int(enabled)} {settings}")
        self.world.microwave.modulation[kind] = {"enabled": enabled, **settings}

    def make_safe(self) -> None:
        # Safe state must not be blocked by fault injection.
        self.world.microwave.output = False
        self.world.log(self.name, "OUTP 0 (safe)")

    def snapshot(self) -> dict[str, Any]:
        mw = self.world.microwave
        return {"frequency_Hz": mw.frequency, "power_W": mw.power, "output": mw.output,
                "modulation": {k: dict(v) for k, v in mw.modulation.items()}}


class SimFieldController(_SimInstrument, FieldController):
    def __init__(self, world: SimulatedWorld, name: str = "field"):
        _SimInstrument.__init__(self, world, name)
        self._setpoint = 0.0
        # What the supply can really drive (its current limit x calibration), so the lab refuses
        # a field the magnet would silently saturate below.
        top = world.magnet.max_field
        self.field_range = Range(-top, top, "T")

    def identity(self) -> str:
        return "spinbench,SimMagnetSupply,0003,1.0"

    @property
    def setpoint(self) -> float:
        return self._setpoint

    @setpoint.setter
    def setpoint(self, tesla: float) -> None:
        tesla = self.field_range.check("field setpoint", tesla, self.name)
        self._cmd(f"FIELD {tesla}")
        self._setpoint = tesla
        self.world.magnet.set_field(tesla)

    @property
    def field(self) -> float:
        return self.world.magnet.supply_field

    @property
    def ramp_rate(self) -> float:
        return self.world.magnet.ramp_rate

    @ramp_rate.setter
    def ramp_rate(self, tesla_per_s: float) -> None:
        tesla_per_s = self.ramp_rate_range.check("ramp rate", tesla_per_s, self.name)
        self._cmd(f"RATE {tesla_per_s}")
        self.world.magnet.ramp_rate = tesla_per_s

    def is_ramping(self) -> bool:
        return self.world.magnet.is_ramping()

    def wait_until_settled(self, timeout: float = 600.0) -> None:
        t = self.world.magnet.time_to_target()
        if t > timeout:
            raise InstrumentError(self.name, f"ramp would take {t:.1f} s, longer than the {timeout} s timeout")
        if t > 0:
            self.world.clock.sleep(t)

    def make_safe(self) -> None:
        self.world.magnet.set_field(0.0)
        self._setpoint = 0.0
        self.world.log(self.name, "FIELD 0 (safe)")
        self.world.clock.sleep(self.world.magnet.time_to_target())

    def snapshot(self) -> dict[str, Any]:
        m = self.world.magnet
        return {"setpoint_T": self._setpoint, "field_T": m.supply_field, "ramp_rate_T_per_s": m.ramp_rate,
                "tesla_per_amp": m.tesla_per_amp}


class SimGaussmeter(_SimInstrument, Gaussmeter):
    def __init__(self, world: SimulatedWorld, name: str = "gaussmeter"):
        _SimInstrument.__init__(self, world, name)

    def identity(self) -> str:
        return "spinbench,SimHallProbe,0004,1.0"

    def read_field(self) -> float:
        self._cmd("RDGFIELD?")
        return self.world.magnet.hall_reading()

    def snapshot(self) -> dict[str, Any]:
        return {"noise_T": self.world.magnet.hall_noise}
