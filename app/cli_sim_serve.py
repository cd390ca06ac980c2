"""``spinbench sim-serve``: serve the simulated lab on localhost and write a lab TOML for it.

    spinbench sim-serve --config-out sim-lab.toml          # until Ctrl-C
    spinbench run esr-sweep --config sim-lab.toml          # in another shell: the real drivers

Each role is served on its own TCP port speaking the real instrument's command set (roles in
``--serial`` on a pseudo-terminal instead), all acting on one simulated world whose time
follows the wall clock. ``--fault`` injects failures (see ``sim_backend.served.faults``).
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from pathlib import Path

from units.quantity import parse_quantity
from drivers.errors import ConfigError


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("sim-serve", help="serve the simulated lab over TCP/pty for the real drivers",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config-out", default="sim-lab.toml", help="lab TOML to write (default: sim-lab.toml)")
    p.add_argument("--roles", default="rf,lockin,field,gaussmeter,temperature,digitizer",
                   help="roles to serve, comma-separated (digitizer also serves the piezo generator)")
    p.add_argument("--serial", default="lockin",
                   help="roles served on a pseudo-terminal instead of TCP, comma-separated ('' for none)")
    p.add_argument("--fault", action="append", default=[], metavar="ROLE=KIND[,key=value...]",
                   help="inject a fault, e.g. lockin=delay,match=SNAP?,after=5,seconds=3 (repeatable)")
    p.add_argument("--seed", type=int, default=0, help="random seed of the simulated world")
    p.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: localhost only)")
    p.add_argument("--port-base", type=int, default=0, help="first TCP port, roles take consecutive ports "
                   "(default 0: free ports chosen by the system)")
    p.add_argument("--timeout", default="2 s", help="driver timeout written to the TOML (default: 2 s)")
    p.add_argument("--limit", action="append", default=[], metavar="NAME=VALUE",
                   help="a lab limit written to the TOML, e.g. max_ramp_rate=300mT/s (repeatable; defaults "
                        "are those of the in-process simulated lab)")
    p.add_argument("--duration", default="0 s", help="stop after this time (default: run until Ctrl-C)")
    p.set_defaults(func=cmd_sim_serve)


def _split(text: str) -> list[str]:
    return [r.strip() for r in text.split(",") if r.strip()]


def _limits(items: list[str]):
    from dataclasses import replace

    from app.labconfig import LIMIT_UNITS
    from sim_backend.served.lab import SERVED_LIMITS

    values = {}
    for item in items:
        name, eq, raw = item.partition("=")
        if not eq or name not in LIMIT_UNITS:
            raise ConfigError(f"--limit {item!r}: expected NAME=VALUE with NAME one of {', '.join(LIMIT_UNITS)}")
        try:
            values[name] = parse_quantity(raw, LIMIT_UNITS[name], name=f"--limit {name}")
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
    limits = replace(SERVED_LIMITS, **values)
    problems = limits.problems()  # NaN, infinite, non-positive or an inverted temperature window
    if problems:
        raise ConfigError("--limit: " + "; ".join(problems))
    return limits


def cmd_sim_serve(args: argparse.Namespace) -> int:
    from sim_backend.served import parse_fault, serve_lab
    from sim_backend.world import SimulatedWorld

    from app.compute import is_loopback, plain_tcp_warning

    if not is_loopback(args.host):
        print(f"spinbench: {plain_tcp_warning(f'sim-serve on {args.host}', 'command the served instruments')}",
              file=sys.stderr)
    # Everything is checked before a single port is opened.
    try:
        timeout = parse_quantity(args.timeout, "s", name="--timeout")
        duration = parse_quantity(args.duration, "s", name="--duration")
        faults: dict[str, list] = {}
        for text in args.fault:
            role, fault = parse_fault(text)
            faults.setdefault("digitizer" if role == "piezo" else role, []).append(fault)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    limits = _limits(args.limit)
    roles, serial = _split(args.roles), _split(args.serial)
    if not timeout > 0:
        raise ConfigError(f"--timeout must be > 0 s, got {args.timeout!r}")
    missing = sorted(set(faults) - set(roles))
    if missing:
        raise ConfigError(f"--fault names role(s) {missing} that are not served; served roles: {roles}")
    ports = {role: args.port_base + i for i, role in enumerate(roles)} if args.port_base else None
    served = serve_lab(SimulatedWorld(seed=args.seed), roles=roles, serial=[r for r in serial if r in roles],
                       faults=faults, host=args.host, ports=ports, timeout=timeout, limits=limits)
    stop = threading.Event()
    try:
        previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    except ValueError:  # not the main thread (tests calling main() from a worker)
        previous = None
    try:
        out = Path(args.config_out)
        tmp = out.with_name(out.name + ".tmp")
        served.write_toml(tmp)
        os.replace(tmp, out)  # readers never see a half-written file
        for role, address in served.addresses.items():
            print(f"  {role:12s} {served.drivers()[role]:16s} {address}")
        print(f"lab config: {out}\nserving; Ctrl-C to stop", flush=True)
        t0 = time.monotonic()
        while not stop.wait(0.2):
            if duration and time.monotonic() - t0 >= duration:
                break
    except KeyboardInterrupt:
        pass
    finally:
        served.stop()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    print("stopped", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="spinbench")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["sim-serve", *(argv if argv is not None else sys.argv[1:])])
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
