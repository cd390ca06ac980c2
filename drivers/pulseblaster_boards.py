"""PulseBlaster board profiles: what one board model can run, named or given in the lab TOML.

The timing limits differ between SpinCore boards, and a program that is valid on one can be
wrong on another (too short an instruction, a delay count past the board's field, or, on the
ESR-PRO, no output at all when bits 21-23 are 000). A profile carries them; the driver
(:class:`drivers.pulseblaster.PulseBlaster`, option ``board``) exposes its fields as the
pulser's attributes, and ``sequences.pulse.Constraints.from_lab`` hands them to the validator
and compiler.

    [instruments.pulser]
    driver = "pulseblaster"
    address = "0"
    options = { board = "esr-pro-500" }                      # a built-in profile, or
    # options.board = { profile = "esr-pro-500", clock = "400 MHz", max_delay_ticks = 340 }

Fields and their sources (SpinCore manuals and SpinAPI; docs/references.md):

* ``clock`` (Hz) and ``min_instruction_ticks``: every instruction lasts at least 5 clock
  cycles (PulseBlaster ESR-PRO and PB12-100-4k owner's manuals, "Delay Count": the smallest
  delay count is 2 on 4k-memory boards, plus the 3 cycles each instruction takes to fetch).
* ``min_flow_ticks``: the minimum for CONTINUE, JSR, RTS and LONG_DELAY where it is longer
  (6 cycles on some ESR-PRO firmware designs); 0 means "same as min_instruction_ticks".
* ``max_delay_ticks``: the longest delay one instruction holds; longer intervals use
  LONG_DELAY (multiplier up to ``max_loop_count``). The 32-bit delay count gives 2^32 - 1 on
  most boards; SpinAPI's ESR-PRO example program (``example1.c``, 400 MHz board) states that
  "the largest value for the delay field of the pb_inst is 850 ns" (340 cycles at 400 MHz),
  and that the LONG_DELAY data field reaches 1048576 (2^20).
* ``max_instructions``: program memory (4096 on the ESR-PRO and the 4k models, 32768 on
  the 32k models: PB12-100-4k manual, product overview); 32k-memory boards need a delay
  count of at least 6 (PB12-100-4k manual, "Delay Count"), hence 9 ticks here.
* ``short_pulse_bits``: ESR-PRO boards use flag bits 21-23 as the short-pulse field (000 =
  no output, 001-101 = 1-5 clock periods, 111 = the full instruction; ESR-PRO manual and
  ``spinapi.h`` ``ON``/``ONE_PERIOD``..``FIVE_PERIOD``); the driver sets 111 in every flag
  word on such boards, and the bits are not available as channels.
* ``wait_latency_ticks``: after a trigger ends a WAIT, the next instruction starts after the
  WAIT's delay plus this many cycles (6: ESR-PRO manual, WAIT op-code); the compiler shortens
  the WAIT's delay by it so that the timeline after the trigger is the one asked for.

Not verified against a manual page (taken as the family's documented defaults; give the
value in the lab TOML if your board's manual differs): the 2^32 - 1 maximum delay of the
ESR-PRO 500 MHz and PulseBlaster 24-bit 100 MHz boards, the WAIT latency of boards other than
the ESR-PRO (0 here, the timing this driver assumed so far), the 255-cycle delay field of the
300 MHz ESR-PRO (SpinCore's 2004 ESR-Pro examples give 850 ns at a 300 MHz clock), and the
+3-cycle fetch overhead behind the 32k boards' 9-tick minimum.
"""
from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from drivers.errors import ConfigError
from units.quantity import UnitError, parse_quantity

#: ESR-PRO boards: bits 21-23 select short pulses; 0b111 << 21 = normal full-length outputs.
SHORT_PULSE_BITS = (21, 22, 23)
SHORT_PULSE_ON = 0xE00000
#: Op-codes some ESR-PRO designs hold for ``min_flow_ticks`` (the profile's longer minimum).
FLOW_OPCODES = ("CONTINUE", "JSR", "RTS", "LONG_DELAY")


@dataclass(frozen=True)
class BoardProfile:
    """One board model's limits (see the module doc for each field's source)."""

    name: str
    clock_hz: float
    min_instruction_ticks: int = 5
    #: Minimum for CONTINUE/JSR/RTS/LONG_DELAY where longer than ``min_instruction_ticks``; 0: none.
    min_flow_ticks: int = 0
    max_delay_ticks: int = 2**32 - 1
    max_instructions: int = 4096
    max_loop_count: int = 2**20
    short_pulse_bits: bool = False
    wait_latency_ticks: int = 0
    description: str = ""

    def __post_init__(self) -> None:
        problems = profile_problems(self)
        if problems:
            raise ConfigError(f"PulseBlaster board profile {self.name!r}: " + "; ".join(problems))

    @property
    def flow_min_ticks(self) -> int:
        """The minimum for CONTINUE/JSR/RTS/LONG_DELAY instructions."""
        return max(self.min_instruction_ticks, self.min_flow_ticks)


def profile_problems(p: BoardProfile) -> list[str]:
    out = []
    if not (isinstance(p.clock_hz, (int, float)) and p.clock_hz > 0):
        out.append(f"clock {p.clock_hz!r} must be a positive frequency")
    for key, low in (("min_instruction_ticks", 1), ("min_flow_ticks", 0), ("max_delay_ticks", 2),
                     ("max_instructions", 2), ("max_loop_count", 1), ("wait_latency_ticks", 0)):
        v = getattr(p, key)
        if isinstance(v, bool) or not isinstance(v, int) or v < low:
            out.append(f"{key} = {v!r} must be an integer >= {low}")
    if not out and p.max_delay_ticks < max(p.min_instruction_ticks, p.min_flow_ticks):
        out.append(f"max_delay_ticks = {p.max_delay_ticks} is below the minimum instruction")
    if not isinstance(p.short_pulse_bits, bool):
        out.append(f"short_pulse_bits = {p.short_pulse_bits!r} must be true or false")
    return out


PROFILES: dict[str, BoardProfile] = {p.name: p for p in (
    BoardProfile("esr-pro-500", 500e6, short_pulse_bits=True, wait_latency_ticks=6,
                 description="PulseBlaster ESR-PRO 500 MHz, 4k instructions, short-pulse bits 21-23"),
    BoardProfile("esr-pro-400", 400e6, max_delay_ticks=340, short_pulse_bits=True, wait_latency_ticks=6,
                 description="PulseBlaster ESR-PRO 400 MHz: delay field up to 850 ns (SpinAPI example1.c)"),
    BoardProfile("esr-pro-300", 300e6, max_delay_ticks=255, short_pulse_bits=True, wait_latency_ticks=6,
                 description="PulseBlaster ESR-PRO 300 MHz: delay field up to 850 ns (SpinAPI ESR-PRO examples)"),
    BoardProfile("pulseblaster-24-100", 100e6,
                 description="PulseBlaster 24-bit, 100 MHz, 4k instructions (PB24-100-4k)"),
    BoardProfile("pulseblaster-24-100-32k", 100e6, min_instruction_ticks=9, max_instructions=32768,
                 description="PulseBlaster 24-bit, 100 MHz, 32k instructions: delay count >= 6"),
    BoardProfile("pulseblaster-12-100", 100e6,
                 description="PulseBlaster 12-bit, 100 MHz, 4k instructions (PB12-100-4k)"),
)}

#: What the driver assumed before profiles existed: a 100 MHz board without short-pulse bits.
DEFAULT_PROFILE = "pulseblaster-24-100"

#: TOML keys of a custom profile table and their kinds (``clock`` takes a unit).
PROFILE_KEYS = {"profile": str, "clock": "Hz", "min_instruction_ticks": int, "min_flow_ticks": int,
                "max_delay_ticks": int, "max_instructions": int, "max_loop_count": int,
                "short_pulse_bits": bool, "wait_latency_ticks": int}


def board_profile(spec: Any, who: str = "PulseBlaster") -> BoardProfile:
    """A profile from a built-in name, a :class:`BoardProfile`, or a TOML table
    ``{profile = "<name>", <field> = <value>, ...}`` (a name's values, changed where given)."""
    if isinstance(spec, BoardProfile):
        return spec
    if isinstance(spec, str):
        if spec not in PROFILES:
            raise ConfigError(f"{who}: board profile {spec!r} unknown; built-in profiles: {', '.join(PROFILES)} "
                              f"(or a table {{profile = \"...\", clock = \"400 MHz\", ...}})")
        return PROFILES[spec]
    if not isinstance(spec, dict):
        raise ConfigError(f"{who}: board = {spec!r}; give a profile name ({', '.join(PROFILES)}) or a table")
    unknown = sorted(set(spec) - set(PROFILE_KEYS))
    if unknown:
        raise ConfigError(f"{who}: board profile key(s) {unknown} unknown; accepted: {', '.join(PROFILE_KEYS)}")
    base = board_profile(spec.get("profile", DEFAULT_PROFILE), who)
    changes: dict[str, Any] = {}
    problems = []
    for key, kind in PROFILE_KEYS.items():
        if key == "profile" or key not in spec:
            continue
        raw = spec[key]
        if kind == "Hz":
            try:
                value = parse_quantity(raw, "Hz", name="board clock")
            except (UnitError, TypeError, ValueError) as exc:
                problems.append(f"clock = {raw!r}: {exc}")
                continue
            changes["clock_hz"] = value
        elif kind is bool:
            if not isinstance(raw, bool):
                problems.append(f"{key} = {raw!r} must be true or false")
                continue
            changes[key] = raw
        else:
            if isinstance(raw, bool) or not isinstance(raw, int):
                problems.append(f"{key} = {raw!r} must be a whole number of clock ticks")
                continue
            changes[key] = raw
    if problems:
        raise ConfigError(f"{who}: board profile: " + "; ".join(problems))
    name = f"{base.name} (modified)" if changes else base.name
    try:
        return replace(base, name=name, **changes)
    except ConfigError as exc:
        raise ConfigError(f"{who}: {exc}") from None


def profile_table(p: BoardProfile) -> dict[str, Any]:
    """The profile's fields, for snapshots and docs."""
    return {f.name: getattr(p, f.name) for f in fields(p)}
