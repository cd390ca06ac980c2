"""Microwave / RF signal generators over SCPI: Keysight MXG N5183B, PSG E8257D, R&S SMB100A.

Command set (docs/references.md: Keysight "X-Series Signal Generators SCPI Command
Reference", R&S SMB100A operating manual ch. 7):

* ``SOUR:FREQ <Hz>`` / ``SOUR:FREQ?``; ``SOUR:POW <dBm>`` / ``SOUR:POW?`` (W only in code);
  ``OUTP:STAT ON|OFF`` / ``OUTP:STAT?`` — the same on all three.
* Modulation: Keysight ``SOUR:FM1:DEV``, ``SOUR:FM1:INT1:FREQ``, ``SOUR:FM1:SOUR INT|EXT1|EXT2``,
  ``SOUR:FM1:STAT``; ``SOUR:AM:DEPT <%>``, ``SOUR:AM:INT:FREQ``, ``SOUR:AM:SOUR INT|EXT1|EXT2``,
  ``SOUR:AM:STAT``;
  ``SOUR:PULM:SOUR EXT``, ``SOUR:PULM:STAT``; plus the modulation master ``OUTP:MOD:STAT``.
  R&S: ``SOUR:FM:DEV``, ``SOUR:FM:SOUR INT|EXT``, internal rate on the LF generator
  ``SOUR:LFO1:FREQ``; ``SOUR:AM:DEPT``; ``SOUR:PULM:SOUR EXT``; no modulation master.
* Errors: ``SYST:ERR?`` -> ``+0,"No error"`` (Keysight) / ``0,"No error"`` (R&S), read after
  every setting until empty.
* LAN: raw SCPI socket port 5025 (Keysight, R&S) or VXI-11 ``TCPIP0::<ip>::inst0::INSTR``;
  LF terminations.

Manual command set (N5183B; each sent as is from plain pyvisa to the served source by
``tests/test_drivers_manual_commands.py``; every query answered, no setting refused; long and
short headers, with and without the leading colon):

    *RST; *CLS; *IDN?; *ESR?; *STB?; *ESE 4; *ESE?; *SRE 0; *SRE?; *OPC?; *TST?; *WAI
    SOUR:FREQ 9.4e9; SOUR:FREQ?; :SOURce:FREQuency:CW 9.5 GHz; FREQ?; :FREQ:MODE CW; :FREQ:MODE?
    SOUR:POW -10; SOUR:POW?; :POWer:LEVel:IMMediate:AMPLitude -5 dBm; POW?
    OUTP:STAT ON; OUTP:STAT?; :OUTP:STAT OFF; :OUTPut:STATe?; OUTP:MOD:STAT OFF; OUTP:MOD:STAT?
    SOUR:FM1:DEV 1e3; :FM1:DEV?; SOUR:FM1:INT1:FREQ 1e3; SOUR:FM1:INT1:FREQ?; SOUR:FM1:SOUR INT
    SOUR:FM1:SOUR?; SOUR:FM1:STAT OFF; SOUR:FM1:STAT?
    SOUR:AM:DEPT 30; :AM:DEPT?; SOUR:AM:INT:FREQ 400; SOUR:AM:INT:FREQ?; SOUR:AM:SOUR INT; SOUR:AM:STAT OFF
    SOUR:PULM:SOUR EXT; :PULM:SOUR?; SOUR:PULM:STAT OFF; SOUR:PULM:STAT?; SYST:ERR?
"""
from __future__ import annotations

from typing import Any

from drivers.roles import RFSource
from drivers.roles.base import Range
from drivers.roles.rf import dbm_to_watt, watt_to_dbm
from drivers.settings import setting
from drivers.transport import ReplyError
from drivers.wire_instrument import WireInstrument
from drivers.replies import number, parse_bool

#: Modulation source names on the wire, per kind. Keysight FM/AM name the rear inputs EXT1 and
#: EXT2 (PSG/MXG SCPI references, ``:FM[1]|2:SOURce EXT1|EXT2|INT[1]``); their pulse modulation
#: and every R&S source take INTernal/EXTernal (SMB100A operating manual, ``...:SOURce``).
KEYSIGHT_SOURCES = {"fm": {"internal": "INT", "external": "EXT1", "external2": "EXT2"},
                    "am": {"internal": "INT", "external": "EXT1", "external2": "EXT2"},
                    "pulse": {"internal": "INT", "external": "EXT"}}
#: set_modulation values: allowed range (SI), wire scale, wire format, unit shown in errors.
MODULATION_VALUES = {"deviation": (0.0, 10e6, 1.0, "{:.1f}", "Hz"),
                     "depth": (0.0, 1.0, 100.0, "{:.2f}", "(a fraction, not %)"),
                     "rate": (0.1, 10e6, 1.0, "{:.3f}", "Hz")}
RS_SOURCES = {kind: {"internal": "INT", "external": "EXT"} for kind in ("fm", "am", "pulse")}


def parse_options(text: str) -> list[str]:
    """``*OPT?``: comma-separated option codes ("0" when none); a number or a sentence is
    another query's reply."""
    parts = [p.strip().strip('"') for p in text.split(",")]
    if not all(p and len(p) <= 12 and p.replace("-", "").isalnum() for p in parts):
        raise ReplyError(f"expected comma-separated option codes from *OPT?, got {text[:80]!r}")
    return [] if parts == ["0"] else parts

class ScpiSignalGenerator(WireInstrument, RFSource):
    """Shared SCPI generator; subclasses give ranges and the modulation command spellings."""

    error_check = "scpi"
    min_frequency = 9e3
    max_frequency = 20e9
    min_power_dbm = -20.0
    max_power_dbm = 19.0
    #: The most any option of the model allows; ``max_power_dbm`` (option) may raise the
    #: default up to it, for an instrument whose installed options allow more.
    option_max_power_dbm = 19.0
    FM = {"deviation": "SOUR:FM1:DEV", "rate": "SOUR:FM1:INT1:FREQ", "source": "SOUR:FM1:SOUR",
          "state": "SOUR:FM1:STAT"}
    AM = {"depth": "SOUR:AM:DEPT", "rate": "SOUR:AM:INT:FREQ", "source": "SOUR:AM:SOUR", "state": "SOUR:AM:STAT"}
    PULSE = {"source": "SOUR:PULM:SOUR", "state": "SOUR:PULM:STAT"}
    SOURCES = KEYSIGHT_SOURCES
    #: Keysight sources need the modulation master on for any modulation to reach the RF output.
    MOD_MASTER: str | None = "OUTP:MOD:STAT"
    driver_options = {"max_frequency": None, "max_power_dbm": None}

    def __init__(self, address: str, name: str | None = None, **options: Any):
        RFSource.__init__(self, name)
        self.options = self._init_wire(address, name or self.role, options)
        top = self.options["max_frequency"] or self.max_frequency
        pmax = self.options["max_power_dbm"]
        pmax = self.max_power_dbm if pmax is None else min(float(pmax), self.option_max_power_dbm)
        self.frequency_range = Range(self.min_frequency, float(top), "Hz")
        self.power_range = Range(dbm_to_watt(self.min_power_dbm), dbm_to_watt(pmax), "W")
        self._modulation: dict[str, dict[str, Any]] = {}

    frequency = setting("SOUR:FREQ", range="frequency_range", to_wire="{:.3f}", from_wire=number(0.0, 100e9),
                        unit="Hz")
    #: Power in W in code, dBm on the wire; a reply outside -150 .. +35 dBm is another query's answer.
    power = setting("SOUR:POW", range="power_range", to_wire=lambda w: f"{watt_to_dbm(w):.2f}",
                    from_wire=lambda text: dbm_to_watt(number(-150.0, 35.0)(text)), unit="W")
    output = setting("OUTP:STAT", to_wire=lambda on: "ON" if on else "OFF", from_wire=parse_bool,
                     snapshot="output")

    def set_modulation(self, kind: str, enabled: bool, **settings: float) -> None:
        """fm: deviation (Hz), rate (Hz), source; am: depth (0..1), rate (Hz), source;
        pulse: source ('external' gate, the usual pulsed-ESR setup). Validated before sending."""
        table = {"fm": self.FM, "am": self.AM, "pulse": self.PULSE}.get(kind)
        if table is None:
            raise ValueError(f"{self.name}: modulation {kind!r} unknown; use one of {self.MODULATIONS}")
        allowed = set(table) - {"state"}
        bad = sorted(set(settings) - allowed)
        if bad:
            raise ValueError(f"{self.name}: {kind} setting(s) {bad} unknown; accepted: {sorted(allowed)}")
        commands: list[str] = []
        source = settings.get("source", "external" if kind == "pulse" else None)
        if source is not None:
            names = self.SOURCES[kind]
            if source not in names:
                raise ValueError(f"{self.name}: {kind} source {source!r}; use one of {sorted(names)}")
            commands.append(f"{table['source']} {names[source]}")
        for key, (low, high, scale, fmt, what) in MODULATION_VALUES.items():
            if key in settings:
                value = float(settings[key])
                if not low <= value <= high:
                    raise ValueError(f"{self.name}: {kind.upper()} {key} {value:g} outside {low:g} .. {high:g} {what}")
                commands.append(f"{table[key]} {fmt.format(value * scale)}")
        commands.append(f"{table['state']} {'ON' if enabled else 'OFF'}")
        for command in commands:
            self._set(command)
        self._modulation[kind] = {"enabled": bool(enabled), **settings}
        if self.MOD_MASTER:
            any_on = any(m["enabled"] for m in self._modulation.values())
            self._set(f"{self.MOD_MASTER} {'ON' if any_on else 'OFF'}")

    def make_safe(self) -> None:
        self._set("OUTP:STAT OFF")

    def snapshot(self) -> dict[str, Any]:
        out = self.snapshot_settings()
        out["modulation"] = {k: dict(v) for k, v in self._modulation.items()}
        return out


class KeysightN5183B(ScpiSignalGenerator):
    """Keysight MXG N5183B: 9 kHz .. 20 GHz (option 520; 532/540: 31.8/40 GHz via
    ``max_frequency``), -20 .. +19 dBm (QC ``Keysight_N5183B.py``)."""


class KeysightE8257D(ScpiSignalGenerator):
    """Keysight/Agilent PSG E8257D: 250 kHz .. 20 GHz (option 520; 67 GHz models via
    ``max_frequency``). The maximum power depends on the installed options (high-power and
    step-attenuator options) and on frequency: the default cap is a conservative +10 dBm; set
    ``max_power_dbm`` (up to +25 dBm) from the data sheet of the options ``*OPT?`` lists
    (``installed_options()``, recorded in the snapshot)."""

    min_frequency = 250e3
    max_power_dbm = 10.0
    option_max_power_dbm = 25.0

    def installed_options(self) -> list[str]:
        """``*OPT?``: the installed options, e.g. ['1E1', '1EA', '520'] (IEEE 488.2 §10.20)."""
        return [o.strip() for o in self._ask("*OPT?", parse_options) if o.strip()]

    def snapshot(self) -> dict[str, Any]:
        out = super().snapshot()
        out["options"] = self.installed_options()
        return out


class RohdeSchwarzSMB100A(ScpiSignalGenerator):
    """R&S SMB100A: 100 kHz .. 20 GHz by option (``max_frequency``); -120 .. +25 dBm
    (SQDToolz ``MWS_SMB100A.py``; the upper limit depends on the options)."""

    min_frequency = 100e3
    min_power_dbm = -120.0
    max_power_dbm = 25.0
    option_max_power_dbm = 25.0
    FM = {"deviation": "SOUR:FM:DEV", "rate": "SOUR:LFO1:FREQ", "source": "SOUR:FM:SOUR", "state": "SOUR:FM:STAT"}
    AM = {"depth": "SOUR:AM:DEPT", "rate": "SOUR:LFO1:FREQ", "source": "SOUR:AM:SOUR", "state": "SOUR:AM:STAT"}
    PULSE = {"source": "SOUR:PULM:SOUR", "state": "SOUR:PULM:STAT"}
    SOURCES = RS_SOURCES
    MOD_MASTER = None
