"""The drivers against a simulation spinbench did not write: pyvisa-sim, driven by a YAML file
(tests/data/pyvisa_sim_lab.yaml) in which neither instrument has an error query, and whose
output buffer, as on GPIB and VXI-11, outlives a query nobody read. pyvisa-sim is in the test
extra (``pip install -e '.[test]'``); ``visa_library = "file.yaml@sim"`` selects it."""
from __future__ import annotations

import logging
from pathlib import Path

import pytest

from app.labconfig import build_lab

YAML = Path(__file__).parent / "data" / "pyvisa_sim_lab.yaml"


def sim_lab():
    options = {"visa_library": f"{YAML}@sim"}
    config = {"lab": {"name": "pyvisa-sim"},
              "instruments": {"lockin": {"driver": "sr830", "address": "GPIB0::8::INSTR", "timeout": "0.05 s",
                                         "options": options},
                              "rf": {"driver": "keysight-n5183b", "address": "TCPIP0::192.168.1.5::inst0::INSTR",
                                     "timeout": "0.05 s", "options": options}}}
    return build_lab(config)


def test_settings_work_without_error_queries_after_one_warning_each(caplog):
    lab = sim_lab()
    with caplog.at_level(logging.WARNING, logger="drivers"):
        lab.rf.frequency = 9.4e9
        lab.rf.power = 1e-3
        lab.rf.output = True
        lab.lockin.reference_frequency = 12345.0
        lab.lockin.reference_amplitude = 0.5
    assert lab.rf.frequency == 9.4e9
    assert lab.rf.power == pytest.approx(1e-3)
    assert lab.rf.output is True
    assert lab.lockin.reference_frequency == 12345.0
    assert lab.lockin.reference_amplitude == 0.5
    assert lab.rf.identity().startswith("Agilent Technologies, N5183B")
    off = [r.getMessage() for r in caplog.records if "error checking is off" in r.getMessage()]
    assert len(off) == 2 and any("SYST:ERR?" in m for m in off) and any("*ESR?" in m for m in off)
    lab.close()


@pytest.mark.parametrize("unread", ["*IDN?", "SOUR:FREQ?", "OUTP:STAT?"])
def test_a_reply_nobody_read_is_never_taken_for_the_next_answer(unread):
    """The issue's case: after one unread reply every later query got the previous answer
    (identity 'ERROR', the frequency the *IDN? text, the power 9.4e9 dBm -> OverflowError)."""
    lab = sim_lab()
    rf = lab.rf
    rf.frequency = 9.4e9
    rf.power = 2e-3
    rf.output = False
    rf.transport._res.write_raw(f"{unread}\n".encode())  # another program's query: its reply stays unread
    assert rf.power == pytest.approx(2e-3, rel=1e-3)
    assert rf.frequency == 9.4e9
    assert rf.identity() == "Agilent Technologies, N5183B, MY00000001, B.01.80"
    assert rf.output is False
    assert rf.transport.stale_replies + rf.transport.retried_queries >= 1
    lab.close()
