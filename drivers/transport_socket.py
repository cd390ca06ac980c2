"""A raw TCP socket as a byte layer under :class:`drivers.transport.Transport`.

``TCPIP0::host::port::SOCKET`` resources (SCPI port 5025, the Lake Shore 336's 7777, a
GPIB-LAN bridge, the Red Pitaya's 5000) are plain TCP streams; going through VISA adds a
session layer and a per-read termination scan for nothing. This class speaks to the socket
directly: TCP_NODELAY on (VISA's documented default for sockets), one receive buffer, a reply
is everything up to the read termination. It is used for socket addresses unless the lab
names a ``visa_library`` (then pyvisa, e.g. ``@ivi`` or a pyvisa-sim file, does it).
"""
from __future__ import annotations

import socket

from drivers.errors import InstrumentError
from drivers.transport import ConnectionLost, Transport, TransportTimeout


def socket_endpoint(address: str) -> tuple[str, int] | None:
    """``TCPIP0::10.0.0.5::5025::SOCKET`` -> ("10.0.0.5", 5025); None for anything else."""
    parts = address.split("::")
    if len(parts) != 4 or not parts[0].upper().startswith("TCPIP") or parts[3].upper() != "SOCKET":
        return None
    try:
        return parts[1], int(parts[2])
    except ValueError:
        return None


class SocketTransport(Transport):
    kind = "socket"

    def __init__(self, address: str, **kwargs):
        super().__init__(address, **kwargs)
        endpoint = socket_endpoint(address)
        if endpoint is None:
            raise ValueError(f"{address!r} is not a TCPIP::host::port::SOCKET resource")
        self.host, self.port = endpoint
        self._sock: socket.socket | None = None
        self._buffer = bytearray()
        self._term = self.read_termination.encode(self.encoding)

    def _open(self) -> None:
        try:
            sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        except OSError as exc:
            raise InstrumentError(self.instrument, f"cannot open {self.address}: {exc}", address=self.address) from None
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock = sock
        self._buffer.clear()

    def _close(self) -> None:
        sock, self._sock = self._sock, None
        self._buffer.clear()
        if sock is not None:
            try:
                sock.close()
            except OSError:
                pass

    def _send(self, data: bytes) -> None:
        try:
            self._sock.sendall(data)  # type: ignore[union-attr]
        except OSError as exc:
            raise ConnectionLost(f"write failed: {exc}") from None

    def _receive(self, timeout: float) -> bytes:
        sock = self._sock
        assert sock is not None
        sock.settimeout(timeout)
        while True:
            cut = self._buffer.find(self._term)
            if cut >= 0:
                end = cut + len(self._term)
                reply = bytes(self._buffer[:end])
                del self._buffer[:end]
                return reply
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                raise TransportTimeout("timeout") from None
            except OSError as exc:
                raise ConnectionLost(f"read failed: {exc}") from None
            if not chunk:
                raise ConnectionLost("the instrument closed the connection")
            self._buffer.extend(chunk)

    def _receive_exact(self, n: int, timeout: float) -> bytes:
        sock = self._sock
        assert sock is not None
        sock.settimeout(timeout)
        while len(self._buffer) < n:
            try:
                chunk = sock.recv(max(65536, n - len(self._buffer)))
            except socket.timeout:
                raise TransportTimeout(f"timeout after {len(self._buffer)} of {n} bytes") from None
            except OSError as exc:
                raise ConnectionLost(f"read failed: {exc}") from None
            if not chunk:
                raise ConnectionLost("the instrument closed the connection")
            self._buffer.extend(chunk)
        data = bytes(self._buffer[:n])
        del self._buffer[:n]
        return data

    def _clear(self) -> bool:
        """No device clear on a socket: drop what has arrived (the marker query does the rest)."""
        self._buffer.clear()
        sock = self._sock
        if sock is None:
            return False
        sock.setblocking(False)
        try:
            while sock.recv(65536):
                pass
        except (BlockingIOError, InterruptedError):
            pass
        except OSError as exc:
            raise ConnectionLost(f"read failed: {exc}") from None
        finally:
            sock.setblocking(True)
        return False
