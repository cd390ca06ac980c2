"""The experiment catalogue: name -> Experiment class."""
from __future__ import annotations

from sequences.experiment import Experiment
from sequences.experiments.esr_sweep import EsrFieldSweep

EXPERIMENTS: dict[str, type[Experiment]] = {
    EsrFieldSweep.name: EsrFieldSweep,
}


def get_experiment(name: str) -> type[Experiment]:
    from drivers.errors import ConfigError

    try:
        return EXPERIMENTS[name]
    except KeyError:
        raise ConfigError(f"unknown experiment {name!r}; available: {', '.join(sorted(EXPERIMENTS))}") from None


__all__ = ["EXPERIMENTS", "get_experiment", "EsrFieldSweep"]
