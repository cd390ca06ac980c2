"""The ``[sim.nuclear]`` table: a nuclear-spin (71Ga in GaAs) film on the force sensor, with
optical pumping, instead of the default electron-spin phantom.

    [sim.nuclear]
    thickness = 4e-6            # m, film along the gradient
    area = 1e-12                # m^2
    gradient = 5e4              # T/m, tip gradient dBz/dz at the sample
    t1 = 1260.0                 # s
    pumping_factor = 12.0       # pumped polarisation / thermal
    pump_buildup = 120.0        # s
    depleted = [[-250e-9, 150e-9, 0.1], [250e-9, 150e-9, 0.1]]   # [centre m, width m, remaining efficiency]

The lab then also has a 'laser' (the pumping light). Model: ``sim_backend/membrane/nuclear.py``.
"""
from __future__ import annotations

from typing import Any

from app.sim_tables import is_number, number_table_problems
from drivers.errors import ConfigError

#: Keys of ``[sim.nuclear]``: unit and meaning (single source for validation and the docs).
NUCLEAR_KEYS: dict[str, tuple[str, str]] = {
    "thickness": ("m", "film thickness along the gradient, centred on z = 0"),
    "area": ("m^2", "film area across the gradient"),
    "density": ("1/m^3", "71Ga density (default: GaAs, 2.21e28 Ga/m^3 x 39.89 %)"),
    "gradient": ("T/m", "field gradient dBz/dz of the magnetic tip at the sample"),
    "b1_per_sqrt_w": ("T/sqrt(W)", "RF field at the sample per sqrt of source power"),
    "t1": ("s", "nuclear spin-lattice relaxation time"),
    "t1rho": ("s", "decay time of the moment locked by cyclic adiabatic inversion"),
    "linewidth_sigma": ("T", "Gaussian width of the static NMR line"),
    "pumping_factor": ("", "optically pumped polarisation over thermal (where pumping is fully efficient)"),
    "pump_buildup": ("s", "build-up time constant of the pumped polarisation with the light on"),
    "depleted": ("[m, m, 1] triples", "regions [centre, width, remaining pumping efficiency] of reduced polarisation"),
}
_POSITIVE = {"thickness", "area", "density", "b1_per_sqrt_w", "t1", "t1rho", "pump_buildup"}
_SAMPLE_KEYS = ("area", "density", "t1", "t1rho", "linewidth_sigma", "pumping_factor", "pump_buildup")


def nuclear_problems(table: Any) -> list[str]:
    """Every problem of a ``[sim.nuclear]`` table, one line each."""
    problems = number_table_problems("nuclear", table, NUCLEAR_KEYS, _POSITIVE, {"linewidth_sigma"},
                                     skip={"depleted"}, example="thickness = 4e-6")
    if not isinstance(table, dict):
        return problems
    if "gradient" in table and is_number(table["gradient"]) and table["gradient"] == 0:
        problems.append("[sim.nuclear] gradient = 0: a slice needs a non-zero gradient (T/m)")
    if "pumping_factor" in table and is_number(table["pumping_factor"]) and table["pumping_factor"] < 1:
        problems.append(f"[sim.nuclear] pumping_factor = {table['pumping_factor']!r}: must be >= 1 (1: no pumping)")
    regions = table.get("depleted", [])
    if not (isinstance(regions, list) and all(
            isinstance(r, list) and len(r) == 3 and all(is_number(v) for v in r) and r[1] > 0 and 0 <= r[2] <= 1
            for r in regions)):
        problems.append(f"[sim.nuclear] depleted = {regions!r}: give [centre m, width m > 0, remaining 0..1] "
                        f"triples, e.g. depleted = [[-250e-9, 150e-9, 0.1], [250e-9, 150e-9, 0.1]]")
    return problems


def configure_nuclear(world: Any, table: Any) -> None:
    """Put the configured nuclear film on ``world``'s membrane (after ``[sim.membrane]``)."""
    from sim_backend.membrane import NuclearSample, add_membrane

    problems = nuclear_problems(table)
    if problems:
        raise ConfigError("; ".join(problems))
    if getattr(world, "membrane", None) is None:
        add_membrane(world)
    system = world.membrane
    kwargs = {k: float(table[k]) for k in _SAMPLE_KEYS if k in table}
    sample = NuclearSample.film(float(table.get("thickness", 4e-6)),
                                depleted=tuple(tuple(float(v) for v in r) for r in table.get("depleted", [])),
                                **kwargs)
    if "b1_per_sqrt_w" in table:
        system.b1_per_sqrt_w = float(table["b1_per_sqrt_w"])
    system.set_sample(sample, float(table.get("gradient", 5e4)))


__all__ = ["NUCLEAR_KEYS", "nuclear_problems", "configure_nuclear"]
