"""A served SR830 lock-in acting on the world's modulation coil and lock-in physics.

Speaks the SR830 command set (manual ch. 5): the sine output (FREQ, SLVL, HARM) drives the
world's field modulation, the filter (OFLT, OFSL, PHAS) is the world's
:class:`LockinPhysics`, and SNAP?/OUTP? read its output clipped at the sensitivity (with the
overload bit in LIAS? set when clipped). Out-of-range parameters set *ESR* bit 4 as on the
instrument; unknown mnemonics bit 5.
"""
from __future__ import annotations

import math
from typing import Callable

from sim_backend.served.lockin_buffer import DataBuffer
from sim_backend.served.protocol import ExecError, ServedInstrument, StoredSetting, choice, integer, number, ranged

TIME_CONSTANTS = tuple(m * 10.0**e for e in range(-5, 5) for m in (1, 3))
SENSITIVITIES = tuple(m * 10.0**e for e in range(-9, 1) for m in (1, 2, 5) if 2e-9 <= m * 10.0**e <= 1.0)


class ServedSR830(ServedInstrument):
    style = "mnemonic"
    idn = "Stanford_Research_Systems,SR830,s/n86000,ver1.07"

    def __init__(self, *args, serial: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        #: RS-232 replies end with CR; GPIB (here: TCP) with LF.
        self.reply_termination = "\r" if serial else "\n"
        self._panel_defaults()  # the world's modulation and filter are left as they are
        # The sine output cannot go below 4 mV (manual p. 5-5): a world at 0 V starts at 4 mV.
        self.world.modulation_amplitude_v = max(self.world.modulation_amplitude_v, 0.004)
        self.buffer = DataBuffer(self._displays, self.world.clock.now)
        self.link.samplers.append(self.buffer)

    def _panel_defaults(self) -> None:
        self.sens, self.reserve, self.isrc, self.outx, self.lias = 26, 1, 0, 1, 0
        self.misc = {"IGND": 0, "ICPL": 0, "ILIN": 0, "SYNC": 0, "FMOD": 1, "RSLP": 0}
        #: DDEF i,j,k: channel 1 shows X (j=0) or R (1), channel 2 Y (0) or theta (1); k ratio.
        self.ddef = StoredSetting((1, 2), [(choice(0, 4), "{}", 0), (choice(0, 2), "{}", 0)])
        #: AUXV i,x: the four auxiliary outputs, -10.5 .. 10.5 V.
        self.auxv = StoredSetting((1, 2, 3, 4), [(ranged(-10.5, 10.5), "{:.3f}", 0.0)])

    def reset(self) -> None:
        self._panel_defaults()
        self.buffer.reset()
        w = self.world
        w.modulation_frequency, w.harmonic = 1000.0, 1
        w.modulation_amplitude_v = 1.0
        w.lockin.time_constant, w.lockin.poles, w.lockin.phase_deg = 0.1, 2, 0.0

    def commands(self) -> list[tuple[str, Callable[[str], str | None]]]:
        cmds: list[tuple[str, Callable[[str], str | None]]] = [
            ("OUTX", lambda a: self._store("outx", integer(a, 0, 1))), ("OUTX?", lambda a: str(self.outx)),
            ("FREQ", self._freq), ("FREQ?", lambda a: f"{self.world.modulation_frequency:.4f}"),
            ("SLVL", self._slvl), ("SLVL?", lambda a: f"{self.world.modulation_amplitude_v:.3f}"),
            ("HARM", self._harm), ("HARM?", lambda a: str(self.world.harmonic)),
            ("PHAS", self._phas), ("PHAS?", lambda a: f"{self.world.lockin.phase_deg:.2f}"),
            ("SENS", lambda a: self._store("sens", integer(a, 0, 26))), ("SENS?", lambda a: str(self.sens)),
            ("OFLT", self._oflt), ("OFLT?", lambda a: str(self._tc_index())),
            ("OFSL", lambda a: setattr(self.world.lockin, "poles", integer(a, 0, 3) + 1)),
            ("OFSL?", lambda a: str(self.world.lockin.poles - 1)),
            ("RMOD", lambda a: self._store("reserve", integer(a, 0, 2))), ("RMOD?", lambda a: str(self.reserve)),
            ("ISRC", lambda a: self._store("isrc", integer(a, 0, 3))), ("ISRC?", lambda a: str(self.isrc)),
            ("SNAP?", self._snap), ("OUTP?", self._outp), ("APHS", self._aphs),
            ("LIAS?", self._read_lias), ("ERRS?", lambda a: "0"),
            ("DDEF", lambda a: self.ddef.set(a)), ("DDEF?", lambda a: self.ddef.get(a)),
            ("AUXV", lambda a: self.auxv.set(a)), ("AUXV?", lambda a: self.auxv.get(a)),
            ("OAUX?", lambda a: f"{0.0 * integer(a, 1, 4):.3f}"),  # nothing is wired to the aux inputs
            ("SRAT", lambda a: self.buffer.set_rate(a)), ("SRAT?", lambda a: str(self.buffer.rate_index)),
            ("SEND", lambda a: self.buffer.set_mode(a)), ("SEND?", lambda a: str(int(self.buffer.loop))),
            ("STRT", lambda a: self.buffer.start(a)), ("PAUS", lambda a: self.buffer.pause(a)),
            ("REST", lambda a: self.buffer.reset(a)),
            ("SPTS?", lambda a: self.buffer.count(a)), ("TRCA?", lambda a: self.buffer.read_ascii(a)),
            ("TRCB?", lambda a: self.buffer.read_binary(a)), ("TRCL?", lambda a: self.buffer.read_lia(a)),
        ]
        for key in ("IGND", "ICPL", "ILIN", "SYNC", "FMOD", "RSLP"):
            cmds.append((key, lambda a, k=key: self.misc.__setitem__(k, integer(a, 0, 3))))
            cmds.append((key + "?", lambda a, k=key: str(self.misc[k])))
        return cmds

    def _store(self, attr: str, value: int) -> None:
        setattr(self, attr, value)

    def _freq(self, args: str) -> None:
        f = number(args, unit_ok=False)
        if not 1e-3 <= f <= 102e3 or f * self.world.harmonic > 102e3:
            raise ExecError("frequency out of range")
        self.world.modulation_frequency = f

    def _slvl(self, args: str) -> None:
        v = number(args, unit_ok=False)
        if not 0.004 <= v <= 5.0:
            raise ExecError("amplitude out of range")
        self.world.modulation_amplitude_v = round(v / 0.002) * 0.002  # 2 mV resolution (p. 5-5)

    def _harm(self, args: str) -> None:
        n = integer(args, 1, 19999)
        if n * self.world.modulation_frequency > 102e3:
            raise ExecError("harmonic x frequency above 102 kHz")
        self.world.harmonic = n

    def _phas(self, args: str) -> None:
        p = number(args, unit_ok=False)
        if not -360.0 <= p <= 729.99:
            raise ExecError("phase out of range")
        self.world.lockin.phase_deg = (p + 180.0) % 360.0 - 180.0

    def _oflt(self, args: str) -> None:
        self.world.lockin.time_constant = TIME_CONSTANTS[integer(args, 0, 19)]

    def _tc_index(self) -> int:
        tau = self.world.lockin.time_constant
        return min(range(len(TIME_CONSTANTS)), key=lambda i: abs(math.log(TIME_CONSTANTS[i] / tau)))

    def full_scale(self) -> float:
        """The sensitivity in use, V (SENS index, 2 nV .. 1 V)."""
        return SENSITIVITIES[self.sens]

    def _values(self) -> dict[int, float]:
        z = self.world.lockin.output
        fs = self.full_scale()
        x, y = z.real, z.imag
        if abs(x) > fs or abs(y) > fs:
            self.lias |= 1 << 2  # output overload
        x, y = max(-fs, min(fs, x)), max(-fs, min(fs, y))
        return {1: x, 2: y, 3: math.hypot(x, y), 4: math.degrees(math.atan2(y, x)), 5: 0.0, 6: 0.0, 7: 0.0,
                8: 0.0, 9: self.world.modulation_frequency, 10: x, 11: y}

    def _displays(self) -> tuple[float, float]:
        """What channels 1 and 2 show (DDEF): X or R, Y or theta; noise and aux displays read 0."""
        v = self._values()
        ch1, ch2 = self.ddef.values[1][0], self.ddef.values[2][0]
        return ({0: v[1], 1: v[3]}.get(ch1, 0.0), {0: v[2], 1: v[4]}.get(ch2, 0.0))

    def _snap(self, args: str) -> str:
        ids = [integer(a, 1, 11) for a in args.split(",")]
        if not 2 <= len(ids) <= 6:
            raise ExecError("SNAP? takes 2 to 6 parameters")
        values = self._values()
        return ",".join(f"{values[i]:.6e}" for i in ids)

    def _outp(self, args: str) -> str:
        return f"{self._values()[integer(args, 1, 4)]:.6e}"

    def _aphs(self, args: str) -> None:
        z = self.world.lockin.output
        shift = math.atan2(z.imag, z.real)
        self.world.lockin.phase_deg = (self.world.lockin.phase_deg + math.degrees(shift) + 180.0) % 360.0 - 180.0
        self.world.lockin.stages *= complex(math.cos(shift), -math.sin(shift))

    def _read_lias(self, args: str) -> str:
        value, self.lias = self.lias, 0
        return str(value)
