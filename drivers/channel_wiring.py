"""Pulse-programmer wiring from a lab file: which flag bit drives what, by name.

``{mw_switch = 0, counter_gate = 6, laser = 8, trigger = 7}`` -> a :class:`ChannelMap`:
``mw_switch`` (alias ``tx``) is the transmit/microwave gate, ``counter_gate`` (alias ``adc``) the
receiver or photon-counter gate, ``phase``/``amplitude``/``offset`` lists of register bits, and
every other name a TTL marker the sequences address by that name (``laser``, ``trigger``, ``blank``).
"""
from __future__ import annotations

from typing import Any

from drivers.errors import ConfigError
from drivers.pulse_program import ChannelMap, ProgramError

ALIASES = {"mw_switch": "tx", "tx": "tx", "counter_gate": "adc", "adc": "adc"}
REGISTERS = ("phase", "amplitude", "offset")


def channel_map_from_table(table: Any, where: str) -> ChannelMap:
    """The map a ``channels`` table describes; a ConfigError naming the table and the bad key."""
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: channels must be a table of name = bit, e.g. "
                          f"{{mw_switch = 0, counter_gate = 6, laser = 8, trigger = 7}}, got {table!r}")
    kw: dict[str, Any] = {}
    markers = []
    for name, bit in table.items():
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
