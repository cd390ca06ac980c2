"""Closed-form models and fits used by the experiments' analyses (never the simulator's code)."""
