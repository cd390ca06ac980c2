"""The whole simulated lab served over the wire, and the lab TOML that points the real drivers at it.

``serve_lab()`` serves one instrument per role on one :class:`SimulatedWorld` — each on its
own localhost TCP port, or on a pseudo-terminal for the roles named in ``serial`` — and
returns a :class:`ServedLab` whose :meth:`~ServedLab.toml` is a lab config for
``app.labconfig`` (``spinbench run esr-sweep --config that.toml``).
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from drivers.lab import LabLimits
from sim_backend.served.faults import Fault, FaultSet
from sim_backend.served.lockin import ServedSR830
from sim_backend.served.link import WorldLink
from sim_backend.served.magnet import ServedKepcoBOP, ServedLakeShore475
from sim_backend.served.protocol import ServedInstrument
from sim_backend.served.redpitaya import ServedRedPitaya
from sim_backend.served.server import PtyServer, TcpServer
from sim_backend.served.source import ServedScpiSource
from sim_backend.served.temperature import ServedLakeShore336
from sim_backend.world import SimulatedWorld

#: The same limits as the in-process simulated lab (app.simlab.SIM_LIMITS) so runs compare.
SERVED_LIMITS = LabLimits(max_field=1.5, max_ramp_rate=0.1, max_rf_power=0.2)

#: role -> (served class, driver name in drivers.catalog)
ROLES: dict[str, tuple[type[ServedInstrument], str]] = {
    "rf": (ServedScpiSource, "keysight-n5183b"),
    "lockin": (ServedSR830, "sr830"),
    "field": (ServedKepcoBOP, "kepco-bop"),
    "gaussmeter": (ServedLakeShore475, "lakeshore475"),
    "temperature": (ServedLakeShore336, "lakeshore336"),
    "digitizer": (ServedRedPitaya, "redpitaya"),
}
CW_ROLES = ("rf", "lockin", "field", "gaussmeter", "temperature")
#: Driver framing that a pty cannot carry (no UART; some kernels refuse 7-bit frames on a pty).
PTY_FRAMING = {"data_bits": 8, "parity": "none"}


@dataclass
class ServedLab:
    world: SimulatedWorld
    link: WorldLink
    instruments: dict[str, ServedInstrument]
    servers: dict[str, Any]
    limits: LabLimits = SERVED_LIMITS
    timeout: float = 2.0
    options: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def addresses(self) -> dict[str, str]:
        out = {role: srv.address for role, srv in self.servers.items()}
        if "digitizer" in out:
            out["piezo"] = out["digitizer"]  # the Red Pitaya's generator, same server
        return out

    def drivers(self) -> dict[str, str]:
        out = {role: ROLES[role][1] for role in self.servers}
        if "digitizer" in out:
            out["piezo"] = "redpitaya-gen"
        return out

    def toml(self) -> str:
        lim = self.limits
        lines = [f"# Written by spinbench sim-serve at {_dt.datetime.now().isoformat(timespec='seconds')}:",
                 "# the simulated lab served on this machine, reached through the real drivers.",
                 "[lab]", 'name = "served simulated lab"',
                 f'modulation_coil = "{self.world.modulation_t_per_v * 1e3:g} mT/V"', "",
                 "[limits]", f'max_field = "{lim.max_field:g} T"', f'max_ramp_rate = "{lim.max_ramp_rate * 1e3:g} mT/s"',
                 f'max_rf_power = "{lim.max_rf_power * 1e3:g} mW"', f'temperature_min = "{lim.temperature_min:g} K"',
                 f'temperature_max = "{lim.temperature_max:g} K"', ""]
        for role, address in self.addresses.items():
            lines += [f"[instruments.{role}]", f'driver = "{self.drivers()[role]}"', f'address = "{address}"',
                      f'timeout = "{self.timeout:g} s"']
            opts = self.options.get(role, {})
            if opts:
                lines.append(f"[instruments.{role}.options]")
                lines += [f"{k} = {_toml_value(v)}" for k, v in opts.items()]
            lines.append("")
        return "\n".join(lines)

    def write_toml(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.toml())
        return path

    def add_fault(self, role: str, fault: Fault) -> Fault:
        if role == "piezo":
            role = "digitizer"
        if role not in self.instruments:
            raise ValueError(f"no served instrument for role {role!r}; served: {sorted(self.instruments)}")
        return self.instruments[role].faults.add(fault)

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()

    def __enter__(self) -> "ServedLab":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'


def serve_lab(world: SimulatedWorld | None = None, *, roles: Iterable[str] = CW_ROLES + ("digitizer",),
              serial: Iterable[str] = ("lockin",), faults: dict[str, list[Fault]] | None = None,
              host: str = "127.0.0.1", ports: dict[str, int] | None = None, slew: float = 1.0,
              time_scale: float = 1.0, timeout: float = 2.0, limits: LabLimits = SERVED_LIMITS) -> ServedLab:
    """Serve ``roles`` of one world; ``serial`` roles on pseudo-terminals, the rest on TCP."""
    world = world or SimulatedWorld()
    link = WorldLink(world, time_scale=time_scale)
    roles, serial = list(roles), set(serial)
    unknown = sorted((set(roles) | serial) - set(ROLES))
    if unknown:
        raise ValueError(f"cannot serve role(s) {unknown}; servable: {sorted(ROLES)}")
    faults = faults or {}
    instruments: dict[str, ServedInstrument] = {}
    servers: dict[str, Any] = {}
    options: dict[str, dict[str, Any]] = {}
    try:
        for role in roles:
            cls, _ = ROLES[role]
            kwargs: dict[str, Any] = {"faults": FaultSet(faults.get(role, []))}
            if cls is ServedSR830:
                kwargs["serial"] = role in serial
            if cls is ServedKepcoBOP:
                kwargs["slew"] = slew
            inst = instruments[role] = cls(link, **kwargs)
            if role in serial:
                servers[role] = PtyServer(inst)
            else:
                servers[role] = TcpServer(inst, host, (ports or {}).get(role, 0))
            if role == "field":
                options[role] = {"tesla_per_amp": world.magnet.tesla_per_amp, "max_current": ServedKepcoBOP.max_current}
            if role in serial and role in ("temperature", "gaussmeter"):
                options[role] = dict(PTY_FRAMING)
    except BaseException:
        for server in servers.values():
            server.stop()
        raise
    return ServedLab(world, link, instruments, servers, limits, timeout, options)
