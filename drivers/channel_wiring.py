"""Pulse-programmer wiring from a lab file: which flag bit drives what, by name.

``{mw_switch = 0, counter_gate = 6, laser = 8, trigger = 7}`` -> a :class:`ChannelMap`:
``mw_switch`` (alias ``tx``) is the transmit/microwave gate, ``counter_gate`` (alias ``adc``) the
receiver or photon-counter gate, ``phase``/``amplitude``/``offset`` lists of register bits, and
every other name a TTL marker the sequences address by that name (``laser``, ``trigger``, ``blank``).

A channel with a propagation delay (TTL edge to effect at the sample: an AOM's acoustic transit,
an RF switch's or amplifier gate's delay, a digitizer's trigger latency) is written as a table,
``laser = {bit = 8, delay = "400 ns"}`` (a bare number is seconds); :func:`channel_delays_from_table`
reads those delays, which the compiler compensates (``sequences.pulse.delays``).
"""
from __future__ import annotations

import math
from typing import Any

from drivers.errors import ConfigError
from drivers.pulse_program import ChannelMap, ProgramError
from units.quantity import UnitError, parse_quantity

ALIASES = {"mw_switch": "tx", "tx": "tx", "counter_gate": "adc", "adc": "adc"}
REGISTERS = ("phase", "amplitude", "offset")
#: The sequence channel each wiring name drives ("rf": the transmit gate, "adc": the receiver gate).
SEQUENCE_CHANNEL = {"tx": "rf", "adc": "adc"}
#: Keys of a channel written as a table.
ENTRY_KEYS = ("bit", "delay")


def channel_map_from_table(table: Any, where: str) -> ChannelMap:
    """The map a ``channels`` table describes; a ConfigError naming the table and the bad key."""
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: channels must be a table of name = bit, e.g. "
                          f"{{mw_switch = 0, counter_gate = 6, laser = 8, trigger = 7}}, got {table!r}")
    kw: dict[str, Any] = {}
    markers = []
    for name, entry in table.items():
        bit = _entry(name, entry, where)[0]
        bits = bit if isinstance(bit, list) else [bit]
        if not all(isinstance(b, int) and not isinstance(b, bool) and 0 <= b < 24 for b in bits):
            raise ConfigError(f"{where}: channels.{name} = {bit!r}: a flag bit is a whole number 0..23")
        if name in ALIASES:
            kw[ALIASES[name]] = bits[0]
        elif name in REGISTERS:
            kw[name] = tuple(bits)
        else:
            markers.append((str(name), bits[0]))
    default = ChannelMap()
    used = set(kw.get(k, -1) for k in ("tx", "adc")) | {b for _, b in markers}
    for key in REGISTERS:  # register bits not given: the defaults that do not collide, else none
        if key not in kw:
            kw[key] = tuple(b for b in getattr(default, key) if b not in used)
            used |= set(kw[key])
    if len(kw["phase"]) not in (1, 2):
        kw["fixed_phases"] = None
    elif len(kw["phase"]) == 1:
        kw["fixed_phases"] = (0.0, 180.0)
    try:
        return ChannelMap(markers=tuple(sorted(markers, key=lambda m: m[1])), **kw)
    except ProgramError as exc:
        raise ConfigError(f"{where}: channels: {exc}") from None


def channel_delays_from_table(table: Any, where: str) -> dict[str, float]:
    """Per sequence channel ("rf", "adc", a marker name), the delay (s) the ``channels`` table
    declares; channels without one are left out. A ConfigError names the channel and the value."""
    if not isinstance(table, dict):
        channel_map_from_table(table, where)  # raises the table's error
    out: dict[str, float] = {}
    for name, entry in table.items():
        _, delay = _entry(name, entry, where)
        if delay is None:
            continue
        if name in REGISTERS:
            raise ConfigError(f"{where}: channels.{name}: register bits follow the transmit gate; declare the RF "
                              f"delay on mw_switch (tx)")
        if delay:
            out[SEQUENCE_CHANNEL.get(ALIASES.get(name, ""), str(name))] = delay
    return out


def _entry(name: str, entry: Any, where: str) -> tuple[Any, float | None]:
    """(bit or bits, delay in s or None) of one ``channels`` entry: ``8`` or ``{bit = 8, delay = "400 ns"}``."""
    if not isinstance(entry, dict):
        return entry, None
    unknown = sorted(set(entry) - set(ENTRY_KEYS))
    if unknown or "bit" not in entry:
        raise ConfigError(f"{where}: channels.{name} = {entry!r}: a channel table has keys bit (required) and "
                          f"delay, e.g. {{bit = 8, delay = \"400 ns\"}}" + (f"; unknown: {unknown}" if unknown else ""))
    raw = entry.get("delay")
    if raw is None:
        return entry["bit"], None
    try:
        if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
            raise UnitError(f"{raw!r} is not a number")
        delay = parse_quantity(raw, "s", name=f"channels.{name}.delay")
    except UnitError as exc:
        raise ConfigError(f"{where}: channels.{name}.delay = {raw!r}: give a time, e.g. \"400 ns\" or 400e-9 "
                          f"({exc})") from None
    if not math.isfinite(delay) or not 0 <= delay < 1e-3:
        raise ConfigError(f"{where}: channels.{name}.delay = {raw!r}: a propagation delay is >= 0 and below 1 ms")
    return entry["bit"], delay
