"""The ``[sim]`` table of a simulated lab config: which simulated sample sits in the resonator.

    [lab]
    simulated = true

    [sim]
    sample = "ferromagnet"      # paramagnet (default) | gtensor | powder | ferromagnet | antiferromagnet
    line = "broadband"          # cavity (default, X-band Q = 3000) | broadband (coplanar line)
                                # | strong-coupling (the paramagnet coupled to the cavity: [sim.cavity])
    line_loss = 1.5             # dB per sqrt(GHz) of the broadband line
    seed = 0
    geometry = "in-plane"       # ferromagnet: in-plane | out-of-plane | sphere

    [sim.sample_parameters]     # SI numbers, the simulator's own field names
    g = 2.1
    ms0 = 8.0e5
    alpha = 0.007

Lets a user try FMR, powder or anisotropic samples from the CLI and GUI with ``--config``.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any

from app.sim_cavity import (CAVITY_KEYS, DAMPING_KEYS, cavity_problems, configure_radiation_damping,
                            configure_strong_coupling, damping_problems)
from app.sim_magnet import MAGNET_KEYS, configure_magnet, magnet_problems
from app.sim_membrane import MEMBRANE_KEYS, configure_membrane, membrane_problems
from app.sim_nuclear import NUCLEAR_KEYS, configure_nuclear, nuclear_problems
from drivers.errors import ConfigError
from sim_backend.world import SimulatedWorld
from units.quantity import UnitError, parse_quantity

SAMPLES = ("paramagnet", "gtensor", "powder", "ferromagnet", "nv", "antiferromagnet")
LINES = ("cavity", "broadband", "strong-coupling")
GEOMETRIES = ("in-plane", "out-of-plane", "sphere")
#: Physical constraints on sample parameters (names shared by the simulated samples).
POSITIVE = {"g", "n_spins", "p_half", "ms0", "quadrature_nodes", "n_orientations", "bloch_temperature"}
NON_NEGATIVE = {"alpha", "saturation_b", "amplitude"}


@dataclasses.dataclass(frozen=True)
class SimKey:
    """One key of the ``[sim]`` table. The one declaration that validation reads for defaults
    and ``docs/simulator.md`` is generated from (``python docs/generate.py``)."""

    name: str
    default: Any
    unit: str
    accepted: str
    doc: str


SIM_TABLE = (
    SimKey("sample", "paramagnet", "", " | ".join(SAMPLES),
           "the simulated sample in the resonator: an isotropic S = 1/2 radical, an anisotropic g-tensor "
           "single crystal on the goniometer, the same centres as a powder, a macrospin ferromagnet, or a "
           "two-sublattice antiferromagnet (exchange h_e, anisotropy h_a; measure it with afmr-map)"),
    SimKey("line", "cavity", "", " | ".join(LINES),
           "cavity: X-band cavity, Q = 3000 at 9.5 GHz (sees nothing away from it); broadband: a coplanar "
           "line for FMR at any frequency; strong-coupling: the paramagnet strongly coupled to the cavity "
           "of [sim.cavity], seen in transmission (avoided crossing; measure it with coupling-map)"),
    SimKey("line_loss", 0.0, "dB/sqrt(GHz)", "finite number >= 0",
           "skin-effect loss of the broadband line: the sample gets power x 10^(-loss sqrt(f/1 GHz)/10)"),
    SimKey("seed", 0, "", "whole number >= 0", "seed of the simulated noise (the same seed, the same data)"),
    SimKey("geometry", "in-plane", "", " | ".join(GEOMETRIES),
           "ferromagnet only: film magnetised in its plane, film with B0 along its normal, or a sphere"),
    SimKey("nitrogen", "14N", "", "14N | 15N | none", "nv only: the NV's nitrogen isotope (hyperfine lines)"),
    SimKey("true_laser_delay", 0.0, "s", "time >= 0, below 1 ms (a number is seconds)",
           "nv only: the simulated AOM's TRUE delay from laser TTL to light, known to the simulation alone; "
           "the programs compensate only what the channel table declares, laser = {bit = 8, delay = \"400 ns\"}"),
    SimKey("true_mw_delay", 0.0, "s", "time >= 0, below 1 ms (a number is seconds)",
           "nv only: the simulated microwave switch's TRUE delay from TTL to power at the sample; declared "
           "(and compensated) as mw_switch = {bit = 0, delay = \"...\"}"),
    SimKey("channels", {}, "", "table of name = flag bit",
           "nv only: pulse-programmer wiring, e.g. {mw_switch = 0, counter_gate = 6, laser = 8, trigger = 7} "
           "(the default); a channel with a declared delay: laser = {bit = 8, delay = \"400 ns\"}"),
    SimKey("membrane", {}, "SI", "table: " + ", ".join(f"{k} ({u or '1'})" for k, (u, _) in MEMBRANE_KEYS.items()),
           "[sim.membrane]: the SiN membrane's mode (MRFM); q_table = [[T, Q], ...] makes Q depend on "
           "temperature (log Q linear in T), so the force noise sqrt(4 kB T k/(w0 Q(T))) follows a cooldown"),
    SimKey("nuclear", {}, "SI", "table: " + ", ".join(f"{k} ({u or '1'})" for k, (u, _) in NUCLEAR_KEYS.items()),
           "[sim.nuclear]: a 71Ga film (GaAs) on the force sensor instead of the electron phantom, with "
           "history-tracked polarisation (T1, optical pumping with the lab's 'laser', cyclic adiabatic inversion) "
           "for mrfm-image-nuclear"),
    SimKey("magnet", {}, "SI", "table: " + ", ".join(f"{k} ({u})" for k, (u, _) in MAGNET_KEYS.items()),
           "[sim.magnet]: the simulated supply, e.g. max_field = 9.0, remanence = 0.0 for a superconducting "
           "solenoid (default: 1 T iron-yoke electromagnet); [limits] max_field must allow it too"),
    SimKey("cavity", {}, "SI", "table: " + ", ".join(f"{k} ({u})" for k, (u, _) in CAVITY_KEYS.items()),
           "[sim.cavity], with line = \"strong-coupling\": cavity frequency, full width kappa and the spins' "
           "collective coupling g sqrt(N) (all Hz; default 9.5e9, 3e6, 15e6); the spins' g and Lorentzian width "
           "are the paramagnet's"),
    SimKey("radiation_damping", {}, "SI", "table: " + ", ".join(f"{k} ({u or '1'})" for k, (u, _) in DAMPING_KEYS.items()),
           "[sim.radiation_damping]: the pulsed spectrometer's probe resonator acts back on the spins "
           "(Bloch-Maxwell), so radiation damping T_rd = 2/(mu0 gamma eta Q M0) appears; defaults 9.5e9 Hz, "
           "Q = 500, eta = 0.5, M0 = 0.7 A/m"),
    SimKey("sample_parameters", {}, "SI", "table of numbers (or lists of numbers)",
           "the sample's own fields, [sim.sample_parameters] below; unknown names are refused"),
)
SIM_DEFAULTS = {key.name: key.default for key in SIM_TABLE}
SIM_KEYS = set(SIM_DEFAULTS)
#: The simulated NV bench's physical delays: the simulation's truth, never what the lab declares.
TRUE_DELAYS = ("true_laser_delay", "true_mw_delay")
#: Keys that once meant something else, with what to write instead.
RENAMED = {"laser_delay": "[sim] laser_delay is no longer read: the delay the programs compensate is declared "
                          "in the channel table, channels = {..., laser = {bit = 8, delay = \"400 ns\"}}, and the "
                          "simulated AOM's true delay is [sim] true_laser_delay"}
#: Unit and meaning of every sample field a ``[sim.sample_parameters]`` table can set (the
#: simulated samples' dataclass fields; ``tests/test_docs_generated.py`` checks none is missing).
SAMPLE_PARAMETERS: dict[str, tuple[str, str]] = {
    "g": ("", "g-factor (gtensor/powder: the three principal values)"),
    "lorentz_hwhm": ("T", "Lorentzian (homogeneous) half width at half maximum"),
    "gauss_sigma": ("T", "Gaussian (inhomogeneous) standard deviation"),
    "n_spins": ("", "number of spins (signal scale; Curie law 1/T on top)"),
    "p_half": ("W", "microwave power at which saturation sets in (P1/2)"),
    "saturation_b": ("", "inhomogeneity parameter b of sqrt(P) / (1 + P/P1/2)^(b/2)"),
    "axes": ("", "principal axes in the crystal frame (3x3; Python only)"),
    "powder": ("", "orientation average (set by sample = \"powder\")"),
    "n_orientations": ("", "orientations summed for a powder"),
    "mount": ("", "crystal frame in the goniometer frame (3x3; Python only)"),
    "ms0": ("A/m", "saturation magnetisation at T = 0"),
    "bloch_temperature": ("K", "Bloch law Ms(T) = Ms0 (1 - (T/Tb)^1.5); inf: no temperature dependence"),
    "k0": ("J/m^3", "uniaxial anisotropy constant at T = 0 (> 0 easy axis, < 0 easy plane)"),
    "callen_exponent": ("", "Callen-Callen power: K(T) = K0 (Ms(T)/Ms0)^n"),
    "anisotropy_axis": ("", "uniaxial axis in the sample frame (3 numbers)"),
    "demag": ("", "demagnetising factors in the sample frame (3 numbers; set by geometry)"),
    "alpha": ("", "Gilbert damping"),
    "inhomogeneous_hwhm": ("T", "half width of the distribution of local fields (inhomogeneous broadening)"),
    "inhomogeneous_shape": ("", "lorentzian | gaussian distribution of the local fields (Python only)"),
    "quadrature_nodes": ("", "nodes of the inhomogeneity average"),
    "amplitude": ("", "signal scale"),
    "detection_phase": ("rad", "mixes dispersion into the detected signal"),
    "ms_law": ("", "Ms(T) as any callable (Python only)"),
    "k_law": ("", "K(T) as any callable (Python only)"),
    "field_angle": ("deg", "nv: angle of the field from the NV axis"),
    "static_field": ("T", "nv: a fixed field (permanent magnet); unset: the electromagnet's"),
    "count_rate": ("1/s", "nv: photons detected per second from m_s = 0 with the laser on"),
    "dark_count_rate": ("1/s", "nv: detector dark counts per second"),
    "contrast": ("", "nv: m_s = +-1 fluoresce (1 - contrast) of m_s = 0"),
    "pump_rate": ("1/s", "nv: optical pumping rate into m_s = 0 with the laser on"),
    "rabi_per_sqrt_watt": ("Hz/sqrt(W)", "nv: nutation frequency per sqrt of microwave power"),
    "t1": ("s", "nv: longitudinal relaxation"),
    "t2_star": ("s", "nv: Gaussian free-induction decay time"),
    "t2": ("s", "nv: decay time of refocused coherence"),
    "bath_1h_rms": ("T", "nv: rms field of the 1H sample above the diamond, along the NV axis"),
    "bath_13c_rms": ("T", "nv: rms field of the 13C bath along the NV axis"),
    "quantiles": ("", "nv: quasi-static detuning values per hyperfine line"),
    "bath_draws": ("", "nv: bath realisations per detuning value"),
    "nitrogen": ("", "nv: set by [sim] nitrogen"),
    "h_e": ("T", "antiferromagnet: exchange field mu0 H_E at T = 0"),
    "h_a": ("T", "antiferromagnet: uniaxial anisotropy field mu0 H_A at T = 0 (> 0 easy axis z, < 0 easy plane)"),
    "frequency_hwhm": ("Hz", "antiferromagnet: half width of each resonance mode in frequency"),
    "field_direction": ("", "antiferromagnet: applied field direction in the crystal frame (3 numbers; easy axis z)"),
    "neel_temperature": ("K", "antiferromagnet: T_N; H_E ~ m(T), H_A ~ m(T)^n, m(T) the mean-field Brillouin sublattice magnetisation; inf: none"),
    "spin": ("", "antiferromagnet: spin S of the mean-field m(T) (Brillouin B_S)"),
    "anisotropy_exponent": ("", "antiferromagnet: n in H_A(T) = H_A m(T)^n (Callen-Callen uniaxial: 2)"),
    "max_field": ("T", "antiferromagnet: top of its precomputed mode table"),
    "grid_step": ("T", "antiferromagnet: field step of the mode table before refinement"),
}


def sample_class(kind: str) -> type:
    """The simulator's class behind a ``sample`` name."""
    if kind == "paramagnet":
        from sim_backend.samples import Paramagnet

        return Paramagnet
    if kind in ("gtensor", "powder"):
        from sim_backend.gtensor_sample import GTensorCentre

        return GTensorCentre
    if kind == "nv":
        from sim_backend.nv import NvSample

        return NvSample
    if kind == "antiferromagnet":
        from sim_backend.antiferromagnet import AntiferromagnetSample

        return AntiferromagnetSample
    from sim_backend.ferromagnet import Ferromagnet

    return Ferromagnet


def _sample(kind: str, params: dict[str, Any], geometry: str, problems: list[str], nitrogen: Any = "14N") -> Any:
    cls = sample_class(kind)
    extra: dict[str, Any] = {}
    if kind == "nv":
        extra = {"nitrogen": nitrogen}
        params = {k: v for k, v in params.items() if k != "nitrogen"}
    elif kind in ("gtensor", "powder"):
        extra = {"powder": kind == "powder"}
    elif kind == "ferromagnet":
        from sim_backend import ferromagnet
        from sim_backend.orientation import frame_from_axes

        if geometry == "sphere":
            extra = {"demag": ferromagnet.SPHERE}
        elif geometry == "in-plane":  # film normal (sample z) perpendicular to B0 (lab z)
            extra = {"mount": frame_from_axes([0, 0, 1], [0, 1, 0])}
        else:
            extra = {}
    names = {f.name for f in dataclasses.fields(cls) if f.init}
    bad = sorted(set(params) - names)
    if bad:
        problems.append(f"[sim.sample_parameters] {bad} unknown for {kind}; accepted: {', '.join(sorted(names))}")
        return None
    values: dict[str, Any] = {}
    for key, value in params.items():
        items = value if isinstance(value, list) else [value]
        if isinstance(value, bool) or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                               for v in items):
            problems.append(f"[sim.sample_parameters] {key} = {value!r}: give a number (SI units) "
                            f"or a list of numbers")
            continue
        if any(v != v or abs(v) == float("inf") for v in items):
            problems.append(f"[sim.sample_parameters] {key} = {value!r}: must be finite")
            continue
        if (key in NON_NEGATIVE or key.endswith(("_hwhm", "_sigma", "_fwhm"))) and any(v < 0 for v in items):
            problems.append(f"[sim.sample_parameters] {key} = {value!r}: must not be negative")
            continue
        if key in POSITIVE and any(v <= 0 for v in items):
            problems.append(f"[sim.sample_parameters] {key} = {value!r}: must be positive")
            continue
        values[key] = tuple(value) if isinstance(value, list) else value
    if problems:
        return None
    return cls(**{**extra, **values})


def _check_table(table: dict[str, Any]) -> list[str]:
    """Type and value problems of the ``[sim]`` table itself (not its sample parameters)."""
    problems = [RENAMED[key] if key in RENAMED else f"[sim] {key!r} unknown; accepted: {', '.join(sorted(SIM_KEYS))}"
                for key in sorted(set(table) - SIM_KEYS)]
    for key, choices in (("sample", SAMPLES), ("line", LINES), ("geometry", GEOMETRIES)):
        value = table.get(key, SIM_DEFAULTS[key])
        if not isinstance(value, str) or value not in choices:
            problems.append(f"[sim] {key} {value!r} unknown; accepted: {', '.join(choices)}")
    seed = table.get("seed", SIM_DEFAULTS["seed"])
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        problems.append(f"[sim] seed = {seed!r}: must be a whole number >= 0 (e.g. seed = 0)")
    loss = table.get("line_loss", SIM_DEFAULTS["line_loss"])
    if isinstance(loss, bool) or not isinstance(loss, (int, float)) or not math.isfinite(loss) or loss < 0:
        problems.append(f"[sim] line_loss = {loss!r}: must be a finite number >= 0 (dB per sqrt(GHz))")
    for key in TRUE_DELAYS:
        _true_delay(table, key, problems)
    if "channels" in table:
        from drivers.channel_wiring import channel_delays_from_table, channel_map_from_table

        try:
            channel_map_from_table(table["channels"], "[sim]")
            channel_delays_from_table(table["channels"], "[sim]")
        except ConfigError as exc:
            problems.append(str(exc))
    if "membrane" in table:
        problems.extend(membrane_problems(table["membrane"]))
    if "magnet" in table:
        problems.extend(magnet_problems(table["magnet"]))
    if "nuclear" in table:
        problems.extend(nuclear_problems(table["nuclear"]))
    if "cavity" in table or table.get("line") == "strong-coupling":
        problems.extend(cavity_problems(table.get("cavity"), table.get("line"), table.get("sample", "paramagnet"),
                                        table.get("sample_parameters")))
    if "radiation_damping" in table:
        problems.extend(damping_problems(table["radiation_damping"]))
    if not isinstance(table.get("sample_parameters", {}), dict):
        problems.append(f"[sim] sample_parameters = {table['sample_parameters']!r}: must be a table of "
                        f"numbers, e.g. [sim.sample_parameters] g = 2.1")
    return problems


def _true_delay(table: dict[str, Any], key: str, problems: list[str]) -> float:
    """``[sim] true_*_delay`` in seconds (0 when absent); a bad value is added to ``problems``."""
    raw = table.get(key, SIM_DEFAULTS[key])
    try:
        if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
            raise UnitError(f"{raw!r} is not a number")
        value = parse_quantity(raw, "s", name=key)
    except UnitError:
        problems.append(f"[sim] {key} = {raw!r}: give a time, e.g. {key} = \"450 ns\" or 450e-9")
        return 0.0
    if not (math.isfinite(value) and 0 <= value < 1e-3):
        problems.append(f"[sim] {key} = {raw!r}: a propagation delay is >= 0 and below 1 ms")
        return 0.0
    return value


def _build_sample(table: Any) -> tuple[Any, list[str]]:
    """The configured sample (None when there are problems) and every problem, one line each."""
    if not isinstance(table, dict):
        return None, [f"[sim] must be a table (e.g. [sim] sample = \"paramagnet\"), got {table!r}"]
    problems = _check_table(table)
    if problems:
        return None, problems
    try:
        sample = _sample(table.get("sample", SIM_DEFAULTS["sample"]), dict(table.get("sample_parameters", {})),
                         table.get("geometry", SIM_DEFAULTS["geometry"]), problems,
                         table.get("nitrogen", SIM_DEFAULTS["nitrogen"]))
    except (TypeError, ValueError) as exc:
        problems.append(f"[sim.sample_parameters]: {exc}")
        sample = None
    return sample, problems


def sim_problems(table: Any) -> list[str]:
    """Every problem of a ``[sim]`` table, one line each (empty when it builds a world)."""
    return _build_sample(table)[1]


def nv_bench_from_config(table: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """For ``sample = "nv"``: the NV sample and the bench's keyword arguments: the wiring and the
    delays its channel table declares, and apart from them the simulated hardware's true delays."""
    sample, problems = _build_sample(table)
    if problems:
        raise ConfigError("; ".join(problems))
    kw: dict[str, Any] = {"seed": int(table.get("seed", SIM_DEFAULTS["seed"]))}
    kw.update({key: _true_delay(table, key, problems) for key in TRUE_DELAYS})
    if "channels" in table:
        from drivers.channel_wiring import channel_delays_from_table, channel_map_from_table

        kw["channels"] = channel_map_from_table(table["channels"], "[sim]")
        kw["channel_delays"] = channel_delays_from_table(table["channels"], "[sim]")
    return sample, kw


def world_from_config(table: dict[str, Any]) -> SimulatedWorld:
    sample, problems = _build_sample(table)
    if problems:
        raise ConfigError("; ".join(problems))
    if table.get("sample") == "nv":
        raise ConfigError("[sim] sample = \"nv\" is the NV bench: build it with app.simlab_nv (labconfig does)")
    world = SimulatedWorld(sample, seed=int(table.get("seed", SIM_DEFAULTS["seed"])))
    if "membrane" in table:
        configure_membrane(world, table["membrane"])
    if "nuclear" in table:
        configure_nuclear(world, table["nuclear"])
    if "magnet" in table:
        configure_magnet(world, table["magnet"])
    if table.get("line", SIM_DEFAULTS["line"]) == "broadband":
        from sim_backend.fmr_setup import use_broadband_line

        use_broadband_line(world, loss_db_per_sqrt_ghz=float(table.get("line_loss", SIM_DEFAULTS["line_loss"])))
    elif table.get("line") == "strong-coupling":
        configure_strong_coupling(world, table.get("cavity", {}))
    if "radiation_damping" in table:
        configure_radiation_damping(world, table["radiation_damping"])
    return world


__all__ = ["world_from_config", "nv_bench_from_config", "sim_problems", "sample_class", "SAMPLES", "LINES", "GEOMETRIES", "SIM_TABLE",
           "SAMPLE_PARAMETERS"]
