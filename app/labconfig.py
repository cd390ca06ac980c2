"""Lab configuration: a TOML file mapping roles to drivers and addresses, plus safety limits.

    [lab]
    name = "X-band bench"
    modulation_coil = "1 mT/V"        # peak modulation field per volt of lock-in sine out

    [limits]
    max_field = "1.2 T"
    max_ramp_rate = "10 mT/s"
    max_rf_power = "200 mW"
    temperature_min = "3 K"
    temperature_max = "320 K"

    [instruments.lockin]
    driver = "sr830"
    address = "GPIB0::8::INSTR"

Every problem in a file is collected and reported in one ConfigError that lists what is accepted.
"""
from __future__ import annotations

import importlib
import tomllib
from dataclasses import fields
from pathlib import Path
from typing import Any

from app.units import UnitError, parse_quantity
from drivers.catalog import DRIVERS
from drivers.errors import ConfigError
from drivers.lab import Lab, LabLimits, RealClock
from drivers.roles import ROLES

LIMIT_UNITS = {"max_field": "T", "max_ramp_rate": "T/s", "max_rf_power": "W", "temperature_min": "K",
               "temperature_max": "K", "max_rf_duty_cycle": "", "max_pulse_length": "s",
               "max_piezo_amplitude": "V"}
LAB_KEYS = {"name": None, "modulation_coil": "T/V", "simulated": None}
INSTRUMENT_KEYS = {"driver", "address", "options", "timeout"}


def driver_catalog() -> dict[str, str]:
    return dict(DRIVERS)


def load_config(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"lab config {path} does not exist")
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"lab config {path} is not valid TOML: {exc}") from None


def parse_limits(table: dict[str, Any], problems: list[str]) -> LabLimits:
    values: dict[str, float] = {}
    known = {f.name for f in fields(LabLimits)}
    for key, raw in table.items():
        if key not in known:
            problems.append(f"[limits] {key!r} is not a limit; accepted: {', '.join(sorted(known))}")
            continue
        try:
            values[key] = parse_quantity(raw, LIMIT_UNITS[key], name=f"[limits] {key}")
        except UnitError as exc:
            problems.append(str(exc))
    return LabLimits(**values)


def build_lab(config: dict[str, Any], *, source: str = "config") -> Lab:
    """Build a Lab from a parsed config; all problems are reported together."""
    problems: list[str] = []
    lab_table = dict(config.get("lab", {}))
    for key in set(config) - {"lab", "limits", "instruments", "sim"}:
        problems.append(f"unknown section [{key}]; sections are [lab], [limits], [instruments.<role>], [sim]")
    for key in set(lab_table) - set(LAB_KEYS):
        problems.append(f"[lab] {key!r} unknown; accepted: {', '.join(sorted(LAB_KEYS))}")
    limits = parse_limits(config.get("limits", {}), problems)
    coil = 1e-3
    if "modulation_coil" in lab_table:
        try:
            coil = parse_quantity(lab_table["modulation_coil"], "T/V", name="[lab] modulation_coil")
        except UnitError as exc:
            problems.append(str(exc))
    name = str(lab_table.get("name", source))
    if lab_table.get("simulated"):
        if problems:
            raise ConfigError(f"{source}: " + "; ".join(problems))
        from app.simconfig import world_from_config
        from app.simlab import build_sim_lab

        lab = build_sim_lab(world_from_config(config.get("sim", {})), limits=limits, config=config)
        lab.name = name
        return lab
    catalog = driver_catalog()
    specs: dict[str, tuple[str, str, dict[str, Any]]] = {}
    for role, table in config.get("instruments", {}).items():
        if role not in ROLES:
            problems.append(f"[instruments.{role}]: unknown role; roles are {', '.join(sorted(ROLES))}")
            continue
        extra = set(table) - INSTRUMENT_KEYS
        if extra:
            problems.append(f"[instruments.{role}]: unknown key(s) {sorted(extra)}; accepted: {sorted(INSTRUMENT_KEYS)}")
        driver = table.get("driver")
        if driver not in catalog:
            problems.append(f"[instruments.{role}]: unknown driver {driver!r}; accepted: "
                            f"{', '.join(sorted(catalog)) or '(no drivers installed)'}")
            continue
        if "address" not in table:
            problems.append(f"[instruments.{role}]: missing 'address' (e.g. 'TCPIP0::192.168.1.5::5025::SOCKET')")
            continue
        options = dict(table.get("options", {}))
        if "timeout" in table:
            try:
                options["timeout"] = parse_quantity(table["timeout"], "s", name=f"[instruments.{role}] timeout")
            except UnitError as exc:
                problems.append(str(exc))
        specs[role] = (driver, str(table["address"]), options)
    if not specs and not problems:
        problems.append("no [instruments.<role>] tables: a lab needs at least one instrument "
                        "(or [lab] simulated = true)")
    if problems:
        raise ConfigError(f"{source}: " + "; ".join(problems))
    instruments = {}
    for role, (driver, address, options) in specs.items():
        module, cls = catalog[driver].split(":")
        klass = getattr(importlib.import_module(module), cls)
        if not issubclass(klass, ROLES[role]):
            fills = [r for r, base in ROLES.items() if issubclass(klass, base)]
            raise ConfigError(f"[instruments.{role}]: driver {driver!r} fills the role(s) {fills}, "
                              f"not {role!r} ({ROLES[role].__name__})")
        instruments[role] = klass(address, name=role, **options)
    return Lab(instruments, limits, RealClock(), name=name, config=config, modulation_t_per_v=coil)


def lab_from_file(path: str | Path) -> Lab:
    return build_lab(load_config(path), source=str(path))
