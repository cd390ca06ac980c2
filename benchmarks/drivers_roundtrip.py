"""Query round trips per second through the driver stack vs a raw socket client, same served instrument.

    python benchmarks/drivers_roundtrip.py [--seconds 2]

One served SR830 on localhost TCP (the simulated world behind it, synced per command), in its own
process as a real instrument is (in-process, the server's Python thread would share the GIL with
the client and distort every ratio). Measured in the same run, on the same server:

* raw socket client: ``FREQ?`` written and the reply read with ``socket`` — the baseline;
* pyvisa-py resource: ``res.query("FREQ?")`` — what the VISA layer costs;
* driver over pyvisa-py: ``SR830.reference_frequency`` with ``visa_library="@py"`` — the
  driver layer (descriptor, lock, encoding, termination check, validated parse, retry
  bookkeeping) over the same pyvisa-py session; its ratio to the bare resource is the driver
  layer's overhead (target: >= 0.9, i.e. <= 10 % overhead);
* driver over the direct socket transport (the default for ``::SOCKET`` addresses): its ratio
  to the raw client is the target >= 0.75;
* settings with error check (``SLVL x`` then ``*ESR?``) through the driver.

All candidates are measured in many short interleaved rounds and compared round by round (the
median of the paired ratios), because the machine is shared and its speed drifts between
seconds: a ratio of two rates taken at different moments would measure the load, not the code.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import socket
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from drivers.sr830 import SR830  # noqa: E402
from drivers.transport_visa import _disable_nagle, resource_manager  # noqa: E402
from sim_backend.served import serve_lab  # noqa: E402
from sim_backend.world import SimulatedWorld  # noqa: E402


def rate(fn, seconds: float) -> float:
    fn()
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        fn()
        n += 1
    return n / (time.perf_counter() - t0)


def serve(conn) -> None:
    """The served SR830 in a child process, until the parent says stop."""
    served = serve_lab(SimulatedWorld(seed=0), roles=("lockin",), serial=())
    server = served.servers["lockin"]
    conn.send((served.addresses["lockin"], server.host, server.port))
    conn.recv()
    served.stop()


#: Targets: driver layer over pyvisa-py (<= 10 % overhead), direct socket against a raw client.
VISA_TARGET, SOCKET_TARGET = 0.90, 0.75


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=2.0, help="time per candidate (default 2 s)")
    ap.add_argument("--rounds", type=int, default=40, help="interleaved rounds (default 40)")
    args = ap.parse_args()
    print("path measured: SR830.reference_frequency (FREQ?) through the driver, the call an experiment makes to "
          "a served lock-in over TCP (direct socket transport and over pyvisa-py), against a raw socket client and "
          f"a bare pyvisa-py resource; round trips per wall second (load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores)", flush=True)
    parent, child = multiprocessing.Pipe()
    server = multiprocessing.Process(target=serve, args=(child,), daemon=True)
    server.start()
    address, host, port = parent.recv()
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
        _disable_nagle(res)  # as the driver's VISA transport does: compare like with like
        li_visa = SR830(address, name="lockin", visa_library="@py")
        li = SR830(address, name="lockin")
        li_visa.reference_frequency, li.reference_frequency  # noqa: B018 - connect
        candidates = {
            "raw socket client": raw,
            "pyvisa-py resource": lambda: res.query("FREQ?"),
            "driver over pyvisa-py": lambda: li_visa.reference_frequency,
            "driver over direct socket": lambda: li.reference_frequency,
            "driver: setting + *ESR? check": lambda: setattr(li, "reference_amplitude", 0.1),
        }
        rates: dict[str, list[float]] = {name: [] for name in candidates}
        order = list(candidates)
        shuffle = random.Random(0).shuffle
        for _ in range(args.rounds):  # short interleaved slices in shuffled order: each round sees one load
            shuffle(order)
            for name in order:
                rates[name].append(rate(candidates[name], args.seconds / args.rounds))
        base = rates["raw socket client"]
        print(f"served SR830 at {address}, {args.seconds:g} s per candidate in {args.rounds} interleaved rounds")
        for name, values in rates.items():
            ratio = statistics.median(v / b for v, b in zip(values, base))
            print(f"  {name:34s} median {statistics.median(values):9.0f} /s   best {max(values):9.0f} /s   "
                  f"paired ratio to raw socket {ratio:6.3f}")
        visa_ratio = statistics.median(d / p for d, p in zip(rates["driver over pyvisa-py"], rates["pyvisa-py resource"]))
        socket_ratio = statistics.median(d / b for d, b in zip(rates["driver over direct socket"], base))
        print(f"driver over pyvisa-py / bare pyvisa-py (median of paired rounds): {visa_ratio:.3f} "
              f"(overhead {100 * (1 - visa_ratio):.1f} %)")
        print(f"driver over direct socket / raw socket (median of paired rounds): {socket_ratio:.3f}")
        missed = [f"{what} {got:.3f} < {target}" for what, got, target in
                  (("driver/pyvisa-py", visa_ratio, VISA_TARGET), ("driver/raw socket", socket_ratio, SOCKET_TARGET))
                  if got < target]
        print("targets: " + ("MISSED: " + "; ".join(missed) if missed else
                             f"met (>= {VISA_TARGET} and >= {SOCKET_TARGET})"))
        li_visa.close()
        res.close()
        li.close()
        sock.close()
    finally:
        parent.send("stop")
        server.join(timeout=5)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
