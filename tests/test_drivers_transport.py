"""Transport rules, checked byte for byte: retries, recovery, replay, and what errors say."""
from __future__ import annotations

import pytest

from drivers.errors import ConfigError, InstrumentError
from drivers.scripted import DROP, TIMEOUT, ProtocolMismatch, ScriptedTransport
from drivers.transport import open_transport
from drivers.transport_visa import SerialTransport, VisaTransport
from drivers.replies import parse_float


def make(script, **kw):
    kw.setdefault("instrument", "lockin")
    return ScriptedTransport(script, address="TCPIP0::10.0.0.5::5025::SOCKET", **kw)


def test_write_and_query_exact_bytes():
    with make([(b"FREQ 1000.0000\n", None), (b"FREQ?\n", b"1000.0000\n")]) as t:
        t.write("FREQ 1000.0000", idempotent=True)
        assert t.query("FREQ?", parse_float) == 1000.0


def test_idempotent_query_retried_after_timeout_and_garbled_reply():
    script = [(b"SNAP? 1,2\n", TIMEOUT), (b"SNAP? 1,2\n", b"1.0#-3,2.0e-3\n"), (b"SNAP? 1,2\n", b"1e-3,2e-3\n")]
    with make(script, retries=2) as t:
        assert t.query("SNAP? 1,2", lambda s: [parse_float(v) for v in s.split(",")]) == [1e-3, 2e-3]
        assert t.retried_queries == 2 and t.reconnects == 2 and t.opened == 3  # reopened after each failure


def test_retries_exhausted_error_names_instrument_address_command():
    with make([(b"FREQ?\n", TIMEOUT)] * 3, retries=2) as t:
        with pytest.raises(InstrumentError) as err:
            t.query("FREQ?", parse_float)
    e = err.value
    assert (e.instrument, e.address, e.command) == ("lockin", "TCPIP0::10.0.0.5::5025::SOCKET", "FREQ?")
    assert "after 3 attempts" in str(e) and "no reply within" in str(e)


def test_non_idempotent_query_is_never_repeated():
    with make([(b"*TST?\n", TIMEOUT)]) as t:
        with pytest.raises(InstrumentError, match="no valid reply"):
            t.query("*TST?", idempotent=False)


def test_unterminated_reply_is_rejected_and_retried():
    with make([(b"FREQ?\n", b"1000"), (b"FREQ?\n", b"1000\n")]) as t:
        assert t.query("FREQ?", parse_float) == 1000.0


def test_lost_connection_replays_unconfirmed_idempotent_settings():
    """The SLVL write may have died with the connection: it is re-sent before the retried query."""
    script = [(b"SLVL 0.030\n", None), (b"SNAP? 1,2\n", DROP), (b"SLVL 0.030\n", None), (b"SNAP? 1,2\n", b"1,2\n")]
    with make(script) as t:
        t.write("SLVL 0.030", idempotent=True)
        assert t.query("SNAP? 1,2") == "1,2"


def test_lost_connection_after_an_action_is_an_error_not_a_guess():
    with make([(b"APHS\n", None), (b"PHAS?\n", DROP)]) as t:
        t.write("APHS", idempotent=False)
        with pytest.raises(InstrumentError, match=r"\['APHS'\] may or may not have reached"):
            t.query("PHAS?", parse_float)


def test_confirmed_writes_are_not_replayed():
    script = [(b"SLVL 0.1\n", None), (b"SLVL?\n", b"0.1\n"), (b"FREQ?\n", DROP), (b"FREQ?\n", b"5\n")]
    with make(script) as t:
        t.write("SLVL 0.1", idempotent=True)
        t.query("SLVL?")
        assert t.query("FREQ?", parse_float) == 5.0


def test_on_connect_hook_runs_after_every_reconnection():
    script = [(b"OUTX 1\n", None), (b"FREQ?\n", TIMEOUT), (b"OUTX 1\n", None), (b"FREQ?\n", b"7\n")]
    with make(script) as t:
        t.on_connect = lambda tr: tr.write("OUTX 1", idempotent=True)
        assert t.query("FREQ?", parse_float) == 7.0


def test_scripted_transport_catches_wrong_bytes_and_leftovers():
    t = make([(b"FREQ 1\n", None), (b"FREQ?\n", b"1\n")])
    with pytest.raises(ProtocolMismatch, match="expected b'FREQ 1\\\\n', driver wrote b'FREQ 1.0\\\\n'"):
        t.write("FREQ 1.0")
    t = make([(b"FREQ?\n", b"1\n")])
    with pytest.raises(ProtocolMismatch, match="never happened"):
        t.finish()


def test_bad_transport_settings_are_refused_before_opening():
    with pytest.raises(ConfigError, match="not a VISA resource"):
        open_transport("192.168.1.5:5025")
    with pytest.raises(ConfigError, match="parity 'odd7'"):
        open_transport("ASRL/dev/ttyUSB0::INSTR", parity="odd7")
    with pytest.raises(ConfigError, match="timeout must be > 0"):
        open_transport("TCPIP0::1.2.3.4::5025::SOCKET", timeout=0)
    assert isinstance(open_transport("serial:/dev/ttyUSB0"), SerialTransport)
    assert isinstance(open_transport("GPIB0::8::INSTR"), VisaTransport)


def test_unreachable_instrument_is_a_clear_error():
    t = open_transport("TCPIP0::127.0.0.1::1::SOCKET", instrument="rf", timeout=0.5)
    with pytest.raises(InstrumentError, match=r"rf at TCPIP0::127.0.0.1::1::SOCKET: .*(Connection refused|cannot open)"):
        t.query("*IDN?")


def test_gpib_without_backend_names_the_fix():
    t = open_transport("GPIB0::8::INSTR", instrument="lockin", timeout=0.5)
    with pytest.raises(InstrumentError, match="linux-gpib"):
        t.query("*IDN?")


def test_replayed_settings_survive_a_second_loss():
    script = [(b"SLVL 0.1\n", None), (b"SNAP? 1,2\n", DROP), (b"SLVL 0.1\n", None), (b"SNAP? 1,2\n", DROP),
              (b"SLVL 0.1\n", None), (b"SNAP? 1,2\n", b"1,2\n")]
    with make(script) as t:
        t.write("SLVL 0.1", idempotent=True)
        assert t.query("SNAP? 1,2") == "1,2"


def test_traffic_is_logged_under_the_instrument_name(caplog):
    """The GUI's log panel shows real instruments' traffic from these records."""
    import logging

    from drivers.scripted import ScriptedTransport

    t = ScriptedTransport([(b"FREQ 1000\n", None), (b"FREQ?\n", b"1000\n")], instrument="lockin",
                          address="GPIB0::8::INSTR")
    with caplog.at_level(logging.DEBUG, logger="drivers.lockin"):
        t.write("FREQ 1000")
        assert t.query("FREQ?", float) == 1000.0
    messages = [r.getMessage() for r in caplog.records if r.name == "drivers.lockin"]
    assert any("FREQ 1000" in m for m in messages)
    assert any("FREQ? -> 1000" in m for m in messages)


def test_after_a_reconnect_the_connect_hook_runs_before_the_replay():
    """A channel-selecting instrument: replayed settings must follow the channel select (the
    bytes were 'h0, r0, C0' before: the replay went to whatever channel was selected)."""
    script = [(b"C0\n", None), (b"h0\n", None), (b"r0\n", None), (b"FREQ?\n", DROP),
              (b"C0\n", None), (b"h0\n", None), (b"r0\n", None), (b"FREQ?\n", b"5\n")]
    with make(script) as t:
        t.on_connect = lambda tr: tr.write("C0", idempotent=True)
        t.write("h0", idempotent=True)
        t.write("r0", idempotent=True)
        assert t.query("FREQ?", parse_float) == 5.0


def test_gpib_timeout_clears_the_device_and_resyncs_on_the_marker_without_reopening():
    from drivers.scripted import CLEAR

    script = [(b"FREQ?\n", TIMEOUT), (CLEAR, None), (b"*OPC?\n", b"1\n"), (b"FREQ?\n", b"5\n")]
    t = ScriptedTransport(script, address="GPIB0::8::INSTR", instrument="lockin", marker=("*OPC?", "1"))
    with t:
        assert t.query("FREQ?", parse_float) == 5.0
    assert (t.opened, t.device_clears, t.resyncs) == (1, 1, 1)

