"""``spinbench halbach DESIGN.toml``: report, PNG maps, optimisation and clear input errors."""
from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from app.cli import main
from magnets.closed_forms import ring_centre_field
from magnets.design_io import DesignFileError, load_design

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "halbach_ring.toml"


def test_example_report_and_maps(tmp_path, capsys):
    assert main(["halbach", str(EXAMPLE), "--out", str(tmp_path), "--forces"]) == 0
    out = capsys.readouterr().out
    # two 16-cube rings at z = +-r/sqrt(6): B0 = 2 (6/7)^(5/2) x the single-ring closed form,
    # minus the cube correction of a few hundred ppm (the report uses exact shapes)
    b0 = 2 * (6 / 7) ** 2.5 * ring_centre_field(16, 1.305, 0.012**3, 0.045)
    shown = float(re.search(r"B0 \(centre\)\s+([\d.]+) mT", out).group(1)) * 1e-3
    assert shown == pytest.approx(b0, rel=1e-3)
    assert "magnets            32" in out and "mass 414.7 g" in out
    assert re.search(r"homogeneity\s+[\d.]+ ppm p-p", out)
    assert re.search(r"drift\s+-1260 ppm/K", out)
    assert re.search(r"f_Larmor 1H\s+2\.73\d* MHz", out)
    assert "halves, split normal along B0" in out
    for name in ("layout", "map_xy", "map_xz", "profiles", "drift"):
        png = tmp_path / f"{name}.png"
        assert png.stat().st_size > 10_000 and png.read_bytes()[:4] == b"\x89PNG"
    assert len((tmp_path / "magnets.csv").read_text().splitlines()) == 33


def test_optimise_and_compensate_from_the_command_line(tmp_path, capsys):
    design = tmp_path / "d.toml"
    design.write_text('''
name = "touching pair + compensator"
[[stack]]
count = 2
spacing = "12 mm"
n = 16
radius = "45 mm"
material = "Sm2Co17"
magnet = { shape = "cube", size = "12 mm" }
[[ring]]
n = 16
radius = "80 mm"
material = "N42"
counter = true
magnet = { shape = "cube", size = "12 mm" }
[report]
engine = "dipole"
[optimise]
vary = ["z"]
max_evaluations = 300
method = "local"
''')
    assert main(["halbach", str(design), "--out", str(tmp_path / "o"), "--optimise", "--compensate", "0",
                 "--no-plots"]) == 0
    out = capsys.readouterr().out
    ppm = re.search(r"homogeneity over 10 mm DSV: ([\d.e+]+) -> ([\d.e+]+) ppm", out)
    assert float(ppm.group(2)) < float(ppm.group(1))
    drift = re.search(r"^  drift\s+(\S+) ppm/K", out, re.M)
    assert abs(float(drift.group(1))) < 1.0
    assert not (tmp_path / "o" / "map_xy.png").exists()


def test_bad_design_files_fail_with_a_named_problem(tmp_path, capsys):
    assert main(["halbach", str(tmp_path / "missing.toml")]) == 2
    assert "no design file" in capsys.readouterr().err
    bad = tmp_path / "bad.toml"
    bad.write_text('[[ring]]\nn = 16\nradius = "45 furlongs"\nmagnet = { shape = "cube", size = "12 mm" }\n')
    assert main(["halbach", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "ring[0].radius" in err and "mm" in err
    with pytest.raises(DesignFileError, match="unknown key"):
        load_design({"ring": [{"n": 16, "radius": 0.045, "colour": "red", "magnet": {"size": 0.012}}]})
    with pytest.raises(DesignFileError, match="overlap"):
        load_design({"ring": [{"n": 16, "radius": "20 mm", "magnet": {"size": "12 mm"}}]})
    spec = load_design({"reference_temperature": "25 degC", "holder": "pla",
                        "stack": [{"n": 8, "radius": 0.05, "k": 2, "magnet": {"shape": "cylinder",
                                   "diameter": "10 mm", "height": "10 mm"}}]})
    assert spec.design.reference_temperature == pytest.approx(298.15)
    assert spec.design.rings[1].z == pytest.approx(0.05 / math.sqrt(8))  # k = 2: R/sqrt(2k + 4)
