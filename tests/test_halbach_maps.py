"""Measured field maps in (reader, spherical harmonics), tolerance Monte Carlo.

References: closed forms (a solid harmonic's coefficient; B0 spread sigma/sqrt(N) of a Halbach
ring whose magnets all add equally at the centre), the file's own numbers for the real map, and
the noise put into simulated maps.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import scipy.io
from scipy.spatial import cKDTree

from formats.dataset import FormatError
from formats.field_map import read_field_map, write_field_map
from magnets.design import Cuboid, HalbachDesign, Ring
from magnets.field import exact_field
from magnets.harmonics import fit_expansion, fit_field, terms
from magnets.sampling import sphere_volume
from magnets.tolerance import Tolerances, monte_carlo

DATA = Path(__file__).parent / "data" / "fieldmap"


def test_reader_units_layouts_and_encodings_agree(tmp_path):
    pts = sphere_volume(0.01, 20, seed=1)
    b = np.column_stack([np.full(20, 0.05), np.linspace(-1e-4, 1e-4, 20), np.zeros(20)])
    a = read_field_map(write_field_map(tmp_path / "a.csv", pts, b))
    rows = "\n".join("\t".join(f"{v:.12g}" for v in r) for r in np.column_stack([pts, b * 1e4]))
    (tmp_path / "b.tsv").write_text(f"# probe: 3-axis Hall\nx (m)\ty (m)\tz (m)\tBx (G)\tBy (G)\tBz (G)\n{rows}\n")
    c = read_field_map(tmp_path / "b.tsv")
    assert np.allclose(a.points, pts, atol=1e-12) and np.allclose(c.points, pts, atol=1e-15)
    assert np.allclose(a.vector, b, atol=1e-12) and np.allclose(c.vector, b, rtol=1e-10)
    # a gaussmeter robot on a sphere: angles + radius from the metadata
    (tmp_path / "s.csv").write_text("# radius: 5 mm\ntheta [deg],phi [deg],B [mT]\n90,0,50\n90,90,50.1\n0,0,49.9\n")
    s = read_field_map(tmp_path / "s.csv")
    assert s.layout == "sphere" and s.vector is None
    assert np.allclose(s.points, [[0.005, 0, 0], [0, 0.005, 0], [0, 0, 0.005]], atol=1e-15)
    assert np.allclose(s.magnitude, [0.05, 0.0501, 0.0499])
    (tmp_path / "c.csv").write_text("rho [mm];phi [rad];z [cm];Bz [T]\n2;3.141592653589793;1;0.1\n")
    cyl = read_field_map(tmp_path / "c.csv")
    assert cyl.layout == "cylinder" and np.allclose(cyl.points, [[-0.002, 0, 0.01]], atol=1e-15)


@pytest.mark.parametrize("text, message", [
    ("x,y [mm],z [mm],Bz [mT]\n1,2,3,4\n", "column 'x' has no unit"),
    ("x [mm],y [mm],z [mm],Bz [s]\n1,2,3,4\n", "column 'Bz' is in 's', not a magnetic field"),
    ("x [mm],y [mm],z [mm],T [K]\n1,2,3,4\n", "no field column"),
    ("x [mm],y [mm],z [mm],Bz [mT]\n1,2,3,4\n1,2,x,4\n", ":3: 'x' is not a number"),
    ("1,2,3,4\n", "numbers before any header"),
    ("theta [deg],phi [deg],B [mT]\n1,2,3\n", "need their radius"),
])
def test_bad_maps_get_one_line_errors(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(FormatError, match=message) as err:
        read_field_map(path)
    assert "\n" not in str(err.value) and str(path) in str(err.value)


def test_solid_harmonic_coefficients_match_closed_forms():
    """f = B0 + G z + c (x^2 - y^2): with Schmidt semi-normalisation the Z coefficient is G r0 and
    the X2-Y2 one 2 c r0^2 / sqrt(3) (N_22 P_2^2 = (sqrt 3 / 2) sin^2 theta); all others 0."""
    pts = sphere_volume(0.01, 300, seed=2)
    b0, grad, c, r0 = 0.05, 0.02, 3.0, 0.01
    f = b0 + grad * pts[:, 2] + c * (pts[:, 0] ** 2 - pts[:, 1] ** 2)
    e = fit_expansion(pts, f, 4, r0=r0)
    names = {t: k for k, t in enumerate(terms(4))}
    expect = np.zeros(len(names))
    expect[names[(0, 0, "c")]] = b0
    expect[names[(1, 0, "c")]] = grad * r0
    expect[names[(2, 2, "c")]] = 2 * c * r0**2 / math.sqrt(3)
    assert np.allclose(e.coefficients, expect, atol=1e-12)
    assert e.residual_rms < 1e-14
    table = {name: ppm for name, _, _, ppm in e.ppm_table()}
    assert table["Z"] == pytest.approx(grad * r0 / b0 * 1e6) and table["XY"] == pytest.approx(0, abs=1e-6)


def test_expansion_reproduces_a_simulated_map_to_its_noise():
    design = HalbachDesign([Ring(16, 0.045, Cuboid.cube(0.012), z=z) for z in (-0.0184, 0.0184)])
    pts = sphere_volume(0.012, 600, seed=3)
    noise = 2e-6
    b = exact_field(pts, design) + np.random.default_rng(4).normal(0, noise, (600, 3))
    ratios = []
    for order in (2, 4, 8):
        hf = fit_field(pts, b, order)
        ratios.append(max(e.residual_rms for e in hf.components) / noise)
    # least squares leaves sqrt((N - p)/N) of the noise: 0.93 for 81 terms, 600 points
    assert ratios[0] > 20 and ratios[1] > 2 and 0.85 < ratios[2] < 1.0
    with pytest.raises(ValueError, match="only 20 points"):
        fit_expansion(pts[:20], b[:20, 0], 6)


def real_map_csv(tmp_path) -> Path:
    """The MiniBumblebee robot map, written as CSV with units from the .mat (read by scipy)."""
    m = scipy.io.loadmat(DATA / "Result_Analysis_28-Aug-2025_14_23_21.mat", squeeze_me=True)
    pts = np.column_stack([m["x_vec"], m["y_vec"], m["z_vec"]])
    b = np.column_stack([m["Bx"], m["By"], m["Bz"]]) * 1e-3  # the file's B is in mT
    return write_field_map(tmp_path / "minibumblebee.csv", pts, b)


def test_real_robot_map_reads_and_expands(tmp_path):
    fmap = read_field_map(real_map_csv(tmp_path))
    assert len(fmap) == 144
    bz = fmap.components["Bz"]
    assert 44.6e-3 <= bz.min() and bz.max() <= 45.6e-3  # the recorded range (source README)
    centre = fmap.points.mean(axis=0)
    hf = fit_field(fmap.points, fmap.vector, 3, centre=centre)
    assert hf.main is hf.components[2]  # the main field is along z
    assert 44.6e-3 < hf.main.b0 < 45.6e-3
    rms = [fit_field(fmap.points, fmap.vector, k, centre=centre).main.residual_rms for k in (1, 2, 3)]
    assert rms[0] > rms[1] > rms[2]
    # the map's own noise: the robot visited 8 pairs of positions < 2 mm apart, where the field
    # differs by far less than the readings do; their spread / sqrt(2) is the noise per reading
    near = cKDTree(fmap.points).query_pairs(0.002, output_type="ndarray")
    assert len(near) >= 5
    noise = np.std(bz[near[:, 0]] - bz[near[:, 1]]) / math.sqrt(2)
    assert rms[2] < noise  # the expansion reproduces the map to its noise (Bz: ~0.17 vs ~0.23 mT)


def test_tolerance_monte_carlo_matches_sigma_over_root_n_and_is_order_free():
    """Every magnet of a Halbach ring adds the same field at the centre, so a B_r spread sigma
    gives B0 a spread sigma B0 / sqrt(N)."""
    ring = HalbachDesign([Ring(64, 0.17, Cuboid.cube(0.012))])
    arr = ring.layout()
    tol = Tolerances(br=0.02, angle=0.0, position=0.0)
    res = monte_carlo(arr, tol, 0.02, trials=300, seed=5, n_points=50)
    assert res.b0.std(ddof=1) == pytest.approx(0.02 * res.nominal_b0 / 8, rel=0.15)
    shuffled = monte_carlo(arr, tol, 0.02, trials=300, seed=5, n_points=50,
                           map=lambda f, xs: list(reversed([f(x) for x in reversed(list(xs))])))
    assert np.array_equal(res.ppm, shuffled.ppm)  # trials are independent pure functions
    both = monte_carlo(arr, Tolerances(br=0.01, angle=np.deg2rad(0.01)), 0.02, trials=40, seed=6, n_points=50)
    assert max(both.dominant, key=both.dominant.get) == "br" and "br dominates" in both.text()
