"""Serve a :class:`ServedInstrument` on a localhost TCP socket or on a pseudo-terminal.

Both accept LF, CR or CR LF as the end of a received line and answer each line (after the
instrument's fault decisions: delay, garble, drop) with the instrument's reply termination.
TCP: one thread per connection, so a client that gave up on a delayed reply and reconnected
is served at once. Pseudo-terminal (``os.openpty``): the client opens the slave path
(``/dev/pts/N``) as a serial port, exactly like a USB-serial adapter.
"""
from __future__ import annotations

import os
import select
import socket
import threading
import time
import tty

from sim_backend.served.protocol import BinaryReply, Outcome, ServedInstrument


class _LineServer:
    def __init__(self, instrument: ServedInstrument):
        self.instrument = instrument
        self._stop = threading.Event()

    def _lines(self, buffer: bytearray) -> list[str]:
        out = []
        while True:
            cut = min((i for i in (buffer.find(b"\n"), buffer.find(b"\r")) if i >= 0), default=-1)
            if cut < 0:
                return out
            line = bytes(buffer[:cut]).decode("ascii", errors="replace").strip()
            del buffer[: cut + 1]
            if line:
                out.append(line)

    def _wire(self, outcome: Outcome) -> bytes | None:
        if outcome.reply is None:
            return None
        term = "" if outcome.truncate else self.instrument.reply_termination
        stale = "".join(r + self.instrument.reply_termination for r in outcome.stale)
        if isinstance(outcome.reply, BinaryReply):
            return stale.encode("ascii", errors="replace") + outcome.reply.wire()
        return (stale + outcome.reply + term).encode("ascii", errors="replace")

    def _sleep(self, seconds: float) -> None:
        self._stop.wait(seconds)


class TcpServer(_LineServer):
    """``TCPIP0::127.0.0.1::<port>::SOCKET``; ``port=0`` picks a free port."""

    def __init__(self, instrument: ServedInstrument, host: str = "127.0.0.1", port: int = 0):
        super().__init__(instrument)
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, port))
        self._sock.listen(8)
        self.host, self.port = self._sock.getsockname()
        self._conns: set[socket.socket] = set()
        self._thread = threading.Thread(target=self._accept, name=f"serve-{type(instrument).__name__}", daemon=True)
        self._thread.start()

    @property
    def address(self) -> str:
        return f"TCPIP0::{self.host}::{self.port}::SOCKET"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._conns.add(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        buffer = bytearray()
        try:
            while not self._stop.is_set():
                data = conn.recv(65536)
                if not data:
                    return
                buffer.extend(data)
                for line in self._lines(buffer):
                    outcome = self.instrument.process(line)
                    if outcome.drop:
                        return
                    if outcome.delay:
                        self._sleep(outcome.delay)
                    wire = self._wire(outcome)
                    if wire:
                        conn.sendall(wire)
        except OSError:
            return
        finally:
            self._conns.discard(conn)
            try:
                conn.close()
            except OSError:
                pass

    def drop_all(self) -> None:
        """Close every open connection (a cable pulled, an instrument power-cycled)."""
        for conn in list(self._conns):
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def stop(self) -> None:
        self._stop.set()
        try:
            self._sock.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept() (close alone does not)
        except OSError:
            pass
        try:
            self._sock.close()
        except OSError:
            pass
        self.drop_all()
        self._thread.join(timeout=1.0)


class PtyServer(_LineServer):
    """A pseudo-terminal pair: the instrument owns the master; clients open :attr:`path`.

    The slave side is kept open here so the pty survives clients closing and reopening it.
    A pty has no UART: baud rate and framing are not simulated (and some kernels refuse
    7-bit frames on a pty), so clients should open it 8N1.
    """

    def __init__(self, instrument: ServedInstrument):
        super().__init__(instrument)
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)  # no echo, no line editing until a client configures it
        self.path = os.ttyname(self._slave)
        self._thread = threading.Thread(target=self._serve, name=f"pty-{type(instrument).__name__}", daemon=True)
        self._thread.start()

    @property
    def address(self) -> str:
        return f"ASRL{self.path}::INSTR"

    def _serve(self) -> None:
        buffer = bytearray()
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([self._master], [], [], 0.1)
                if not ready:
                    continue
                buffer.extend(os.read(self._master, 65536))
            except OSError:
                if self._stop.is_set():
                    return
                time.sleep(0.01)
                continue
            for line in self._lines(buffer):
                outcome = self.instrument.process(line)
                if outcome.drop:
                    continue  # nothing to close on a serial line: the command or reply is lost
                if outcome.delay:
                    self._sleep(outcome.delay)
                wire = self._wire(outcome)
                if wire:
                    try:
                        os.write(self._master, wire)
                    except OSError:
                        pass

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=1.0)
        for fd in (self._master, self._slave):
            try:
                os.close(fd)
            except OSError:
                pass
