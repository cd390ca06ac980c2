"""A bus whose instrument keeps its output buffer across sessions, for the bus-failure tests.

On GPIB, VXI-11 and USBTMC a reply the controller did not read stays in the instrument's
output queue after the session is closed (IEEE 488.2 §6.1: only a device clear empties it),
so the next read, on any session, gets it. This transport plays such a bus in front of a
served simulated instrument (``sim_backend.served``: the instrument's replies come from its
own command table, acting on the simulated world), one message per read, with the served
instrument's fault injection (delay, garble, drop, shift) plus the bus's own:

* ``stale`` — messages already in the output queue when the test starts (an earlier program
  left them unread);
* ``stray`` — bytes that arrive before the next reply (line noise, a power-on banner);
* ``drop_mid_reply`` — the link fails after part of the next reply was read; the rest of the
  message stays in the instrument.

A late reply (``delay``) is not there when the read times out and is in the queue after it.
``device_clear=False`` plays a raw socket or serial line: no clear, only a drain of what is
already queued. Reads never wait: a timeout is immediate, so the tests take no wall time.
"""
from __future__ import annotations

from collections import deque
from typing import Any

from drivers.transport import ConnectionLost, Transport, TransportTimeout
from sim_backend.served.protocol import BinaryReply, ServedInstrument


class BufferedBus(Transport):
    kind = "buffered-bus"

    def __init__(self, instrument: ServedInstrument, *, address: str = "GPIB0::8::INSTR", device_clear: bool = True,
                 stale: tuple[str, ...] = (), **kwargs: Any):
        kwargs.setdefault("timeout", 0.01)
        super().__init__(address, **kwargs)
        self.device = instrument
        self.device_clear = device_clear
        self.term = instrument.reply_termination.encode()
        self.output: deque[bytes] = deque(s.encode() + self.term for s in stale)
        self.late: deque[bytes] = deque()
        self.stray = b""
        self.drop_mid_reply = 0
        self.opened = self.clears = 0
        self.sent: list[str] = []

    def _open(self) -> None:
        self.opened += 1  # the output queue is the instrument's: it survives the session

    def _close(self) -> None:
        pass

    def _send(self, data: bytes) -> None:
        line = data.decode("ascii").strip()
        self.sent.append(line)
        outcome = self.device.process(line)
        if outcome.drop:
            raise ConnectionLost("bus double: link lost")
        messages = [s.encode() + self.term for s in outcome.stale]
        if isinstance(outcome.reply, BinaryReply):
            messages.append(outcome.reply.wire())
        elif outcome.reply is not None:
            messages.append(outcome.reply.encode() + (b"" if outcome.truncate else self.term))
        (self.late if outcome.delay else self.output).extend(messages)

    def _receive(self, timeout: float) -> bytes:
        if not self.output:
            self.output.extend(self.late)  # the late reply lands just after the read gave up
            self.late.clear()
            raise TransportTimeout("bus double: no reply")
        if self.drop_mid_reply:
            self.drop_mid_reply -= 1
            head = self.output[0]
            self.output[0] = head[len(head) // 2:]
            raise ConnectionLost("bus double: link lost mid-reply")
        reply, self.stray = self.stray + self.output.popleft(), b""
        return reply

    def _receive_exact(self, n: int, timeout: float) -> bytes:
        """The next ``n`` bytes of the queued messages (a binary reply is read in pieces)."""
        data = bytearray(self.stray)
        self.stray = b""
        while len(data) < n and self.output:
            head = self.output.popleft()
            take = n - len(data)
            data += head[:take]
            if len(head) > take:
                self.output.appendleft(head[take:])
        if len(data) < n:
            raise TransportTimeout(f"bus double: {len(data)} of {n} bytes")
        return bytes(data)

    def _clear(self) -> bool:
        self.clears += 1
        if not self.device_clear:  # a drain: what has arrived is read and thrown away
            self.output.clear()
            return False
        self.output.clear()
        self.late.clear()
        self.device.held.clear()
        return True


def on_bus(driver_cls: type, instrument: ServedInstrument, *, device_clear: bool = True, stale: tuple[str, ...] = (),
           **options: Any) -> tuple[Any, BufferedBus]:
    """A real driver talking to ``instrument`` over a :class:`BufferedBus`."""
    address = "GPIB0::8::INSTR" if device_clear else "TCPIP0::10.0.0.5::5025::SOCKET"
    read_t, write_t = driver_cls.terminations.get(driver_cls.interface_kind(address), driver_cls.terminations["other"])
    bus = BufferedBus(instrument, address=address, device_clear=device_clear, stale=stale,
                      read_termination=read_t, write_termination=write_t)
    return driver_cls(address, None, transport=bus, **options), bus
