"""Simulated goniometer: turns ``world.sample`` about lab y at a finite speed.

Samples that can be oriented implement ``set_stage_rotation(rotation)``
(:class:`sim_backend.orientation.Orientable`); others are left alone (an isotropic sample
looks the same at every angle). Attach with :func:`add_goniometer`, the sim lab's subsystem hook.
"""
from __future__ import annotations

from typing import Any

from drivers.errors import InstrumentError
from drivers.roles.goniometer import Goniometer
from sim_backend.instruments.cw import _SimInstrument
from sim_backend.orientation import GONIOMETER_AXIS, axis_rotation


class SimGoniometer(_SimInstrument, Goniometer):
    def __init__(self, world: Any, name: str = "goniometer", speed: float = 20.0):
        _SimInstrument.__init__(self, world, name)
        self._angle = 0.0
        self._target = 0.0
        self._speed = speed
        world.add_process(self)
        self._apply()

    def identity(self) -> str:
        return "spinbench,SimGoniometer,0006,1.0"

    @property
    def angle(self) -> float:
        return self._angle

    @property
    def speed(self) -> float:
        return self._speed

    @speed.setter
    def speed(self, degrees_per_s: float) -> None:
        degrees_per_s = self.speed_range.check("goniometer speed", degrees_per_s, self.name)
        self._cmd(f"VEL {degrees_per_s}")
        self._speed = degrees_per_s

    def start_move(self, degrees: float) -> None:
        degrees = self.angle_range.check("goniometer angle", degrees, self.name)
        self._cmd(f"MOV {degrees}")
        self._target = degrees

    def is_moving(self) -> bool:
        return self._angle != self._target

    def wait_until_settled(self, timeout: float = 600.0) -> None:
        t = abs(self._target - self._angle) / self._speed
        if t > timeout:
            raise InstrumentError(self.name, f"move would take {t:.1f} s, longer than the {timeout} s timeout")
        if t > 0:
            self.world.clock.sleep(t)

    def snapshot(self) -> dict[str, Any]:
        return {"angle_deg": self._angle, "target_deg": self._target, "speed_deg_per_s": self._speed,
                "axis": "lab y (perpendicular to B0)"}

    # Process protocol: the sample turns as simulated time passes.
    def max_step(self) -> float:
        return float("inf")

    def advance(self, t0: float, dt: float) -> None:
        if self._angle == self._target:
            return
        delta = self._target - self._angle
        step = self._speed * dt
        self._angle = self._target if abs(delta) <= step else self._angle + (step if delta > 0 else -step)
        self._apply()

    def _apply(self) -> None:
        sample = self.world.sample
        if hasattr(sample, "set_stage_rotation"):
            sample.set_stage_rotation(axis_rotation(GONIOMETER_AXIS, self._angle))


def add_goniometer(world: Any) -> dict[str, SimGoniometer]:
    """Sim-lab subsystem hook: world -> {role: instrument}."""
    return {"goniometer": SimGoniometer(world)}
