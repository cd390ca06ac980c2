"""CODATA 2018 constants (Tiesinga et al. 2021; docs/references.md), for the analyses."""
H = 6.62607015e-34
HBAR = H / (2 * 3.141592653589793)
KB = 1.380649e-23
MU_B = 9.2740100783e-24
MU0 = 1.25663706212e-6
G_E = 2.00231930436
DPPH_G = 2.0036
