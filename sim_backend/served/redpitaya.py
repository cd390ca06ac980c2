"""A served Red Pitaya SCPI server: acquisition on two fast inputs, and generator output 1/2.

Input 1 carries the world's detector voltage at the present field (the bridge's DC
absorption signal) plus white noise; input 2 noise. A subsystem may instead attach
``world.digitizer_source(n, sample_rate) -> complex array`` (I on input 1, Q on input 2), e.g.
a pulsed-spin echo. Generator settings are stored in ``world.drive_outputs[channel]`` so a
membrane or piezo model can read its drive.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from sim_backend.served.protocol import ExecError, ServedInstrument, boolean, integer, number

CLOCK_HZ = 125e6
BUFFER = 16384
TRIGGERS = ("NOW", "CH1_PE", "CH1_NE", "CH2_PE", "CH2_NE", "EXT_PE", "EXT_NE", "AWG_PE", "AWG_NE", "DISABLED")


class ServedRedPitaya(ServedInstrument):
    style = "scpi"
    idn = "REDPITAYA,INSTR2020,0,01-02"
    reply_termination = "\r\n"
    no_error = '0,"No error"'
    noise_v = 1e-3

    def __init__(self, link, *args, **kwargs):
        link.world.drive_outputs = {c: {"func": "SINE", "frequency": 1000.0, "amplitude": 1.0, "output": False,
                                        "generating": False} for c in (1, 2)}
        super().__init__(link, *args, **kwargs)
        self.decimation, self.armed, self.triggered = 1, False, False
        self.settings = {"format": "ASCII", "units": "VOLTS", "level": 0.0, "delay": 0}
        self.rng = np.random.default_rng(7)

    def commands(self) -> list[tuple[str, Callable[[str], str | None]]]:
        gen = self.world.drive_outputs
        cmds: list[tuple[str, Callable[[str], str | None]]] = [
            (":ACQ:RST", lambda a: self._acq_reset()), (":ACQ:DEC", self._dec),
            (":ACQ:DEC?", lambda a: str(self.decimation)),
            (":ACQ:DATA:FORMAT", lambda a: self.settings.__setitem__("format", a.upper())),
            (":ACQ:DATA:UNITS", lambda a: self.settings.__setitem__("units", a.upper())),
            (":ACQ:SOUR#:GAIN", lambda a: None), (":ACQ:AVG", lambda a: None),
            (":ACQ:TRIG:LEV", lambda a: self.settings.__setitem__("level", number(a))),
            (":ACQ:TRIG:DLY", lambda a: self.settings.__setitem__("delay", integer(a, -BUFFER, BUFFER))),
            (":ACQ:TRIG:DLY?", lambda a: str(self.settings.get("delay", 0))),
            (":ACQ:START", lambda a: setattr(self, "armed", True)), (":ACQ:STOP", lambda a: self._acq_reset()),
            (":ACQ:TRIG", self._trig), (":ACQ:TRIG:STAT?", lambda a: "TD" if self.triggered else "WAIT"),
            (":ACQ:BUF:SIZE?", lambda a: str(BUFFER)), (":ACQ:TRig:FILL?", lambda a: "1" if self.triggered else "0"),
            (":ACQ:SOUR1:DATA:OLD:N?", lambda a: self._data(1, a)), (":ACQ:SOUR2:DATA:OLD:N?", lambda a: self._data(2, a)),
            (":SYSTem:ERRor:NEXT?", self.next_error), (":SYSTem:ERRor?", self.next_error),
        ]
        for ch in (1, 2):
            cmds += [
                (f":SOUR{ch}:FUNC", lambda a, c=ch: gen[c].__setitem__("func", a.upper())),
                (f":SOUR{ch}:FUNC?", lambda a, c=ch: gen[c]["func"]),
                (f":SOUR{ch}:FREQ:FIX", lambda a, c=ch: gen[c].__setitem__("frequency", self._range(a, 0, 50e6))),
                (f":SOUR{ch}:FREQ:FIX?", lambda a, c=ch: f"{gen[c]['frequency']:.3f}"),
                (f":SOUR{ch}:VOLT", lambda a, c=ch: gen[c].__setitem__("amplitude", self._range(a, -1.0, 1.0))),
                (f":SOUR{ch}:VOLT?", lambda a, c=ch: f"{gen[c]['amplitude']:.4f}"),
                (f":OUTPUT{ch}:STATE", lambda a, c=ch: self._output(c, boolean(a))),
                (f":SOUR{ch}:TRig:INT", lambda a, c=ch: self._trigger_generator(c)),
                (f":SOUR{ch}:TRAC:DATA:DATA", lambda a, c=ch: self._waveform(c, a)),
                (f":OUTPUT{ch}:STATE?", lambda a, c=ch: "ON" if gen[c]["output"] else "OFF"),
            ]
        return cmds

    @staticmethod
    def _range(args: str, low: float, high: float) -> float:
        value = number(args)
        if not low <= value <= high:
            raise ExecError("Data out of range")
        return value

    def _output(self, channel: int, on: bool) -> None:
        """ON puts out the initial value only; the waveform needs a trigger (SOUR<n>:TRig:INT)."""
        out = self.world.drive_outputs[channel]
        out["output"] = on
        out["generating"] = out.get("generating", False) and on

    def _waveform(self, channel: int, args: str) -> None:
        values = [number(v) for v in args.split(",") if v.strip()]
        if not 1 <= len(values) <= BUFFER or any(abs(v) > 1.0 for v in values):
            raise ExecError("Data out of range")
        self.world.drive_outputs[channel]["waveform"] = values

    def _trigger_generator(self, channel: int) -> None:
        out = self.world.drive_outputs[channel]
        out["generating"] = bool(out["output"])

    def _acq_reset(self) -> None:
        self.armed = self.triggered = False

    def _dec(self, args: str) -> None:
        dec = integer(args, 1, 65536)
        if dec & (dec - 1):
            raise ExecError("decimation must be a power of two")
        self.decimation = dec

    def _trig(self, args: str) -> None:
        source = args.strip().upper()
        if source not in TRIGGERS:
            raise ExecError("Illegal parameter value", -224)
        # External and channel triggers fire at once: the simulated experiment is always ready.
        self.triggered = self.armed and source != "DISABLED"
        if self.triggered:
            self._capture()

    def _capture(self) -> None:
        """The buffer after a trigger: samples [trigger - 8192 + d, trigger + 8192 + d) for
        ``ACQ:TRIG:DLY d`` (Red Pitaya SCPI docs); before the trigger the source is silent."""
        fs = CLOCK_HZ / self.decimation
        source = getattr(self.world, "digitizer_source", None)
        if callable(source):
            first = int(self.settings["delay"]) - BUFFER // 2  # first sample, relative to the trigger
            after = np.asarray(source(max(0, first + BUFFER), fs), dtype=complex)
            if first >= 0:
                z = after[first:]
            else:
                z = np.concatenate([np.zeros(min(-first, BUFFER), dtype=complex), after])[:BUFFER]
        else:
            level = float(self.world.detected_absorption(self.world.magnet.true_field * np.ones(1))[0])
            z = np.full(BUFFER, level, dtype=complex)
        noise = self.rng.normal(0, self.noise_v, (2, BUFFER))
        self.record = (z.real + noise[0], z.imag + noise[1])

    def _data(self, channel: int, args: str) -> str:
        n = integer(args, 1, BUFFER)
        if not self.triggered:
            raise ExecError("no acquisition triggered", -230)
        return "{" + ",".join(f"{v:.6f}" for v in self.record[channel - 1][:n]) + "}"
