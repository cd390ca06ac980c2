"""The names of the line models and FMR geometries the fits know: plain tuples, so a command line
can offer them as choices without importing the fits (numpy/scipy) first."""
from __future__ import annotations

#: cw line shapes :func:`analysis.line_profiles.fit_line` fits.
MODELS = ("lorentzian", "gaussian", "voigt", "lorentzian-dispersive")
#: Sample geometries of the Kittel resonance (:mod:`analysis.kittel`).
GEOMETRIES = ("in-plane", "out-of-plane", "sphere", "easy-axis", "easy-plane", "hard-axis")
