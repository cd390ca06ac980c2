"""The driver catalogue: the name a lab config uses -> ``"module:Class"``.

Every class is constructible as ``Class(address, name=role, **options)`` and opens its
transport lazily (on the first command), so building a lab never touches an instrument.
Options every driver accepts: ``timeout`` (s), ``retries`` (extra attempts for idempotent
queries), ``transport`` (an already-built :class:`drivers.transport.Transport`), plus the
per-driver options listed in ``docs/drivers.md``.
"""
from __future__ import annotations

import importlib
from typing import Any

DRIVERS: dict[str, str] = {
    "sr830": "drivers.sr830:SR830",
    "sr860": "drivers.sr860:SR860",
    "keysight-n5183b": "drivers.scpi_source:KeysightN5183B",
    "keysight-e8257d": "drivers.scpi_source:KeysightE8257D",
    "rs-smb100a": "drivers.scpi_source:RohdeSchwarzSMB100A",
    "lakeshore336": "drivers.lakeshore336:LakeShore336",
    "lakeshore475": "drivers.lakeshore475:LakeShore475",
    "kepco-bop": "drivers.kepco_bop:KepcoBOP",
    "pulseblaster": "drivers.pulseblaster:PulseBlaster",
    "ni-counter": "drivers.ni_counter:NiPhotonCounter",
    "redpitaya": "drivers.redpitaya:RedPitayaDigitizer",
    "redpitaya-gen": "drivers.redpitaya:RedPitayaGenerator",
}

#: Options a driver cannot be built without (the catalogue test and the docs use these).
REQUIRED_OPTIONS: dict[str, dict[str, Any]] = {
    "kepco-bop": {"tesla_per_amp": 0.02},
}


def driver_class(name: str) -> type:
    """The class registered under ``name``; a clear error lists the known names."""
    from drivers.errors import ConfigError

    try:
        target = DRIVERS[name]
    except KeyError:
        raise ConfigError(f"unknown driver {name!r}; known drivers: {', '.join(sorted(DRIVERS))}") from None
    module, cls = target.split(":")
    return getattr(importlib.import_module(module), cls)
