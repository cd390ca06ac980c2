"""cw-ESR derivative-line fitting, the names callers import: the lineshapes and their fit
(:mod:`analysis.derivative_lines`), the lock-in-harmonic models of a field-modulated line
(:mod:`analysis.modulated_line`) and the modulation-aware fits (:mod:`analysis.modulated_fit`)."""
from __future__ import annotations

from analysis.derivative_lines import (MODELS, LineFit, d_gaussian, d_lorentzian, derivative_line_jacobian,
                                       fit_derivative, initial_guess, line_problem, robust_noise,
                                       scaled_least_squares)
from analysis.modulated_fit import even_harmonic_guess, fit_modulated, fit_modulation_amplitude
from analysis.modulated_line import line_gradient, modulated_line

__all__ = ["MODELS", "LineFit", "d_gaussian", "d_lorentzian", "derivative_line_jacobian", "even_harmonic_guess",
           "fit_derivative", "fit_modulated", "fit_modulation_amplitude", "initial_guess", "line_gradient",
           "line_problem", "modulated_line", "robust_noise", "scaled_least_squares"]
