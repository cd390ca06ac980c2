"""Pulsed NV experiments on one transition: Rabi nutation, Ramsey fringes (T2*), Hahn echo (T2).

The analyses fit the normalised contrast (signal / reference window) with the closed forms of
analysis/nv_fits.py; the Hahn echo also reports the photon-shot-noise-limited ac sensitivity
(Taylor et al., Nat. Phys. 4, 810 (2008)) from the measured photons per readout and contrast.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from analysis.nv_fits import fit_echo, fit_ramsey
from analysis.nv_odmr import HYPERFINE, NV_GAMMA
from analysis.nv_sensitivity import echo_sensitivity, readout_fidelity
from analysis.pulsed_fits import fit_damped_sine
from sequences.result import Result
from sequences.experiment import FitValue, Parameter, RunData
from sequences.experiments.nv_pulsed import NvPulsedExperiment, nv_sweep
from sequences.experiments.pulsed_experiment import MIN_PULSE


class NvRabi(NvPulsedExperiment):
    name = "nv-rabi"
    title = "NV Rabi nutation (pulse length sweep)"
    results = (
        Result("rabi_frequency", "Hz", "Rabi frequency"), Result("pi_pulse", "s", "pi pulse length 1/(2 f)"),
        Result("contrast", "", "optical contrast of the oscillation"),
        Result("counts_per_shot", "counts", "photon counts per readout"),
        Result("fit_x", "s", "pulse lengths of the fitted curve"), Result("fit_curve", "", "the fitted contrast"))
    sequence_name = "nv-rabi"
    sweep = "tp"
    tp_start, tp_stop, points = nv_sweep(10e-9, 300e-9, 59, "microwave pulse length", MIN_PULSE)

    def analyse(self, run: RunData) -> dict[str, Any]:
        tp = np.asarray(run["tp"], float)
        y = self.ratio(run)
        fit = fit_damped_sine(tp, -y)  # the first lobe darkens
        f, df = fit.params["f"], fit.errors["f"]
        contrast = 2 * fit.params["amplitude"] / max(-fit.params["offset"], 1e-12)
        return {"rabi_frequency": FitValue(f, df, "Hz"), "pi_pulse": FitValue(1 / (2 * f), df / (2 * f * f), "s"),
                "contrast": FitValue(contrast, 2 * fit.errors["amplitude"] / max(-fit.params["offset"], 1e-12), ""),
                "counts_per_shot": FitValue(self.counts_per_shot(run), float("nan"), "counts"),
                "fit_x": tp, "fit_curve": -fit.curve}


class NvRamsey(NvPulsedExperiment):
    name = "nv-ramsey"
    title = "NV Ramsey fringes (T2*)"
    results = (
        Result("T2star", "s", "inhomogeneous dephasing time"), Result("detuning", "Hz", "fringe frequency"),
        Result("hyperfine_splitting", "Hz", "nitrogen hyperfine splitting (None for a single line)"),
        Result("fit_x", "s", "free-precession times of the fitted curve"), Result("fit_curve", "", "the fitted contrast"))
    sequence_name = "nv-ramsey"
    sweep = "t_free"
    t_free_start, t_free_stop, points = nv_sweep(20e-9, 3e-6, 150, "free evolution time", 0.0, "us")
    detuning = Parameter(5e6, "Hz", "microwave set this far below the line centre: fringes at this frequency",
                         -100e6, 100e6, display_unit="MHz")

    def analyse(self, run: RunData) -> dict[str, Any]:
        t = np.asarray(run["t_free"], float)
        y = self.ratio(run)
        n, split = HYPERFINE[str(run.parameters.get("nitrogen", self.nitrogen))]
        fit = fit_ramsey(t, y, n, split)
        p, e = fit.params, fit.errors
        return {"T2star": FitValue(p["T2star"], e["T2star"], "s"), "detuning": FitValue(p["f0"], e["f0"], "Hz"),
                "hyperfine_splitting": FitValue(p["split"], e["split"], "Hz") if n > 1 else None,
                "fit_x": t, "fit_curve": fit.curve}


class NvHahnEcho(NvPulsedExperiment):
    name = "nv-hahn"
    title = "NV Hahn echo (T2)"
    results = (
        Result("T2", "s", "coherence time from the echo decay"), Result("contrast", "", "optical contrast"),
        Result("counts_per_shot", "counts", "photon counts per readout"),
        Result("readout_fidelity", "", "readout fidelity from the bright and dark counts"),
        Result("sensitivity_ac", "T/sqrt(Hz)", "AC field sensitivity of the echo"),
        Result("fit_x", "s", "tau values of the fitted curve"), Result("fit_curve", "", "the fitted contrast"))
    sequence_name = "nv-hahn"
    sweep = "tau"
    tau_start, tau_stop, points = nv_sweep(200e-9, 100e-6, 40, "pi/2-pi spacing tau (centre to centre)", 0.0, "us")
    stretch = Parameter(1.0, "", "decay exponent p in exp(-(2 tau/T2)^p) (1: Markovian; 13C-bath NVs: up to 3)",
                        0.5, 4.0)

    def analyse(self, run: RunData) -> dict[str, Any]:
        tau = np.asarray(run["tau"], float)
        y = self.ratio(run)
        fit = fit_echo(2 * tau, y, float(run.parameters.get("stretch", self.stretch)))
        p, e = fit.params, fit.errors
        # bright at tau -> 0 (base), half-way to the flipped level when dephased: contrast = 2 amplitude / base
        contrast = 2 * p["amplitude"] / p["base"]
        a0 = self.counts_per_shot(run)
        a1 = a0 * (1 - contrast)
        return {"T2": FitValue(p["T2"], e["T2"], "s"),
                "contrast": FitValue(contrast, 2 * e["amplitude"] / p["base"], ""),
                "counts_per_shot": FitValue(a0, float("nan"), "counts"),
                "readout_fidelity": FitValue(readout_fidelity(a0, a1), float("nan"), ""),
                "sensitivity_ac": FitValue(echo_sensitivity(a0, a1, p["T2"], NV_GAMMA), float("nan"), "T/sqrt(Hz)"),
                "fit_x": tau, "fit_curve": fit.curve}


NV_PULSED = (NvRabi, NvRamsey, NvHahnEcho)
