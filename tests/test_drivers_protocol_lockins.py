"""SR830 and SR860: the exact bytes each setting writes and how each reply is parsed."""
from __future__ import annotations

import pytest

from drivers.errors import InstrumentError, LimitError
from drivers.scripted import scripted_driver
from drivers.sr830 import SR830
from drivers.sr860 import SR860

OK = b"0\n"  # *ESR? with no error bits


def test_sr830_settings_write_manual_mnemonics_with_error_checks():
    script = [(b"OUTX 1\n", None),  # GPIB/LAN bridge: replies to the GPIB interface
              (b"FREQ 100000.0000\n", None), (b"*ESR?\n", OK),
              (b"SLVL 0.030\n", None), (b"*ESR?\n", OK),
              (b"OFLT 6\n", None), (b"*ESR?\n", OK),          # 10 ms
              (b"OFLT 7\n", None), (b"*ESR?\n", OK),          # 25 ms -> nearest 30 ms
              (b"OFSL 1\n", None), (b"*ESR?\n", OK),          # 12 dB/oct
              (b"ISRC?\n", b"0\n"), (b"SENS 17\n", None), (b"*ESR?\n", OK),   # 1 mV (voltage input)
              (b"ISRC?\n", b"0\n"), (b"SENS 18\n", None), (b"*ESR?\n", OK),   # 1.5 mV -> 2 mV, never overloads
              (b"PHAS 10.00\n", None), (b"*ESR?\n", OK),      # 370 deg wrapped
              (b"FREQ?\n", b"1000.0000\n"), (b"HARM 2\n", None), (b"*ESR?\n", OK),
              (b"RMOD 2\n", None), (b"*ESR?\n", OK), (b"ISRC 1\n", None), (b"*ESR?\n", OK),
              (b"APHS\n", None), (b"*ESR?\n", OK)]
    li, t = scripted_driver(SR830, script)
    with t:
        li.reference_frequency = 100e3
        li.reference_amplitude = 0.03
        li.time_constant = 10e-3
        li.time_constant = 25e-3
        li.filter_slope = 12
        li.sensitivity = 1e-3
        li.sensitivity = 1.5e-3
        li.phase = 370.0
        li.harmonic = 2
        li.reserve = "low_noise"
        li.input_config = "A-B"
        li.auto_phase()


def test_sr830_serial_selects_rs232_and_uses_cr():
    script = [(b"OUTX 0\r", None), (b"SNAP? 1,2\r", b"1.500000e-05,-2.000000e-06\r")]
    li, t = scripted_driver(SR830, script, address="ASRL/dev/ttyUSB0::INSTR")
    with t:
        assert li.read_xy() == (1.5e-05, -2e-06)
    assert li.transport.kind == "scripted"
    real = SR830("ASRL/dev/ttyUSB0::INSTR")  # the transport it would open: 9600 8N1, CR
    assert real.transport.serial_settings == {"baud_rate": 9600, "data_bits": 8, "parity": "none", "stop_bits": 1}
    assert (real.transport.read_termination, real.transport.write_termination) == ("\r", "\r")


def test_sr830_replies_parsed_into_si_values():
    script = [(b"OUTX 1\n", None), (b"OFLT?\n", b"6\n"), (b"ISRC?\n", b"0\n"), (b"SENS?\n", b"17\n"), (b"OFSL?\n", b"3\n"),
              (b"SNAP? 3,4\n", b"2.0e-3,45.0\n"), (b"OUTP? 4\n", b"-12.5\n"), (b"LIAS?\n", b"5\n"),
              (b"PHAS?\n", b"-90.00\n"), (b"RMOD?\n", b"1\n")]
    li, t = scripted_driver(SR830, script)
    with t:
        assert li.time_constant == pytest.approx(0.01)
        assert li.sensitivity == pytest.approx(1e-3)
        assert li.filter_slope == 24
        assert li.read_r_theta() == (2e-3, 45.0)
        assert li.read_output("theta") == -12.5
        assert li.status() == ["input overload", "output overload"]
        assert li.phase == -90.0
        assert li.reserve == "normal"


def test_sr830_malformed_replies_are_retried_then_reported():
    # After each bad reply the instrument is put back in step on the same session: a drain
    # (a socket has no device clear) and the *OPC? marker, then the query is retried.
    opc = (b"*OPC?\n", b"1\n")
    script = [(b"OUTX 1\n", None),
              (b"SNAP? 1,2\n", b"1.5e-05\n"), opc,      # one value where two were asked
              (b"SNAP? 1,2\n", b"1.5e-05,abc\n"), opc,  # not a number
              (b"SNAP? 1,2\n", b"1.5e-05,2e-06\n"),     # third time lucky
              (b"OFLT?\n", b"25\n"), opc, (b"OFLT?\n", b"25\n"), opc,
              (b"OFLT?\n", b"25\n"), opc]  # index outside 0..19, three times
    li, t = scripted_driver(SR830, script)
    with t:
        assert li.read_xy() == (1.5e-05, 2e-06)
        with pytest.raises(InstrumentError, match=r"malformed reply '25': index 25 outside 0..19") as err:
            li.time_constant  # noqa: B018
    assert err.value.command == "OFLT?"


def test_sr830_error_bits_raise_naming_the_command():
    li, t = scripted_driver(SR830, [(b"OUTX 1\n", None), (b"SLVL 4.000\n", None), (b"*ESR?\n", b"16\n")])
    with t, pytest.raises(InstrumentError, match="execution error") as err:
        li.reference_amplitude = 4.0
    assert err.value.command == "SLVL 4.000" and err.value.instrument == "lockin"


def test_sr830_refuses_bad_values_before_sending_anything():
    li, t = scripted_driver(SR830, [])
    with t:
        with pytest.raises(LimitError, match="reference frequency = 200000 Hz is outside"):
            li.reference_frequency = 200e3
        with pytest.raises(LimitError, match="reference amplitude = 0.001 V"):
            li.reference_amplitude = 0.001  # the sine output's minimum is 4 mV
        with pytest.raises(ValueError, match="filter slope 9"):
            li.filter_slope = 9
        with pytest.raises(ValueError, match="time constant 1e-06 s outside"):
            li.time_constant = 1e-6
        with pytest.raises(ValueError, match="snap takes 2..6"):
            li.snap("x")
    assert t.opened == 0  # nothing was even connected


def test_sr830_harmonic_checked_against_reference_frequency():
    li, t = scripted_driver(SR830, [(b"OUTX 1\n", None), (b"FREQ?\n", b"60000.0000\n")])
    with t, pytest.raises(ValueError, match="harmonic 2 of 60000 Hz is 120000 Hz"):
        li.harmonic = 2


def test_sr830_safe_state_is_minimum_sine_amplitude():
    li, t = scripted_driver(SR830, [(b"OUTX 1\n", None), (b"SLVL 0.004\n", None), (b"*ESR?\n", OK)])
    with t:
        li.make_safe()


def test_sr860_uses_its_own_numbering():
    script = [(b"IVMD?\n", b"0\n"), (b"SCAL 9\n", None), (b"*ESR?\n", OK),                 # 1 mV: index 9 from 1 V down
              (b"OFLT 8\n", None), (b"*ESR?\n", OK),                 # 10 ms: index 8 from 1 us
              (b"FREQ 200000.0000\n", None), (b"*ESR?\n", OK),       # above the SR830's 102 kHz
              (b"SLVL 0.5\n", None), (b"*ESR?\n", OK),
              (b"IRNG 2\n", None), (b"*ESR?\n", OK),
              (b"SNAP? 0,1\n", b"1e-6,2e-6\n"), (b"OUTP? 2\n", b"3e-6\n"), (b"IVMD?\n", b"0\n"), (b"SCAL?\n", b"0\n")]
    li, t = scripted_driver(SR860, script)
    with t:
        li.sensitivity = 1e-3
        li.time_constant = 10e-3
        li.reference_frequency = 200e3
        li.reference_amplitude = 0.5
        li.input_range = 0.1
        assert li.read_xy() == (1e-6, 2e-6)
        assert li.read_output("r") == 3e-6
        assert li.sensitivity == 1.0
    with pytest.raises(ValueError, match="snap takes 2..3"):
        li.snap("x", "y", "r", "theta")
    with pytest.raises(ValueError, match="harmonic 120 must be an integer 1..99"):
        li.harmonic = 120


def test_sr830_current_input_reports_amperes():
    """ISRC 2 (1 MOhm) / 3 (100 MOhm): SENS 17 is 1 mV on the voltage input, 1 nA / 10 pA on
    the current inputs (manual p. 5-6); the snapshot names the unit."""
    script = [(b"OUTX 1\n", None), (b"ISRC?\n", b"2\n"), (b"SENS?\n", b"17\n"),
              (b"ISRC?\n", b"3\n"), (b"SENS?\n", b"17\n"),
              (b"ISRC?\n", b"2\n"), (b"SENS 8\n", None), (b"*ESR?\n", OK)]   # 1 pA at 1e6 V/A = 1 uV
    li, t = scripted_driver(SR830, script)
    with t:
        assert li.sensitivity == pytest.approx(1e-9)
        assert li.sensitivity == pytest.approx(1e-11)
        li.sensitivity = 1e-12


def test_sr860_current_mode_reports_amperes():
    script = [(b"IVMD?\n", b"1\n"), (b"ICUR?\n", b"1\n"), (b"SCAL?\n", b"0\n")]  # 1 V full scale at 1e8 V/A
    li, t = scripted_driver(SR860, script)
    with t:
        assert li.sensitivity == pytest.approx(1e-8)
