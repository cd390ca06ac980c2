"""A served SR860 lock-in: the SR830's coupling to the world with the SR860's tables (SR860
manual ch. 4): ``SCAL`` 0 = 1 V .. 27 = 1 nV, ``OFLT`` 0..21 = 1 us .. 30 ks, ``OUTP?``/``SNAP?``
numbering X, Y, R, theta as 0..3 (at most three per SNAP?), ``FREQ`` up to 500 kHz, ``SLVL``
1 nV .. 2 V, ``HARM`` 1..99, ``IRNG`` voltage input range, ``IVMD``/``ICUR`` current input.
"""
from __future__ import annotations

import math
from typing import Callable

from sim_backend.served.lockin import ServedSR830
from sim_backend.served.lockin_capture import CaptureBuffer
from sim_backend.served.protocol import ExecError, integer, number

TIME_CONSTANTS = tuple(m * 10.0**e for e in range(-6, 5) for m in (1, 3))  # 1 us .. 30 ks
SCALES = tuple(sorted((m * 10.0**e for e in range(-9, 1) for m in (1, 2, 5) if 1e-9 <= m * 10.0**e <= 1.0),
                      reverse=True))  # 0 = 1 V .. 27 = 1 nV
MAX_FREQUENCY = 500e3


class ServedSR860(ServedSR830):
    idn = "Stanford_Research_Systems,SR860,003101,v1.51"

    def __init__(self, *args, **kwargs):
        self.scale, self.irng, self.ivmd, self.icur = 0, 0, 0, 0
        super().__init__(*args, serial=False, **kwargs)
        self.capture = CaptureBuffer(self._by_860_index, self.world.clock.now,
                                     lambda: self.world.lockin.time_constant)
        self.link.samplers.append(self.capture)

    def commands(self) -> list[tuple[str, Callable[[str], str | None]]]:
        """The SR830's list, then the SR860's own entries (for a mnemonic the last one wins)."""
        own: list[tuple[str, Callable[[str], str | None]]] = [
            ("SCAL", lambda a: setattr(self, "scale", integer(a, 0, 27))), ("SCAL?", lambda a: str(self.scale)),
            ("OFLT", lambda a: setattr(self.world.lockin, "time_constant", TIME_CONSTANTS[integer(a, 0, 21)])),
            ("OFLT?", lambda a: str(self._tc_index_860())),
            ("HARM", self._harm860), ("SLVL", self._slvl860), ("FREQ", self._freq860),
            ("SLVL?", lambda a: f"{self.world.modulation_amplitude_v:.9e}"),
            ("SNAP?", self._snap860), ("OUTP?", lambda a: f"{self._by_860_index()[integer(a, 0, 3)]:.6e}"),
            ("IRNG", lambda a: setattr(self, "irng", integer(a, 0, 4))), ("IRNG?", lambda a: str(self.irng)),
            ("IVMD", lambda a: setattr(self, "ivmd", integer(a, 0, 1))), ("IVMD?", lambda a: str(self.ivmd)),
            ("ICUR", lambda a: setattr(self, "icur", integer(a, 0, 1))), ("ICUR?", lambda a: str(self.icur)),
            ("CAPTURECFG", lambda a: self.capture.set_config(a)), ("CAPTURECFG?", lambda a: str(self.capture.config)),
            ("CAPTURELEN", lambda a: self.capture.set_length(a)), ("CAPTURELEN?", lambda a: str(self.capture.length_kb)),
            ("CAPTURERATE", lambda a: self.capture.set_rate(a)), ("CAPTURERATE?", lambda a: str(self.capture.rate_n)),
            ("CAPTURERATEMAX?", lambda a: f"{self.capture.max_rate():.6e}"),
            ("CAPTURESTART", lambda a: self.capture.start(a)), ("CAPTURESTOP", lambda a: self.capture.stop(a)),
            ("CAPTUREBYTES?", lambda a: self.capture.bytes_captured(a)), ("CAPTUREPROG?", lambda a: self.capture.progress_kb(a)),
            ("CAPTUREGET?", lambda a: self.capture.get(a)),
        ]
        return super().commands() + own

    def reset(self) -> None:
        super().reset()
        self.capture.stop()
        self.capture.data.clear()

    def full_scale(self) -> float:
        return SCALES[self.scale]

    def _tc_index_860(self) -> int:
        tau = self.world.lockin.time_constant
        return min(range(len(TIME_CONSTANTS)), key=lambda i: abs(math.log(TIME_CONSTANTS[i] / tau)))

    def _by_860_index(self) -> dict[int, float]:
        v = self._values()
        return {0: v[1], 1: v[2], 2: v[3], 3: v[4]}

    def _snap860(self, args: str) -> str:
        ids = [integer(a, 0, 3) for a in args.split(",")]
        if not 2 <= len(ids) <= 3:
            raise ExecError("SNAP? takes 2 or 3 parameters")
        values = self._by_860_index()
        return ",".join(f"{values[i]:.6e}" for i in ids)

    def _freq860(self, args: str) -> None:
        f = number(args, unit_ok=False)
        if not 1e-3 <= f <= MAX_FREQUENCY or f * self.world.harmonic > MAX_FREQUENCY:
            raise ExecError("frequency out of range")
        self.world.modulation_frequency = f

    def _slvl860(self, args: str) -> None:
        v = number(args, unit_ok=False)
        if not 1e-9 <= v <= 2.0:
            raise ExecError("amplitude out of range")
        self.world.modulation_amplitude_v = v

    def _harm860(self, args: str) -> None:
        n = integer(args, 1, 99)
        if n * self.world.modulation_frequency > MAX_FREQUENCY:
            raise ExecError("harmonic x frequency above 500 kHz")
        self.world.harmonic = n
