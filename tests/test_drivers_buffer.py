"""Buffered lock-in transfers: SR830 TRCB?/TRCL?/TRCA?, SR860 CAPTURE..., the binary read path
of the transports. Expected bytes are built here with ``struct`` from the manuals' formats, not
by the code under test."""
from __future__ import annotations

import socket
import struct

import numpy as np
import pytest

from drivers.errors import InstrumentError
from drivers.roles.lockin import BufferedLockIn, buffered
from drivers.scripted import scripted_driver
from drivers.sr830 import SR830
from drivers.sr830_buffer import decode_trcl
from drivers.sr860 import SR860
from drivers.transport_binary import ieee_block

OK = b"0\n"


def f32(*values: float) -> bytes:
    return struct.pack(f"<{len(values)}f", *values)


def test_both_srs_lockins_have_the_buffered_capability():
    assert issubclass(SR830, BufferedLockIn) and issubclass(SR860, BufferedLockIn)
    assert buffered(object()) is None


def test_sr830_start_buffer_writes_the_manual_sequence():
    script = [(b"OUTX 1\n", None), (b"REST\n", None), (b"*ESR?\n", OK),
              (b"DDEF 1,0,0\n", None), (b"*ESR?\n", OK), (b"DDEF 2,0,0\n", None), (b"*ESR?\n", OK),
              (b"SRAT 9\n", None), (b"*ESR?\n", OK),      # 62.5 mHz x 2^9 = 32 Hz
              (b"SEND 0\n", None), (b"*ESR?\n", OK), (b"STRT\n", None),  # last, no check after it
              (b"PAUS\n", None), (b"*ESR?\n", OK)]
    li, t = scripted_driver(SR830, script)
    with t:
        assert li.start_buffer(32.0) == pytest.approx(1 / 32)
        li.stop_buffer()
    assert li.buffer_rate_for(0.02) == 64.0  # the slowest rate sampling at least every 20 ms
    with pytest.raises(ValueError, match="buffer rate"):
        li.start_buffer(30.0)


def test_sr830_trcb_reads_little_endian_float32_without_terminator():
    x, y = (1.5e-5, -2.25e-6, 3.0e-4), (0.0, 7.5e-7, -1.0e-3)
    script = [(b"OUTX 1\n", None), (b"SRAT?\n", b"10\n"), (b"SPTS?\n", b"3\n"),
              (b"TRCB? 1,0,3\n", f32(*x)), (b"TRCB? 2,0,3\n", f32(*y))]
    li, t = scripted_driver(SR830, script)
    with t:
        data = li.read_buffer_xy()
    assert data.interval == pytest.approx(1 / 64) and data.first == 0
    assert data.x == pytest.approx(np.float32(x), rel=1e-7)
    assert data.y == pytest.approx(np.float32(y), rel=1e-7, abs=1e-12)
    assert data.times(10.0) == pytest.approx([10.0, 10.0 + 1 / 64, 10.0 + 2 / 64])


def test_sr830_trcl_mantissa_exponent_format():
    # value = m x 2^(e - 124): (16384, 110) = 1.0; (-12288, 100) = -0.75 x 2^-10; (0, 0) = 0.
    raw = struct.pack("<hhhhhh", 16384, 110, -12288, 100, 0, 0)
    assert decode_trcl(raw) == pytest.approx([1.0, -0.75 * 2.0**-10, 0.0])
    script = [(b"OUTX 1\n", None), (b"SRAT?\n", b"4\n"), (b"SPTS?\n", b"5\n"),
              (b"TRCL? 1,2,3\n", raw), (b"TRCL? 2,2,3\n", struct.pack("<hhhhhh", 1, 124, 2, 124, 3, 124))]
    li, t = scripted_driver(SR830, script, buffer_transfer="lia")
    with t:
        data = li.read_buffer_xy(start=2, count=3)
    assert data.x == pytest.approx([1.0, -0.75 * 2.0**-10, 0.0]) and data.y == pytest.approx([1, 2, 3])
    assert data.first == 2 and data.interval == 1.0


def test_sr830_ascii_fallback_and_chunking():
    script = [(b"OUTX 1\n", None), (b"SPTS?\n", b"3\n"), (b"TRCA? 1,0,2\n", b"1.0e-3,2.0e-3\n"),
              (b"TRCA? 1,2,1\n", b"3.0e-3\n")]
    li, t = scripted_driver(SR830, script, buffer_transfer="ascii")
    li.BUFFER_CHUNK = 2
    with t:
        assert li.read_buffer(1) == pytest.approx([1e-3, 2e-3, 3e-3])


def test_sr830_binary_reply_too_short_is_an_instrument_error_not_a_wrong_array():
    script = [(b"OUTX 1\n", None), (b"SPTS?\n", b"2\n"), (b"TRCB? 1,0,2\n", f32(1.0)),  # 4 of 8 bytes
              (b"*OPC?\n", b"1\n")]
    li, t = scripted_driver(SR830, script, retries=0)
    with t, pytest.raises(InstrumentError, match="TRCB"):
        li.read_buffer(1)


def test_sr830_garbage_in_a_binary_reply_is_rejected():
    script = [(b"OUTX 1\n", None), (b"SPTS?\n", b"1\n"), (b"TRCB? 1,0,1\n", f32(float("nan"))),
              (b"*OPC?\n", b"1\n")]
    li, t = scripted_driver(SR830, script, retries=0)
    with t, pytest.raises(InstrumentError, match="no lock-in output"):
        li.read_buffer(1)


def block(payload: bytes) -> bytes:
    size = str(len(payload)).encode()
    return b"#" + str(len(size)).encode() + size + payload + b"\n"


def test_sr860_capture_start_and_read_the_documented_commands():
    samples = [(1e-6 * k, -2e-6 * k) for k in range(200)]  # 1600 bytes: 2 kB blocks
    memory = b"".join(f32(*s) for s in samples) + bytes(2048 - 1600)
    script = [(b"CAPTURERATEMAX?\n", b"6.103516e+02\n"),
              (b"CAPTURESTOP\n", None), (b"*ESR?\n", OK), (b"CAPTURECFG 1\n", None), (b"*ESR?\n", OK),
              (b"CAPTURELEN 4096\n", None), (b"*ESR?\n", OK), (b"CAPTURERATE 2\n", None), (b"*ESR?\n", OK),
              (b"CAPTURESTART 0,0\n", None),  # last, no check after it
              (b"CAPTUREBYTES?\n", b"1600\n"), (b"CAPTUREGET? 0,2\n", block(memory)),
              (b"CAPTURESTOP\n", None), (b"*ESR?\n", OK)]
    li, t = scripted_driver(SR860, script)
    with t:
        dt = li.start_buffer(610.3516 / 4)
        data = li.read_buffer_xy(start=100)
        li.stop_buffer()
    assert dt == pytest.approx(4 / 610.3516)
    assert data.first == 100 and len(data) == 100
    assert data.x == pytest.approx(np.float32([s[0] for s in samples[100:]]), rel=1e-7)
    assert data.y == pytest.approx(np.float32([s[1] for s in samples[100:]]), rel=1e-7)


@pytest.mark.parametrize("reply, problem", [(b"1.0,2.0\n", "definite-length block"),
                                            (b"#14abcdX", "terminator")])
def test_ieee_block_rejects_what_is_not_a_block(reply, problem):
    from drivers.scripted import ScriptedTransport

    t = ScriptedTransport([(b"Q?\n", reply)], address="TCPIP0::h::5025::SOCKET", retries=0)
    with pytest.raises(InstrumentError, match=problem):
        t.query_binary("Q?", ieee_block())


@pytest.mark.parametrize("kind", ["socket", "visa"])
def test_transports_read_binary_bytes_exactly(kind):
    """Against a real socket: a block holding LF and CR bytes inside, then a text reply after it;
    the direct socket transport and pyvisa-py (``read_bytes`` not stopping at the termination)."""
    from drivers.transport_socket import SocketTransport
    from drivers.transport_visa import VisaTransport

    payload = bytes(range(256)) * 3
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    import threading

    def serve():
        conn, _ = server.accept()
        buf = b""
        for reply in (block(payload), b"OK\n"):
            while b"\n" not in buf:
                buf += conn.recv(100)
            buf = buf.split(b"\n", 1)[1]
            for i in range(0, len(reply), 97):  # arrives in pieces
                conn.sendall(reply[i:i + 97])
        conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    cls = SocketTransport if kind == "socket" else VisaTransport
    t = cls(f"TCPIP0::127.0.0.1::{port}::SOCKET", timeout=2.0)
    try:
        assert t.query_binary("GET?", ieee_block()) == payload
        assert t.query("NEXT?") == "OK"
    finally:
        t.close()
        server.close()
    thread.join(2)
