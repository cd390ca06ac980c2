"""The SR860's data capture, served (SR860 manual ch. 4, "Data Capture Commands"): ``CAPTURECFG``,
``CAPTURELEN`` (kB), ``CAPTURERATEMAX?``, ``CAPTURERATE`` (max / 2^n), ``CAPTURESTART``,
``CAPTURESTOP``, ``CAPTUREBYTES?``, ``CAPTUREPROG?``, ``CAPTUREGET?`` (IEEE 488.2 definite-length
block of little-endian float32, at most 64 kB per query, then LF).

Samples are taken at their exact simulated times, as the SR830 buffer's are
(:class:`sim_backend.served.link.WorldLink` stops the world at each). The fastest rate here is
the largest 1.25 MHz / 2^k giving at most 8 samples per time constant: a choice of this
simulation (the instrument's own rule is not reproduced), reported by ``CAPTURERATEMAX?`` as
on the instrument, so a driver that asks is right either way.
"""
from __future__ import annotations

import math
import struct
from typing import Callable

from sim_backend.served.protocol import BinaryReply, ExecError, integer

BASE_RATE = 1.25e6
#: CAPTURECFG i: values per sample (X; X Y; R theta; X Y R theta).
CONFIG_VALUES = (1, 2, 2, 4)
MAX_KB = 4096
GET_KB = 64


class CaptureBuffer:
    def __init__(self, read_values: Callable[[], dict[int, float]], now: Callable[[], float],
                 time_constant: Callable[[], float]):
        self.read_values = read_values  # SR860 numbering: 0 X, 1 Y, 2 R, 3 theta
        self.now = now
        self.time_constant = time_constant
        self.config, self.length_kb, self.rate_n = 1, 256, 0
        self.continuous = False
        self.running = False
        self.data = bytearray()
        self._t0, self._k = 0.0, 0

    # --- commands -----------------------------------------------------------------------------
    def max_rate(self) -> float:
        k = max(0, math.ceil(math.log2(BASE_RATE * self.time_constant() / 8.0) - 1e-9))
        return BASE_RATE / 2**k

    def _idle(self, what: str) -> None:
        if self.running:
            raise ExecError(f"{what} while a capture runs")

    def set_config(self, args: str) -> None:
        self._idle("CAPTURECFG")
        self.config = integer(args, 0, 3)

    def set_length(self, args: str) -> None:
        self._idle("CAPTURELEN")
        self.length_kb = integer(args, 1, MAX_KB)

    def set_rate(self, args: str) -> None:
        self._idle("CAPTURERATE")
        self.rate_n = integer(args, 0, 20)

    def start(self, args: str) -> None:
        parts = [p.strip() for p in args.split(",")]
        if len(parts) != 2:
            raise ExecError("CAPTURESTART takes mode,source")
        mode, source = integer(parts[0], 0, 1), integer(parts[1], 0, 2)
        if source != 0:
            raise ExecError("triggered capture is not simulated")
        self.continuous = bool(mode)
        self.data.clear()
        self.running = True
        self._t0, self._k = self.now(), 0

    def stop(self, args: str = "") -> None:
        self.running = False

    def bytes_captured(self, args: str) -> str:
        return str(len(self.data))

    def progress_kb(self, args: str) -> str:
        return str(len(self.data) // 1024)

    def get(self, args: str) -> BinaryReply:
        """``CAPTUREGET? i,j``: j kB from kB i of the buffer memory (unwritten bytes read 0)."""
        parts = args.split(",")
        if len(parts) != 2:
            raise ExecError("CAPTUREGET? takes offset,length in kB")
        offset, n = integer(parts[0], 0, MAX_KB - 1), integer(parts[1], 1, GET_KB)
        if offset + n > self.length_kb:
            raise ExecError("CAPTUREGET? beyond the capture length")
        chunk = bytes(self.data[offset * 1024:(offset + n) * 1024])
        chunk += bytes(n * 1024 - len(chunk))
        size = str(len(chunk))
        return BinaryReply(f"#{len(size)}{size}" + chunk.decode("latin-1") + "\n")

    # --- sampling (called by the world link) ----------------------------------------------------
    @property
    def interval(self) -> float:
        return 2**self.rate_n / self.max_rate()

    def next_sample_time(self) -> float:
        return self._t0 + self._k * self.interval if self.running else math.inf

    def sample(self) -> None:
        values = self.read_values()
        ids = {0: (0,), 1: (0, 1), 2: (2, 3), 3: (0, 1, 2, 3)}[self.config]
        self.data += struct.pack(f"<{len(ids)}f", *(values[i] for i in ids))
        self._k += 1
        size = self.length_kb * 1024
        if len(self.data) + 4 * len(ids) > size:
            if self.continuous:
                del self.data[:4 * len(ids)]  # keeps the newest (the instrument wraps around)
            else:
                self.running = False
