"""The ``[sim.membrane]`` table: the simulated SiN membrane's mode, set from the lab file.

    [sim.membrane]
    f0 = 1.0e6                  # Hz
    q = 1.0e6                   # Q where no table is given
    m_eff = 150e-12             # kg
    q_table = [[4.0, 3.4e8], [300.0, 1.0e6]]   # [K, Q] pairs: Q(T), log Q linear in T

So one membrane can be simulated warm and cold (its force sensitivity
sqrt(4 kB T k / (w0 Q(T))), Saulson, Phys. Rev. D 42, 2437 (1990)) without Python code.
"""
from __future__ import annotations

from typing import Any

from app.sim_tables import is_number, number_table_problems
from drivers.errors import ConfigError
from sim_backend.membrane import MembraneMode, add_membrane

#: Keys of ``[sim.membrane]``: unit and meaning (the MembraneMode fields a lab file may set).
MEMBRANE_KEYS: dict[str, tuple[str, str]] = {
    "f0": ("Hz", "mode frequency at t = 0 and t_ref"),
    "q": ("", "quality factor (used at every temperature unless q_table is given)"),
    "m_eff": ("kg", "effective mass of the mode"),
    "f0_drift_rate": ("Hz/s", "slow linear drift of f0"),
    "f0_temp_coeff": ("Hz/K", "df0/dT relative to t_ref"),
    "t_ref": ("K", "temperature at which f0 holds"),
    "q_table": ("[K, Q] pairs", "Q(T): log Q interpolated linearly in T, held beyond the ends"),
}
_POSITIVE = {"f0", "q", "m_eff", "t_ref"}


def membrane_problems(table: Any) -> list[str]:
    """Every problem of a ``[sim.membrane]`` table, one line each (empty when it builds a mode)."""
    problems = number_table_problems("membrane", table, MEMBRANE_KEYS, _POSITIVE, skip={"q_table"},
                                     example="q = 1e6")
    if not isinstance(table, dict):
        return problems
    value = table.get("q_table", [[0.0, 1.0]])
    if not (isinstance(value, list) and value and all(
            isinstance(p, list) and len(p) == 2 and all(is_number(v) for v in p) for p in value)):
        problems.append(f"[sim.membrane] q_table = {value!r}: give [temperature K, Q] pairs, "
                        f"e.g. q_table = [[4.0, 3.4e8], [300.0, 1.0e6]]")
    if not problems:
        try:
            membrane_mode(table)
        except ValueError as exc:
            problems.append(f"[sim.membrane] {exc}")
    return problems


def membrane_mode(table: dict[str, Any]) -> MembraneMode:
    """The MembraneMode a valid ``[sim.membrane]`` table describes (defaults for keys not given)."""
    values = {k: (tuple(tuple(p) for p in v) if k == "q_table" else float(v)) for k, v in table.items()}
    return MembraneMode(**values)


def configure_membrane(world: Any, table: Any) -> None:
    """Attach the configured membrane to ``world`` (before the lab is built on it)."""
    problems = membrane_problems(table)
    if problems:
        raise ConfigError("; ".join(problems))
    add_membrane(world, membrane_mode(table))


__all__ = ["MEMBRANE_KEYS", "membrane_problems", "membrane_mode", "configure_membrane"]
