"""Photon counter on a National Instruments DAQmx counter (M/X-series: PCIe-6321, USB-6341 ...).

Wiring: the photodetector's TTL pulses into the counter's source terminal (``count_terminal``,
e.g. ``/Dev1/PFI0``), the pulse programmer's counter-gate channel into ``gate_terminal``
(e.g. ``/Dev1/PFI1``). Gated counting uses DAQmx edge counting with a digital-level pause
trigger (the counter only counts while the gate is high) and the gate's falling edge as the
sample clock, so sample k is the running total at the end of gate k; per-gate counts are its
differences (NI-DAQmx Help, "Counting edges", "Pause trigger"; NI-DAQmx Python API
``nidaqmx.Task``). The 32-bit counter's wrap-around is undone.

``nidaqmx`` is imported lazily in :meth:`NiPhotonCounter.connect`: it is an optional vendor
library (the one such case here), needed only on a machine with the card, and the injectable
``binding`` option (anything with ``Task`` and ``constants`` like the ``nidaqmx`` module) lets the
tests run without it.
"""
from __future__ import annotations

import time
from typing import Any

import numpy as np

from drivers.errors import ConfigError, InstrumentError
from drivers.roles import PhotonCounter

WRAP = 2**32


class NiPhotonCounter(PhotonCounter):
    """Address: the counter, e.g. ``Dev1/ctr0``. Options: ``count_terminal``, ``gate_terminal``,
    ``max_rate`` (Hz, the sample-clock rate DAQmx is told: the fastest gate rate), ``timeout`` (s),
    ``binding`` (the nidaqmx module or a stand-in)."""

    driver_options: dict[str, Any] = {"count_terminal": "/Dev1/PFI0", "gate_terminal": "/Dev1/PFI1",
                                      "max_rate": 10e6, "timeout": 30.0, "binding": None}

    def __init__(self, address: str = "Dev1/ctr0", name: str | None = None, **options: Any):
        super().__init__(name)
        unknown = sorted(set(options) - set(self.driver_options))
        if unknown:
            raise ConfigError(f"NiPhotonCounter ({self.name}): unknown option(s) {unknown}; accepted: "
                              f"{', '.join(sorted(self.driver_options))}")
        opts = {**self.driver_options, **options}
        if "/ctr" not in str(address):
            raise ConfigError(f"{self.name}: address must name a counter such as 'Dev1/ctr0', got {address!r}")
        self.address = str(address)
        self.count_terminal, self.gate_terminal = str(opts["count_terminal"]), str(opts["gate_terminal"])
        self.max_rate, self.timeout = float(opts["max_rate"]), float(opts["timeout"])
        self._daq: Any = opts["binding"]
        self._task: Any = None
        self._gates = 0

    def connect(self) -> Any:
        """The nidaqmx module (imported on first use; a clear error when it is not installed)."""
        if self._daq is None:
            try:
                import nidaqmx  # optional vendor library: imported only where the card is used
            except ImportError:
                raise InstrumentError(self.name, "the 'nidaqmx' package is not installed (pip install nidaqmx; "
                                      "it also needs NI-DAQmx from ni.com)", address=self.address,
                                      command="connect") from None
            self._daq = nidaqmx
        return self._daq

    def identity(self) -> str:
        return f"National Instruments,DAQmx counter,{self.address},nidaqmx"

    def _edge_task(self) -> Any:
        daq = self.connect()
        c = daq.constants
        task = daq.Task()
        ch = task.ci_channels.add_ci_count_edges_chan(self.address, edge=c.Edge.RISING, initial_count=0,
                                                      count_direction=c.CountDirection.COUNT_UP)
        ch.ci_count_edges_term = self.count_terminal
        return task

    def count(self, duration: float) -> int:
        if not duration > 0:
            raise ValueError(f"{self.name}: count duration {duration!r} s must be > 0")
        task = self._edge_task()
        try:
            task.start()
            time.sleep(duration)
            n = int(task.read())
        finally:
            task.close()
        return n

    def arm(self, gates: int) -> None:
        self._close()
        if int(gates) < 1:
            raise ValueError(f"{self.name}: arm needs the number of gate windows (>= 1), got {gates!r}")
        c = self.connect().constants
        task = self._edge_task()
        task.timing.cfg_samp_clk_timing(self.max_rate, source=self.gate_terminal, active_edge=c.Edge.FALLING,
                                        sample_mode=c.AcquisitionType.FINITE, samps_per_chan=int(gates))
        pause = task.triggers.pause_trigger
        pause.trig_type = c.TriggerType.DIGITAL_LEVEL
        pause.dig_lvl_src = self.gate_terminal
        pause.dig_lvl_when = c.Level.LOW
        task.start()
        self._task, self._gates = task, int(gates)

    def fetch(self) -> np.ndarray:
        if self._task is None:
            raise InstrumentError(self.name, "fetch before arm", address=self.address, command="fetch")
        try:
            totals = np.asarray(self._task.read(number_of_samples_per_channel=self._gates, timeout=self.timeout),
                                np.int64)
        finally:
            self._close()
        return np.diff(totals, prepend=0) % WRAP

    def _close(self) -> None:
        if self._task is not None:
            self._task.close()
            self._task = None

    def make_safe(self) -> None:
        self._close()

    def close(self) -> None:
        self._close()

    def snapshot(self) -> dict[str, Any]:
        return {"address": self.address, "count_terminal": self.count_terminal, "gate_terminal": self.gate_terminal,
                "max_rate_Hz": self.max_rate, "timeout_s": self.timeout}
