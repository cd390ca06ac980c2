"""A byte-exact scripted transport for protocol tests (the idea of PyMeasure's ``expected_protocol``).

The script is a list of ``(bytes the driver must write, bytes the instrument answers)``.
The reply is given verbatim, termination included, so a test can also send an unterminated,
garbled or malformed reply; ``TIMEOUT`` makes the read time out and ``DROP`` loses the
connection. On a GPIB, USB or VXI-11 address ``(CLEAR, None)`` is where the driver must send a
device clear (``viClear``); it empties the scripted output buffer. On a socket or serial
address a clear is a drain: the unread reply, if any, is discarded and nothing is scripted. A write that differs from the script, a reply nobody read, and script entries
left over at :meth:`ScriptedTransport.finish` all fail the test.

This is not the simulated backend: it checks wire bytes, not behaviour.
"""
from __future__ import annotations

from typing import Any

from drivers.transport import ConnectionLost, Transport, TransportTimeout, has_device_clear

TIMEOUT = object()
DROP = object()
#: The script entry for a device clear (it is not bytes on the wire but a bus operation).
CLEAR = b"<device clear>"


class ProtocolMismatch(AssertionError):
    """The driver wrote something other than the script says (never retried: it is a test failure)."""


class ScriptedTransport(Transport):
    kind = "scripted"

    def __init__(self, script: list[tuple[bytes, Any]], *, address: str = "scripted", **kwargs: Any):
        kwargs.setdefault("timeout", 0.01)
        super().__init__(address, **kwargs)
        self.script = list(script)
        self.position = 0
        self.written: list[bytes] = []
        self.opened = 0
        self._pending: Any = None

    def _open(self) -> None:
        self.opened += 1
        self._pending = None

    def _close(self) -> None:
        self._pending = None  # a reopened connection has nothing stale in it

    def _clear(self) -> bool:
        self._pending = None
        if not has_device_clear(self.address):
            return False
        self._send(CLEAR)
        self._pending = None
        return True

    def _send(self, data: bytes) -> None:
        if self._pending is not None:
            raise ProtocolMismatch(f"wrote {data!r} while the reply {self._pending!r} was still unread")
        if self.position >= len(self.script):
            raise ProtocolMismatch(f"wrote {data!r} after the end of the script ({len(self.script)} entries)")
        expected, reply = self.script[self.position]
        if data != expected:
            raise ProtocolMismatch(f"entry {self.position}: expected {expected!r}, driver wrote {data!r}")
        self.position += 1
        self.written.append(data)
        if reply is DROP:
            raise ConnectionLost("scripted: connection dropped")
        self._pending = reply

    def _receive(self, timeout: float) -> bytes:
        reply, self._pending = self._pending, None
        if reply is None or reply is TIMEOUT:
            raise TransportTimeout("scripted: no reply")
        if reply is DROP:
            raise ConnectionLost("scripted: connection dropped")
        return reply

    def _receive_exact(self, n: int, timeout: float) -> bytes:
        """The next ``n`` bytes of the scripted reply; the rest stays unread (a binary reply is
        read in pieces: header, data, terminator)."""
        reply = self._pending
        if reply is None or reply is TIMEOUT:
            raise TransportTimeout("scripted: no reply")
        if reply is DROP:
            raise ConnectionLost("scripted: connection dropped")
        if len(reply) < n:
            self._pending = None
            raise TransportTimeout(f"scripted: {len(reply)} of {n} bytes, then nothing")
        self._pending = reply[n:] or None
        return reply[:n]

    def finish(self) -> None:
        """Assert the whole script was played and every reply read."""
        if self._pending is not None:
            raise ProtocolMismatch(f"reply {self._pending!r} was never read")
        if self.position != len(self.script):
            left = [w for w, _ in self.script[self.position:]]
            raise ProtocolMismatch(f"{len(left)} scripted exchange(s) never happened: {left}")

    def __enter__(self) -> "ScriptedTransport":
        return self

    def __exit__(self, exc_type: Any, *rest: Any) -> None:
        if exc_type is None:
            self.finish()


def scripted_driver(cls: type, script: list[tuple[bytes, Any]], address: str = "TCPIP0::10.0.0.5::5025::SOCKET",
                    name: str | None = None, **options: Any) -> tuple[Any, ScriptedTransport]:
    """A driver on a scripted transport with the terminations the driver uses for ``address``."""
    read_t, write_t = cls.terminations.get(cls.interface_kind(address), cls.terminations["other"])
    transport = ScriptedTransport(script, address=address, read_termination=read_t, write_termination=write_t,
                                  retries=options.pop("retries", 2))
    return cls(address, name, transport=transport, **options), transport
