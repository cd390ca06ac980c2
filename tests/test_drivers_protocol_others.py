"""Sources, Lake Shore 336/475, Kepco BOP, Red Pitaya: exact bytes and reply parsing."""
from __future__ import annotations

import numpy as np
import pytest

from drivers.errors import ConfigError, InstrumentError, LimitError
from drivers.kepco_bop import KepcoBOP
from drivers.lab import Lab, LabLimits
from drivers.lakeshore336 import LakeShore336
from drivers.lakeshore475 import LakeShore475
from drivers.redpitaya import RedPitayaDigitizer, RedPitayaGenerator
from drivers.scpi_source import KeysightE8257D, KeysightN5183B, RohdeSchwarzSMB100A
from drivers.roles.rf import dbm_to_watt
from drivers.scripted import scripted_driver

NOERR = b'+0,"No error"\n'


class FakeClock:
    """A driver clock that advances only when slept on (ramps run instantly, steps exact)."""

    def __init__(self) -> None:
        self.t = 100.0

    def now(self) -> float:
        return self.t

    def sleep(self, s: float) -> None:
        self.t += s


def test_keysight_settings_and_error_queue():
    script = [(b"SOUR:FREQ 9500000000.000\n", None), (b"SYST:ERR?\n", NOERR),
              (b"SOUR:POW 0.00\n", None), (b"SYST:ERR?\n", NOERR),        # 1 mW = 0 dBm
              (b"OUTP:STAT ON\n", None), (b"SYST:ERR?\n", NOERR),
              (b"SOUR:POW?\n", b"-10.00\n"), (b"OUTP:STAT?\n", b"1\n"), (b"SOUR:FREQ?\n", b"+9.5000000000000E+09\n"),
              (b"SOUR:POW -30.00\n", None), (b"SYST:ERR?\n", b'-222,"Data out of range"\n'), (b"SYST:ERR?\n", NOERR)]
    rf, t = scripted_driver(KeysightN5183B, script)
    with t:
        rf.frequency = 9.5e9
        rf.power = 1e-3
        rf.output = True
        assert rf.power == pytest.approx(1e-4)
        assert rf.output is True
        assert rf.frequency == 9.5e9
        with pytest.raises(LimitError):
            rf.power = 1e-6  # -30 dBm is below the N5183B's -20 dBm: refused before sending
        rf.power_range = type(rf.power_range)(1e-7, 1e-1, "W")  # pretend the option allows it
        with pytest.raises(InstrumentError, match='-222, Data out of range') as err:
            rf.power = 1e-6
    assert err.value.command == "SOUR:POW -30.00"


def test_modulation_spellings_per_vendor():
    keysight = [(b"SOUR:FM1:SOUR INT\n", None), (b"SOUR:FM1:DEV 100000.0\n", None), (b"SOUR:FM1:INT1:FREQ 1000.000\n", None),
                (b"SOUR:FM1:STAT ON\n", None), (b"OUTP:MOD:STAT ON\n", None),
                (b"SOUR:PULM:SOUR EXT\n", None), (b"SOUR:PULM:STAT ON\n", None), (b"OUTP:MOD:STAT ON\n", None)]
    rf, t = scripted_driver(KeysightE8257D, keysight, check_errors=False)
    with t:
        rf.set_modulation("fm", True, deviation=1e5, rate=1e3, source="internal")
        rf.set_modulation("pulse", True)
    rs = [(b"SOUR:AM:SOUR INT\n", None), (b"SOUR:AM:DEPT 30.00\n", None), (b"SOUR:LFO1:FREQ 1000.000\n", None),
          (b"SOUR:AM:STAT ON\n", None)]
    rf, t = scripted_driver(RohdeSchwarzSMB100A, rs, check_errors=False)
    with t:
        rf.set_modulation("am", True, depth=0.3, rate=1e3, source="internal")
        with pytest.raises(ValueError, match="AM depth 30 outside 0 .. 1"):
            rf.set_modulation("am", True, depth=30)
        with pytest.raises(ValueError, match=r"fm setting\(s\) \['depth'\] unknown"):
            rf.set_modulation("fm", True, depth=0.3)


def test_lab_power_limit_applies_to_the_real_source():
    rf, t = scripted_driver(KeysightN5183B, [])
    Lab({"rf": rf}, LabLimits(max_rf_power=0.02), clock=FakeClock())
    with t, pytest.raises(LimitError, match=r"power = 0.05 W is outside the allowed range \[1e-05, 0.02\]"):
        rf.power = 0.05


def test_lakeshore336_commands_and_status():
    ok = b"0\r\n"
    script = [(b"KRDG? A\n", b"+295.1230\r\n"), (b"SETP 1,300.000\n", None), (b"*ESR?\n", ok),
              (b"RANGE 1,2\n", None), (b"*ESR?\n", ok), (b"RANGE? 1\n", b"3\r\n"),
              (b"PID 1,50.0,20.0,0\n", None), (b"*ESR?\n", ok), (b"PID? 1\n", b"+50.0,+20.0,+0.0\r\n"),
              (b"HTR? 1\n", b"+42.500\r\n"), (b"KRDG? C\n", b"+0.0000\r\n"), (b"RDGST? C\n", b"1\r\n"),
              (b"RANGE 3,1\n", None), (b"*ESR?\n", ok)]
    tc, t = scripted_driver(LakeShore336, script, address="TCPIP0::10.0.0.7::7777::SOCKET")
    with t:
        assert tc.read_temperature() == 295.123
        tc.set_setpoint(300.0)
        tc.set_heater_range("medium")
        assert tc.get_heater_range() == "high"
        tc.set_pid(50, 20, 0)
        assert tc.get_pid() == (50.0, 20.0, 0.0)
        assert tc.heater_output() == 0.425
        with pytest.raises(InstrumentError, match="input C: invalid reading"):
            tc.read_temperature("C")
        tc.set_heater_range("high", loop=3)
        with pytest.raises(ValueError, match="output 3 is off/on only"):
            tc.set_heater_range("low", loop=3)
        with pytest.raises(ValueError, match="input 'E' unknown"):
            tc.read_temperature("E")
    usb = LakeShore336("ASRL/dev/ttyUSB0::INSTR")  # USB virtual COM port framing from the manual
    assert usb.transport.serial_settings == {"baud_rate": 57600, "data_bits": 7, "parity": "odd", "stop_bits": 1}
    assert (usb.transport.read_termination, usb.transport.write_termination) == ("\r\n", "\n")


def test_lakeshore475_converts_units_and_reports_overrange():
    script = [(b"UNIT?\r\n", b"1\r\n"), (b"RDGFIELD?\r\n", b"+3.38812E+03\r\n"), (b"RDGFIELD?\r\n", b"OL\r\n")]
    gm, t = scripted_driver(LakeShore475, script, address="GPIB0::12::INSTR")
    with t:
        assert gm.read_field() == pytest.approx(0.338812)
        with pytest.raises(InstrumentError, match="over range"):
            gm.read_field()  # not retried: OL is an answer, not a glitch
    gm, t = scripted_driver(LakeShore475, [(b"UNIT?\r\n", b"4\r\n"), (b"RDGFIELD?\r\n", b"+7.95775E+04\r\n")])
    with t:
        assert gm.read_field() == pytest.approx(0.1, rel=1e-5)  # A/m -> mu0 H


def _kepco(script, **opts):
    opts.setdefault("tesla_per_amp", 0.02)
    opts.setdefault("check_errors", False)
    return scripted_driver(KepcoBOP, script, clock=FakeClock(), **opts)


def test_kepco_ramps_in_steps_at_the_ramp_rate():
    # 0.01 T/s through 0.02 T/A = 0.5 A/s; 50 ms steps -> 0.025 A per step; 0.1 A = 2 mT in 4 steps.
    script = [(b"FUNC:MODE CURR\n", None), (b"OUTP?\n", b"0\n"), (b"CURR 0.00000\n", None), (b"OUTP ON\n", None),
              (b"CURR 0.02500\n", None), (b"CURR 0.05000\n", None), (b"CURR 0.07500\n", None),
              (b"CURR 0.10000\n", None), (b"MEAS:CURR?\n", b"0.09000\n"), (b"MEAS:CURR?\n", b"0.09990\n")]
    fc, t = _kepco(script)
    fc.ramp_rate = 0.01
    t0 = fc.clock.now()
    with t:
        fc.ramp_to(2e-3)
    assert fc.clock.now() - t0 == pytest.approx(3 * 0.05 + 0.01)  # three waits between four steps, one poll
    assert fc.setpoint == pytest.approx(2e-3)


def test_kepco_lab_ramp_limit_caps_and_refuses():
    fc, t = _kepco([])
    Lab({"field": fc}, LabLimits(max_ramp_rate=0.005, max_field=0.3), clock=FakeClock())
    assert fc.ramp_rate == 0.005  # the default 10 mT/s is capped by the lab
    with t:
        with pytest.raises(LimitError, match="ramp rate = 0.02 T/s"):
            fc.ramp_rate = 0.02
        with pytest.raises(LimitError, match="field setpoint = 0.5 T"):
            fc.setpoint = 0.5


def test_kepco_magnet_not_following_is_a_clear_error():
    script = [(b"FUNC:MODE CURR\n", None), (b"OUTP?\n", b"1\n"), (b"CURR?\n", b"0.00000\n"),
              (b"CURR 0.02500\n", None)] + [(b"MEAS:CURR?\n", b"0.00100\n")] * 6
    fc, t = _kepco(script, settle_timeout=0.05)
    with t, pytest.raises(InstrumentError, match="magnet current is not following") as err:
        fc.ramp_to(0.5e-3)
    assert err.value.command == "MEAS:CURR?"


def test_kepco_safe_state_never_switches_on_an_idle_supply():
    fc, t = _kepco([(b"OUTP?\n", b"0\n")])
    with t:
        fc.make_safe()
    with pytest.raises(ConfigError, match="needs options.tesla_per_amp"):
        KepcoBOP("GPIB0::6::INSTR")


def test_redpitaya_digitizer_record():
    n = 4
    data = b"{0.1,0.2,0.3,0.4}\r\n"
    script = [(b"ACQ:DEC 8\r\n", None), (b"ACQ:RST\r\n", None), (b"ACQ:DEC 8\r\n", None),
              (b"ACQ:DATA:FORMAT ASCII\r\n", None), (b"ACQ:DATA:UNITS VOLTS\r\n", None),
              (b"ACQ:SOUR1:GAIN LV\r\n", None), (b"ACQ:SOUR2:GAIN LV\r\n", None),
              (b"ACQ:TRIG:LEV 0.1000\r\n", None), (b"ACQ:TRIG:DLY 8192\r\n", None),
              (b"ACQ:START\r\n", None), (b"ACQ:TRIG EXT_PE\r\n", None),
              (b"ACQ:TRIG:STAT?\r\n", b"WAIT\r\n"), (b"ACQ:TRIG:STAT?\r\n", b"TD\r\n"), (b"ACQ:TRig:FILL?\r\n", b"0\r\n"), (b"ACQ:TRig:FILL?\r\n", b"1\r\n"),
              (b"ACQ:SOUR1:DATA:OLD:N? 4\r\n", data), (b"ACQ:SOUR2:DATA:OLD:N? 4\r\n", b"{0,0,0,-0.5}\r\n"),
              (b"ACQ:STOP\r\n", None)]
    dg, t = scripted_driver(RedPitayaDigitizer, script, address="TCPIP0::10.0.0.9::5000::SOCKET",
                            check_errors=False, clock=FakeClock())
    with t:
        dg.sample_rate = 125e6 / 8
        dg.record_length = n
        dg.arm()
        z = dg.fetch()
    assert z.shape == (1, 4) and np.allclose(z[0], [0.1, 0.2, 0.3, 0.4 - 0.5j])
    with pytest.raises(ValueError, match="record length 20000"):
        dg.record_length = 20000


def test_redpitaya_generator_and_error_queue():
    script = [(b"SOUR1:FUNC SINE\r\n", None), (b"SYST:ERR:NEXT?\r\n", b'0,"No error"\r\n'),
              (b"SOUR1:VOLT 0.5000\r\n", None), (b"SYST:ERR:NEXT?\r\n", b'0,"No error"\r\n'),
              (b"OUTPUT1:STATE ON\r\n", None), (b"SYST:ERR:NEXT?\r\n", b'-113,"Undefined header"\r\n'),
              (b"SYST:ERR:NEXT?\r\n", b'0,"No error"\r\n'), (b"OUTPUT1:STATE?\r\n", b"ON\r\n")]
    gen, t = scripted_driver(RedPitayaGenerator, script, address="TCPIP0::10.0.0.9::5000::SOCKET")
    with t:
        gen.amplitude = 0.5
        with pytest.raises(InstrumentError, match="-113, Undefined header"):
            gen.output = True
        assert gen.output is True
        with pytest.raises(LimitError):
            gen.amplitude = 2.0


@pytest.mark.parametrize("tunit, reply, kelvin", [(b"1", b"+25.000", 298.15), (b"2", b"+77.350", 77.35)])
def test_lakeshore475_probe_temperature_follows_the_meters_tunit(tunit, reply, kelvin):
    """TUNIT (Model 475 manual): 1 = Celsius, 2 = kelvin; it was always read as Celsius."""
    script = [(b"TUNIT?\r\n", tunit + b"\r\n"), (b"RDGTEMP?\r\n", reply + b"\r\n"), (b"RDGTEMP?\r\n", reply + b"\r\n")]
    gm, t = scripted_driver(LakeShore475, script, address="GPIB0::12::INSTR")
    with t:
        assert gm.read_probe_temperature() == pytest.approx(kelvin)
        assert gm.read_probe_temperature() == pytest.approx(kelvin)  # the unit is read once per connection


def test_e8257d_power_cap_is_conservative_unless_the_options_allow_more():
    """The PSG's maximum power depends on its options: +10 dBm by default, raised only by the
    user (max_power_dbm, at most +25 dBm), and *OPT? recorded."""
    rf, t = scripted_driver(KeysightE8257D, [(b"*OPT?\n", b"1E1,1EA,520\n")], check_errors=False)
    with t:
        with pytest.raises(LimitError, match="power = 0.02 W is outside"):
            rf.power = 20e-3  # +13 dBm
        assert rf.installed_options() == ["1E1", "1EA", "520"]
    assert rf.power_range.high == pytest.approx(10e-3)
    high = KeysightE8257D("TCPIP0::10.0.0.5::5025::SOCKET", "rf", max_power_dbm=30)
    assert high.power_range.high == pytest.approx(dbm_to_watt(25.0))  # never above the model's ceiling
