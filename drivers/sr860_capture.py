"""The SR860's data capture as a :class:`drivers.roles.lockin.BufferedLockIn` (SR860 manual,
ch. 4 "Data Capture Commands"):

* ``CAPTURECFG i``: what each sample holds, 0 X, 1 X Y, 2 R theta, 3 X Y R theta (float32 each).
* ``CAPTURELEN n``: buffer length in kB (1 .. 4096).
* ``CAPTURERATEMAX?``: the fastest rate, Hz (set by the filter); ``CAPTURERATE n``: max / 2^n,
  n = 0 .. 20.
* ``CAPTURESTART i,j``: i = 0 one shot (stop when full), 1 continuous; j = 0 start now
  (1, 2: hardware trigger, not used here). ``CAPTURESTOP``.
* ``CAPTUREBYTES?``: bytes captured so far.
* ``CAPTUREGET? i,j``: j kB from kB offset i, as an IEEE 488.2 definite-length block of
  little-endian float32 (at most 64 kB per query). Offsets are in whole kB: 1 kB = 128 X-Y
  samples, so a read of arbitrary samples fetches the kB blocks around them.
"""
from __future__ import annotations

import numpy as np

from drivers.roles.lockin import BufferedLockIn, BufferedXY
from drivers.transport import ReplyError
from drivers.transport_binary import ieee_block
from drivers.replies import integer, number

#: CAPTURECFG 1: X and Y, 4 bytes each.
SAMPLE_BYTES = 8
MAX_KB = 4096
#: CAPTUREGET? returns at most 64 kB per query.
GET_KB = 64
RATE_STEPS = 21  # CAPTURERATE 0..20


class SR860Capture(BufferedLockIn):
    """Mixed into :class:`drivers.sr860.SR860` (uses its ``_do/_set/_ask``, transport, terminations)."""

    buffer_capacity = MAX_KB * 1024 // SAMPLE_BYTES

    def max_capture_rate(self) -> float:
        return self._ask("CAPTURERATEMAX?", number(1e-3, 1.25e6 * 1.001))

    def buffer_rates(self) -> tuple[float, ...]:
        top = self.max_capture_rate()
        return tuple(top / 2**n for n in reversed(range(RATE_STEPS)))

    def start_buffer(self, rate_hz: float) -> float:
        """X and Y at ``rate_hz`` (max / 2^n), one shot into the whole 4 MB buffer, from now."""
        top = self.max_capture_rate()
        n = int(round(np.log2(top / rate_hz))) if rate_hz > 0 else -1
        if not (0 <= n < RATE_STEPS and abs(top / 2**n - rate_hz) <= 1e-6 * rate_hz):
            raise ValueError(f"{self.name}: capture rate {rate_hz!r} Hz; use {top:g} Hz / 2^n, n = 0..20 "
                             f"(the fastest follows the time constant)")
        self._do("CAPTURESTOP")
        self._set("CAPTURECFG 1")
        self._set(f"CAPTURELEN {MAX_KB}")
        self._set(f"CAPTURERATE {n}")
        # Last, without an error query after it: the call returns as the capture starts, so the
        # caller's clock reading then dates sample 0 (an error shows at the next check).
        self.transport.write("CAPTURESTART 0,0", idempotent=False)
        self._capture_interval = 2**n / top
        return self._capture_interval

    def stop_buffer(self) -> None:
        self._do("CAPTURESTOP")

    def buffer_points(self) -> int:
        return self._ask("CAPTUREBYTES?", integer(0, MAX_KB * 1024)) // SAMPLE_BYTES

    def read_buffer_xy(self, start: int = 0, count: int | None = None) -> BufferedXY:
        interval = getattr(self, "_capture_interval", None)
        if interval is None:
            raise ValueError(f"{self.name}: no capture started by this driver: its sample rate is unknown")
        stored = self.buffer_points()
        count = stored - start if count is None else count
        if start < 0 or count < 0 or start + count > stored:
            raise ValueError(f"{self.name}: capture samples {start}..{start + count} requested, {stored} stored")
        if count == 0:
            return BufferedXY(np.zeros(0), np.zeros(0), interval, start)
        first_byte, end_byte = start * SAMPLE_BYTES, (start + count) * SAMPLE_BYTES
        kb0, kb1 = first_byte // 1024, -(-end_byte // 1024)
        term = self.transport.read_termination
        data = bytearray()
        for kb in range(kb0, kb1, GET_KB):
            n = min(GET_KB, kb1 - kb)
            block = self.transport.query_binary(f"CAPTUREGET? {kb},{n}", ieee_block(term))
            if len(block) != n * 1024:
                raise ReplyError(f"CAPTUREGET? {kb},{n} returned {len(block)} bytes, not {n * 1024}")
            data += block
        raw = bytes(data[first_byte - kb0 * 1024:end_byte - kb0 * 1024])
        if len(raw) != count * SAMPLE_BYTES:
            raise ReplyError(f"capture read: {len(raw)} bytes for {count} samples")
        values = np.frombuffer(raw, dtype="<f4").astype(float).reshape(-1, 2)
        if not np.all(np.isfinite(values)):
            raise ReplyError("capture data holds non-finite values")
        return BufferedXY(values[:, 0].copy(), values[:, 1].copy(), interval, start)
