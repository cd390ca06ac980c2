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

The whole file is checked before any driver is built (and so before any instrument can be
contacted): every problem (wrong type, unknown key, unit, NaN/infinite/negative/unordered
limit, bad ``[sim]`` value, driver option) is collected and reported in one ConfigError whose
lines each name the file, the table and key, the value and what is accepted.
"""
from __future__ import annotations

import math
import tomllib
from dataclasses import fields
from pathlib import Path
from typing import Any

from units.quantity import UnitError, parse_quantity
from drivers.catalog import DRIVERS, driver_class
from drivers.errors import ConfigError
from drivers.lab import LIMIT_RULES, Lab, LabLimits, RealClock, limit_problem, temperature_window_problem
from drivers.roles import ROLES

LIMIT_UNITS = {name: unit for name, (unit, *_rest) in LIMIT_RULES.items()}
LAB_KEYS = {"name": None, "modulation_coil": "T/V", "simulated": None}
INSTRUMENT_KEYS = {"driver", "address", "options", "timeout"}
SECTIONS = ("lab", "limits", "instruments", "sim")


def config_error(source: str, problems: list[str]) -> ConfigError:
    """One error carrying every problem, each prefixed by the file it is in."""
    lines = [f"{source}: {p}" for p in problems]
    err = ConfigError("; ".join(lines))
    err.problems = lines  # type: ignore[attr-defined]  # the CLI prints one per line
    return err


def load_config(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"lab config {path} does not exist")
    if not path.is_file():
        raise ConfigError(f"lab config {path} is not a file")
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"lab config {path} is not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"lab config {path} is not UTF-8 text (byte {exc.start}); TOML files are UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"lab config {path} cannot be read: {exc.strerror or exc}") from None


def _table(parent: dict[str, Any], key: str, where: str, example: str, problems: list[str]) -> dict[str, Any]:
    """``parent[key]`` if it is a table (missing: empty); otherwise a problem and an empty table."""
    value = parent.get(key, {})
    if isinstance(value, dict):
        return value
    problems.append(f"{where} must be a table (e.g. {example}), got {value!r}")
    return {}


def _quantity(raw: Any, unit: str, where: str, problems: list[str]) -> float | None:
    """A finite quantity in SI units, or None with a problem naming ``where``."""
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
        problems.append(f"{where} = {raw!r}: give a number with its unit as a string, e.g. \"10 {unit}\"")
        return None
    try:
        value = parse_quantity(raw, unit, name=where)
    except UnitError as exc:
        problems.append(str(exc))
        return None
    if not math.isfinite(value):
        problems.append(f"{where} = {raw!r}: must be a finite number (NaN and infinity are not limits)")
        return None
    return value


def parse_limits(table: dict[str, Any], problems: list[str]) -> LabLimits:
    """The ``[limits]`` table; unset limits keep their defaults; every problem is appended."""
    values: dict[str, float] = {}
    known = {f.name for f in fields(LabLimits)}
    for key, raw in table.items():
        if key not in known:
            problems.append(f"[limits] {key!r} is not a limit; accepted: {', '.join(sorted(known))}")
            continue
        where = f"[limits] {key}"
        value = _quantity(raw, LIMIT_UNITS[key], where, problems)
        problem = limit_problem(key, value) if value is not None else None
        if problem:
            problems.append(f"{where} = {raw!r}: {problem}")
        elif value is not None:
            values[key] = value
    limits = LabLimits(**values)
    temps_ok = all(k in values for k in ("temperature_min", "temperature_max") if k in table)
    window = temperature_window_problem(limits.temperature_min, limits.temperature_max)
    if window and temps_ok:  # not against the default standing in for a rejected value
        problems.append(f"[limits] {window}")
    return limits


def _lab_table(table: dict[str, Any], problems: list[str]) -> tuple[str | None, float, bool]:
    """``[lab]``: (name, modulation coil T/V, simulated)."""
    for key in sorted(set(table) - set(LAB_KEYS)):
        problems.append(f"[lab] {key!r} unknown; accepted: {', '.join(sorted(LAB_KEYS))}")
    name = table.get("name")
    if name is not None and not isinstance(name, str):
        problems.append(f"[lab] name = {name!r}: must be a string, e.g. name = \"X-band bench\"")
        name = None
    coil = 1e-3
    if "modulation_coil" in table:
        value = _quantity(table["modulation_coil"], "T/V", "[lab] modulation_coil", problems)
        if value is not None and value <= 0:
            problems.append(f"[lab] modulation_coil = {table['modulation_coil']!r}: must be > 0 T/V")
        elif value is not None:
            coil = value
    simulated = table.get("simulated", False)
    if not isinstance(simulated, bool):
        problems.append(f"[lab] simulated = {simulated!r}: must be a boolean, true or false (without quotes)")
        simulated = False
    return name, coil, simulated


def _instrument_spec(role: str, table: Any, problems: list[str]) -> tuple[str, str, dict[str, Any]] | None:
    """One ``[instruments.<role>]`` table: (driver, address, options) or None with problems."""
    where = f"[instruments.{role}]"
    if role not in ROLES:
        problems.append(f"{where}: unknown role; roles are {', '.join(sorted(ROLES))}")
        return None
    if not isinstance(table, dict):
        problems.append(f"[instruments] {role} = {table!r}: must be a table, e.g. [instruments.{role}] with "
                        f"driver = \"...\" and address = \"...\"")
        return None
    n_before = len(problems)
    extra = sorted(set(table) - INSTRUMENT_KEYS)
    if extra:
        problems.append(f"{where}: unknown key(s) {extra}; accepted: {sorted(INSTRUMENT_KEYS)}")
    driver = table.get("driver")
    if not isinstance(driver, str) or driver not in DRIVERS:
        problems.append(f"{where} driver: unknown driver {driver!r}; accepted: {', '.join(sorted(DRIVERS))}")
    address = table.get("address")
    if address is None:
        problems.append(f"{where}: missing 'address' (e.g. 'TCPIP0::192.168.1.5::5025::SOCKET')")
    elif not isinstance(address, str) or not address.strip():
        problems.append(f"{where} address = {address!r}: must be a non-empty string, e.g. \"GPIB0::8::INSTR\"")
    options = _table(table, "options", f"{where} options", "options = { tesla_per_amp = 0.02 }", problems)
    options = dict(options)
    if "timeout" in table:
        timeout = _quantity(table["timeout"], "s", f"{where} timeout", problems)
        if timeout is not None and timeout <= 0:
            problems.append(f"{where} timeout = {table['timeout']!r}: must be > 0 s")
        elif timeout is not None:
            options["timeout"] = timeout
    if len(problems) > n_before:
        return None
    return driver, address, options


def _build_drivers(specs: dict[str, tuple[str, str, dict[str, Any]]], problems: list[str]) -> dict[str, Any]:
    """Construct the drivers (they open nothing until their first command), collecting problems."""
    instruments = {}
    for role, (driver, address, options) in specs.items():
        klass = driver_class(driver)
        if not issubclass(klass, ROLES[role]):
            fills = [r for r, base in ROLES.items() if issubclass(klass, base)]
            problems.append(f"[instruments.{role}] driver = {driver!r} fills the role(s) {fills}, "
                            f"not {role!r} ({ROLES[role].__name__})")
            continue
        try:
            instruments[role] = klass(address, name=role, **options)
        except ConfigError as exc:
            problems.append(f"[instruments.{role}] options: {exc}")
        except (TypeError, ValueError) as exc:  # a driver converting an option of the wrong type
            problems.append(f"[instruments.{role}] options = {options!r}: {exc}; see docs/drivers.md for "
                            f"{driver}'s options and their types")
    return instruments


def build_lab(config: dict[str, Any], *, source: str = "config") -> Lab:
    """Build a Lab from a parsed config; all problems are reported together, before any
    driver exists."""
    problems: list[str] = []
    for key in sorted(set(config) - set(SECTIONS)):
        problems.append(f"unknown section [{key}]; sections are [lab], [limits], [instruments.<role>], [sim]")
    lab_table = _table(config, "lab", "[lab]", "[lab] name = \"bench\"", problems)
    limits_table = _table(config, "limits", "[limits]", "[limits] max_field = \"1 T\"", problems)
    instruments_table = _table(config, "instruments", "[instruments]",
                               "[instruments.lockin] driver = \"sr830\"", problems)
    name, coil, simulated = _lab_table(lab_table, problems)
    limits = parse_limits(limits_table, problems)
    if "sim" in config:
        from app.simconfig import sim_problems

        problems.extend(sim_problems(config["sim"]))
    name = name or source
    if "sim" in config and not simulated and isinstance(lab_table.get("simulated", False), bool):
        problems.append("[sim] describes the simulated lab, but [lab] simulated is not set: add "
                        "[lab] simulated = true, or remove [sim] to use the [instruments]")
    if simulated and instruments_table:
        problems.append(f"[instruments] {', '.join(sorted(map(str, instruments_table)))} given, but [lab] "
                        f"simulated = true runs the built-in simulated instruments: remove one or the other")
    if simulated:
        if problems:
            raise config_error(source, problems)
        from app.simconfig import world_from_config
        from app.simlab import build_sim_lab

        if config.get("sim", {}).get("sample") == "nv":
            from app.simconfig import nv_bench_from_config
            from app.simlab_nv import build_nv_lab

            sample, kw = nv_bench_from_config(config["sim"])
            lab = build_nv_lab(sample, limits=limits, config=config, **kw)
            lab.name = name
            return lab
        lab = build_sim_lab(world_from_config(config.get("sim", {})), limits=limits, config=config,
                            modulation_t_per_v=coil)
        lab.name = name
        return lab
    specs = {}
    for role, table in instruments_table.items():
        spec = _instrument_spec(role, table, problems)
        if spec is not None:
            specs[role] = spec
    if not instruments_table and not problems:
        problems.append("no [instruments.<role>] tables: a lab needs at least one instrument "
                        "(or [lab] simulated = true)")
    if problems:
        raise config_error(source, problems)
    instruments = _build_drivers(specs, problems)
    if problems:
        for inst in instruments.values():
            inst.close()
        raise config_error(source, problems)
    return Lab(instruments, limits, RealClock(), name=name, config=config, modulation_t_per_v=coil)


def lab_from_file(path: str | Path) -> Lab:
    return build_lab(load_config(path), source=str(path))
