"""Tutorial step 2: run a series of cw-ESR sweeps and make your own plot from the run files.

The same line is swept with four field-modulation amplitudes. A larger modulation gives more
signal but broadens the derivative line you see (over-modulation); the modulation-aware fit
still recovers the intrinsic width. Run it from the repository root:

    python examples/modulation_series.py            # writes runs/*.h5 and modulation_series.png
"""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # files only, no window
import matplotlib.pyplot as plt  # noqa: E402

from app.runner import run_experiment  # noqa: E402
from app.simlab import build_sim_lab  # noqa: E402
from app.storage import read_run  # noqa: E402
from sequences.experiments import EsrFieldSweep  # noqa: E402

AMPLITUDES = [0.03e-3, 0.1e-3, 0.2e-3, 0.4e-3]  # peak modulation field, T


def acquire() -> list:
    """One sweep per modulation amplitude on the simulated lab; returns the run-file paths."""
    paths = []
    for bm in AMPLITUDES:
        sweep = EsrFieldSweep(field_start=0.3368, field_stop=0.3408, points=201, mod_amplitude=bm)
        paths.append(run_experiment(sweep, build_sim_lab(), "runs", plot=False).path)
    return paths


def report_and_plot(paths: list, png: str = "modulation_series.png") -> None:
    """Read the files back (as any later script would) and plot the lines on one figure."""
    fig, ax = plt.subplots(figsize=(6, 4))
    print("mod_amplitude  apparent dBpp  intrinsic dBpp  amplitude")
    for path in paths:
        run = read_run(path)
        bm = run.parameters["mod_amplitude"]
        r = run.results
        print(f"{bm * 1e3:8.2f} mT   {r['linewidth_pp_apparent'].value * 1e3:8.3f} mT   "
              f"{r['linewidth_pp'].value * 1e3:9.3f} mT   {r['amplitude_pp'].value * 1e6:6.1f} uV")
        ax.plot(run["field"] * 1e3, run["x"] * 1e6, label=f"Bm = {bm * 1e3:.2f} mT")
    ax.set_xlabel("field (mT)")
    ax.set_ylabel("lock-in X (µV)")
    ax.legend()
    fig.savefig(png, dpi=100)
    print(f"plot: {png}")


if __name__ == "__main__":
    report_and_plot(acquire())
