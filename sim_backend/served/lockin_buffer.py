"""The SR830's data buffer, served: ``SRAT``, ``SEND``, ``STRT``, ``PAUS``, ``REST``, ``SPTS?``,
``TRCA?``, ``TRCB?``, ``TRCL?`` (SR830 manual ch. 5, "Data storage commands" and "Data transfer
commands"). ``TRCB?`` sends IEEE float32 LSB first, ``TRCL?`` the SR830's 4-byte format (int16
mantissa m, int16 exponent e, both LSB first, value m x 2^(e - 124)); neither has a terminator.

The buffer samples the two displays (``DDEF``: X or R on channel 1, Y or theta on channel 2) at
``SRAT`` = 62.5 mHz x 2^i (i = 0..13, up to 512 Hz) into at most 16383 points per channel;
``SEND 0`` stops at the end (one shot), ``SEND 1`` keeps the newest points (loop). Samples are
taken at their exact simulated times: while the buffer runs, :class:`WorldLink` advances the
world from sample to sample (``next_sample_time`` / ``sample``), so a buffered point sees the
field, modulation and filter state of its own instant, as a scan with a ramping field needs.

``start_delay`` (s, default 0) is a test hook: ``STRT`` takes its first sample that long later, as
an instrument whose sample clock starts late (a client dating sample 0 at the command is then
early by as much). The experiment under test is not told.
"""
from __future__ import annotations

import math
import struct
from typing import Callable

from sim_backend.served.protocol import BinaryReply, ExecError, integer

SAMPLE_RATES = tuple(62.5e-3 * 2**i for i in range(14))  # SRAT 0..13; 14 (external trigger) is refused
MAX_POINTS = 16383


class DataBuffer:
    def __init__(self, read_displays: Callable[[], tuple[float, float]], now: Callable[[], float]):
        self.read_displays = read_displays
        self.now = now
        self.rate_index = 4  # 1 Hz
        self.loop = True
        self.running = False
        self.points: list[tuple[float, float]] = []
        self._next = math.inf
        self.start_delay = 0.0

    # --- commands -----------------------------------------------------------------------------
    def set_rate(self, args: str) -> None:
        index = integer(args, 0, 14)
        if index == 14:
            raise ExecError("trigger-driven sampling is not simulated")
        if self.running:
            raise ExecError("SRAT while the buffer is running")
        self.rate_index = index

    def set_mode(self, args: str) -> None:
        self.loop = bool(integer(args, 0, 1))

    def start(self, args: str) -> None:
        if not self.running:
            self.running = True
            self._next = self.now() + self.start_delay

    def pause(self, args: str) -> None:
        self.running = False
        self._next = math.inf

    def reset(self, args: str = "") -> None:
        self.pause(args)
        self.points.clear()

    def count(self, args: str) -> str:
        return str(len(self.points))

    def _select(self, args: str, name: str) -> list[float]:
        """``i,j,k``: k points of channel i from bin j."""
        parts = args.split(",")
        if len(parts) != 3:
            raise ExecError(f"{name} takes channel,start,count")
        channel, start, n = integer(parts[0], 1, 2), integer(parts[1], 0, MAX_POINTS - 1), integer(parts[2], 1, MAX_POINTS)
        if start + n > len(self.points):
            raise ExecError(f"only {len(self.points)} points stored")
        return [p[channel - 1] for p in self.points[start:start + n]]

    def read_ascii(self, args: str) -> str:
        return ",".join(f"{v:.6e}" for v in self._select(args, "TRCA?"))

    def read_binary(self, args: str) -> BinaryReply:
        values = self._select(args, "TRCB?")
        return BinaryReply(struct.pack(f"<{len(values)}f", *values).decode("latin-1"))

    def read_lia(self, args: str) -> BinaryReply:
        values = self._select(args, "TRCL?")
        return BinaryReply(b"".join(struct.pack("<hh", *lia_format(v)) for v in values).decode("latin-1"))

    # --- sampling (called by the world link) ----------------------------------------------------
    @property
    def interval(self) -> float:
        return 1.0 / SAMPLE_RATES[self.rate_index]

    def next_sample_time(self) -> float:
        return self._next if self.running else math.inf

    def sample(self) -> None:
        self.points.append(self.read_displays())
        if len(self.points) > MAX_POINTS:
            del self.points[0]  # loop mode keeps the newest
        if len(self.points) >= MAX_POINTS and not self.loop:
            self.pause("")
            return
        self._next += self.interval


def lia_format(value: float) -> tuple[int, int]:
    """(mantissa, exponent) of the SR830's TRCL? format, value = m x 2^(e - 124), with the
    mantissa as large as an int16 holds (15 significant bits)."""
    if value == 0 or not math.isfinite(value):
        return 0, 124
    e = math.floor(math.log2(abs(value))) + 110  # |m| in [2^14, 2^15)
    m = round(value * 2.0 ** (124 - e))
    if not -32768 <= m <= 32767:
        e += 1
        m = round(value * 2.0 ** (124 - e))
    return m, e
