"""Instrument roles (abstract) and concrete drivers over transports.

Experiments depend on the roles in :mod:`drivers.roles`, never on a concrete instrument.
This package imports nothing else of spinbench.
"""
from drivers.errors import InstrumentError, LimitError, ConfigError

__all__ = ["InstrumentError", "LimitError", "ConfigError"]
