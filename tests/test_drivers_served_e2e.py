"""The simulated lab over the wire: `spinbench sim-serve` in its own process, the real drivers
through pyvisa-py (TCP sockets and a pseudo-terminal), the cw-ESR sweep compared with the
in-process simulated lab; serial instruments over a real pty; the world's clock following
the wall clock through the served instruments."""
from __future__ import annotations

import signal
import time
import tomllib
from dataclasses import replace

import numpy as np
import pytest

from app.engine import MemoryCollector, RunEngine
from app.labconfig import build_lab, lab_from_file
from app.simlab import SIM_COIL_T_PER_V
from app.storage import HDF5Writer, read_run
from drivers.errors import InstrumentError
from drivers.lab import Lab
from drivers.sr830 import SR830
from sequences.experiments import EsrFieldSweep
from sim_backend.instruments import (SimFieldController, SimGaussmeter, SimLockIn, SimRFSource,
                                     SimTemperatureController)
from sim_backend.served import Fault, serve_lab
from sim_backend.served.lab import SERVED_LIMITS
from sim_backend.world import SimulatedWorld
from tests.served_helpers import sim_serve as start_sim_serve, stop as stop_sim_serve

#: 41 points across the line, 3 ms time constant, 10 time constants of settling (a 2-pole filter
#: needs ~7 for 99 %: shorter settling biases both labs differently, because a wire round trip
#: adds real time between the field step and the reading).
SWEEP = dict(field_start=0.3373, field_stop=0.3403, points=41, time_constant=3e-3, settle_tc=10.0, ramp_rate=0.3)
LIMITS = replace(SERVED_LIMITS, max_ramp_rate=0.3)  # both labs; sim-serve gets it with --limit


def in_process_lab(seed: int) -> Lab:
    """The in-process cw lab (the same instruments as app.simlab, without optional subsystems)."""
    w = SimulatedWorld(seed=seed)
    inst = {"rf": SimRFSource(w), "lockin": SimLockIn(w), "field": SimFieldController(w),
            "gaussmeter": SimGaussmeter(w), "temperature": SimTemperatureController(w)}
    return Lab(inst, LIMITS, w.clock, world=w, modulation_t_per_v=SIM_COIL_T_PER_V)


def fit(lab: Lab, writer=None):
    memory = MemoryCollector()
    info = RunEngine(lab).run(EsrFieldSweep(**SWEEP), [memory] + ([writer] if writer else []))
    assert info.status == "completed", info.error
    r = info.results
    return r["g_factor"], r["linewidth_pp"], info


@pytest.fixture
def sim_serve(tmp_path):
    """`spinbench sim-serve` as a separate process, the SR830 on a pty; yields the TOML path and
    the process, then stops it by PID."""
    proc, toml = start_sim_serve(tmp_path, "--serial", "lockin", "--duration", "120 s")
    yield toml, proc
    stop_sim_serve(proc)


@pytest.mark.slow
def test_esr_sweep_through_real_drivers_matches_in_process(sim_serve, tmp_path):
    toml, proc = sim_serve
    config = tomllib.loads(toml.read_text())
    assert config["instruments"]["lockin"]["address"].startswith("ASRL/dev/pts/")  # SR830 over RS-232 (pty)
    assert config["instruments"]["field"]["address"].startswith("TCPIP0::127.0.0.1::")
    assert config["limits"]["max_ramp_rate"] == "300 mT/s"
    lab = lab_from_file(toml)
    try:
        t0 = time.monotonic()
        g_wire, w_wire, info = fit(lab, HDF5Writer(tmp_path / "wire.h5"))
        wall = time.monotonic() - t0
        assert info.lab_snapshot["lockin"]["identity"].startswith("Stanford_Research_Systems,SR830")
        # The run left the served instruments safe; ask them through the drivers.
        assert lab.rf.output is False and lab.lockin.reference_amplitude == pytest.approx(0.004)
        assert abs(lab.field.field) < 1e-6
    finally:
        lab.close()
    stored = read_run(tmp_path / "wire.h5")
    assert stored.status == "completed" and len(stored["x"]) == 41
    assert wall > 41 * 10 * 3e-3  # the waits were real: the world ran on the wall clock
    # In-process reference: the wire run must agree with in-process runs within their
    # seed-to-seed scatter or the combined fit errors, whichever is larger.
    ref = [fit(in_process_lab(seed)) for seed in range(5)]
    g_ref = np.array([g.value for g, _, _ in ref])
    w_ref = np.array([w.value for _, w, _ in ref])
    g_sigma = max(g_ref.std(ddof=1), np.hypot(g_wire.error, ref[0][0].error))
    w_sigma = max(w_ref.std(ddof=1), np.hypot(w_wire.error, ref[0][1].error))
    assert abs(g_wire.value - g_ref.mean()) < 3 * g_sigma, (g_wire, g_ref)
    assert abs(w_wire.value - w_ref.mean()) < 3 * w_sigma, (w_wire, w_ref)
    assert abs(g_wire.value - 2.0036) < 2e-5  # and both are the sample's g
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0 and "stopped" in err


def test_serial_instruments_over_a_real_pseudo_terminal():
    """LS336 and SR830 on ptys: pyvisa-py ASRL for one, pyserial directly for the other."""
    world = SimulatedWorld(seed=2)
    served = serve_lab(world, roles=("temperature", "lockin"), serial=("temperature", "lockin"))
    try:
        lab = build_lab(tomllib.loads(served.toml()))
        tc = lab.temperature
        assert tc.transport.serial and tc.transport.serial_settings["baud_rate"] == 57600
        assert tc.identity() == "LSCI,MODEL336,LSA1234,2.9"
        assert tc.read_temperature("A") == pytest.approx(295.0, abs=0.05)
        tc.set_setpoint(320.0)
        tc.set_heater_range("high")
        assert world.thermal.setpoint == 320.0 and world.thermal.heater_range == "high"
        with pytest.raises(InstrumentError, match="input C: invalid reading"):
            tc.read_temperature("C")
        pty_path = served.servers["lockin"].path
        li = SR830(f"serial:{pty_path}", name="lockin", timeout=1.0)  # pyserial, no VISA
        li.reference_amplitude = 0.5
        assert world.modulation_amplitude_v == pytest.approx(0.5)
        assert li.transport.kind == "serial" and li.read_xy() is not None
        li.close()
        lab.close()
    finally:
        served.stop()


def test_garbled_reply_on_a_serial_line_is_recovered():
    world = SimulatedWorld(seed=2)
    served = serve_lab(world, roles=("temperature",), serial=("temperature",), timeout=0.5,
                       faults={"temperature": [Fault("garble", match="KRDG?", after=1, mode="truncate")]})
    try:
        tc = build_lab(tomllib.loads(served.toml())).temperature
        readings = [tc.read_temperature() for _ in range(3)]
        assert all(abs(t - 295.0) < 0.05 for t in readings)
        # Put back in step on the same line (drain + *OPC? marker), no reopen needed.
        assert tc.transport.retried_queries == 1 and tc.transport.resyncs == 1 and tc.transport.reconnects == 0
        tc.close()
    finally:
        served.stop()


def test_served_world_time_follows_the_wall_clock():
    """A query after a setpoint sees exactly the wall time that passed: the sample warms toward
    the new setpoint by (T_set - T)(1 - exp(-dt/tau)), and the magnet current slews."""
    world = SimulatedWorld(seed=4)
    world.thermal.noise = 0.0
    served = serve_lab(world, roles=("temperature", "field"), serial=(), slew=0.02)
    try:
        lab = build_lab(tomllib.loads(served.toml()))
        tc, fc = lab.temperature, lab.field
        t_start = tc.read_temperature()
        before_start = time.monotonic()
        tc.set_setpoint(305.0)  # the world is synced to the wall clock as this command arrives
        clock0, after_start = world.clock.now(), time.monotonic()
        fc.ramp_rate = 0.1
        fc.setpoint = 5e-3  # 0.25 A at 0.02 T/A; the supply slews at 20 mT/s -> 0.25 s
        time.sleep(0.6)
        before_end = time.monotonic()
        t_end = tc.read_temperature()
        after_end = time.monotonic()
        elapsed_world = world.clock.now() - clock0
        # The two syncs happened inside the setpoint and the reading, so the world's elapsed time is
        # bracketed by the wall times around them, however long the machine kept this process waiting;
        # the sample warms from the setpoint on.
        assert after_end - before_start + 1e-3 >= elapsed_world >= before_end - after_start - 1e-3
        expected = (305.0 - t_start) * (1 - np.exp(-elapsed_world / world.thermal.time_constant))
        assert t_end - t_start == pytest.approx(expected, rel=0.05)
        fc.wait_until_settled()
        assert fc.field == pytest.approx(5e-3, abs=1e-5)
        lab.close()
    finally:
        served.stop()


def test_sim_serve_rejects_bad_options_before_serving(tmp_path):
    from app.cli import main

    assert main(["sim-serve", "--config-out", str(tmp_path / "x.toml"), "--fault", "lockin=explode"]) == 2
    assert main(["sim-serve", "--config-out", str(tmp_path / "x.toml"), "--roles", "rf",
                 "--fault", "lockin=delay"]) == 2
    assert not (tmp_path / "x.toml").exists()


@pytest.mark.parametrize("held", ["SOUR:FREQ?", "*IDN?"])
def test_reply_held_in_the_output_buffer_over_tcp_is_discarded_not_parsed(held):
    """sim-serve's ``shift`` fault: one reply is held in the instrument and comes out before
    the next one, on any connection (GPIB-like). The driver clears, resynchronises on *OPC?
    and every later answer belongs to its own query (the power is not read as 9.4e9 dBm)."""
    world = SimulatedWorld(seed=4)
    served = serve_lab(world, roles=("rf",), serial=(), timeout=0.3,
                       faults={"rf": [Fault("shift", match=held)]})
    try:
        rf = build_lab(tomllib.loads(served.toml())).rf
        rf.frequency = 9.4e9
        rf.power = 2e-3
        assert rf.frequency == world.microwave.frequency == 9.4e9
        assert rf.identity() == served.instruments["rf"].idn
        assert rf.power == pytest.approx(world.microwave.power, rel=1e-3)
        assert rf.transport.stale_replies >= 1 and rf.transport.resyncs >= 1
        rf.close()
    finally:
        served.stop()
