"""``spinbench halbach DESIGN.toml``: report, PNG maps, optimisation, compensation and clear input
errors; every command of docs/halbach.md runs as documented."""
from __future__ import annotations

import math
import re
import shlex
from pathlib import Path

import pytest
from PIL import Image

from app.cli import main
from magnets.closed_forms import ring_centre_field
from magnets.design_io import DesignFileError, load_design

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "halbach_ring.toml"
COMPENSATED = ROOT / "examples" / "halbach_compensated.toml"


def png_title(path: Path) -> str:
    return Image.open(path).text.get("Title", "")


def number(pattern: str, text: str) -> float:
    m = re.search(pattern, text, re.M)
    assert m, f"{pattern!r} not in:\n{text}"
    return float(m.group(1))


@pytest.mark.slow
def test_example_report_and_maps_use_one_engine(tmp_path, capsys):
    assert main(["halbach", str(EXAMPLE), "--out", str(tmp_path), "--forces"]) == 0
    out = capsys.readouterr().out
    # four 16-cube rings at z = +-12, +-36 mm: the on-axis ring field scales as (R^2/(R^2+z^2))^(5/2);
    # minus the cube correction of ~40 ppm (the report uses exact shapes)
    r = 0.045
    b0 = sum(ring_centre_field(16, 1.305, 0.012**3, r) * (r * r / (r * r + z * z)) ** 2.5
             for z in (-0.036, -0.012, 0.012, 0.036))
    shown = number(r"B0 \(centre\)\s+([\d.]+) mT", out) * 1e-3
    assert shown == pytest.approx(b0, rel=1e-3)
    assert "(exact fields)" in out and "magnets            64" in out and "mass 829.4 g" in out
    assert re.search(r"drift\s+-1260 ppm/K", out)
    assert re.search(r"f_Larmor 1H\s+4\.55\d* MHz", out)
    assert "halves, split normal along B0" in out
    for name in ("layout", "map_xy", "map_xz", "profiles", "drift"):
        png = tmp_path / f"{name}.png"
        assert png.stat().st_size > 10_000 and png.read_bytes()[:4] == b"\x89PNG"
    assert len((tmp_path / "magnets.csv").read_text().splitlines()) == 65
    # the figures were computed with the report's engine and say so: same B0 and drift as the text
    # (they used to be titled "dipole", 64.296 mT and -81.01 uT/K beside an exact 64.309 mT report)
    b0_text = re.search(r"B0 \(centre\)\s+([\d.]+) mT", out).group(1)
    for name in ("map_xy", "map_xz", "profiles"):
        title = png_title(tmp_path / f"{name}.png")
        assert f"B0 = {b0_text} mT" in title and "exact shapes" in title, title
    ut_per_k = re.search(r"drift\s+\S+ ppm/K = (\S+) uT/K", out).group(1)
    drift_title = png_title(tmp_path / "drift.png")
    assert f"{ut_per_k} uT/K" in drift_title and "exact shapes" in drift_title, drift_title


def documented_commands() -> list[list[str]]:
    block = re.search(r"### Command line\s+(?:<!--.*?-->\s*)?```\w*\n(.*?)```", (ROOT / "docs" / "halbach.md").read_text(), re.S).group(1)
    return [shlex.split(line.partition("#")[0])[1:] for line in block.splitlines()
            if line.startswith("spinbench ")]


def test_every_documented_command_runs(tmp_path, monkeypatch, capsys):
    """docs/halbach.md's commands on the shipped examples (the docs' --compensate 0 used to fail:
    the only example had no counter-oriented ring). The first one was run above, with plots."""
    monkeypatch.chdir(ROOT)  # the doc's paths are relative to the project root
    commands = documented_commands()
    assert len(commands) == 4 and all(Path(c[1]).exists() for c in commands)
    outputs = {}
    for argv in commands[1:]:
        argv = [a for a in argv if a != "--no-plots"]
        if "--out" in argv:
            argv[argv.index("--out") + 1] = str(tmp_path / "maps")
        else:
            argv += ["--out", str(tmp_path / Path(argv[1]).stem)]
        rc = main(argv + ["--no-plots"])
        captured = capsys.readouterr()
        assert rc == 0, f"{argv}: {captured.err}"
        outputs[argv[2] if len(argv) > 2 else ""] = captured.out

    # --optimise: a meaningful improvement, and the numbers printed agree with each other
    out = outputs["--optimise"]
    assert "NOT reached" not in out
    dip_before = number(r"DSV \(dipole model, 300 points on the DSV surface\): ([\d.e+]+) ->", out)
    dip_after = number(r"DSV \(dipole model, 300 points on the DSV surface\): [\d.e+]+ -> ([\d.e+]+) ppm", out)
    ex_before = number(r"checked with exact fields \(400 points, as the report\): ([\d.e+]+) ->", out)
    ex_after = number(r"checked with exact fields \(400 points, as the report\): [\d.e+]+ -> ([\d.e+]+) ppm", out)
    assert dip_after <= 20 and dip_before / dip_after > 100
    assert ex_before / ex_after > 100 and ex_after < 30
    assert number(r"homogeneity\s+([\d.]+) ppm p-p", out) == pytest.approx(ex_after, rel=1e-3)  # the report agrees

    out = outputs["--compensate"]
    assert abs(number(r"^  drift\s+(\S+) ppm/K", out)) < 0.1
    assert number(r"drift (\S+) ppm/K without it", out) < -300
    out = outputs["--forces"]
    assert "over a 20 mm DSV" in out and "(dipole fields)" in out


def test_compensate_refuses_a_ring_that_is_not_counter_oriented(tmp_path, capsys):
    assert main(["halbach", str(EXAMPLE), "--compensate", "0", "--no-plots", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "not counter-oriented" in err and "no counter-oriented ring" in err
    assert "halbach_compensated.toml" in err
    assert main(["halbach", str(COMPENSATED), "--compensate", "1", "--no-plots", "--out", str(tmp_path)]) == 2
    assert "counter-oriented ring(s): [0]" in capsys.readouterr().err


def test_dsv_larger_than_the_bore_is_refused(tmp_path, capsys):
    assert main(["halbach", str(EXAMPLE), "--dsv", "500mm", "--no-plots", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "--dsv 500mm" in err and "does not fit in the bore" in err
    limit = number(r"must be <= ([\d.]+) mm", err)
    assert 60 < limit < 2 * 45  # inside the ring radius
    assert main(["halbach", str(EXAMPLE), "--dsv", f"{limit - 1:.0f}mm", "--no-plots", "--engine", "dipole",
                 "--out", str(tmp_path)]) == 0
    capsys.readouterr()
    with pytest.raises(DesignFileError, match="report.dsv: DSV diameter 200 mm does not fit"):
        load_design({"report": {"dsv": "200 mm"},
                     "stack": [{"n": 16, "radius": "45 mm", "magnet": {"size": "12 mm"}}]})


def test_bad_design_files_report_every_problem_at_once(tmp_path, capsys):
    assert main(["halbach", str(tmp_path / "missing.toml")]) == 2
    assert "no design file" in capsys.readouterr().err
    bad = tmp_path / "bad.toml"
    bad.write_text('''
colour = "red"
[[ring]]
n = 16
radius = "45 mT"
material = "N99"
magnet = { shape = "sphere", size = "12 mm" }
[[ring]]
n = 16
radius = "45 furlongs"
magnet = { shape = "cube", size = "12 mm" }
[report]
engine = "fast"
[optimise]
vary = ["z", "angle"]
''')
    assert main(["halbach", str(bad)]) == 2
    err = capsys.readouterr().err
    for fragment in ("unknown top-level key(s) ['colour']",
                     "ring[0].radius = '45 mT' is a magnetic field (mT), not a length; use one of: m, cm, mm",
                     "unknown magnet material 'N99'; known: ['N35'",
                     "ring[0].magnet.shape = 'sphere'; accepted: 'cube', 'cuboid', 'cylinder'",
                     "ring[1].radius: cannot read '45 furlongs'",
                     "report.engine = 'fast'; accepted: 'exact'",
                     "optimise.vary = ['z', 'angle']; give a list of: 'z', 'radius', 'shims'"):
        assert fragment in err, f"{fragment!r} missing from:\n{err}"
    with pytest.raises(DesignFileError) as info:
        load_design({"ring": [{"n": 16, "radius": 0.045, "colour": "red", "magnet": {"size": 0.012}}],
                     "holder": "wood"})
    assert len(info.value.problems) == 2 and "unknown key" in str(info.value) and "'pla'" in str(info.value)
    with pytest.raises(DesignFileError, match="overlap"):
        load_design({"ring": [{"n": 16, "radius": "20 mm", "magnet": {"size": "12 mm"}}]})
    spec = load_design({"reference_temperature": "25 degC", "holder": "pla",
                        "stack": [{"n": 8, "radius": 0.05, "k": 2, "magnet": {"shape": "cylinder",
                                   "diameter": "10 mm", "height": "10 mm"}}]})
    assert spec.design.reference_temperature == pytest.approx(298.15)
    assert spec.design.rings[1].z == pytest.approx(0.05 / math.sqrt(8))  # k = 2: R/sqrt(2k + 4)
