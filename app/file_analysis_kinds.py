"""The analyses ``spinbench analyse`` can run on a file and the channels of complex data it can
take: plain tuples, so the command line offers them without importing the fits first."""
from __future__ import annotations

KINDS = ("cw", "powder", "echo-sweep", "nutation", "decay", "recovery", "fid")  # powder: only when asked
CHANNELS = ("auto", "x", "y", "magnitude")
