"""The resonator tables of ``[sim]``: strong coupling in cw, radiation damping in pulsed.

    [sim]
    line = "strong-coupling"
    [sim.cavity]                # cw: the paramagnet strongly coupled to the cavity (transmission)
    frequency = 9.5e9           # Hz
    kappa = 3.0e6               # Hz, cavity full width (f_c / Q)
    coupling = 15e6             # Hz, collective g sqrt(N) / 2 pi: the crossing splits by 2x this

    [sim.radiation_damping]     # pulsed: the probe resonator acts back on the spins
    frequency = 9.5e9           # Hz
    q = 500
    filling_factor = 0.5
    m0 = 0.7                    # A/m, the sample's equilibrium magnetisation

The cw model is ``sim_backend.strong_coupling`` (input-output theory), the pulsed one
``sim_backend.pulsed.cavity`` (Bloch-Maxwell; T_rd = 2 / (mu0 gamma eta Q M0) emerges).
"""
from __future__ import annotations

from typing import Any

from app.sim_tables import number_table_problems
from drivers.errors import ConfigError

#: Keys of ``[sim.cavity]`` (line = "strong-coupling"): unit and meaning.
CAVITY_KEYS: dict[str, tuple[str, str]] = {
    "frequency": ("Hz", "cavity resonance frequency f_c"),
    "kappa": ("Hz", "cavity full width at half maximum (f_c / Q; energy decay rate / 2 pi)"),
    "coupling": ("Hz", "collective coupling g sqrt(N) / 2 pi; the avoided crossing splits by twice this"),
}
#: Keys of ``[sim.radiation_damping]``: unit and meaning.
DAMPING_KEYS: dict[str, tuple[str, str]] = {
    "frequency": ("Hz", "probe resonator frequency (tune it to the carrier: detuning slows the damping)"),
    "q": ("", "loaded quality factor"),
    "filling_factor": ("", "eta, 0 < eta <= 1"),
    "m0": ("A/m", "equilibrium magnetisation of the sample"),
}


def cavity_problems(table: Any, line: Any, sample: Any, sample_parameters: Any = None) -> list[str]:
    """Problems of ``[sim.cavity]`` and of its use with the ``line`` and ``sample`` chosen."""
    problems = [] if table is None else number_table_problems(
        "cavity", table, CAVITY_KEYS, {"frequency", "kappa"}, {"coupling"}, example="coupling = 15e6")
    if line == "strong-coupling" and sample not in ("paramagnet", None):
        problems.append(f"[sim] line = \"strong-coupling\" couples a paramagnet's line to the cavity; "
                        f"sample = {sample!r} is not one (use sample = \"paramagnet\")")
    sigma = (sample_parameters or {}).get("gauss_sigma", 0.0) if isinstance(sample_parameters, dict) else 0.0
    if line == "strong-coupling" and isinstance(sigma, (int, float)) and sigma > 0:
        problems.append(f"[sim.sample_parameters] gauss_sigma = {sigma!r}: the strong-coupling model has a "
                        f"Lorentzian (homogeneous) spin line only; set gauss_sigma = 0 and use lorentz_hwhm")
    if table is not None and line != "strong-coupling":
        problems.append("[sim.cavity] is the strong-coupling cavity: set [sim] line = \"strong-coupling\" "
                        "or remove [sim.cavity]")
    return problems


def damping_problems(table: Any) -> list[str]:
    problems = number_table_problems("radiation_damping", table, DAMPING_KEYS, {"frequency", "q", "filling_factor"},
                                     {"m0"}, example="q = 500")
    if not problems and float(table.get("filling_factor", 0.5)) > 1:
        problems.append(f"[sim.radiation_damping] filling_factor = {table['filling_factor']!r}: must be <= 1")
    return problems


def configure_strong_coupling(world: Any, table: dict[str, Any]) -> None:
    """Put the world's paramagnet into the configured cavity (before the lab is built)."""
    from sim_backend.strong_coupling import CoupledCavity, use_strong_coupling

    try:
        use_strong_coupling(world, CoupledCavity(**{k: float(v) for k, v in table.items()}))
    except ValueError as exc:
        raise ConfigError(f"[sim.cavity]: {exc}") from None


def configure_radiation_damping(world: Any, table: dict[str, Any]) -> None:
    """Attach pulsed spins whose probe resonator acts back on them."""
    from sim_backend.pulsed import PulsedSample, add_pulsed
    from sim_backend.pulsed.cavity import Cavity

    problems = damping_problems(table)
    if problems:
        raise ConfigError("; ".join(problems))
    values = {"frequency": 9.5e9, "q": 500.0, "filling_factor": 0.5, "m0": 0.7,
              **{k: float(v) for k, v in table.items()}}
    add_pulsed(world, PulsedSample(cavity=Cavity(**values)))


__all__ = ["CAVITY_KEYS", "DAMPING_KEYS", "cavity_problems", "damping_problems", "configure_strong_coupling",
           "configure_radiation_damping"]
