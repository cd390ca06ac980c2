"""The NV bench from a lab file: wiring, AOM delay and sample from TOML; bad values named."""
from __future__ import annotations

from pathlib import Path

import pytest

from app.labconfig import lab_from_file
from drivers.errors import ConfigError
from drivers.pulse_program import ChannelMap

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "lab-sim-nv.toml"
WIRING = 'channels = {mw_switch = 0, counter_gate = 6, trigger = 7, laser = {bit = 8, delay = "400 ns"}}'


def test_example_nv_lab_builds_with_its_wiring_and_delay():
    assert WIRING in EXAMPLE.read_text()  # the line the other tests replace
    lab = lab_from_file(EXAMPLE)
    assert lab.pulser.channel_map == ChannelMap(tx=0, adc=6, markers=(("trigger", 7), ("laser", 8)))
    from sequences.pulse import Constraints

    assert Constraints.from_lab(lab).delay_of("laser") == pytest.approx(400e-9)  # declared in the channel table
    assert lab.laser.rise_delay == 0.0  # the simulated laser declares nothing of its own
    assert lab.world.nv.laser_delay == pytest.approx(400e-9)  # the simulated AOM's true delay
    assert lab.world.nv.sample.static_field == pytest.approx(0.01)


def test_other_wiring_reaches_the_compiled_program(tmp_path):
    from sequences.experiments.nv_rabi_ramsey_echo import NvRabi

    text = EXAMPLE.read_text().replace(WIRING,
                                       "channels = {mw_switch = 3, counter_gate = 12, trigger = 0, laser = 15}")
    path = tmp_path / "nv.toml"
    path.write_text(text)
    lab = lab_from_file(path)
    program = NvRabi(points=2).programs(lab)[0]
    assert program.channels.tx == 3 and program.channels.adc == 12 and program.channels.marker_bits["laser"] == 15
    assert any((i.flags >> 15) & 1 for i in program.instructions)


def test_unknown_isotope_is_named(tmp_path):
    path = tmp_path / "nv.toml"
    path.write_text(EXAMPLE.read_text().replace('nitrogen = "14N"', 'nitrogen = "13N"'))
    with pytest.raises(ConfigError, match="nitrogen '13N'"):
        lab_from_file(path)


@pytest.mark.parametrize("line,message", [
    ("channels = {mw_switch = 0, laser = 0}", "distinct"),
    ("channels = {mw_switch = 0, laser = 30}", "channels.laser = 30: a flag bit is a whole number 0..23"),
    ('channels = {mw_switch = 0, laser = 8}\nlaser_delay_x = 1', "'laser_delay_x' unknown"),
    ('channels = {mw_switch = 0, laser = 8}\nlaser_delay = 400e-9', "laser_delay is no longer read: .* declared in "
                                                                  "the channel table"),
    ('channels = {mw_switch = 0, laser = 8}\ntrue_mw_delay = "5 V"', "true_mw_delay = '5 V': give a time"),
    ('channels = {mw_switch = 0, laser = 8}\ntrue_mw_delay = -1e-9', "true_mw_delay = -1e-09: a propagation "
                                                                     "delay is >= 0"),
])
def test_bad_nv_values_are_named(tmp_path, line, message):
    text = EXAMPLE.read_text().replace(WIRING, line)
    path = tmp_path / "nv.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        lab_from_file(path)


def test_real_pulseblaster_takes_its_wiring_from_the_lab_file(tmp_path):
    path = tmp_path / "bench.toml"
    path.write_text("""
[lab]
name = "NV bench"
[limits]
max_field = "0.1 T"
[instruments.pulser]
driver = "pulseblaster"
address = "0"
[instruments.pulser.options]
clock_hz = 500e6
channels = {mw_switch = 1, counter_gate = 2, laser = 3, trigger = 4}
[instruments.counter]
driver = "ni-counter"
address = "Dev1/ctr0"
""")
    from sequences.pulse import Constraints

    lab = lab_from_file(path)
    c = Constraints.from_lab(lab)
    assert c.channels.tx == 1 and c.channels.adc == 2 and c.channels.marker_bits == {"laser": 3, "trigger": 4}


def test_sequence_commands_take_the_nv_wiring_from_a_lab_file(capsys):
    from app.cli import main

    assert main(["sequence", "check", "nv-rabi"]) != 0  # the default board has no laser line
    assert "'laser' has no flag bit" in capsys.readouterr().out
    assert main(["sequence", "check", "nv-xy8", "--config", str(EXAMPLE)]) == 0
    assert main(["sequence", "compile", "nv-rabi", "--config", str(EXAMPLE)]) == 0
    listing = capsys.readouterr().out
    assert "000000000000000100000000" in listing  # the laser alone (bit 8) before the counter window opens
