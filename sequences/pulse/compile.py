"""Compile entry points: validate first (raising every error at once), then build the program.

An invalid sequence never yields a program, so it can never reach a driver.
"""
from __future__ import annotations

from typing import Mapping

from drivers.pulse_program import PulseProgram
from sequences.pulse.awg import SampledProgram, sample_program
from sequences.pulse.constraints import AWG, PULSEBLASTER, Constraints
from sequences.pulse.errors import SequenceError
from sequences.pulse.expr import Number
from sequences.pulse.model import Sequence
from sequences.pulse.pulseblaster_compiler import plan_program
from sequences.pulse.validate import require_valid


def compile_pulseblaster(seq: Sequence, constraints: Constraints,
                         values: Mapping[str, Number] | None = None) -> PulseProgram:
    """A PulseBlaster program for ``seq`` with parameter ``values``; SequenceError lists all problems."""
    if constraints.target != PULSEBLASTER:
        constraints = constraints.with_(target=PULSEBLASTER)
    resolved = require_valid(seq, constraints, values)
    program, problems = plan_program(resolved, constraints)
    if program is None:  # require_valid already ran plan_program; kept for safety
        raise SequenceError(problems, f"sequence {seq.name!r}")
    program.metadata["sequence_json"] = seq.to_json(indent=None)
    return program


def compile_awg(seq: Sequence, constraints: Constraints,
                values: Mapping[str, Number] | None = None) -> SampledProgram:
    """Sampled waveforms at ``constraints.clock_hz`` samples/s (see Constraints.for_awg)."""
    if constraints.target != AWG:
        constraints = constraints.with_(target=AWG)
    return sample_program(require_valid(seq, constraints, values))
