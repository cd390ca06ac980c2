"""Error bars of a line fit to lock-in samples correlated by the output filter.

The noise is the simulator's own: white noise run through its closed-form RC cascade
(``sim_backend.rc_cascade``), read every dt < tau, for 200 seeds at once. The correction (variance
inflation from the filter's autocorrelation, ``analysis.correlated_noise``) is checked against an
independent numerical autocorrelation of the filter, then by coverage: the 68 % interval of the
resonance field and width covers the truth 60-76 % of the time with it, far less without.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from analysis.correlated_noise import effective_points, rc_autocorrelation, sample_interval, variance_inflation
from analysis.derivative_lines import fit_derivative
from analysis.uncertainty import correlated_scale, covariance
from sim_backend.rc_cascade import CascadeStep

SEEDS = 200


def filtered_noise(rng: np.random.Generator, n: int, dt: float, tc: float, poles: int, seeds: int) -> np.ndarray:
    """(seeds, n) readings of the simulator's RC cascade driven by white noise (unit input
    intensity), one reading every ``dt``, started in the stationary state (60 tc of warm-up)."""
    step = CascadeStep.build(dt / tc, poles)
    state = [np.zeros(seeds) for _ in range(poles)]
    out = np.empty((seeds, n))
    warm = int(math.ceil(60 * tc / dt))
    for i in range(warm + n):
        state = step.apply(state, 0.0, 0.0, [rng.standard_normal(seeds) for _ in range(poles)])
        if i >= warm:
            out[:, i - warm] = state[poles - 1]
    return out


def d_lorentzian_reference(b: np.ndarray, b0: float, dbpp: float, app: float) -> np.ndarray:
    """Derivative Lorentzian of peak-to-peak width ``dbpp`` and amplitude ``app`` (written here
    from the absorption 1 / (1 + u^2), u = (B - B0) / (sqrt(3) dbpp / 2))."""
    u = (b - b0) / (math.sqrt(3) / 2 * dbpp)
    shape = -u / (1 + u * u) ** 2
    return app * shape / (2 * (1 / math.sqrt(3)) / (4 / 3) ** 2)


@pytest.mark.parametrize("poles", [1, 2, 3, 4])
def test_autocorrelation_matches_the_impulse_response_integral(poles):
    """rho(s) against a numerical integral of h(t) h(t + s), h the Erlang impulse response."""
    tc = 2e-3
    t = np.linspace(0, 80 * tc, 400_001)
    h = t ** (poles - 1) * np.exp(-t / tc)
    r0 = np.trapezoid(h * h, t)
    for lag in (0.3 * tc, tc, 2.5 * tc, 6 * tc):
        k = int(round(lag / (t[1] - t[0])))
        numeric = np.trapezoid(h[:-k] * h[k:], t[:-k]) / r0
        assert rc_autocorrelation(lag, tc, poles) == pytest.approx(numeric, rel=1e-5)


def test_inflation_limits():
    # far-apart samples are independent; dense ones count as one per 2 n tau (sum of rho = 2 n tau / dt)
    assert variance_inflation(500, 20e-3, 1e-3, 2) == pytest.approx(1.0, abs=1e-6)
    assert variance_inflation(100_000, 0.01e-3, 1e-3, 2) == pytest.approx(2 * 2 * 1e-3 / 0.01e-3, rel=3e-3)
    # one pole is AR(1), phi = e^(-dt/tc): f = (1+phi)/(1-phi) - 2 phi (1-phi^N) / (N (1-phi)^2)
    phi, n = math.exp(-0.5), 1000
    f_ar1 = (1 + phi) / (1 - phi) - 2 * phi * (1 - phi**n) / (n * (1 - phi) ** 2)
    assert effective_points(n, 0.5e-3, 1e-3, 1) == pytest.approx(n / f_ar1, rel=1e-12)
    assert correlated_scale(100, 4, 1.0) == 1.0
    assert correlated_scale(100, 4, 30.0) == math.inf  # 100 points worth ~3: fewer than the parameters
    assert sample_interval(np.array([0.0, 1.0, 2.0, 0.0, 1.0]), np.array([0, 0, 0, 1, 1])) == 1.0
    with pytest.raises(ValueError, match="poles"):
        rc_autocorrelation(1.0, 1.0, 5)


def test_inflation_is_the_variance_of_a_mean_of_the_simulated_filter_output():
    """Bartlett's formula against the scatter of means of the simulator's filtered noise."""
    tc, dt, n = 1e-3, 0.4e-3, 200
    noise = filtered_noise(np.random.default_rng(5), n, dt, tc, 2, 4000)
    var_point = noise.var()
    measured = noise.mean(axis=1).var() * n / var_point
    assert measured == pytest.approx(variance_inflation(n, dt, tc, 2), rel=0.06)


def _line_coverage(correct: bool) -> tuple[float, float]:
    tc, dt, poles = 1e-3, 0.5e-3, 2  # 12 dB/oct, two readings per time constant: f ~ 8
    n, b0, dbpp = 400, 0.34, 0.2e-3
    b = b0 + np.linspace(-1.5e-3, 1.5e-3, n)  # 27 points per peak-to-peak width
    noise = filtered_noise(np.random.default_rng(11), n, dt, tc, poles, SEEDS)
    noise *= 0.1 / noise.std()  # 10 % of the peak-to-peak amplitude per reading
    clean = d_lorentzian_reference(b, b0, dbpp, 1.0)
    scale = math.sqrt(correlated_scale(n, 4, variance_inflation(n, dt, tc, poles))) if correct else 1.0
    hits_b0 = hits_w = 0
    for y in clean + noise:
        fit = fit_derivative(b, y, "lorentzian")
        hits_b0 += abs(fit.b0 - b0) < scale * fit.errors["b0"]
        hits_w += abs(fit.dbpp - dbpp) < scale * fit.errors["dbpp"]
    return hits_b0 / SEEDS, hits_w / SEEDS


def test_correlated_samples_cover_the_truth_only_with_the_inflation():
    cov_b0, cov_w = _line_coverage(correct=True)
    assert 0.60 <= cov_b0 <= 0.76 and 0.60 <= cov_w <= 0.76, (cov_b0, cov_w)
    raw_b0, raw_w = _line_coverage(correct=False)  # samples treated as independent
    assert raw_b0 < 0.4 and raw_w < 0.4, (raw_b0, raw_w)


def test_covariance_helper_applies_the_inflation():
    design = np.column_stack([np.ones(50), np.arange(50.0)])
    r = np.random.default_rng(0).normal(size=50)
    plain = covariance(design, r)
    inflated = covariance(design, r, inflation=3.0)
    assert inflated == pytest.approx(plain * 3.0 * 48 / (50 - 2 * 3.0), rel=1e-12)


def test_esr_line_fits_take_the_inflation_into_their_covariance():
    """What esr-sweep's fits do with ``inflation=f``: the same values, every error times
    sqrt(f (n - p) / (n - p f)) with p = 4 (centre, width, amplitude, offset); 5 with the
    modulation amplitude free as well."""
    from analysis.modulated_fit import fit_modulated, fit_modulation_amplitude

    n, b0, dbpp, bm, f = 400, 0.34, 0.2e-3, 0.05e-3, 5.0
    b = b0 + np.linspace(-1.5e-3, 1.5e-3, n)
    y = d_lorentzian_reference(b, b0, dbpp, 1.0) + 0.05 * np.random.default_rng(4).normal(size=n)
    factor = {p: math.sqrt(f * (n - p) / (n - p * f)) for p in (4, 5)}
    fits = {"derivative": lambda k: fit_derivative(b, y, "lorentzian", inflation=k),
            "modulated": lambda k: fit_modulated(b, y, bm, "lorentzian", inflation=k)}
    for name, fit in fits.items():
        plain, inflated = fit(1.0), fit(f)
        assert inflated.b0 == pytest.approx(plain.b0, rel=1e-9), name
        for key in ("b0", "dbpp", "app"):
            assert inflated.errors[key] == pytest.approx(plain.errors[key] * factor[4], rel=1e-6), (name, key)
    start = fit_modulated(b, y, bm, "lorentzian")
    _, _, bm_err = fit_modulation_amplitude(b, y, start, bm)
    _, _, bm_err_f = fit_modulation_amplitude(b, y, start, bm, inflation=f)
    assert bm_err_f == pytest.approx(bm_err * factor[5], rel=1e-6)


@pytest.mark.slow
def test_esr_sweep_errors_cover_the_truth_with_correlated_readings():
    """The whole experiment on the simulated lab, read every half time constant (f ~ 8): the
    reported errors (filter correlation from the run's own time constant, slope and reading times;
    field axis from the Hall regression) cover the sample's resonance field and width 60-76 % of
    the time over 200 seeds; the fit's own errors (independent points) far less often."""
    from sequences.experiments import EsrFieldSweep
    from sequences.experiments.esr_errors import axis_error, setpoint_lines, sweep_inflation
    from sim_backend.world import SimulatedWorld
    from tests.esrfmr_helpers import esr_lab, run

    sweep = dict(field_start=0.3382, field_stop=0.3393, points=401, time_constant=3e-3, settle_tc=0.5,
                 ramp_rate=0.3, lag_correction="filter-delay")
    hits = np.zeros(2)
    raw_hits = np.zeros(2)
    for seed in range(SEEDS):
        world = SimulatedWorld(seed=seed, lockin_noise=3e-6)
        info, data = run(esr_lab(world), EsrFieldSweep(**sweep))
        b0_true = world.sample.resonance_field(float(sweep.get("frequency", 9.5e9)))
        w_true = 2 * world.sample.lorentz_hwhm / math.sqrt(3)
        r = info.results
        b0, w = r["resonance_field"], r["linewidth_pp"]
        hits += [abs(b0.value - b0_true) < b0.error, abs(w.value - w_true) < w.error]
        f = sweep_inflation(data, EsrFieldSweep.settings(data), sweep["points"])
        scale = math.sqrt(correlated_scale(sweep["points"], 4, f))  # the line fits' four parameters
        axis = axis_error(setpoint_lines(data), lambda line: b0.value)
        raw_b0 = math.sqrt(max(b0.error**2 - axis**2, 0.0)) / scale
        raw_hits += [abs(b0.value - b0_true) < raw_b0, abs(w.value - w_true) < w.error / scale]
    cover, raw = hits / SEEDS, raw_hits / SEEDS
    assert np.all((cover >= 0.60) & (cover <= 0.76)), cover
    assert np.all(raw < 0.45), raw


def test_file_analysis_takes_the_lockin_times_from_the_file():
    """A spectrum whose file records the time constant and conversion time (BES3T RCTC, SPTP) is
    fitted with the inflation of one RC pole at those times, and a note says so."""
    from analysis.line_profiles import fit_line
    from app.file_analysis import analyse_dataset
    from formats import Dataset
    from formats.dataset import Axis, Ordinate

    n, b0, dbpp, tc, dt = 400, 0.34, 0.2e-3, 40e-3, 20e-3
    b = b0 + np.linspace(-1.5e-3, 1.5e-3, n)
    y = d_lorentzian_reference(b, b0, dbpp, 1.0) + filtered_noise(np.random.default_rng(3), n, dt, tc, 1, 1)[0] * 0.2
    params = {"EXPT": "CW", "RCTC": tc, "SPTP": dt}
    d = Dataset((Axis(b, "field", "T"),), (Ordinate(y, "signal", ""),), params, "BES3T")
    out = analyse_dataset(d, model="lorentzian")
    plain = fit_line(b, y, "lorentzian")
    f = variance_inflation(n, dt, tc, 1)  # one pole: f = coth(dt / 2 tc) to 1/N
    assert f == pytest.approx(1 / math.tanh(dt / (2 * tc)), rel=0.01)
    expected = plain.errors["b0"] * math.sqrt(correlated_scale(n, plain.n_params, f))
    assert out.results["resonance_field"].error == pytest.approx(expected, rel=1e-3)
    assert any("lock-in correlation" in note for note in out.notes) and not out.warnings


def test_reading_inflation_from_recorded_times():
    """What the experiments use: the reading interval from the recorded times (per scan), the
    poles from the filter slope; no times, no correction."""
    from analysis.correlated_noise import reading_inflation
    from sequences.experiment import RunData
    from sequences.experiments.esr_errors import sweep_inflation

    times = np.concatenate([np.arange(100) * 0.7e-3, 5.0 + np.arange(100) * 0.7e-3])  # two scans
    scans = np.repeat([0, 1], 100)
    expected = variance_inflation(100, 0.7e-3, 1e-3, 3)
    assert reading_inflation(100, 1e-3, 3, times=times, groups=scans) == pytest.approx(expected)
    assert reading_inflation(100, 1e-3, 3, interval=0.7e-3) == pytest.approx(expected)
    assert reading_inflation(100, 1e-3, 3) == 1.0 and reading_inflation(100, None, 3, interval=0.7e-3) == 1.0
    settings = {"time_constant": 1e-3, "filter_slope": 18}  # 18 dB/oct: three poles
    run = RunData({"time": times, "scan": scans.astype(float)}, {})
    assert sweep_inflation(run, settings, 100) == pytest.approx(expected)
    assert sweep_inflation(RunData({"scan": scans.astype(float)}, {}), settings, 100) == 1.0
