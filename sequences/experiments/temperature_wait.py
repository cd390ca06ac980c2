"""Waiting for the sample temperature to settle (pausable), for experiments that step it."""
from __future__ import annotations

from typing import Iterator

from drivers.errors import InstrumentError
from drivers.lab import Lab
from sequences.experiment import Checkpoint, Message, Note
from sequences.experiments.esr_sweep import PARK_TIME_CONSTANT


def wait_for_temperature(lab: Lab, setpoint: float, tolerance: float, stable_time: float, timeout: float,
                         poll: float = 1.0) -> Iterator[Message]:
    """Set the temperature and wait until every reading stays within ``tolerance`` for
    ``stable_time``; pausable (yields checkpoints). Microwaves are off meanwhile."""
    tc = lab.temperature
    lab.rf.output = False
    li = lab.lockin
    saved = li.time_constant
    li.time_constant = max(saved, PARK_TIME_CONSTANT)
    tc.set_setpoint(setpoint)
    yield Note(f"waiting for {setpoint:g} K (within {tolerance:g} K for {stable_time:g} s)")
    start = lab.clock.now()
    stable_since = None
    while True:
        t = tc.read_temperature()
        now = lab.clock.now()
        if abs(t - setpoint) <= tolerance:
            stable_since = now if stable_since is None else stable_since
            if now - stable_since >= stable_time:
                break
        else:
            stable_since = None
        if now - start > timeout:
            raise InstrumentError("temperature", f"did not settle at {setpoint:g} K within {tolerance:g} K in "
                                                 f"{timeout:g} s (last reading {t:.3f} K); raise settle_timeout "
                                                 f"or tolerance")
        yield Checkpoint(f"waiting for {setpoint:g} K")
        lab.sleep(poll)
    li.time_constant = saved
    yield Note(f"temperature settled at {t:.3f} K after {lab.clock.now() - start:.0f} s")
