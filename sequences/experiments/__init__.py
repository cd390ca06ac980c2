"""The experiment catalogue: name -> Experiment class."""
from __future__ import annotations

from sequences.experiment import Experiment
from sequences.experiments.esr_sweep import EsrFieldSweep
from sequences.experiments.esr_drift import EsrDriftSweep
from sequences.experiments.pulsed import PULSED_EXPERIMENTS
from sequences.experiments.esr_fmr import ESR_FMR_EXPERIMENTS
from sequences.experiments.membrane import MEMBRANE_EXPERIMENTS

EXPERIMENTS: dict[str, type[Experiment]] = {
    EsrFieldSweep.name: EsrFieldSweep,
    EsrDriftSweep.name: EsrDriftSweep,
    **{cls.name: cls for cls in PULSED_EXPERIMENTS},
    **{cls.name: cls for cls in ESR_FMR_EXPERIMENTS},
    **{cls.name: cls for cls in MEMBRANE_EXPERIMENTS},
}


def get_experiment(name: str) -> type[Experiment]:
    from drivers.errors import ConfigError

    try:
        return EXPERIMENTS[name]
    except KeyError:
        raise ConfigError(f"unknown experiment {name!r}; available: {', '.join(sorted(EXPERIMENTS))}") from None


__all__ = ["EXPERIMENTS", "get_experiment", "EsrFieldSweep"]
