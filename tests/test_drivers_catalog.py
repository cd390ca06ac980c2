"""Every catalogued driver imports, is constructible from (address, name, **options) without
touching hardware, fills its role, and refuses unknown options with the accepted list."""
from __future__ import annotations

import pytest

from drivers.catalog import DRIVERS, REQUIRED_OPTIONS, driver_class
from drivers.errors import ConfigError
from drivers.roles import ROLES, Instrument

ROLE_OF = {"sr830": "lockin", "sr860": "lockin", "keysight-n5183b": "rf", "keysight-e8257d": "rf",
           "rs-smb100a": "rf", "lakeshore336": "temperature", "lakeshore475": "gaussmeter", "kepco-bop": "field",
           "pulseblaster": "pulser", "redpitaya": "digitizer", "redpitaya-gen": "piezo", "ni-counter": "counter"}
ADDRESS = {"pulseblaster": "0", "ni-counter": "Dev1/ctr0"}


def test_catalogue_lists_every_driver_module():
    assert set(DRIVERS) == set(ROLE_OF)
    assert all(":" in target and target.startswith("drivers.") for target in DRIVERS.values())


@pytest.mark.parametrize("name", sorted(DRIVERS))
def test_driver_importable_and_constructible(name):
    cls = driver_class(name)
    address = ADDRESS.get(name, "TCPIP0::127.0.0.1::1::SOCKET")
    inst = cls(address, name=ROLE_OF[name], **REQUIRED_OPTIONS.get(name, {}))
    assert isinstance(inst, Instrument) and isinstance(inst, ROLES[ROLE_OF[name]])
    assert inst.name == ROLE_OF[name]
    transport = getattr(inst, "transport", None)
    assert transport is None or not transport.is_open  # lazily opened: building a lab touches nothing
    with pytest.raises(ConfigError, match="unknown option"):
        cls(address, name="x", bogus_option=1, **REQUIRED_OPTIONS.get(name, {}))


def test_unknown_driver_name_lists_the_known_ones():
    with pytest.raises(ConfigError, match="unknown driver 'sr850'; known drivers: kepco-bop, keysight-e8257d"):
        driver_class("sr850")


def test_lab_config_builds_real_drivers_from_toml(tmp_path):
    from app.labconfig import lab_from_file

    path = tmp_path / "lab.toml"
    path.write_text("""
[lab]
name = "X-band"
modulation_coil = "0.5 mT/V"
[limits]
max_field = "0.4 T"
max_ramp_rate = "5 mT/s"
[instruments.lockin]
driver = "sr830"
address = "ASRL/dev/ttyUSB0::INSTR"
timeout = "3 s"
[instruments.field]
driver = "kepco-bop"
address = "GPIB0::6::INSTR"
[instruments.field.options]
tesla_per_amp = 0.02
max_current = 12
""")
    lab = lab_from_file(path)
    assert lab.lockin.transport.timeout == 3.0 and lab.lockin.transport.read_termination == "\r"
    assert lab.field.field_range.high == pytest.approx(0.24)  # 12 A x 0.02 T/A, inside the lab's 0.4 T
    assert lab.field.ramp_rate == 0.005  # capped by the lab
