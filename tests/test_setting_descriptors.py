"""Setting descriptors for per-output commands: the Lake Shore 336's SETP/PID per output and the
Red Pitaya's SOUR<n> commands, byte for byte, with the read-back confirmation when the error
queue is off."""
from __future__ import annotations

import pytest

from drivers.errors import InstrumentError, LimitError
from drivers.lab import Lab, LabLimits
from drivers.lakeshore336 import LakeShore336
from drivers.lakeshore475 import LakeShore475
from drivers.redpitaya import RedPitayaGenerator
from drivers.scripted import scripted_driver
from sim_backend.clock import SimClock

LS336 = "TCPIP0::10.0.0.7::7777::SOCKET"


def test_ls336_setpoint_and_pid_per_output_confirmed_by_read_back_without_error_queue():
    script = [(b"SETP 2,77.500\n", None), (b"SETP? 2\n", b"+77.500\r\n"),
              (b"PID 1,50.0,20.0,5\n", None), (b"PID? 1\n", b"+50.0,+20.0,+5.0\r\n"),
              (b"SETP 1,10.000\n", None), (b"SETP? 1\n", b"+300.000\r\n")]
    tc, t = scripted_driver(LakeShore336, script, address=LS336, check_errors=False)
    with t:
        tc.set_setpoint(77.5, loop=2)
        tc.set_pid(50, 20, 5)
        with pytest.raises(InstrumentError, match="sent as '10.000' but reads back as '300.000'"):
            tc.set_setpoint(10.0)


def test_ls336_bad_output_and_values_are_refused_before_sending():
    tc, t = scripted_driver(LakeShore336, [], address=LS336)
    Lab({"temperature": tc}, LabLimits(temperature_min=3.0, temperature_max=320.0), clock=SimClock())
    with t:
        with pytest.raises(ValueError, match="output 5; the 336 has outputs"):
            tc.set_setpoint(100.0, loop=5)
        with pytest.raises(LimitError, match="temperature setpoint"):
            tc.set_setpoint(400.0)
        with pytest.raises(ValueError, match=r"PID \(0, 20, 0\) outside"):
            tc.set_pid(0, 20, 0)
        with pytest.raises(AttributeError, match=r"setpoints\[n\] = value"):
            tc.setpoints = 4.0


def test_red_pitaya_generator_commands_name_its_output():
    script = [(b"SOUR2:FUNC SINE\r\n", None), (b"SYST:ERR:NEXT?\r\n", b'0,"No error"\r\n'),
              (b"SOUR2:VOLT 0.2500\r\n", None), (b"SYST:ERR:NEXT?\r\n", b'0,"No error"\r\n'),
              (b"SOUR2:FREQ:FIX 1000.000\r\n", None), (b"SYST:ERR:NEXT?\r\n", b'0,"No error"\r\n'),
              (b"OUTPUT2:STATE ON\r\n", None), (b"SYST:ERR:NEXT?\r\n", b'0,"No error"\r\n'),
              (b"SOUR2:TRig:INT\r\n", None), (b"SYST:ERR:NEXT?\r\n", b'0,"No error"\r\n'),
              (b"SOUR2:VOLT?\r\n", b"0.2500\r\n")]
    gen, t = scripted_driver(RedPitayaGenerator, script, address="TCPIP0::10.0.0.9::5000::SOCKET", channel=2)
    with t:
        with pytest.raises(LimitError):
            gen.amplitude = 1.5  # refused before the sine is even selected
        gen.amplitude = 0.25
        gen.frequency = 1000.0
        gen.output = True
        assert gen.amplitude == 0.25


def test_ls475_auto_range_setting():
    script = [(b"AUTO 0\r\n", None), (b"*ESR?\r\n", b"0\r\n"), (b"AUTO?\r\n", b"0\r\n")]
    gm, t = scripted_driver(LakeShore475, script, address="TCPIP0::10.0.0.8::7777::SOCKET")
    with t:
        gm.set_auto_range(False)
        assert gm.auto_range is False
