"""Query round trips per second through the driver stack vs a raw socket client, same served instrument.

    python benchmarks/drivers_roundtrip.py [--seconds 2]

One served SR830 on localhost TCP (the simulated world behind it, synced per command). Measured
in the same run, on the same server:

* raw socket client: ``FREQ?`` written and the reply read with ``socket`` — the baseline;
* pyvisa-py resource: ``res.query("FREQ?")`` — what the VISA layer costs;
* driver stack: ``SR830.reference_frequency`` — transport (lock, encoding, termination check,
  parse with retry bookkeeping) over pyvisa-py;
* settings with error check (``SLVL x`` then ``*ESR?``) through the driver, with TCP_NODELAY
  (what the transport sets) and with pyvisa-py's default Nagle, to show why it is set.
"""
from __future__ import annotations

import argparse
import socket
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from drivers.sr830 import SR830  # noqa: E402
from drivers.transport_visa import resource_manager  # noqa: E402
from sim_backend.served import serve_lab  # noqa: E402
from sim_backend.world import SimulatedWorld  # noqa: E402


def rate(fn, seconds: float) -> float:
    fn()
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        fn()
        n += 1
    return n / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=2.0, help="time per measurement (default 2 s)")
    args = ap.parse_args()
    served = serve_lab(SimulatedWorld(seed=0), roles=("lockin",), serial=())
    address = served.addresses["lockin"]
    host, port = served.servers["lockin"].host, served.servers["lockin"].port
    try:
        sock = socket.create_connection((host, port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buf = bytearray()

        def raw() -> None:
            sock.sendall(b"FREQ?\n")
            while b"\n" not in buf:
                buf.extend(sock.recv(4096))
            del buf[: buf.index(b"\n") + 1]

        res = resource_manager().open_resource(address, read_termination="\n", write_termination="\n")
        li = SR830(address, name="lockin")
        li.reference_frequency  # noqa: B018 - connect
        candidates = {
            "raw socket client": raw,
            "pyvisa-py resource": lambda: res.query("FREQ?"),
            "driver stack (SR830 over pyvisa-py)": lambda: li.reference_frequency,
            "driver: setting + *ESR? check (TCP_NODELAY)": lambda: setattr(li, "reference_amplitude", 0.1),
        }
        results = dict.fromkeys(candidates, 0.0)
        for _ in range(3):  # interleaved rounds, best of three: the machine is shared
            for name, fn in candidates.items():
                results[name] = max(results[name], rate(fn, args.seconds / 3))
        sess = li.transport._res.visalib.sessions[li.transport._res.session]
        sess.interface.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 0)  # pyvisa-py's default
        results["driver: setting + *ESR? check (Nagle on)"] = rate(
            lambda: setattr(li, "reference_amplitude", 0.1), min(args.seconds, 1.0))
        base = results["raw socket client"]
        print(f"served SR830 at {address}, {args.seconds:g} s per measurement")
        for name, value in results.items():
            print(f"  {name:46s} {value:9.0f} /s   ratio to raw socket {value / base:6.3f}")
        stack = results["driver stack (SR830 over pyvisa-py)"]
        print(f"driver stack / raw socket query rate: {stack / base:.3f}")
        res.close()
        li.close()
        sock.close()
    finally:
        served.stop()


if __name__ == "__main__":
    main()
