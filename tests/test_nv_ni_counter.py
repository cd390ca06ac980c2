"""The DAQmx photon-counter driver against a stand-in for the nidaqmx module.

The stand-in models what the NI-DAQmx documentation says the configured task does: an edge
counter that counts only while the pause trigger lets it (gate high) and is sampled on the
sample-clock edge, returning 32-bit running totals. It produces totals only when the driver
configured it as documented; the per-gate counts it was given are the reference.
"""
from __future__ import annotations

import enum
import types

import numpy as np
import pytest

from drivers.errors import ConfigError, InstrumentError
from drivers.ni_counter import NiPhotonCounter

Edge = enum.Enum("Edge", "RISING FALLING")
AcquisitionType = enum.Enum("AcquisitionType", "FINITE CONTINUOUS")
TriggerType = enum.Enum("TriggerType", "DIGITAL_LEVEL NONE")
Level = enum.Enum("Level", "HIGH LOW")
CountDirection = enum.Enum("CountDirection", "COUNT_UP COUNT_DOWN")


class FakeDaq:
    def __init__(self, per_gate, cw_total=0):
        self.per_gate = list(per_gate)
        self.cw_total = cw_total
        self.tasks = []
        self.constants = types.SimpleNamespace(Edge=Edge, AcquisitionType=AcquisitionType, TriggerType=TriggerType,
                                               Level=Level, CountDirection=CountDirection)
        daq = self

        class Task:
            def __init__(self):
                self.channel = None
                self.clock = None
                self.started = self.closed = False
                self.triggers = types.SimpleNamespace(pause_trigger=types.SimpleNamespace(
                    trig_type=TriggerType.NONE, dig_lvl_src="", dig_lvl_when=None))
                task = self

                class Channels:
                    def add_ci_count_edges_chan(self, counter, edge, initial_count, count_direction):
                        task.channel = types.SimpleNamespace(counter=counter, edge=edge, initial=initial_count,
                                                             direction=count_direction, ci_count_edges_term="")
                        return task.channel

                class Timing:
                    def cfg_samp_clk_timing(self, rate, source, active_edge, sample_mode, samps_per_chan):
                        task.clock = dict(rate=rate, source=source, edge=active_edge, mode=sample_mode,
                                          n=samps_per_chan)

                self.ci_channels, self.timing = Channels(), Timing()
                daq.tasks.append(self)

            def start(self):
                self.started = True

            def close(self):
                self.closed = True

            def read(self, number_of_samples_per_channel=None, timeout=10.0):
                ch, p = self.channel, self.triggers.pause_trigger
                assert self.started and ch.ci_count_edges_term == "/Dev2/PFI8" and ch.initial == 0
                assert ch.direction == CountDirection.COUNT_UP
                if number_of_samples_per_channel is None:
                    return daq.cw_total
                gated = (p.trig_type == TriggerType.DIGITAL_LEVEL and p.dig_lvl_src == "/Dev2/PFI9"
                         and p.dig_lvl_when == Level.LOW)
                clocked = (self.clock["source"] == "/Dev2/PFI9" and self.clock["edge"] == Edge.FALLING
                           and self.clock["mode"] == AcquisitionType.FINITE)
                if not (gated and clocked) or self.clock["n"] != number_of_samples_per_channel:
                    raise RuntimeError("task not configured for gated counting")
                return list(np.cumsum(daq.per_gate[:number_of_samples_per_channel]) % 2**32)

        self.Task = Task


def counter(daq):
    return NiPhotonCounter("Dev2/ctr1", binding=daq, count_terminal="/Dev2/PFI8", gate_terminal="/Dev2/PFI9")


def test_gate_counts_come_back_per_window_across_the_32_bit_wrap():
    truth = [5, 0, 17, 2**31, 2**31 + 3, 9]
    daq = FakeDaq(truth)
    c = counter(daq)
    c.arm(len(truth))
    assert c.fetch().tolist() == truth
    assert daq.tasks[-1].closed


def test_software_window_counts_and_closes_its_task():
    daq = FakeDaq([], cw_total=1234)
    assert counter(daq).count(1e-3) == 1234
    assert daq.tasks[-1].closed


def test_user_errors_are_clear():
    with pytest.raises(ConfigError, match="counter such as 'Dev1/ctr0'"):
        NiPhotonCounter("Dev1/ai0")
    with pytest.raises(ConfigError, match="unknown option"):
        NiPhotonCounter("Dev1/ctr0", gate="PFI1")
    with pytest.raises(InstrumentError, match="fetch before arm"):
        counter(FakeDaq([])).fetch()
