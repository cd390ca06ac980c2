"""Transports: how a driver's command strings reach an instrument and its replies come back.

One :class:`Transport` per instrument, used by one owner thread at a time (an ``RLock``
serialises a GUI snapshot against the run thread). The base class owns everything that is
the same on every wire — encoding, terminations, timeouts, bounded retries and recovery — and
subclasses only move bytes:

* :class:`drivers.transport_visa.VisaTransport` — pyvisa, pyvisa-py backend (``@py``) by default:
  ``TCPIP0::host::port::SOCKET``, ``TCPIP0::host::inst0::INSTR`` (VXI-11),
  ``ASRL/dev/ttyUSB0::INSTR``, ``GPIB0::8::INSTR`` (needs linux-gpib + gpib-ctypes).
* :class:`drivers.transport_visa.SerialTransport` — pyserial directly, address ``serial:/dev/ttyUSB0``.
* :class:`drivers.scripted.ScriptedTransport` — byte-exact scripts for protocol tests.

Recovery rules (from failures users hit on real buses):

* After a timeout or a reply that does not parse, the transport first tries to put the
  instrument back in step without dropping the session: a **device clear** (``viClear`` on
  GPIB, USBTMC and VXI-11 resources; on raw sockets and serial lines, which have none, a
  drain of whatever already arrived), then a **marker query** (``*OPC?`` unless the driver
  names another), reading and discarding stale replies until the marker's answer comes.
  This matters because on GPIB, VXI-11 and USBTMC the instrument's output buffer survives a
  closed session: reopening alone leaves every later query one reply behind.
* If that fails (no marker answer, a lost link) the session is closed and reopened; the
  driver's connect hook (interface selection, headers) runs first, then the clear and the
  marker again, then the replay of settings in doubt.
* Only queries are retried, and only idempotent ones (``retries`` extra attempts). A reply
  confirms every write sent before it; writes not yet confirmed when a failure happened are
  re-sent before the retry if they are idempotent settings (``FREQ 1000`` sent twice is
  harmless), otherwise the transport refuses to guess and raises. An instrument without an
  error queue is only confirmed by its next query, so every setting since then is replayed.
* Every failure surfaces as :class:`InstrumentError` naming instrument, address, command and,
  for a reply that did not parse, the reply.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import deque
from typing import Any, Callable, TypeVar

from drivers.errors import ConfigError, InstrumentError

T = TypeVar("T")


class TransportError(Exception):
    """Raised by the byte layer; the base class turns it into an InstrumentError."""


class TransportTimeout(TransportError):
    pass


class ConnectionLost(TransportError):
    pass


class ReplyError(TransportError):
    """A reply that arrived but cannot be used (unterminated, undecodable, unparsable)."""


class Transport:
    """Encoding, terminations, retries and recovery over a byte channel (see module doc)."""

    kind = "transport"

    def __init__(self, address: str, *, instrument: str = "instrument", read_termination: str = "\n",
                 write_termination: str = "\n", timeout: float = 2.0, retries: int = 2,
                 encoding: str = "ascii", query_delay: float = 0.0,
                 marker: tuple[str, str] | None = None):
        if not timeout > 0:
            raise ConfigError(f"{instrument}: timeout must be > 0 s, got {timeout!r}")
        if int(retries) != retries or retries < 0:
            raise ConfigError(f"{instrument}: retries must be an integer >= 0, got {retries!r}")
        if not read_termination:
            raise ConfigError(f"{instrument}: an empty read termination would make every read time out; "
                              "use e.g. '\\n' or '\\r\\n'")
        self.address = address
        self.instrument = instrument
        self.read_termination = read_termination
        self.write_termination = write_termination
        self.timeout = float(timeout)
        self.retries = int(retries)
        self.encoding = encoding
        self.query_delay = float(query_delay)
        self.lock = threading.RLock()
        #: Called (with this transport) after every (re)connection, e.g. to select an interface.
        self.on_connect: Callable[["Transport"], None] | None = None
        self._is_open = False
        self._connecting = False
        self._resync_on_connect = False
        self._cleared = False
        #: (query, its reply) proving the instrument is in step after a clear: the driver sets it.
        self.marker = marker
        #: How many stale replies a resynchronisation reads past before giving up.
        self.max_stale_replies = 8
        self._unconfirmed: list[tuple[str, bool]] = []
        self._replay: list[str] = []
        #: After a failure on a serial line, wait for a quiet line before talking again.
        self._drain_next = False
        #: Counters and the last failures (time, command, what happened) for diagnostics.
        self.events: deque[tuple[float, str, str]] = deque(maxlen=50)
        self.reconnects = 0
        self.retried_queries = 0
        self.device_clears = 0
        self.resyncs = 0
        self.stale_replies = 0
        #: Instrument traffic at DEBUG, retries at WARNING (the GUI's log panel shows both).
        self.log = logging.getLogger(f"drivers.{instrument}")

    # --- byte layer (subclasses) -----------------------------------------------------------
    def _open(self) -> None:
        raise NotImplementedError

    def _close(self) -> None:
        raise NotImplementedError

    def _send(self, data: bytes) -> None:
        raise NotImplementedError

    def _receive(self, timeout: float) -> bytes:
        """One reply including its read termination; TransportTimeout / ConnectionLost on failure."""
        raise NotImplementedError

    def _receive_exact(self, n: int, timeout: float) -> bytes:
        """Exactly ``n`` bytes of a binary reply, whatever they contain (termination bytes
        included); TransportTimeout / ConnectionLost on failure."""
        raise NotImplementedError

    # --- public API ------------------------------------------------------------------------
    def write(self, command: str, *, idempotent: bool = False) -> None:
        """Send a command that has no reply. ``idempotent``: sending it twice does no harm."""
        with self.lock:
            try:
                self._connect()
                self._flush_replay()
                self._send(self._encode(command))
            except TransportError as exc:
                lost = self._in_doubt() + [(command, idempotent)]
                self._reset(lost)
                self._resync_on_connect = self.marker is not None
                if not (self.retries and all(idem for _, idem in lost)):
                    self._replay = []
                    raise self._error(f"connection failed while sending ({exc}); not retried because "
                                      f"{self._unsafe(lost)}", command) from None
                try:  # one reconnect, then give up
                    self._connect()
                    self._flush_replay()
                except TransportError as exc2:
                    self._reset([])
                    self._replay = []
                    raise self._error(f"could not reconnect: {exc2}", command) from None
                return
            if not self._connecting:  # the hook's own writes are re-run by the hook, not replayed
                self._unconfirmed.append((command, idempotent))
            self.log.debug("%s <- %s", self.address, command)

    def query(self, command: str, parse: Callable[[str], T] = str, *, idempotent: bool = True,  # type: ignore[assignment]
              timeout: float | None = None) -> T:
        """Send ``command`` and return ``parse(reply)``.

        ``parse`` validates the reply against what ``command`` can return (it raises
        ``ValueError`` or :class:`ReplyError` otherwise). A timeout, lost connection or rejected
        reply puts the instrument back in step (see the module doc) and is retried up to
        ``retries`` times for idempotent queries.
        """
        def get(seconds: float, seen: list[str]) -> T:
            seen.append(self._decode(self._receive(seconds)))
            return parse(seen[-1])

        return self._transact(command, get, idempotent, timeout)

    def query_binary(self, command: str, read: Callable[[Callable[[int], bytes]], T], *, idempotent: bool = True,
                     timeout: float | None = None) -> T:
        """Send ``command`` and return ``read(receive)`` for a binary reply: ``receive(n)`` returns
        exactly the next ``n`` bytes (no termination is looked for; the reply's own format says
        how long it is, see :mod:`drivers.transport_binary`). Recovery and retries as
        for :meth:`query`; a reply that ``read`` rejects (``ValueError``/``ReplyError``) is one
        that does not parse."""
        def get(seconds: float, seen: list[str]) -> T:
            got = bytearray()

            def receive(n: int) -> bytes:
                chunk = self._receive_exact(n, seconds)
                got.extend(chunk)
                seen[:] = [f"<{len(got)} bytes: {bytes(got[:24])!r}...>"]
                return chunk

            return read(receive)

        return self._transact(command, get, idempotent, timeout)

    def _transact(self, command: str, get: Callable[[float, list[str]], T], idempotent: bool,
                  timeout: float | None) -> T:
        attempts = 1 + (self.retries if idempotent else 0)
        last = ""
        with self.lock:
            for attempt in range(attempts):
                seen: list[str] = []
                try:
                    self._connect()
                    self._flush_replay()
                    self._send(self._encode(command))
                    if self.query_delay:
                        time.sleep(self.query_delay)
                    value = get(timeout or self.timeout, seen)
                except (TransportError, ValueError, OverflowError) as exc:
                    last = self._describe(exc, seen[-1] if seen else None, timeout)
                    self.events.append((time.monotonic(), command, last))
                    lost = self._in_doubt()
                    if not all(idem for _, idem in lost):
                        self._reset(lost)
                        self._replay = []
                        raise self._error(f"{last}; not retried because {self._unsafe(lost)}", command) from None
                    self._recover(lost, exc)
                    if attempt + 1 < attempts:
                        self.retried_queries += 1
                        self.log.warning("%s: %s (command %r); retrying", self.address, last, command)
                    continue
                self._unconfirmed.clear()
                self.log.debug("%s <- %s -> %s", self.address, command, seen[-1] if seen else "")
                return value
            self._replay = []  # the state is unknown now; the caller gets the error
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        raise self._error(f"no valid reply{tries}: {last}", command)

    def close(self) -> None:
        with self.lock:
            if self._is_open:
                try:
                    self._close()
                finally:
                    self._is_open = False

    @property
    def is_open(self) -> bool:
        return self._is_open

    # --- helpers ---------------------------------------------------------------------------
    def _encode(self, command: str) -> bytes:
        try:
            return (command + self.write_termination).encode(self.encoding)
        except UnicodeEncodeError:
            raise self._error(f"command is not {self.encoding} text", command) from None

    def _decode(self, raw: bytes) -> str:
        term = self.read_termination.encode(self.encoding)
        if not raw.endswith(term):
            raise ReplyError(f"reply {raw[:80]!r} does not end with the read termination {term!r}")
        try:
            return raw[: -len(term)].decode(self.encoding).strip()
        except UnicodeDecodeError:
            raise ReplyError(f"reply {raw[:80]!r} is not {self.encoding} text") from None

    def _describe(self, exc: Exception, text: str | None, timeout: float | None) -> str:
        if isinstance(exc, TransportTimeout):
            return (f"no reply within {timeout or self.timeout:g} s (check the address, the instrument's "
                    f"interface settings and the read termination {self.read_termination!r})")
        if isinstance(exc, (ValueError, OverflowError, ReplyError)) and text is not None:
            return f"malformed reply {text!r}: {exc}"
        return str(exc)

    def _connect(self) -> None:
        if self._is_open:
            return
        self._open()
        self._is_open = True
        if self._connecting:
            return
        self._connecting = True  # the hook's own commands must not re-run the hook or the replay
        try:
            # Order after a (re)connection: the driver's hook (interface, channel, headers) first,
            # so that the marker's reply and every replayed setting go where they should; then
            # the clear and marker if the session was dropped after a failure; then the replay.
            if self.on_connect is not None:
                self.on_connect(self)
            if self._resync_on_connect:
                self._resync_on_connect = False
                if not self._resync():  # carry on: reply validation still catches a shifted answer
                    self.log.warning("%s: no answer to the marker query %r after reconnecting",
                                     self.address, self.marker[0])  # type: ignore[index]
        except BaseException:
            self._reset(self._in_doubt())
            raise
        finally:
            self._connecting = False

    def _flush_replay(self) -> None:
        """Re-send the idempotent writes a failure may have swallowed (never from inside the hook)."""
        while self._replay and not self._connecting:
            self._send(self._encode(self._replay[0]))
            self._unconfirmed.append((self._replay.pop(0), True))

    def _recover(self, lost: list[tuple[str, bool]], exc: Exception) -> None:
        """Back in step after a failed query: clear + marker on this session, else a new session."""
        if self._is_open and not isinstance(exc, ConnectionLost):
            try:
                if self._resync():
                    # The session held: every write arrived, but a device clear may have dropped
                    # input the instrument had not parsed yet, so settings in doubt are re-sent.
                    self._replay = [cmd for cmd, idem in lost if idem] if self._cleared else []
                    self._unconfirmed = []
                    return
            except TransportError:
                pass
        self._reset(lost)
        self._resync_on_connect = self.marker is not None

    def _resync(self) -> bool:
        """Device clear, then the marker query; True once the instrument is known to be in step.

        Stale replies (answers to earlier queries still in the instrument's output buffer or on
        the wire) are read and discarded until the marker's answer arrives.
        """
        self.device_clears += 1
        cleared = self._cleared = self._clear()
        if self.marker is None:
            return cleared
        query, expected = self.marker
        self._send(self._encode(query))
        for _ in range(self.max_stale_replies + 1):
            try:
                text = self._decode(self._receive(self.timeout))
            except ReplyError:
                self.stale_replies += 1
                continue
            except TransportTimeout:
                return False
            if text.lstrip("+") == expected:
                self.resyncs += 1
                return True
            self.stale_replies += 1
            self.log.warning("%s: discarded stale reply %r while resynchronising", self.address, text[:80])
        return False

    def _clear(self) -> bool:
        """Empty the instrument's output buffer and the line. True when that is certain (a
        real device clear); False for a best-effort drain (sockets and serial lines have no
        device clear: a reply still on its way can arrive later)."""
        return False

    def _in_doubt(self) -> list[tuple[str, bool]]:
        """Writes that may not have arrived: unconfirmed ones, then replays not yet re-sent."""
        return self._unconfirmed + [(cmd, True) for cmd in self._replay]

    def _reset(self, lost: list[tuple[str, bool]]) -> None:
        """Drop the connection (and anything stale in it); remember writes to replay."""
        self.reconnects += 1
        self._drain_next = True
        self._replay = [cmd for cmd, idem in lost if idem]
        self._unconfirmed = []
        try:
            if self._is_open:
                self._close()
        except Exception:
            pass
        self._is_open = False

    def _drain(self, available: Callable[[], int], read: Callable[[int], Any]) -> None:
        """Discard input until the line has been quiet for one timeout (capped at 2 s).

        A serial line cannot be reconnected like a socket: a reply that arrives after the
        driver gave up would otherwise be read as the answer to the next query.
        """
        self._drain_next = False
        quiet = min(self.timeout, 2.0)
        start = last = time.monotonic()
        while time.monotonic() - last < quiet and time.monotonic() - start < 5 * quiet:
            n = available()
            if n:
                read(n)
                last = time.monotonic()
            else:
                time.sleep(min(0.01, quiet / 10))

    @staticmethod
    def _unsafe(lost: list[tuple[str, bool]]) -> str:
        bad = [cmd for cmd, idem in lost if not idem]
        return (f"command(s) {bad} may or may not have reached the instrument and are not safe to repeat"
                if bad else "retries are disabled")

    def _error(self, message: str, command: str) -> InstrumentError:
        return InstrumentError(self.instrument, message, address=self.address, command=command)


def has_device_clear(address: str) -> bool:
    """GPIB, USBTMC and VXI-11/HiSLIP resources have a device clear (IEEE 488.1 DCL/SDC, USBTMC
    INITIATE_CLEAR, VXI-11 device_clear); raw sockets and serial lines do not."""
    head = address.upper()
    return head.startswith(("GPIB", "USB")) or (head.startswith("TCPIP") and head.endswith("::INSTR"))


def open_transport(address: str, **options: Any) -> Transport:
    """The transport an address calls for (opened lazily, on the first command): pyserial for
    ``serial:``, a direct socket for ``TCPIP::host::port::SOCKET`` unless a ``visa_library`` is
    named, pyvisa otherwise."""
    from drivers.transport_socket import SocketTransport, socket_endpoint
    from drivers.transport_visa import SerialTransport, VisaTransport

    if address.lower().startswith("serial:"):
        options.pop("visa_library", None)
        return SerialTransport(address, **options)
    if socket_endpoint(address) is not None and options.get("visa_library") is None:
        options.pop("visa_library", None)
        return SocketTransport(address, **options)
    return VisaTransport(address, **options)
