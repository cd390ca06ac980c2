"""The ``[sim.magnet]`` table: the simulated magnet supply's reach, ramp and remanence.

    [sim.magnet]
    max_field = 9.0       # T: a superconducting solenoid instead of the 1 T iron-yoke default
    ramp_rate = 0.005     # T/s
    remanence = 0.0       # T (no iron yoke)

The simulated field controller's range follows ``max_field``; the lab's ``[limits] max_field``
still caps what experiments may ask for, so both must allow a high-field run.
"""
from __future__ import annotations

from typing import Any

from app.sim_tables import number_table_problems
from drivers.errors import ConfigError

#: Keys of ``[sim.magnet]``: unit and meaning.
MAGNET_KEYS: dict[str, tuple[str, str]] = {
    "max_field": ("T", "largest field the supply drives (its current limit x calibration)"),
    "ramp_rate": ("T/s", "ramp rate the supply starts with"),
    "remanence": ("T", "remanent offset of the true field, sign of the last sweep (iron yoke; 0 without)"),
    "hall_noise": ("T", "rms noise of the Hall probe"),
}


def magnet_problems(table: Any) -> list[str]:
    """Every problem of a ``[sim.magnet]`` table, one line each."""
    return number_table_problems("magnet", table, MAGNET_KEYS, {"max_field", "ramp_rate"},
                                 {"remanence", "hall_noise"}, example="max_field = 9.0")


def configure_magnet(world: Any, table: Any) -> None:
    """Set the simulated supply of ``world`` (before the field controller is built on it)."""
    problems = magnet_problems(table)
    if problems:
        raise ConfigError("; ".join(problems))
    magnet = world.magnet
    if "max_field" in table:
        magnet.max_current = float(table["max_field"]) / magnet.tesla_per_amp
    for key in ("ramp_rate", "remanence", "hall_noise"):
        if key in table:
            setattr(magnet, key, float(table[key]))


__all__ = ["MAGNET_KEYS", "magnet_problems", "configure_magnet"]
