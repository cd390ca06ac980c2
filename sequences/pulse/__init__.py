"""Pulse sequences: model, timing on a clock, validation, compilers, decoder, library, rendering.

    from sequences.pulse import get_sequence, Constraints, validate, compile_pulseblaster, decode
    seq = get_sequence("hahn-echo", tau=2e-6)
    problems = validate(seq, Constraints())          # every violation, nothing raised
    program = compile_pulseblaster(seq, Constraints())  # raises SequenceError listing them all
    timeline = decode(program)                          # back to channel events, exact ticks
"""
from sequences.pulse.awg import SampledProgram, decode_sampled
from sequences.pulse.compile import compile_awg, compile_pulseblaster
from sequences.pulse.constraints import AWG, PULSEBLASTER, Constraints
from sequences.pulse.errors import RULES, SequenceError, Violation
from sequences.pulse.expr import Expr, ExprError
from sequences.pulse.library import LIBRARY, get_sequence
from sequences.pulse.model import (ADC, NO_CYCLE, RF, Block, Event, Loop, PhaseCycle, Sequence, WaitTrigger,
                                   acquire, cyclops, delay, exorcycle, loop, pulse, two_step)
from sequences.pulse.pulseblaster_compiler import decode
from sequences.pulse.timeline import Resolved, TimedEvent, Timeline, resolve
from sequences.pulse.validate import check, errors, require_valid, validate

__all__ = [
    "Sequence", "Block", "Event", "Loop", "WaitTrigger", "PhaseCycle", "NO_CYCLE", "RF", "ADC",
    "pulse", "delay", "acquire", "loop", "cyclops", "two_step", "exorcycle",
    "Expr", "ExprError", "Constraints", "PULSEBLASTER", "AWG", "Violation", "SequenceError", "RULES",
    "resolve", "Resolved", "Timeline", "TimedEvent", "validate", "check", "errors", "require_valid",
    "compile_pulseblaster", "compile_awg", "decode", "decode_sampled", "SampledProgram",
    "LIBRARY", "get_sequence",
]
