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

Recovery rules (from failures users hit, ``shared/reference/instruments.md`` §4):

* After a timeout or a malformed reply the connection is closed and reopened: pyvisa-py
  hands the stale late reply to the next query on a SOCKET otherwise (pyvisa-py #376), and a
  serial port's input buffer is discarded on reopen.
* Only queries are retried, and only idempotent ones (``retries`` extra attempts). A reply
  confirms every write sent before it on the same connection; writes not yet confirmed when a
  connection is lost are re-sent before the retry if they are idempotent settings (``FREQ
  1000`` sent twice is harmless), otherwise the transport refuses to guess and raises.
* Every failure surfaces as :class:`InstrumentError` naming instrument, address and command.
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
                 encoding: str = "ascii", query_delay: float = 0.0):
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
        self._unconfirmed: list[tuple[str, bool]] = []
        self._replay: list[str] = []
        #: After a failure on a serial line, wait for a quiet line before talking again.
        self._drain_next = False
        #: Counters and the last failures (time, command, what happened) for diagnostics.
        self.events: deque[tuple[float, str, str]] = deque(maxlen=50)
        self.reconnects = 0
        self.retried_queries = 0
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

    # --- public API ------------------------------------------------------------------------
    def write(self, command: str, *, idempotent: bool = False) -> None:
        """Send a command that has no reply. ``idempotent``: sending it twice does no harm."""
        with self.lock:
            try:
                self._connect()
                self._flush_replay(command)
                self._send(self._encode(command))
            except TransportError as exc:
                lost = self._in_doubt() + [(command, idempotent)]
                self._reset(lost)
                if not (self.retries and all(idem for _, idem in lost)):
                    self._replay = []
                    raise self._error(f"connection failed while sending ({exc}); not retried because "
                                      f"{self._unsafe(lost)}", command) from None
                try:  # one reconnect, then give up
                    self._connect()
                    self._flush_replay(command)
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

        A timeout, lost connection or a reply ``parse`` rejects (it raises ``ValueError`` or
        :class:`ReplyError`) is retried up to ``retries`` times for idempotent queries.
        """
        attempts = 1 + (self.retries if idempotent else 0)
        last = ""
        with self.lock:
            for attempt in range(attempts):
                text = None
                try:
                    self._connect()
                    self._flush_replay(command)
                    self._send(self._encode(command))
                    if self.query_delay:
                        time.sleep(self.query_delay)
                    text = self._decode(self._receive(timeout or self.timeout))
                    value = parse(text)
                except (TransportError, ValueError) as exc:
                    last = self._describe(exc, text, timeout)
                    self.events.append((time.monotonic(), command, last))
                    lost = self._in_doubt()
                    self._reset(lost)
                    if not all(idem for _, idem in lost):
                        self._replay = []
                        raise self._error(f"{last}; not retried because {self._unsafe(lost)}", command) from None
                    if attempt + 1 < attempts:
                        self.retried_queries += 1
                        self.log.warning("%s: %s (command %r); retrying", self.address, last, command)
                    continue
                self._unconfirmed.clear()
                self.log.debug("%s <- %s -> %s", self.address, command, text)
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
        if isinstance(exc, ValueError) and text is not None:
            return f"malformed reply {text!r}: {exc}"
        return str(exc)

    def _connect(self) -> None:
        if self._is_open:
            return
        self._open()
        self._is_open = True
        if self.on_connect is not None and not self._connecting:
            self._connecting = True  # the hook's own commands must not re-run the hook
            try:
                self.on_connect(self)
            except BaseException:
                self._reset([])
                raise
            finally:
                self._connecting = False

    def _flush_replay(self, command: str) -> None:
        """Re-send the idempotent writes a lost connection may have swallowed."""
        while self._replay:
            self._send(self._encode(self._replay[0]))
            self._unconfirmed.append((self._replay.pop(0), True))

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


def open_transport(address: str, **options: Any) -> Transport:
    """The transport an address calls for (opened lazily, on the first command)."""
    from drivers.transport_visa import SerialTransport, VisaTransport

    if address.lower().startswith("serial:"):
        options.pop("visa_library", None)
        return SerialTransport(address, **options)
    return VisaTransport(address, **options)
