"""Simulated NV bench instruments: a gated laser, a photon counter and the pulse programmer
that runs its programs on ``world.nv`` (the microwave source is the world's SimRFSource)."""
from __future__ import annotations

from typing import Any

import numpy as np

from drivers.errors import InstrumentError
from drivers.pulse_program import ChannelMap, ProgramError
from drivers.roles import LaserGate, PhotonCounter, Range
from sim_backend.pulsed.instruments import SimPulseBlaster

#: NV bench wiring: MW switch on bit 0 (tx), counter gate on the ADC bit, laser AOM and trigger markers.
NV_CHANNELS = ChannelMap(tx=0, phase=(1, 2), amplitude=(3, 4), offset=(5,), adc=6,
                         markers=(("trigger", 7), ("laser", 8)))


class SimNvPulser(SimPulseBlaster):
    """The PulseBlaster of the NV bench: its programs drive the simulated NV centre."""

    ringdown_time = 0.0
    rf_dead_time = 0.0

    def __init__(self, world: Any, name: str = "pulser", channel_map: ChannelMap | None = None,
                 channel_delays: dict[str, float] | None = None):
        super().__init__(world, name, channel_map or NV_CHANNELS)
        #: What the lab file declares for each channel's delay (the compiler compensates it); the
        #: simulated hardware's true delays are world.nv.laser_delay and world.nv.mw_delay.
        self.channel_delays = dict(channel_delays or {})

    def start(self) -> None:
        if self._program is None:
            raise InstrumentError(self.name, "start without a loaded program", address="sim", command="start")
        if self.is_running():
            raise InstrumentError(self.name, "start while the previous program is still running", address="sim",
                                  command="start")
        self.world.log(self.name, "START")
        try:
            self.world.nv.run(self._program)
        except ProgramError as exc:
            raise InstrumentError(self.name, f"program fault: {exc}", address="sim", command="start") from None

    def stop(self) -> None:
        nv = self.world.nv
        nv.busy_until = min(nv.busy_until, self.world.clock.now())
        self.world.log(self.name, "STOP")

    def is_running(self) -> bool:
        return self.world.clock.now() < self.world.nv.busy_until - 1e-15

    def make_safe(self) -> None:
        self.stop()


class SimLaser(LaserGate):
    """A 532 nm laser behind an AOM. Its light lags the TTL by the simulated AOM's true delay
    (``world.nv.laser_delay``), which this role does not expose: its ``rise_delay`` is a declared
    value (0, none, unless a test sets one), so only what the lab declares reaches the compiler."""

    power_range = Range(0.0, 1.0, "W")

    def __init__(self, world: Any, name: str = "laser"):
        super().__init__(name)
        self.world = world
        self._power = 0.01

    def identity(self) -> str:
        return "spinbench,SimLaser532+AOM,0001,1.0"

    @property
    def output(self) -> bool:
        return self.world.nv.laser_on

    @output.setter
    def output(self, on: bool) -> None:
        self.world.log(self.name, f"OUTP {int(bool(on))}")
        self.world.nv.laser_on = bool(on)

    @property
    def power(self) -> float:
        return self._power

    @power.setter
    def power(self, watts: float) -> None:
        self._power = self.power_range.check("power", watts, self.name)

    def snapshot(self) -> dict[str, Any]:
        return {"output": self.output, "power_W": self._power, "rise_delay_s": self.rise_delay}


class SimPhotonCounter(PhotonCounter):
    """An SPCM into a counter card: Poisson counts per software window or per hardware gate."""

    def __init__(self, world: Any, name: str = "counter"):
        super().__init__(name)
        self.world = world

    def identity(self) -> str:
        return "spinbench,SimPhotonCounter,0001,1.0"

    def count(self, duration: float) -> int:
        if not duration > 0:
            raise ValueError(f"{self.name}: count duration {duration!r} s must be > 0")
        return self.world.nv.count(float(duration))

    def arm(self, gates: int) -> None:
        self.world.nv.arm()
        self.expected = int(gates)

    def fetch(self) -> np.ndarray:
        nv = self.world.nv
        if not nv.armed:
            raise InstrumentError(self.name, "fetch before arm", address="sim", command="fetch")
        wait = nv.busy_until - self.world.clock.now()
        if wait > 0:
            self.world.clock.sleep(wait)
        nv.armed = False
        return np.concatenate(nv.gates) if nv.gates else np.zeros(0, np.int64)

    def snapshot(self) -> dict[str, Any]:
        return {"armed": self.world.nv.armed}
