"""Experiments (plans + analysis) and the pulse-sequence model and compilers."""
