"""The SR830's data buffer as a :class:`drivers.roles.lockin.BufferedLockIn` (SR830 manual ch. 5,
"Data storage commands", pp. 5-16 .. 5-18; "Data transfer commands", pp. 5-17 .. 5-19).

* ``SRAT i``: 62.5 mHz x 2^i, i = 0..13 (512 Hz); 14 is the trigger input (not used here).
* ``SEND 0``: one shot, stops when the 16383-point buffer is full (``SEND 1`` loops).
* ``STRT`` starts, ``PAUS`` pauses, ``REST`` clears; ``SPTS?`` points stored.
* The buffer stores what the two displays show: ``DDEF 1,0,0`` / ``DDEF 2,0,0`` put X and Y there.
* Transfers of k points of channel i from bin j:
  ``TRCA? i,j,k`` ASCII, comma separated (~15 bytes per point);
  ``TRCB? i,j,k`` IEEE 754 single precision, 4 bytes per point, least significant byte first;
  ``TRCL? i,j,k`` the SR830's own non-normalised format, 4 bytes per point: a signed 16-bit
  mantissa m then a 16-bit exponent e (each LSB first), value = m x 2^(e - 124).
  The binary replies carry no terminator: their length is 4 k bytes.

``buffer_transfer`` (driver option) picks ``binary`` (TRCB?, default), ``lia`` (TRCL?) or
``ascii`` (TRCA?, the fallback for links that mangle binary data, e.g. some serial adapters).
"""
from __future__ import annotations

import numpy as np

from drivers.roles.lockin import BufferedLockIn, BufferedXY
from drivers.transport import ReplyError
from drivers.transport_binary import fixed_length
from drivers.replies import integer, parse_floats

BUFFER_RATES = tuple(62.5e-3 * 2**i for i in range(14))  # SRAT 0..13, Hz
BUFFER_POINTS = 16383
TRANSFERS = ("binary", "lia", "ascii")
#: Largest magnitude a buffered X/Y can have (1 V full scale, outputs to 1.09x; sanity bound).
MAX_VALUE = 1e4


def decode_trcb(data: bytes) -> np.ndarray:
    """``TRCB?`` reply -> values: little-endian IEEE float32."""
    if len(data) % 4:
        raise ReplyError(f"TRCB? reply of {len(data)} bytes is not a whole number of 4-byte floats")
    return np.frombuffer(data, dtype="<f4").astype(float)


def decode_trcl(data: bytes) -> np.ndarray:
    """``TRCL?`` reply -> values: per point int16 mantissa, int16 exponent, m x 2^(e - 124)."""
    if len(data) % 4:
        raise ReplyError(f"TRCL? reply of {len(data)} bytes is not a whole number of 4-byte points")
    words = np.frombuffer(data, dtype="<i2").reshape(-1, 2).astype(float)
    return words[:, 0] * np.exp2(words[:, 1] - 124.0)


def _checked(values: np.ndarray, command: str) -> np.ndarray:
    if not np.all(np.isfinite(values)) or np.any(np.abs(values) > MAX_VALUE):
        bad = values[~(np.isfinite(values) & (np.abs(values) <= MAX_VALUE))][:3]
        raise ReplyError(f"{command} returned values no lock-in output can have: {bad.tolist()}")
    return values


class SR830Buffer(BufferedLockIn):
    """Mixed into :class:`drivers.sr830.SR830` (uses its ``_do/_set/_ask`` and transport)."""

    BUFFER_RATES = BUFFER_RATES
    BUFFER_POINTS = BUFFER_POINTS
    buffer_capacity = BUFFER_POINTS
    #: Points per transfer: 4 kB binary or ~30 kB ASCII per reply.
    BUFFER_CHUNK = 1000
    BINARY_CHUNK = 4096

    def buffer_rates(self) -> tuple[float, ...]:
        return self.BUFFER_RATES

    def start_buffer(self, rate_hz: float, loop: bool = False) -> float:
        """Clear the buffer, show X and Y on the displays it records, sample at ``rate_hz``."""
        index = self.buffer_rate_index(rate_hz)
        self._do("REST")
        self._set("DDEF 1,0,0")
        self._set("DDEF 2,0,0")
        self._set(f"SRAT {index}")
        self._set(f"SEND {int(bool(loop))}")
        # STRT last and without the error query after it: the call returns as the instrument
        # starts, so the caller's clock reading then dates sample 0 (an error shows at the next check).
        self.transport.write("STRT", idempotent=False)
        self._buffer_interval = 1.0 / self.BUFFER_RATES[index]
        return self._buffer_interval

    def pause_buffer(self) -> None:
        self._do("PAUS")

    def stop_buffer(self) -> None:
        self._do("PAUS")

    def buffer_points(self) -> int:
        return self._ask("SPTS?", integer(0, self.BUFFER_POINTS))

    def buffer_interval(self) -> float:
        """Seconds between buffered points: as last started here, else asked (``SRAT?``)."""
        interval = getattr(self, "_buffer_interval", None)
        return interval if interval is not None else 1.0 / self.BUFFER_RATES[self._ask("SRAT?", integer(0, 13))]

    def _span(self, start: int, count: int | None) -> tuple[int, int]:
        stored = self.buffer_points()
        count = stored - start if count is None else count
        if start < 0 or count < 0 or start + count > stored:
            raise ValueError(f"{self.name}: buffer points {start}..{start + count} requested, {stored} stored")
        return start, count

    def read_buffer(self, channel: int, start: int = 0, count: int | None = None,
                    transfer: str | None = None) -> np.ndarray:
        """Points ``start .. start + count`` of display channel 1 or 2 (all stored by default)."""
        if channel not in (1, 2):
            raise ValueError(f"{self.name}: buffer channel {channel!r}; use 1 or 2")
        start, count = self._span(start, count)
        return self._read_channel(channel, start, count, transfer)

    def _read_channel(self, channel: int, start: int, count: int, transfer: str | None) -> np.ndarray:
        transfer = transfer or self.options.get("buffer_transfer", "binary")
        if transfer not in TRANSFERS:
            raise ValueError(f"{self.name}: buffer_transfer {transfer!r}; use one of {TRANSFERS}")
        parts: list[np.ndarray] = []
        done = 0
        chunk = self.BUFFER_CHUNK if transfer == "ascii" else self.BINARY_CHUNK
        while done < count:
            n = min(chunk, count - done)
            j = start + done
            if transfer == "ascii":
                cmd = f"TRCA? {channel},{j},{n}"
                values = np.array(self._ask(cmd, parse_floats(n, low=-MAX_VALUE, high=MAX_VALUE)))
            else:
                cmd = f"TRC{'B' if transfer == 'binary' else 'L'}? {channel},{j},{n}"
                decode = decode_trcb if transfer == "binary" else decode_trcl
                values = self.transport.query_binary(cmd, lambda rx: _checked(decode(fixed_length(4 * n)(rx)), cmd))
            parts.append(values)
            done += n
        return np.concatenate(parts) if parts else np.zeros(0)

    def read_buffer_xy(self, start: int = 0, count: int | None = None) -> BufferedXY:
        """X and Y (channels 1 and 2, as :meth:`start_buffer` set the displays) with the interval."""
        interval = self.buffer_interval()
        start, count = self._span(start, count)
        x = self._read_channel(1, start, count, None)
        y = self._read_channel(2, start, count, None)
        return BufferedXY(x, y, interval, start)
