"""``spinbench sequence``: list, show (timing-diagram PNG), check and compile pulse sequences.

    spinbench sequence list
    spinbench sequence show hahn-echo --set tau=2us            # writes hahn-echo.png, exit 1 if invalid
    spinbench sequence check cpmg --set tau=100ns               # every violation, exit 1 if any
    spinbench sequence compile fid --averages 4 [--target awg] [--json out.json] [--repeat]
    spinbench sequence check hahn-echo --target awg --awg-profile redpitaya-125-14
    spinbench sequence profile libre --set b0=3T --set flip=10       # writes libre-profile.png

NAME is a library sequence or a ``.json`` file written by ``Sequence.to_json``. The target is
the simulated spectrometer's PulseBlaster (500 MHz, 5-tick minimum, 60 ns ring-down) unless
``--clock``, ``--min-ticks``, ``--ringdown`` or ``--dead-time`` say otherwise; ``--target awg``
samples for an AWG profile (``--awg-profile``, drivers/awg_profile.py; its own sample rate unless
``--clock`` gives a lower one). A lab file (``--config``) brings its wiring and channel delays.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from units.quantity import UnitError, parse_quantity
from drivers.errors import ConfigError

if TYPE_CHECKING:
    from sequences.pulse import Constraints, Sequence

# The sequence model (numpy), the simulated target (scipy) and the renderer (matplotlib) are
# imported inside the commands: building the parser for `spinbench --help` must stay cheap.


class _ProfileNames:
    """The AWG profile names as argparse choices (read from drivers/awg_profile.py when needed)."""

    def _names(self) -> list[str]:
        from drivers.awg_profile import AWG_PROFILES

        return list(AWG_PROFILES)

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __contains__(self, name: object) -> bool:
        return name in self._names()


class _CycleNames:
    """The phase-cycle names as argparse choices, read from the library only when argparse
    checks a value or prints the help."""

    def _names(self) -> list[str]:
        from sequences.pulse.library import CYCLES

        return sorted(CYCLES)

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __contains__(self, name: object) -> bool:
        return name in self._names()


def load_sequence(name: str) -> Sequence:
    from sequences.pulse import Sequence, get_sequence

    if name.endswith(".json"):
        return Sequence.from_json(Path(name).read_text())
    return get_sequence(name)


def parse_values(seq: Sequence, items: list[str]) -> dict[str, float]:
    """``["tau=2us", "n_echoes=16"]`` -> SI values; every problem reported at once."""
    values: dict[str, float] = {}
    problems: list[str] = []
    for item in items:
        if "=" not in item:
            problems.append(f"--set {item!r}: expected name=value, e.g. tau=2us")
            continue
        key, raw = (s.strip() for s in item.split("=", 1))
        if key not in seq.parameters:
            problems.append(f"sequence {seq.name!r} has no parameter {key!r}; it has {', '.join(seq.parameters)}")
            continue
        try:
            if key in seq.integer_parameters:
                values[key] = int(raw)
            else:
                values[key] = parse_quantity(raw, "s", bare="s", name=key)  # sequence times: a bare number is s
        except (UnitError, ValueError) as exc:
            problems.append(str(exc) if isinstance(exc, UnitError) else f"{key} = {raw!r} must be a whole number")
    if problems:
        raise ConfigError("; ".join(problems))
    return values


def constraints_from_args(args: argparse.Namespace) -> Constraints:
    from drivers.lab import LabLimits
    from sequences.pulse import Constraints
    from sim_backend.pulsed import SimPulseBlaster  # scipy: only for the commands that need a target

    if getattr(args, "config", None):  # the target, limits and wiring of a lab file (builds, touches nothing)
        from app.labconfig import lab_from_file

        base = Constraints.from_lab(lab_from_file(args.config))
        kw = {k: getattr(base, k) for k in ("clock_hz", "min_instruction_ticks", "max_instructions", "max_loop_count",
                                           "ringdown_time", "rf_dead_time", "max_rf_duty_cycle", "max_pulse_length",
                                           "channels", "channel_delays")}
    else:
        pb, lim = SimPulseBlaster, LabLimits()
        kw = dict(clock_hz=pb.clock_hz, min_instruction_ticks=pb.min_instruction_ticks,
                  max_instructions=pb.max_instructions, max_loop_count=pb.max_loop_count,
                  ringdown_time=pb.ringdown_time, rf_dead_time=pb.rf_dead_time,
                  max_rf_duty_cycle=lim.max_rf_duty_cycle, max_pulse_length=lim.max_pulse_length)
    if args.clock:
        kw["clock_hz"] = parse_quantity(args.clock, "Hz", name="--clock")
    if args.min_ticks is not None:
        kw["min_instruction_ticks"] = args.min_ticks
    if args.ringdown:
        kw["ringdown_time"] = parse_quantity(args.ringdown, "s", name="--ringdown")
    if args.dead_time:
        kw["rf_dead_time"] = parse_quantity(args.dead_time, "s", name="--dead-time")
    if getattr(args, "target", "pulseblaster") == "awg":
        return awg_constraints(args, kw)
    return Constraints(repeat_forever=args.repeat, **kw)


def awg_constraints(args: argparse.Namespace, kw: dict) -> Constraints:
    """The AWG profile's rules (--awg-profile), at --clock or the profile's own rate (the generic
    profile has none: 1 GS/s), with the receiver timing of the pulse target."""
    from drivers.awg_profile import awg_profile
    from sequences.pulse import Constraints

    profile = awg_profile(args.awg_profile)
    rate = None
    if args.clock:
        rate = parse_quantity(args.clock, "Hz", name="--clock")
    elif profile.sample_rate is None:
        rate = 1e9
    keep = {k: kw[k] for k in ("ringdown_time", "rf_dead_time") if k in kw}
    try:
        return Constraints.for_awg(rate, profile=profile, **keep)
    except ValueError as exc:
        raise ConfigError(f"--awg-profile {profile.name}: {exc}") from None


def _prepare(args: argparse.Namespace) -> tuple[Sequence, dict[str, float], Constraints]:
    from sequences.pulse.library import CYCLES

    seq = load_sequence(args.name)
    values = parse_values(seq, args.set or [])
    if args.cycle:
        seq = seq.with_cycle(CYCLES[args.cycle](seq))
    if args.averages is not None:  # 0 or less is reported by the validator ([loop] averages)
        seq = seq.with_cycle(seq.phase_cycle, args.averages)
    return seq, values, constraints_from_args(args)


def _print_violations(violations) -> int:
    errors = [v for v in violations if v.severity == "error"]
    for v in violations:
        print(f"  {v}")
    return len(errors)


def _shown(seq: Sequence, name: str, value: float) -> str:
    """A parameter as the user would type it: counts as numbers, durations with a unit (2us)."""
    from sequences.pulse.errors import format_seconds

    if name in seq.integer_parameters:
        return f"{int(value)}"
    return format_seconds(float(value)).replace(" ", "")


def cmd_list(args: argparse.Namespace) -> int:
    from sequences.pulse import LIBRARY

    for name, make in LIBRARY.items():
        seq = make()
        params = ", ".join(f"{k}={_shown(seq, k, v)}" for k, v in seq.parameters.items())
        print(f"{name:20s} {seq.description}  [cycle: {seq.phase_cycle.name}]\n{'':20s} {params}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from sequences.pulse import validate
    from sequences.pulse.render import render_timing  # matplotlib: only to draw

    seq, values, c = _prepare(args)
    violations = validate(seq, c, values)
    out = Path(args.out or f"{Path(args.name).stem}.png")
    render_timing(seq, constraints=c, values=values, step=args.step, scale="linear" if args.linear else "schematic",
                  loop_passes=args.loop_passes, path=out, violations=violations)
    print(f"timing diagram: {out}")
    if not violations:
        return 0
    print(f"{len(violations)} finding(s) on {c.clock_hz / 1e6:g} MHz, {c.min_instruction_ticks}-tick target:")
    n = _print_violations(violations)
    print(f"{seq.name}: {n} error(s), {len(violations) - n} warning(s)")
    return 1 if n else 0  # like ``check``: an invalid sequence is not a success, even drawn


def cmd_check(args: argparse.Namespace) -> int:
    from sequences.pulse import validate

    seq, values, c = _prepare(args)
    violations = validate(seq, c, values)
    if args.json:  # one JSON object for scripts (app/show_json.py)
        from app.show_json import emit

        n = sum(v.severity == "error" for v in violations)
        emit({"kind": "sequence-check", "sequence": seq.name, "target_clock_hz": c.clock_hz,
              "status": "violations" if n else "ok", "errors": n, "file": None,
              "violations": [{"element": v.element, "rule": v.rule, "severity": v.severity, "message": v.message,
                              "value": v.value, "nearest": v.nearest, "unit": v.unit}
                             for v in violations if v.severity == "error"],
              "warnings": [str(v) for v in violations if v.severity != "error"]})
        return 1 if n else 0
    if not violations:
        what = f"{c.awg_name} AWG at {c.clock_hz / 1e6:g} MS/s" if c.target == "awg" else f"{c.clock_hz / 1e6:g} MHz target"
        print(f"{seq.name}: no violations on the {what}")
        return 0
    n = _print_violations(violations)
    print(f"{seq.name}: {n} error(s), {len(violations) - n} warning(s)")
    return 1 if n else 0


def cmd_compile(args: argparse.Namespace) -> int:
    from sequences.pulse import Constraints, compile_awg, compile_pulseblaster, resolve

    seq, values, c = _prepare(args)
    if args.target == "awg":
        rate = c.clock_hz
        prog = compile_awg(seq, c, values)
        print(f"{seq.name}: {len(prog)} samples at {rate / 1e6:g} MS/s on the {c.awg_name} profile, "
              f"{int(prog.adc.sum())} gated, markers {sorted(prog.markers)}")
        if args.json:
            Path(args.json).write_text(json.dumps({"sample_rate": rate, "rf_re": prog.rf.real.tolist(),
                                                   "rf_im": prog.rf.imag.tolist(), "adc": prog.adc.tolist()}))
        return 0
    program = compile_pulseblaster(seq, c, values)
    print(program.listing())
    resolved = resolve(seq, c.clock_hz, values)
    print(f"; one pass {resolved.pass_ticks / c.clock_hz * 1e6:g} us, {resolved.averages} average(s), "
          f"receiver phases {resolved.receiver_phases}")
    if program.metadata.get("channel_delay_ticks"):
        print(f"; channel delays compensated (ticks early): {program.metadata['channel_delay_ticks']}, lead time "
              f"{program.metadata['lead_time'] * 1e9:g} ns")
    if args.json:
        Path(args.json).write_text(program.to_json())
        print(f"program written to {args.json}")
    return 0


def cmd_profile(args: argparse.Namespace) -> int:
    from app.pulse_profile import run_profile  # numpy, the Bloch ensemble and matplotlib: only here

    return run_profile(args.name, args.set or [], Path(args.out) if args.out else None)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", help="library sequence (see 'spinbench sequence list') or a .json sequence file")
    p.add_argument("--set", action="append", metavar="NAME=VALUE", help="sequence parameter with unit, e.g. tau=2us")
    p.add_argument("--cycle", choices=_CycleNames(), metavar="CYCLE",
                   help="phase cycle: %(choices)s (default: the sequence's own)")
    p.add_argument("--averages", type=int, help="passes over the phase cycle")
    p.add_argument("--clock", help="target clock, e.g. 500MHz (AWG: sample rate)")
    p.add_argument("--min-ticks", type=int, help="minimum instruction length in clock ticks")
    p.add_argument("--ringdown", help="receiver ring-down time, e.g. 60ns")
    p.add_argument("--dead-time", help="T/R dead time before a pulse after the receiver closes, e.g. 20ns")
    p.add_argument("--repeat", action="store_true", help="repeat the pass until stopped (BRANCH 0 instead of STOP)")
    p.add_argument("--config", metavar="LAB.toml", help="take the target (clock, limits, channel wiring and delays) "
                   "from a lab file, e.g. examples/lab-sim-nv.toml for the NV sequences")


def _targets(p: argparse.ArgumentParser) -> None:
    p.add_argument("--target", choices=("pulseblaster", "awg"), default="pulseblaster")
    p.add_argument("--awg-profile", choices=_ProfileNames(), metavar="PROFILE", default="generic",
                   help="with --target awg: the generator's profile, one of %(choices)s (default: generic; "
                        "--clock gives its sample rate)")


def add_parser(subparsers) -> None:
    seq = subparsers.add_parser("sequence", help="pulse sequences: list, show, check, compile, profile")
    sub = seq.add_subparsers(dest="sequence_command", required=True)
    p = sub.add_parser("list", help="the standard sequence library")
    p.set_defaults(func=cmd_list)
    p = sub.add_parser("show", help="write a timing-diagram PNG")
    _common(p)
    p.add_argument("--out", help="PNG path (default: NAME.png)")
    p.add_argument("--step", type=int, default=0, help="phase-cycle step to draw")
    p.add_argument("--linear", action="store_true", help="true time axis instead of the schematic one")
    p.add_argument("--loop-passes", type=int, default=2, help="loop passes drawn before the 'x N' bracket")
    p.set_defaults(func=cmd_show)
    p = sub.add_parser("check", help="list every rule the sequence breaks on the target")
    _common(p)
    p.add_argument("--json", action="store_true", help="print one JSON object (status, every violation with "
                   "element, rule, value, nearest valid value and unit; warnings) instead of text")
    _targets(p)
    p.set_defaults(func=cmd_check)
    p = sub.add_parser("compile", help="print the PulseBlaster program (or sample the AWG waveforms)")
    _common(p)
    _targets(p)
    p.add_argument("--json", help="write the compiled program as JSON")
    p.set_defaults(func=cmd_compile)
    p = sub.add_parser("profile", help="design a water-selective (LIBRE, binomial), fat-sat or adiabatic pulse; "
                                       "print its excitation figures and write the profile PNG")
    p.add_argument("name", help="libre, binomial-1-1, binomial-1-2-1, binomial-1-180-1, fat-sat or hsec")
    p.add_argument("--set", action="append", metavar="NAME=VALUE",
                   help="b0 (3T), flip (deg, 10), shift (ppm, -3.4), b1_max (13.5uT), sample_rate (250kHz), "
                        "duration (fat-sat 8ms, hsec 20ms), unit_pulse (binomial, 100us)")
    p.add_argument("--out", help="PNG path (default: NAME-profile.png)")
    p.set_defaults(func=cmd_profile)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="spinbench")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)
