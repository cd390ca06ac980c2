"""The byte layers under :class:`drivers.transport.Transport`: pyvisa (pyvisa-py by default) and
pyserial. They only open, close, send and receive; every rule (terminations, retries, replay,
errors) lives in the base class."""
from __future__ import annotations

import threading
from typing import Any

from drivers.errors import ConfigError, InstrumentError
from drivers.transport import ConnectionLost, ReplyError, Transport, TransportTimeout, has_device_clear

# --- pyvisa ------------------------------------------------------------------------------------
_RESOURCE_MANAGERS: dict[str, Any] = {}
_RM_LOCK = threading.Lock()

PARITIES = ("none", "odd", "even", "mark", "space")
#: How long a drain waits for more stale bytes before it calls the line empty.
DRAIN_READ_S = 0.02
STOP_BITS = (1, 1.5, 2)


def resource_manager(library: str = "@py") -> Any:
    """One pyvisa ResourceManager per VISA library, shared by every transport in the process."""
    with _RM_LOCK:
        if library not in _RESOURCE_MANAGERS:
            import pyvisa

            _RESOURCE_MANAGERS[library] = pyvisa.ResourceManager(library)
        return _RESOURCE_MANAGERS[library]


def _disable_nagle(res: Any) -> None:
    """TCP_NODELAY on a pyvisa-py raw socket.

    VISA specifies VI_ATTR_TCPIP_NODELAY = true by default and NI-VISA does so; pyvisa-py 0.8
    leaves Nagle on and its attribute setter raises "Unknown attribute" (nominal-io/instro
    #156/#157). With Nagle on, a write followed by a query (``CURR 1.0`` then ``SYST:ERR?``)
    waits for the instrument's delayed ACK: ~40 ms per setting on Linux, measured here.
    """
    import socket

    session = getattr(getattr(res, "visalib", None), "sessions", {}).get(getattr(res, "session", None))
    sock = getattr(session, "interface", None)
    if isinstance(sock, socket.socket) and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class VisaTransport(Transport):
    """A VISA resource (pyvisa). Serial settings apply to ``ASRL`` resources only."""

    kind = "visa"

    def __init__(self, address: str, *, visa_library: str = "@py", baud_rate: int = 9600, data_bits: int = 8,
                 parity: str = "none", stop_bits: float = 1, **kwargs: Any):
        super().__init__(address, **kwargs)
        head = address.upper()
        if not head.startswith(("TCPIP", "ASRL", "GPIB", "USB")):
            raise ConfigError(f"{self.instrument}: {address!r} is not a VISA resource name; use e.g. "
                              "'TCPIP0::192.168.1.5::5025::SOCKET', 'TCPIP0::192.168.1.5::inst0::INSTR', "
                              "'ASRL/dev/ttyUSB0::INSTR', 'GPIB0::8::INSTR' or 'serial:/dev/ttyUSB0'")
        if parity not in PARITIES:
            raise ConfigError(f"{self.instrument}: parity {parity!r}; use one of {PARITIES}")
        if stop_bits not in STOP_BITS:
            raise ConfigError(f"{self.instrument}: stop_bits {stop_bits!r}; use one of {STOP_BITS}")
        if data_bits not in (5, 6, 7, 8):
            raise ConfigError(f"{self.instrument}: data_bits {data_bits!r}; use 5, 6, 7 or 8")
        self.visa_library = visa_library
        self.serial = head.startswith("ASRL")
        self.serial_settings = {"baud_rate": int(baud_rate), "data_bits": int(data_bits), "parity": parity,
                                "stop_bits": stop_bits}
        self._res: Any = None

    def _open(self) -> None:
        import pyvisa
        from pyvisa import constants

        self._pyvisa = (pyvisa, constants)  # for the read path, without an import per reply

        try:
            rm = resource_manager(self.visa_library)
            kwargs: dict[str, Any] = {}
            if self.serial:
                s = self.serial_settings
                # Enums, not ints or strings (pyvisa #326).
                kwargs = {"baud_rate": s["baud_rate"], "data_bits": s["data_bits"],
                          "parity": getattr(constants.Parity, s["parity"]),
                          "stop_bits": {1: constants.StopBits.one, 1.5: constants.StopBits.one_and_a_half,
                                        2: constants.StopBits.two}[s["stop_bits"]]}
            res = rm.open_resource(self.address, **kwargs)
            res.timeout = self.timeout * 1000.0
            res.read_termination = self.read_termination  # sets the VISA termchar for read_raw
            res.write_termination = ""
            if self.serial:
                res.flush(constants.BufferOperation.discard_read_buffer)
                if self._drain_next:
                    self._drain(lambda: res.bytes_in_buffer, res.read_bytes)
            _disable_nagle(res)
        except (pyvisa.errors.Error, OSError, ValueError) as exc:
            hint = ""
            if self.address.upper().startswith("GPIB"):
                hint = (" (GPIB with pyvisa-py needs linux-gpib and the gpib-ctypes package; or set "
                        "options.visa_library = '@ivi' to use an installed NI/Keysight VISA)")
            raise InstrumentError(self.instrument, f"cannot open {self.address}: {exc}{hint}",
                                  address=self.address) from None
        self._res = res

    def _close(self) -> None:
        res, self._res = self._res, None
        if res is not None:
            res.close()

    def _send(self, data: bytes) -> None:
        import pyvisa

        try:
            self._res.write_raw(data)
        except (pyvisa.errors.VisaIOError, OSError) as exc:
            raise ConnectionLost(f"write failed: {exc}") from None

    def _clear(self) -> bool:
        """``viClear`` where the bus has one; otherwise (or where the VISA library lacks it, as
        pyvisa-sim does) read and discard what is waiting."""
        import pyvisa

        if has_device_clear(self.address):
            try:
                self._res.clear()
                return True
            except (pyvisa.errors.Error, NotImplementedError, OSError) as exc:
                self.log.debug("%s: device clear unavailable (%s); draining instead", self.address, exc)
        self._res.timeout = DRAIN_READ_S * 1000.0
        try:
            for _ in range(64):
                self._res.read_raw()
        except (pyvisa.errors.Error, OSError):
            pass
        finally:
            self._res.timeout = self.timeout * 1000.0
        return False

    def _receive(self, timeout: float) -> bytes:
        return self._read(lambda res: res.read_raw(), timeout)

    def _receive_exact(self, n: int, timeout: float) -> bytes:
        """``read_bytes`` without stopping at the termination character (binary data)."""
        return self._read(lambda res: res.read_bytes(n, break_on_termchar=False), timeout)

    def _read(self, read: Any, timeout: float) -> bytes:
        """One read under a per-call timeout (the resource keeps its default), VISA's timeout
        and I/O errors mapped onto the transport's own exceptions."""
        pyvisa, constants = self._pyvisa
        other = timeout != self.timeout
        if other:
            self._res.timeout = timeout * 1000.0
        try:
            data = read(self._res)
        except pyvisa.errors.VisaIOError as exc:
            if exc.error_code == constants.StatusCode.error_timeout:
                raise TransportTimeout(str(exc)) from None
            raise ConnectionLost(f"read failed: {exc}") from None
        except OSError as exc:
            raise ConnectionLost(f"read failed: {exc}") from None
        finally:
            if other:
                self._res.timeout = self.timeout * 1000.0
        return bytes(data)


# --- pyserial ----------------------------------------------------------------------------------
class SerialTransport(Transport):
    """A raw serial port through pyserial (no VISA): address ``serial:/dev/ttyUSB0`` or ``serial:COM3``."""

    kind = "serial"

    def __init__(self, address: str, *, baud_rate: int = 9600, data_bits: int = 8, parity: str = "none",
                 stop_bits: float = 1, **kwargs: Any):
        super().__init__(address, **kwargs)
        if parity not in PARITIES:
            raise ConfigError(f"{self.instrument}: parity {parity!r}; use one of {PARITIES}")
        if stop_bits not in STOP_BITS:
            raise ConfigError(f"{self.instrument}: stop_bits {stop_bits!r}; use one of {STOP_BITS}")
        self.port = address.split(":", 1)[1] if address.lower().startswith("serial:") else address
        self.settings = {"baudrate": int(baud_rate), "bytesize": int(data_bits), "parity": parity[0].upper(),
                         "stopbits": stop_bits}
        self._port: Any = None

    def _open(self) -> None:
        import serial

        try:
            port = serial.Serial(self.port, timeout=self.timeout, write_timeout=self.timeout, **self.settings)
            port.reset_input_buffer()
            if self._drain_next:
                self._drain(lambda: port.in_waiting, port.read)
        except (serial.SerialException, OSError, ValueError) as exc:
            hint = " (on Linux: add yourself to the 'dialout' group)" if "ermission" in str(exc) else ""
            raise InstrumentError(self.instrument, f"cannot open serial port {self.port}: {exc}{hint}",
                                  address=self.address) from None
        self._port = port

    def _close(self) -> None:
        port, self._port = self._port, None
        if port is not None:
            port.close()

    def _send(self, data: bytes) -> None:
        import serial

        try:
            self._port.write(data)
        except (serial.SerialException, OSError) as exc:
            raise ConnectionLost(f"write failed: {exc}") from None

    def _clear(self) -> bool:
        """A serial line has no device clear: discard what is waiting (the marker does the rest)."""
        self._port.reset_input_buffer()
        return False

    def _receive(self, timeout: float) -> bytes:
        import serial

        term = self.read_termination.encode(self.encoding)
        self._port.timeout = timeout
        try:
            data = self._port.read_until(term)
        except (serial.SerialException, OSError) as exc:
            raise ConnectionLost(f"read failed: {exc}") from None
        if not data.endswith(term):
            if data:
                raise ReplyError(f"reply {data[:80]!r} does not end with the read termination {term!r}")
            raise TransportTimeout("timeout")
        return data

    def _receive_exact(self, n: int, timeout: float) -> bytes:
        import serial

        self._port.timeout = timeout
        try:
            data = self._port.read(n)
        except (serial.SerialException, OSError) as exc:
            raise ConnectionLost(f"read failed: {exc}") from None
        if len(data) < n:
            raise TransportTimeout(f"timeout after {len(data)} of {n} bytes")
        return data
