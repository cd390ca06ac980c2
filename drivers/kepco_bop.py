"""Kepco BOP bipolar power supply driving an electromagnet: the field via the current.

Command set: Kepco BOP / BIT 4886 operator manual (SCPI; docs/references.md), cross-checked
with PM ``kepco/kepcobop.py``: ``FUNC:MODE CURR`` (query 0 volt / 1 current), ``CURR <A>`` /
``CURR?`` setpoint, ``VOLT <V>`` compliance in current mode, ``OUTP ON|OFF`` / ``OUTP?``,
``MEAS:CURR?``, ``MEAS:VOLT?``, ``SYST:ERR?``. LF terminations; GPIB (BIT 4886).

The BOP has no ramp generator: it slews to each new setpoint as fast as its compliance into the
magnet's inductance allows. This driver therefore ramps in small steps — no step larger than
``ramp_rate x step_interval`` and no faster than ``ramp_rate`` on average — on its clock, with
the ramp rate capped by the lab's limit (the lab narrows ``ramp_rate_range``). The steps are
sent while the caller waits (``wait_until_settled``, ``is_ramping``, ``ramp_to``); then the
measured current must reach the setpoint within ``settle_timeout`` or the driver raises,
naming the likely causes, instead of waiting forever on a magnet that does not follow.

Field = current x ``tesla_per_amp`` (your magnet's calibration; required). A Hall probe reads
the true field, which differs by the yoke's remanence.

Manual command set (BIT 4886; each sent as is from plain pyvisa to the served BOP by
``tests/test_drivers_manual_commands.py``; every query answered, no setting refused):

    *RST; *CLS; *IDN?; *ESR?; *STB?; *ESE 4; *ESE?; *SRE 0; *SRE?; *OPC?; *TST?; *WAI
    FUNC:MODE CURR; FUNC:MODE?; VOLT 15; VOLT?; CURR 0.5; CURR?; OUTP ON; OUTP?
    MEAS:CURR?; MEAS:VOLT?; SYST:BEEP; DIAG:TST?; CURR 0; OUTP OFF; SYST:ERR?
"""
from __future__ import annotations

import math
from typing import Any

from drivers.errors import ConfigError
from drivers.roles import FieldController
from drivers.roles.base import Range
from drivers.transport import Transport
from drivers.wire_instrument import WireInstrument
from drivers.replies import number, parse_bool


#: What the BOP's current and voltage queries can return (the largest BOP is +-100 A / +-200 V, with
#: margin): a reply outside is another query's answer read late, never a current.
CURRENT = number(-150.0, 150.0)
VOLTAGE = number(-250.0, 250.0)


class KepcoBOP(WireInstrument, FieldController):
    error_check = "scpi"
    driver_options = {"tesla_per_amp": None, "max_current": None, "step_interval": 0.05, "settle_timeout": 5.0,
                      "current_tolerance": 2e-3, "voltage_limit": None, "poll_interval": 0.01,
                      "default_ramp_rate": 0.01}

    def __init__(self, address: str, name: str | None = None, **options: Any):
        FieldController.__init__(self, name)
        opts = self.options = self._init_wire(address, name or self.role, options)
        cal = opts["tesla_per_amp"]
        if cal is None or not float(cal) > 0:
            raise ConfigError(f"{self.name}: kepco-bop needs options.tesla_per_amp > 0 (the magnet's field per "
                              f"ampere, T/A, e.g. 0.02); got {cal!r}")
        self.tesla_per_amp = float(cal)
        for key in ("step_interval", "settle_timeout", "current_tolerance", "poll_interval", "default_ramp_rate"):
            if not float(opts[key]) > 0:
                raise ConfigError(f"{self.name}: option {key} must be > 0, got {opts[key]!r}")
        if opts["max_current"] is not None:
            top = float(opts["max_current"]) * self.tesla_per_amp
            self.field_range = Range(-top, top, "T")
        self._ramp_rate: float | None = None
        self._target: float | None = None  # A
        self._commanded: float | None = None  # A, last CURR sent
        self._t_last = -math.inf
        self._prepared = False

    def _on_connect(self, transport: Transport) -> None:
        self._prepared = False  # re-check mode and output after a reconnection

    # --- preparation -----------------------------------------------------------------------
    def _prepare(self) -> None:
        """Current mode, compliance, output on without a jump; ramps start from the supply's setpoint."""
        if self._prepared:
            return
        self._set("FUNC:MODE CURR")
        if self.options["voltage_limit"] is not None:
            self._set(f"VOLT {float(self.options['voltage_limit']):.3f}")
        if self._ask("OUTP?", parse_bool):
            self._commanded = self._ask("CURR?", CURRENT)
        else:
            self._set("CURR 0.00000")
            self._set("OUTP ON")
            self._commanded = 0.0
        self._prepared = True

    # --- FieldController -------------------------------------------------------------------
    @property
    def setpoint(self) -> float:
        if self._target is None:
            return self._ask("CURR?", CURRENT) * self.tesla_per_amp
        return self._target * self.tesla_per_amp

    @setpoint.setter
    def setpoint(self, tesla: float) -> None:
        tesla = self.field_range.check("field setpoint", tesla, self.name)
        self._prepare()
        self._target = round(tesla / self.tesla_per_amp, 5)
        self._advance()

    @property
    def field(self) -> float:
        return self._ask("MEAS:CURR?", CURRENT) * self.tesla_per_amp

    @property
    def ramp_rate(self) -> float:
        wanted = self._ramp_rate if self._ramp_rate is not None else float(self.options["default_ramp_rate"])
        return min(wanted, self.ramp_rate_range.high)

    @ramp_rate.setter
    def ramp_rate(self, tesla_per_s: float) -> None:
        self._ramp_rate = self.ramp_rate_range.check("ramp rate", tesla_per_s, self.name)

    def is_ramping(self) -> bool:
        if self._target is None:
            return False
        if not self._advance():
            return True
        return abs(self._ask("MEAS:CURR?", CURRENT) - self._target) > self.options["current_tolerance"]

    def wait_until_settled(self, timeout: float = 600.0) -> None:
        if self._target is None:
            return
        clock, t0 = self.clock, self.clock.now()
        interval = float(self.options["step_interval"])
        while not self._advance():
            if clock.now() - t0 > timeout:
                raise self._error(f"ramp to {self._target:.5f} A not finished within {timeout:g} s "
                                  f"(at {self._commanded:.5f} A)", "CURR")
            clock.sleep(interval)
        settle, tol = float(self.options["settle_timeout"]), float(self.options["current_tolerance"])
        t1 = clock.now()
        while True:
            measured = self._ask("MEAS:CURR?", CURRENT)
            if abs(measured - self._target) <= tol:
                return
            if clock.now() - t1 > settle:
                raise self._error(
                    f"supply reads {measured:.5f} A ({measured * self.tesla_per_amp * 1e3:.3f} mT) "
                    f"{settle:g} s after the ramp to {self._target:.5f} A ended: the magnet current is "
                    f"not following (slow slew, compliance voltage too low, or open circuit)", "MEAS:CURR?")
            clock.sleep(float(self.options["poll_interval"]))

    def _advance(self) -> bool:
        """Send the next step if the ramp budget allows; True once the setpoint is commanded."""
        if self._target is None or self._commanded == self._target:
            return True
        now = self.clock.now()
        budget = self.ramp_rate / self.tesla_per_amp * min(now - self._t_last, float(self.options["step_interval"]))
        delta = self._target - self._commanded  # type: ignore[operator]
        if abs(delta) <= budget:
            new = self._target
        elif budget <= 0:
            return False
        else:
            new = round(self._commanded + math.copysign(budget, delta), 5)  # type: ignore[operator]
        self._set(f"CURR {new:.5f}")
        self._commanded, self._t_last = new, now
        return new == self._target

    def make_safe(self) -> None:
        """Ramp to 0 A at the ramp rate (never switch a magnet off with current in it)."""
        if not self._prepared and not self._ask("OUTP?", parse_bool):
            return  # output off: nothing flows
        self.ramp_to(0.0, wait=True)

    def snapshot(self) -> dict[str, Any]:
        return {"setpoint_T": self.setpoint, "field_T": self.field, "current_A": self._ask("MEAS:CURR?", CURRENT),
                "voltage_V": self._ask("MEAS:VOLT?", VOLTAGE), "output": self._ask("OUTP?", parse_bool),
                "ramp_rate_T_per_s": self.ramp_rate, "tesla_per_amp": self.tesla_per_amp, "address": self.address}
