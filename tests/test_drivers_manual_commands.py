"""The simulated instruments answer what users send: every command in each driver module's
"Manual command set" (the manual's common set, IEEE 488.2 included, and what popular drivers
send), sent verbatim from plain pyvisa over TCP. A query must be answered, a setting must
leave no error (``*ESR?`` bits / ``SYST:ERR?`` queue)."""
from __future__ import annotations

import ast
import importlib

import pyvisa
import pytest

from drivers.catalog import driver_class
from sim_backend.served import serve_lab
from sim_backend.served.lab import ROLES
from sim_backend.world import SimulatedWorld

#: driver module -> (served role, how errors are read: the *ESR? register or an error queue)
MODULES = {
    "drivers.sr830": ("lockin", "*ESR?"),
    "drivers.sr860": ("lockin-sr860", "*ESR?"),
    "drivers.scpi_source": ("rf", "SYST:ERR?"),
    "drivers.kepco_bop": ("field", "SYST:ERR?"),
    "drivers.lakeshore475": ("gaussmeter", "*ESR?"),
    "drivers.lakeshore336": ("temperature", "*ESR?"),
    "drivers.redpitaya": ("digitizer", "SYST:ERR:NEXT?"),
}


def manual_commands(module: str) -> list[str]:
    """The commands of the docstring's "Manual command set" block (indented lines, ';'-separated)."""
    doc = ast.get_docstring(ast.parse(open(importlib.import_module(module).__file__).read()), clean=False)
    block = doc.split("Manual command set", 1)[1].split("\n\n", 1)[1]
    lines = [line.strip() for line in block.splitlines() if line.startswith("    ")]
    return [c.strip() for line in lines for c in line.split(";") if c.strip()]


@pytest.fixture(scope="module")
def served():
    """The served lab, plus an SR860 (not one of the lab's roles) on its own TCP port."""
    from sim_backend.served.lockin_sr860 import ServedSR860
    from sim_backend.served.server import TcpServer

    lab = serve_lab(SimulatedWorld(seed=8), roles=tuple(r for r, _ in MODULES.values() if r in ROLES), serial=(),
                    timeout=1.0)
    sr860 = TcpServer(ServedSR860(lab.link))
    yield {**{role: (lab.addresses[role], lab.drivers()[role]) for role in lab.servers},
           "lockin-sr860": (sr860.address, "sr860")}
    sr860.stop()
    lab.stop()


def no_error(res, error_query: str) -> str | None:
    reply = res.query(error_query).strip()
    if error_query == "*ESR?":
        return None if int(reply) & 0b110100 == 0 else f"*ESR? = {reply}"
    return None if reply.lstrip("+").startswith("0,") else reply


@pytest.mark.parametrize("module", sorted(MODULES))
def test_every_manual_command_is_served(module, served):
    role, error_query = MODULES[module]
    commands = manual_commands(module)
    assert len(commands) >= 10
    address, driver = served[role]
    read_t, write_t = driver_class(driver).terminations["socket"]
    rm = pyvisa.ResourceManager("@py")
    res = rm.open_resource(address, read_termination=read_t, write_termination=write_t, timeout=1000)
    problems = []
    try:
        for command in commands:
            header = command.split(" ", 1)[0]
            if header.endswith("?"):
                try:
                    if not res.query(command).strip():
                        problems.append(f"{command}: empty reply")
                except pyvisa.errors.VisaIOError as exc:
                    problems.append(f"{command}: {exc.abbreviation}")
                    res.clear()
            else:
                res.write(command)
                err = no_error(res, error_query)
                if err:
                    problems.append(f"{command}: {err}")
    finally:
        res.close()
    assert not problems, problems


def test_the_served_sr830_sine_output_never_reads_below_its_4_mV_minimum():
    lab = serve_lab(SimulatedWorld(seed=1), roles=("lockin",), serial=())
    try:
        res = pyvisa.ResourceManager("@py").open_resource(lab.addresses["lockin"], read_termination="\n",
                                                          write_termination="\n", timeout=1000)
        assert float(res.query("SLVL?")) == pytest.approx(0.004)
        res.close()
    finally:
        lab.stop()


def test_sr830_buffer_samples_each_point_at_its_own_simulated_instant():
    """SRAT/STRT/SPTS?/TRCA? through the driver: with the field ramping through the line, the
    buffered X at 32 Hz must be what the lock-in showed at each sample instant (a twin world,
    same seed, stepped to the same instants), and the count that of 2 s at 32 Hz."""
    from drivers.sr830 import SR830
    from sim_backend.served.link import WorldLink
    from sim_backend.served.lockin import ServedSR830
    from tests.bus_double import on_bus

    def lab():
        world = SimulatedWorld(seed=11)
        link = WorldLink(world)
        t = [world.clock.now()]
        link.world_time_now = lambda: t[0]  # the simulated time is the test's, not the wall's
        served = ServedSR830(link)
        world.modulation_amplitude_v, world.lockin.time_constant = 0.1, 0.01
        world.magnet.ramp_rate = 2e-3
        world.magnet.set_field(world.magnet.true_field + 4e-3)
        return world, served, t

    world, served, t = lab()
    li, _ = on_bus(SR830, served)
    li.start_buffer(32.0)
    t[0] += 2.0
    assert li.buffer_points() == 65  # samples at 0, 1/32, ..., 2 s
    xs = li.read_buffer(1)
    twin, twin_served, _ = lab()
    t0 = twin.clock.now()
    expected = []
    for k in range(65):
        twin.clock.sleep(t0 + k / 32.0 - twin.clock.now())
        expected.append(twin_served._displays()[0])
    assert xs == pytest.approx(expected, rel=1e-5, abs=1e-12)
    assert max(xs) - min(xs) > 10 * li.SENSITIVITIES[0]  # the ramp moved the signal: not a flat trace


@pytest.mark.parametrize("source, wire", [("external", "EXT1"), ("external2", "EXT2"), ("internal", "INT")])
def test_keysight_fm_source_uses_the_documented_input_names(source, wire):
    """Keysight FM/AM inputs are EXT1/EXT2; the bare EXT the driver sent is refused (-224)."""
    from drivers.scpi_source import KeysightN5183B
    from sim_backend.served.faults import FaultSet
    from sim_backend.served.link import WorldLink
    from sim_backend.served.source import ServedScpiSource
    from tests.bus_double import on_bus

    world = SimulatedWorld(seed=2)
    served = ServedScpiSource(WorldLink(world), FaultSet([]))
    rf, bus = on_bus(KeysightN5183B, served)
    rf.set_modulation("fm", True, source=source, deviation=1e4)
    assert f"SOUR:FM1:SOUR {wire}" in bus.sent
    assert world.microwave.modulation["fm"] == {"enabled": True, "source": source.rstrip("2"), "deviation": 1e4}
    assert served.process("SOUR:FM1:SOUR EXT").reply is None and served.next_error().startswith("-224")


def test_without_error_checks_a_refused_setting_is_caught_by_read_back():
    """A source whose options allow only +10 dBm refuses +17 dBm into its error queue; with error
    checks off only the read-back can tell, and it must."""
    from drivers.errors import InstrumentError
    from drivers.scpi_source import KeysightN5183B
    from sim_backend.served.faults import FaultSet
    from sim_backend.served.link import WorldLink
    from sim_backend.served.source import ServedScpiSource
    from tests.bus_double import on_bus

    world = SimulatedWorld(seed=2)
    served = ServedScpiSource(WorldLink(world), FaultSet([]))
    served.max_dbm = 10.0
    rf, _ = on_bus(KeysightN5183B, served, check_errors=False)
    rf.power = 5e-3  # +6.99 dBm: taken, and confirmed by reading it back
    with pytest.raises(InstrumentError, match=r"power was sent as '16.99' but reads back as '6.99'"):
        rf.power = 50e-3
    assert world.microwave.power == pytest.approx(5e-3, rel=1e-3)
