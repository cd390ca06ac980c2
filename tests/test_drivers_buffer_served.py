"""The served SR830 and SR860 buffers over TCP: plain sockets (bytes per the manuals' formats)
and the drivers, with the world's time set by the test (no wall clock)."""
from __future__ import annotations

import socket
import struct

import numpy as np
import pytest

from drivers.sr830 import SR830
from drivers.sr860 import SR860
from sim_backend.served.link import WorldLink
from sim_backend.served.lockin import ServedSR830
from sim_backend.served.lockin_sr860 import ServedSR860
from sim_backend.served.server import TcpServer
from sim_backend.world import SimulatedWorld


def served(cls: type):
    world = SimulatedWorld(seed=5)
    link = WorldLink(world)
    now = [world.clock.now()]
    link.world_time_now = lambda: now[0]  # the test moves time
    inst = cls(link)
    world.microwave.output = True
    world.modulation_amplitude_v, world.lockin.time_constant = 0.1, 0.01
    world.magnet.ramp_rate = 2e-3
    world.magnet.set_field(0.3388 - 2e-3)
    world.clock.sleep(2.0)
    now[0] = world.clock.now()
    world.magnet.set_field(0.3388 + 2e-3)
    server = TcpServer(inst)
    return world, now, server


def ask(sock: socket.socket, command: bytes, nbytes: int | None = None) -> bytes:
    sock.sendall(command + b"\n")
    data = b""
    while (nbytes is None and not data.endswith(b"\n")) or (nbytes is not None and len(data) < nbytes):
        data += sock.recv(65536)
    return data


def test_sr830_trcb_and_trcl_over_a_plain_socket_agree_with_trca():
    world, now, server = served(ServedSR830)
    try:
        with socket.create_connection((server.host, server.port), timeout=2) as s:
            for cmd in (b"REST", b"SRAT 8", b"SEND 0", b"STRT"):
                s.sendall(cmd + b"\n")
            ask(s, b"*OPC?")
            now[0] += 1.0
            n = int(ask(s, b"SPTS?"))
            assert n == 17  # 16 Hz from t = 0 to 1 s inclusive
            text = [float(v) for v in ask(s, f"TRCA? 1,0,{n}".encode()).decode().split(",")]
            binary = struct.unpack(f"<{n}f", ask(s, f"TRCB? 1,0,{n}".encode(), 4 * n))
            lia = struct.unpack(f"<{2 * n}h", ask(s, f"TRCL? 1,0,{n}".encode(), 4 * n))
            assert ask(s, b"*IDN?").startswith(b"Stanford")  # nothing left over on the wire
    finally:
        server.stop()
    assert binary == pytest.approx(text, rel=1e-6, abs=1e-15)
    values = [m * 2.0 ** (e - 124) for m, e in zip(lia[0::2], lia[1::2])]
    assert values == pytest.approx(text, rel=1e-4, abs=1e-15)  # 15-bit mantissa
    assert max(text) - min(text) > 1e-7  # the ramp moved the signal


@pytest.mark.parametrize("transfer, visa", [("binary", False), ("lia", False), ("ascii", False), ("binary", True)])
def test_sr830_driver_reads_the_same_trace_by_each_transfer(transfer, visa):
    """Direct socket transport, and pyvisa-py (``read_bytes`` past termination bytes) for TRCB?."""
    world, now, server = served(ServedSR830)
    li = SR830(server.address, buffer_transfer=transfer, **({"visa_library": "@py"} if visa else {}))
    assert li.transport.kind == ("visa" if visa else "socket")
    try:
        dt = li.start_buffer(li.buffer_rate_for(1 / 60))
        assert li.buffer_points() <= 1  # a query after STRT: the server has started the buffer
        now[0] += 2.0
        data = li.read_buffer_xy()
        ascii_x = li.read_buffer(1, transfer="ascii")
    finally:
        li.transport.close()
        server.stop()
    assert dt == pytest.approx(1 / 64) and len(data) == 129
    assert data.x == pytest.approx(ascii_x, rel=1e-4, abs=1e-15)


def test_sr860_capture_over_the_driver_matches_ascii_snapshots_of_a_twin():
    world, now, server = served(ServedSR860)
    li = SR860(server.address)
    try:
        rates = li.buffer_rates()
        rate = li.buffer_rate_for(1 / 100)
        dt = li.start_buffer(rate)
        assert li.buffer_points() <= 1
        t0 = world.clock.now()
        now[0] += 1.0
        data = li.read_buffer_xy()
        li.stop_buffer()
        with socket.create_connection((server.host, server.port), timeout=2) as s:
            header = ask(s, b"CAPTUREGET? 0,1", 2)
            assert header[:1] == b"#"
    finally:
        li.transport.close()
        server.stop()
    assert rates[-1] == pytest.approx(1.25e6 / 2**11) and rate >= 100 and dt == pytest.approx(1 / rate)
    assert len(data) == int(1.0 / dt) + 1
    # The twin world, stepped to each sample time, gives the same X.
    twin, _, twin_server = served(ServedSR860)
    try:
        expected = []
        for k in range(len(data)):
            twin.clock.sleep(t0 + k * dt - twin.clock.now())
            expected.append(twin_server.instrument._by_860_index()[0])
    finally:
        twin_server.stop()
    scale = float(np.max(np.abs(expected)))
    assert scale > 1e-8  # the ramp went through the line
    assert data.x == pytest.approx(np.float32(expected), rel=1e-6, abs=1e-6 * scale)
