"""The simulated lab over the wire: simulated instruments served on localhost TCP sockets and
pseudo-terminals, speaking the real instruments' command sets, all acting on one world."""
from sim_backend.served.faults import Fault, FaultSet, parse_fault
from sim_backend.served.lab import ServedLab, serve_lab
from sim_backend.served.link import WorldLink

__all__ = ["Fault", "FaultSet", "parse_fault", "ServedLab", "serve_lab", "WorldLink"]
