"""Temperature series: at each temperature, wait for the controller to settle, then measure a
frequency-field map (or a single trace). Per temperature: Kittel fit -> g and the anisotropy
field, and K(T) = Ms(T) mu0 H_A / 2 with Ms(T) from magnetometry (FMR gives H_A, not Ms); with
one frequency: line position, width and intensity against T (Curie law check)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import numpy as np

from drivers.lab import Lab
from analysis.kittel import FIELD_PARAMETER, anisotropy_energy, gamma_prime
from sequences.experiment import Column, FitValue, Message, Parameter, RunData
from sequences.result import WARNING, Result
from sequences.experiments.fmr_map import FreqFieldMap, ResonancePredictor
from sequences.experiments.temperature_wait import wait_for_temperature
from units.quantity import UnitError, parse_quantity


def parse_table(text: str, name: str) -> tuple[np.ndarray, np.ndarray]:
    """'3:5.2e5, 300:3.4e5' -> (temperatures, values), sorted by temperature."""
    if not str(text).strip():
        return np.empty(0), np.empty(0)
    pairs = []
    for item in str(text).replace(";", ",").split(","):
        if not item.strip():
            continue
        if ":" not in item:
            raise ValueError(f"{name}: {item.strip()!r} is not 'temperature:value' (e.g. '3:5.2e5, 300:3.4e5')")
        t, v = item.split(":", 1)
        try:
            pairs.append((parse_quantity(t, "K", name=name), parse_quantity(v, "A/m", name=name)))
        except UnitError as exc:
            raise ValueError(f"{exc} (in {item.strip()!r}; write 'temperature:value', e.g. '3:5.2e5')") from None
    arr = np.array(sorted(pairs))
    return arr[:, 0], arr[:, 1]


class AnchoringPredictor(ResonancePredictor):
    """At a new temperature the field parameter can move far (a kagome magnet's mu0 H_A goes from
    0.59 T at 300 K to 1.35 T at 3 K): the first line found there re-solves the field parameter
    for the current g so the Kittel curve passes through it, instead of the base class's constant
    offset, which puts the next windows (other frequencies, other slope) beside the lines."""

    def observe(self, f: float, b_res: float | None) -> None:
        if b_res is not None and not self.seen:
            x = f / gamma_prime(self.g)  # f / gamma' (T)
            if self.geometry in ("in-plane", "easy-plane") and b_res > 0:
                self.bfield = x * x / b_res - b_res  # x^2 = B (B + bfield)
            elif self.geometry in ("out-of-plane", "hard-axis"):
                self.bfield = b_res - x
            elif self.geometry == "easy-axis":
                self.bfield = x - b_res
        super().observe(f, b_res)


class TemperatureSeries(FreqFieldMap):
    name = "temperature-series"
    title = "ESR/FMR temperature series"
    results = (
        Result("geometry", "", "Kittel geometry of the fits"),
        Result("field_parameter_name", "", "which Kittel field parameter field_parameter holds"),
        Result("temperature", "K", "mean measured temperature at each setpoint"),
        Result("temperature_spread", "K", "peak-to-peak temperature during each setpoint's traces"),
        Result("g", "", "Kittel g at each temperature"), Result("g_error", "", "its standard error"),
        Result("field_parameter", "T", "Kittel field parameter at each temperature"),
        Result("field_parameter_error", "T", "its standard error"),
        Result("anisotropy_constant", "J/m^3", "anisotropy energy density from the field and Ms"),
        Result("anisotropy_constant_error", "J/m^3", "its standard error"),
        Result("ms_used", "A/m", "saturation magnetisation interpolated from ms_table"),
        Result("resonance_field", "T", "first trace's line centre at each temperature"),
        Result("fwhm", "T", "first trace's FWHM at each temperature"),
        Result("area", "", "first trace's intensity at each temperature"), Result("area_error", "", "its standard error"),
        Result("anisotropy_constant_lowest_T", "J/m^3", "anisotropy constant at the lowest temperature"),
        Result("curie_constant", "K", "C in intensity = C / T (single-frequency series)"),
        Result("curie_deviation", "", "largest relative deviation from the Curie law"), WARNING)
    roles = ("rf", "lockin", "field", "temperature")
    optional_roles = ("gaussmeter",)
    temperatures = Parameter([300.0, 150.0, 5.0], "K", "temperatures in measuring order ('300, 150, 5')",
                             0.0, None, kind=list, limit="temperature")
    tolerance = Parameter(0.05, "K", "settled when every reading is within this of the setpoint", 1e-4, 50.0)
    stable_time = Parameter(10.0, "s", "how long the readings must stay within the tolerance", 0.0, 1e5)
    settle_timeout = Parameter(3600.0, "s", "give up waiting for a temperature after this", 1.0, 1e6)
    search_window = Parameter(0.0, "T", "half-width of the first trace at each new temperature "
                              "(0: the normal window); lines can move far between temperatures", 0.0, 2.0,
                              display_unit="mT")
    ms_table = Parameter("", "A/m", "saturation magnetisation from magnetometry, 'T:Ms, T:Ms, ...' "
                         "(interpolated); needed for K(T)", kind=str)
    ms_rel_error = Parameter(0.01, "", "relative uncertainty of the Ms values", 0.0, 1.0)
    outer_columns = FreqFieldMap.outer_columns + (Column("temperature_set", "K"),)

    def temperature_list(self) -> list[float]:
        return list(self.temperatures)

    def check(self) -> list[str]:
        problems = super().check()
        if any(t <= 0 for t in self.temperatures):
            problems.append(f"temperatures must be positive kelvin, got {self.temperatures}")
        try:
            parse_table(self.ms_table, "ms_table")
        except ValueError as exc:
            problems.append(str(exc))
        return problems

    def total_points(self) -> int:
        return len(self.temperature_list()) * self.n_freq * self.points

    # --- plan -----------------------------------------------------------------------------------
    def plan(self, lab: Lab) -> Iterator[Message]:
        predictor = AnchoringPredictor(self.geometry, self.g_guess, self.field_guess)
        history: list[tuple[float, float]] = []  # (temperature, fitted field parameter)
        temp = lab.temperature
        try:
            for i, t_set in enumerate(self.temperature_list()):
                yield from wait_for_temperature(lab, t_set, self.tolerance, self.stable_time, self.settle_timeout)
                if len(history) >= 2:  # extrapolate the anisotropy field linearly in temperature
                    (t1, b1), (t2, b2) = history[-2:]
                    if t2 != t1:
                        predictor.bfield = b2 + (b2 - b1) * (t_set - t2) / (t2 - t1)
                predictor.seen = []
                search = self.search_window if i > 0 and self.search_window > 0 else None
                yield from self.map_plan(lab, predictor, {"temperature_set": t_set}, first_trace=i * self.n_freq,
                                         per_point=lambda: {"temperature": temp.read_temperature()},
                                         first_half=search)
                history.append((t_set, predictor.bfield))
        finally:
            self.finish(lab)

    # --- analysis -------------------------------------------------------------------------------
    def analyse(self, run: RunData) -> dict[str, Any]:
        p = run.parameters
        groups = self.trace_groups(run)
        if not groups:
            return {}
        t_set = np.array([float(run["temperature_set"][g[0]]) for g in groups])
        ms_t, ms_v = parse_table(p.get("ms_table", self.ms_table), "ms_table")
        ms_rel = float(p.get("ms_rel_error", self.ms_rel_error))
        geometry = p.get("geometry", self.geometry)
        field_name = FIELD_PARAMETER[geometry]
        rows: dict[str, list[Any]] = {k: [] for k in (
            "temperature", "temperature_spread", "g", "g_error", "field_parameter", "field_parameter_error",
            "anisotropy_constant", "anisotropy_constant_error", "ms_used", "resonance_field", "fwhm", "area",
            "area_error")}
        warnings = []
        for t in sorted(set(t_set), key=list(t_set).index):
            sub = [g for g, ts in zip(groups, t_set) if ts == t]
            actual = np.concatenate([run["temperature"][g] for g in sub])
            res = self.analyse_map(run, sub)
            if "warning" in res:
                warnings.append(f"at {t:g} K: {res['warning']}")
            rows["temperature"].append(float(np.mean(actual)))
            rows["temperature_spread"].append(float(np.ptp(actual)))
            gv = res.get("g_factor")
            rows["g"].append(gv.value if gv else float("nan"))
            rows["g_error"].append(gv.error if gv else float("nan"))
            bf = res.get(field_name) if field_name else None
            rows["field_parameter"].append(bf.value if bf else float("nan"))
            rows["field_parameter_error"].append(bf.error if bf else float("nan"))
            for key in ("resonance_field", "fwhm", "area", "area_error"):  # first trace: Curie law
                rows[key].append(res[key][0])
            if bf is not None and len(ms_t) and field_name in ("mu0_hk", "mu0_ha"):
                ms = float(np.interp(np.mean(actual), ms_t, ms_v))
                k, k_err = anisotropy_energy(bf.value, bf.error, ms, ms_rel)
                if not (np.isfinite(k_err) and k_err > 0):
                    warnings.append(f"at {t:g} K: the {field_name} error is {bf.error:.3g} T (the Kittel fit does "
                                    f"not determine it): no error for K")
                rows["anisotropy_constant"].append(k)
                rows["anisotropy_constant_error"].append(k_err)
                rows["ms_used"].append(ms)
            else:
                rows["anisotropy_constant"].append(float("nan"))
                rows["anisotropy_constant_error"].append(float("nan"))
                rows["ms_used"].append(float("nan"))
        out: dict[str, Any] = {"geometry": geometry, "field_parameter_name": field_name, **rows}
        k = np.array(rows["anisotropy_constant"])
        if np.any(np.isfinite(k)):
            i = int(np.nanargmin(np.where(np.isfinite(k), rows["temperature"], np.nan)))
            out["anisotropy_constant_lowest_T"] = FitValue(k[i], rows["anisotropy_constant_error"][i], "J/m^3")
        if int(p.get("n_freq", self.n_freq)) == 1:
            out.update(self.curie_fit(np.array(rows["temperature"]), np.array(rows["area"]),
                                      np.array(rows["area_error"])))
        if warnings:
            out["warning"] = "; ".join(warnings)
        return out

    @staticmethod
    def curie_fit(temps: np.ndarray, area: np.ndarray, err: np.ndarray) -> dict[str, Any]:
        """Intensity = C / T through the origin (S = 1/2 paramagnet); the spread tests the law."""
        ok = np.isfinite(area) & np.isfinite(temps) & (temps > 0)
        if ok.sum() < 2:
            return {}
        x, y = 1 / temps[ok], area[ok]
        sig = np.where(np.isfinite(err[ok]) & (err[ok] > 0), err[ok], np.abs(y).max() * 1e-3 + 1e-300)
        c = np.sum(x * y / sig**2) / np.sum(x * x / sig**2)
        resid = (y - c * x) / sig
        chi2 = resid @ resid / max(1, ok.sum() - 1)
        c_err = np.sqrt(max(1.0, chi2) / np.sum(x * x / sig**2))
        return {"curie_constant": FitValue(c, c_err, "K"),
                "curie_deviation": float(np.max(np.abs(y - c * x) / np.abs(c * x)))}

    def figure(self, run: RunData, results: dict[str, Any]) -> Any:
        """g, the anisotropy field and K against temperature (a matplotlib Figure)."""
        from analysis.fmr_plots import series_figure

        t = np.array(results.get("temperature", []), float)
        series = {"g": (np.array(results.get("g", []), float), np.array(results.get("g_error", []), float))}
        name = results.get("field_parameter_name")
        if name:
            series[f"{name} (mT)"] = (np.array(results["field_parameter"], float) * 1e3,
                                      np.array(results["field_parameter_error"], float) * 1e3)
        if np.any(np.isfinite(results.get("anisotropy_constant", [np.nan]))):
            series["K (kJ/m³)"] = (np.array(results["anisotropy_constant"], float) / 1e3,
                                   np.array(results["anisotropy_constant_error"], float) / 1e3)
        if "curie_constant" in results:
            series["double integral (µV mT²)"] = (np.array(results["area"], float) * 1e12,
                                                  np.array(results["area_error"], float) * 1e12)
        curves = {}
        if "curie_constant" in results and np.any(t > 0):
            fine = np.linspace(max(t[t > 0].min() * 0.8, 1e-3), t.max() * 1.05, 200)
            c = results["curie_constant"].value
            curves["double integral (µV mT²)"] = (fine, c / fine * 1e12, f"Curie law C/T, C = {c:.4g}")
        return series_figure(t, series, "temperature (K)", title=self.title, curves=curves,
                             warning=results.get("warning"))

    def plot(self, run: RunData, results: dict[str, Any], path: Path) -> Path:
        from analysis.fmr_plots import save_figure

        return save_figure(self.figure(run, results), path)
