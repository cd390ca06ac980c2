"""The base of the concrete (wire) drivers: options, transport, error-queue checks.

A driver class mixes :class:`WireInstrument` into its role, sets its wire defaults
(terminations per interface, serial framing, which error check it has) and writes its
commands with ``_set`` (an idempotent setting), ``_do`` (an action: never repeated) or
``_ask`` (a query, retried when idempotent). Options are checked at construction, before
anything is opened, and unknown ones are refused with the list of accepted ones.
"""
from __future__ import annotations

from typing import Any, Callable, TypeVar

from drivers.errors import ConfigError, InstrumentError
from drivers.lab import RealClock
from drivers.replies import integer, parse_identity, parse_scpi_error
from drivers.transport import Transport, open_transport

T = TypeVar("T")

TRANSPORT_OPTIONS = {"timeout", "retries", "read_termination", "write_termination", "baud_rate", "data_bits",
                     "parity", "stop_bits", "query_delay", "visa_library", "encoding"}

#: IEEE 488.2 standard event status register bits that mean an error (manuals of the SR830
#: p. 5-20, Lake Shore 336 §6.2.5, Kepco BOP BIT 4886): 2 query, 3 device, 4 execution, 5 command.
ESR_ERROR_BITS = {2: "query error", 3: "device-dependent error", 4: "execution error", 5: "command error"}


class WireInstrument:
    """Mixin for drivers talking over a :class:`Transport` (see module doc)."""

    #: Terminations per interface kind ("socket", "serial", "other").
    terminations: dict[str, tuple[str, str]] = {"socket": ("\n", "\n"), "serial": ("\n", "\n"),
                                                "other": ("\n", "\n")}
    #: Serial framing defaults (baud_rate, data_bits, parity, stop_bits).
    serial_framing: dict[str, Any] = {"baud_rate": 9600, "data_bits": 8, "parity": "none", "stop_bits": 1}
    default_timeout = 2.0
    #: "scpi" (SYST:ERR? queue), "esr" (*ESR? bits) or "none".
    error_check = "none"
    #: The query and reply that prove the instrument is back in step after a device clear
    #: (IEEE 488.2 ``*OPC?`` answers 1 once everything before it has been executed).
    marker: tuple[str, str] | None = ("*OPC?", "1")
    #: Driver-specific options and their defaults (subclasses extend).
    driver_options: dict[str, Any] = {}

    def _init_wire(self, address: str, name: str | None, options: dict[str, Any]) -> dict[str, Any]:
        """Validate options, build the (unopened) transport; returns the driver options."""
        allowed = TRANSPORT_OPTIONS | set(self.driver_options) | {"transport", "check_errors", "clock"}
        unknown = sorted(set(options) - allowed)
        if unknown:
            raise ConfigError(f"{type(self).__name__} ({name}): unknown option(s) {unknown}; accepted: "
                              f"{', '.join(sorted(allowed))}")
        if not isinstance(address, str) or not address:
            raise ConfigError(f"{type(self).__name__} ({name}): address must be a non-empty string, got {address!r}")
        self.address = address
        self.check_errors_enabled = bool(options.pop("check_errors", True))
        self._error_query_works = False
        #: The driver's clock for its own waits (ramps, polls): wall time unless one is given.
        self.clock = options.pop("clock", None) or RealClock()
        transport: Transport | None = options.pop("transport", None)
        wire = {k: options.pop(k) for k in list(options) if k in TRANSPORT_OPTIONS}
        if transport is None:
            kind = self.interface_kind(address)
            read_t, write_t = self.terminations.get(kind, self.terminations["other"])
            wire.setdefault("read_termination", read_t)
            wire.setdefault("write_termination", write_t)
            wire.setdefault("timeout", self.default_timeout)
            if kind == "serial":
                for key, value in self.serial_framing.items():
                    wire.setdefault(key, value)
            else:
                for key in ("baud_rate", "data_bits", "parity", "stop_bits"):
                    wire.pop(key, None)
            transport = open_transport(address, instrument=name or "instrument", **wire)
        else:
            transport.instrument = name or transport.instrument
        self.transport = transport
        self.transport.on_connect = self._on_connect
        self.transport.marker = self.marker
        merged = dict(self.driver_options)
        merged.update(options)
        return merged

    @staticmethod
    def interface_kind(address: str) -> str:
        head = address.upper()
        if head.startswith("ASRL") or head.startswith("SERIAL:"):
            return "serial"
        if head.startswith("TCPIP") and head.endswith("::SOCKET"):
            return "socket"
        return "other"

    # --- hooks -----------------------------------------------------------------------------
    def _on_connect(self, transport: Transport) -> None:
        """Run after every (re)connection; e.g. the SR830 selects its reply interface."""

    # --- commands --------------------------------------------------------------------------
    def _set(self, command: str) -> None:
        """A setting: idempotent, so it may be re-sent after a lost connection."""
        self.transport.write(command, idempotent=True)
        if self.check_errors_enabled:
            self.check_errors(command)

    def _do(self, command: str) -> None:
        """An action (start, auto-phase, reset): never repeated by the transport."""
        self.transport.write(command, idempotent=False)
        if self.check_errors_enabled:
            self.check_errors(command)

    def _ask(self, command: str, parse: Callable[[str], T] = str, **kwargs: Any) -> T:  # type: ignore[assignment]
        return self.transport.query(command, parse, **kwargs)

    def check_errors(self, command: str = "") -> None:
        """Read the instrument's error report; raise InstrumentError naming ``command`` if any.

        An instrument (or a third-party simulation) that has never given a usable answer to its
        error query is taken not to have one: one warning, then no error checks for it, rather
        than every setter failing. Once the query has worked, a failure is a bus failure and raises.
        """
        if self.error_check == "none" or not self.check_errors_enabled:
            return
        try:
            errors = self._error_report()
        except InstrumentError as exc:
            if self._error_query_works:
                raise
            self.check_errors_enabled = False
            query = "SYST:ERR?" if self.error_check == "scpi" else "*ESR?"
            self.transport.log.warning("%s: no usable answer to %s (%s); error checking is off for this "
                                       "instrument", self.name, query, exc.detail)  # type: ignore[attr-defined]
            return
        self._error_query_works = True
        if errors:
            raise InstrumentError(self.name, "instrument reported " + "; ".join(errors),  # type: ignore[attr-defined]
                                  address=self.address, command=command)

    def _error_report(self) -> list[str]:
        """The errors the instrument reports now (its queue emptied, or its *ESR? bits read)."""
        if self.error_check == "scpi":
            errors = []
            for _ in range(32):  # bounded: a queue that never empties is itself an error
                code, text = self._ask("SYST:ERR?", parse_scpi_error)
                if code == 0:
                    return errors
                errors.append(f"{code}, {text}")
            return errors + ["error queue did not empty after 32 reads"]
        esr = self._ask("*ESR?", integer(0, 255))
        bad = [text for bit, text in ESR_ERROR_BITS.items() if esr & (1 << bit)]
        return [f"{', '.join(bad)} (*ESR? = {esr})"] if bad else []

    def identity(self) -> str:
        return self._ask("*IDN?", parse_identity)

    def snapshot_settings(self) -> dict[str, Any]:
        """Every declared setting (:mod:`drivers.settings`) read back, keyed ``name_unit``."""
        from drivers.settings import Setting

        out: dict[str, Any] = {}
        seen: set[str] = set()
        for klass in type(self).__mro__:
            for name, attr in vars(klass).items():
                if name in seen:
                    continue
                seen.add(name)
                if isinstance(attr, Setting) and attr.snapshot_key:
                    out[attr.snapshot_key] = getattr(self, name)
        out["address"] = self.address
        return out

    def close(self) -> None:
        self.transport.close()

    def _error(self, message: str, command: str = "") -> InstrumentError:
        return InstrumentError(self.name, message, address=self.address, command=command)  # type: ignore[attr-defined]
