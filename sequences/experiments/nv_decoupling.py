"""NV dynamical-decoupling spectroscopy: XY8-N and CPMG-N tau sweeps.

A nuclear species precessing at f_L = gamma_n |B| makes a field along the NV axis that the
pi-pulse train (spacing tau, centre to centre) filters at 1/(2 tau): the normalised contrast dips
at tau = 1/(2 f_L) (Staudacher et al., Science 339, 561 (2013)). The analysis fits the dip and
reports tau, the Larmor frequency 1/(2 tau) and the field it implies for the chosen species
(1H: 42.577 MHz/T, 13C: 10.708 MHz/T; CODATA / Harris et al., Pure Appl. Chem. 73, 1795 (2001)).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from analysis.nv_fits import fit_dip
from sequences.result import Result
from sequences.experiment import FitValue, Parameter, RunData
from sequences.experiments.nv_pulsed import NvPulsedExperiment, nv_sweep

SPECIES_GAMMA = {"1H": 42.577478e6, "13C": 10.7084e6}


class NvDecoupling(NvPulsedExperiment):
    """What XY8-N and CPMG-N share: the tau sweep, its clock rounding, the dip analysis."""
    results = (
        Result("dip_tau", "s", "pulse spacing of the coherence dip"),
        Result("larmor_frequency", "Hz", "nuclear Larmor frequency 1 / (2 tau)"),
        Result("field_from_dip", "T", "field from the Larmor frequency and the species' gamma"),
        Result("dip_depth", "", "depth of the dip"),
        Result("fit_x", "s", "tau values of the fitted curve"), Result("fit_curve", "", "the fitted contrast"))

    sweep = "tau"
    sweep_ticks = 2
    tau_start, tau_stop, points = nv_sweep(200e-9, 300e-9, 51, "pi-pulse spacing tau (centre to centre)", 0.0)
    species = Parameter("1H", "", "nucleus the dip is assigned to (for the field it implies)",
                        choices=tuple(SPECIES_GAMMA))

    def check(self) -> list[str]:
        problems = super().check()
        if min(self.tau_start, self.tau_stop) < self.p180:
            problems.append(f"tau_start = {min(self.tau_start, self.tau_stop):g} s is shorter than the pi pulse "
                            f"p180 = {self.p180:g} s: pulses would overlap")
        return problems

    def analyse(self, run: RunData) -> dict[str, Any]:
        tau = np.asarray(run[self.sweep], float)
        y = self.ratio(run)
        fit = fit_dip(tau, y)
        c, dc = fit.params["centre"], fit.errors["centre"]
        gamma = SPECIES_GAMMA[str(run.parameters.get("species", self.species))]
        f = 1 / (2 * c)
        return {"dip_tau": FitValue(c, dc, "s"), "larmor_frequency": FitValue(f, f * dc / c, "Hz"),
                "field_from_dip": FitValue(f / gamma, f * dc / c / gamma, "T"),
                "dip_depth": FitValue(fit.params["depth"], fit.errors["depth"], ""),
                "fit_x": tau, "fit_curve": fit.curve}


class NvXY8(NvDecoupling):
    name = "nv-xy8"
    title = "NV XY8-N dynamical decoupling (tau sweep)"
    sequence_name = "nv-xy8"
    n_blocks = Parameter(8, "", "XY8 blocks (8 pi pulses each)", 1, 10_000, kind=int)

    def extra_values(self) -> dict[str, float]:
        return {"n_blocks": self.n_blocks}


class NvCpmg(NvDecoupling):
    name = "nv-cpmg"
    title = "NV CPMG-N dynamical decoupling (tau sweep)"
    sequence_name = "nv-cpmg"
    n_pulses = Parameter(32, "", "pi pulses in the train", 1, 100_000, kind=int)

    def extra_values(self) -> dict[str, float]:
        return {"n_pulses": self.n_pulses}


NV_DECOUPLING = (NvXY8, NvCpmg)
