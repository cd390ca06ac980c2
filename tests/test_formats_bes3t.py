"""BES3T reading against real Xepr files and against files written here from the format
description (Bruker "BES3T data file format" 1.2): every number format and byte order, 2-D,
3-D, complex, several ordinate items, IGD axis files, and a wrong BSEQ refused."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from formats import Bes3tError, FormatError, load, load_bes3t, read_bes3t, write_bes3t

DATA = Path(__file__).parent / "data" / "real"
CODES = {"C": "i1", "S": "i2", "I": "i4", "F": "f4", "D": "f8"}


def minimal_read(dsc: Path) -> tuple[np.ndarray, np.ndarray]:
    """An independent 1-D/2-D REAL/CPLX reader from the format description: (x, data)."""
    text = dsc.read_text(encoding="latin-1")
    key = lambda k: re.search(rf"^{k}\s+(\S+)", text, re.M).group(1).strip("'")  # noqa: E731
    order = ">" if key("BSEQ") == "BIG" else "<"
    raw = np.fromfile(dsc.with_suffix(dsc.suffix[:-3] + ("DTA" if dsc.suffix.isupper() else "dta")),
                      order + CODES[key("IRFMT")])
    data = raw[0::2] + 1j * raw[1::2] if key("IKKF") == "CPLX" else raw
    nx = int(key("XPTS"))
    x = float(key("XMIN")) + float(key("XWID")) * np.arange(nx) / (nx - 1)
    return x, data


def minimal_write(base: Path, items: list[np.ndarray], code: str, order: str, *, axes: str = "X",
                  kinds: str | None = None, gf: dict[str, np.ndarray] | None = None) -> Path:
    """Write a data set as the description says: x fastest, items one after another, CPLX pairs."""
    shape = items[0].shape[::-1]  # (nx, ny, nz)
    kinds = kinds or ",".join("CPLX" if np.iscomplexobj(v) else "REAL" for v in items)
    lines = ["#DESC\t1.2 * DESCRIPTOR", f"BSEQ\t{'BIG' if order == '>' else 'LIT'}", f"IKKF\t{kinds}",
             f"IRFMT\t{','.join([code] * len(items))}", f"IIFMT\t{','.join([code] * len(items))}"]
    gf = gf or {}
    for i, letter in enumerate("XYZ"):
        if letter in axes:
            kind, n = "IGD" if letter in gf else "IDX", shape[axes.index(letter)]
            lines += [f"{letter}TYP\t{kind}", f"{letter}PTS\t{n}", f"{letter}MIN\t{1000.0 * (i + 1)}",
                      f"{letter}WID\t{10.0 * (n - 1)}", f"{letter}UNI\t'G'", f"{letter}FMT\tD"]
            if letter in gf:
                gf[letter].astype(order + "f8").tofile(base.with_suffix(f".{letter}GF"))
        else:
            lines.append(f"{letter}TYP\tNODATA")
    lines += ["#SPL\t1.2", "MWFQ\t9.5e9"]
    base.with_suffix(".DSC").write_text("\n".join(lines) + "\n", encoding="latin-1")
    chunks = []
    for v in items:
        flat = v.reshape(-1)
        if np.iscomplexobj(flat):
            pair = np.empty(2 * flat.size)
            pair[0::2], pair[1::2] = flat.real, flat.imag
            flat = pair
        chunks.append(flat.astype(order + CODES[code]).tobytes())
    base.with_suffix(".DTA").write_bytes(b"".join(chunks))
    return base.with_suffix(".DSC")


def smooth(shape: tuple[int, ...], scale: float = 100.0) -> np.ndarray:
    n = int(np.prod(shape))
    return np.round(scale * np.sin(np.linspace(0, 3, n)) + scale * 0.2).reshape(shape)


def test_real_files_read_like_the_independent_reader():
    for name in ("bes3tint.dsc", "be3tintlit.dsc", "2024_08_CaWO4171Yb_rabi_6K_6724G_18dB.DSC"):
        b = read_bes3t(DATA / name)
        x, data = minimal_read(DATA / name)
        assert np.array_equal(b.data, data) and np.allclose(b.x, x, rtol=1e-15, atol=0)


def test_two_encodings_of_the_same_oxygen_spectrum_agree():
    """bes3tint: int32 big-endian; be3tintlit: float32 little-endian, the same measurement."""
    big, lit = load(DATA / "bes3tint.dsc"), load(DATA / "be3tintlit.dta")
    assert big.raw["IRFMT"] == "I" and lit.raw["IRFMT"] == "F" and lit.raw["BSEQ"] == "LIT"
    assert np.max(np.abs(big.data - lit.data)) <= 1.0  # the integer file holds the values rounded
    assert np.ptp(big.data) > 1000
    assert big.x.unit == "T" and big.x.values[0] == pytest.approx(0.02) and big.x.values[-1] == pytest.approx(1.42)
    assert big.parameter("MWFQ") == 3.42773e10 and big.parameter("B0MA") == 6e-4 and big.parameter("RCHM") == 1
    assert big.parameter("STMP") is None  # temperature not recorded: absent, not NaN


def test_pulsed_complex_file():
    d = load(DATA / "2024_08_CaWO4171Yb_rabi_6K_6724G_18dB.DSC")
    assert np.iscomplexobj(d.data) and d.data.shape == (256,)
    assert d.x.unit == "s" and d.x.values[-1] == pytest.approx(510e-9)
    assert d.parameters["EXPT"] == "PLS" and d.parameter("MWFQ") == pytest.approx(9.762911e9)


@pytest.mark.parametrize("code", list(CODES))
@pytest.mark.parametrize("order", [">", "<"])
def test_every_number_format_and_byte_order(tmp_path, code, order):
    values = smooth((40,), 50.0 if code == "C" else 1000.0)
    minimal_write(tmp_path / "s", [values], code, order)
    d = load_bes3t(tmp_path / "s.DSC")
    assert np.array_equal(d.data, values)
    assert np.allclose(d.x.values, (1000.0 + 10.0 * np.arange(40)) * 1e-4)


def test_two_and_three_dimensions_complex_and_several_items(tmp_path):
    a = smooth((3, 4, 50)) + 1j * smooth((3, 4, 50), 7.0)
    b = smooth((3, 4, 50), 3.0)
    minimal_write(tmp_path / "cube", [a, b], "D", ">", axes="XYZ", kinds="CPLX,REAL")
    d = load_bes3t(tmp_path / "cube.DSC")
    assert [len(ax) for ax in d.axes] == [50, 4, 3]
    assert np.array_equal(d.ordinates[0].values, a) and np.array_equal(d.ordinates[1].values, b)
    m = smooth((6, 30), 20.0)  # 2-D with a measured (IGD) y axis
    ygf = np.array([0.0, 1.5, 2.0, 7.0, 8.0, 20.0])
    minimal_write(tmp_path / "map", [m], "I", "<", axes="XY", gf={"Y": ygf})
    d = load_bes3t(tmp_path / "map.DTA")
    assert np.array_equal(d.data, m) and np.array_equal(d.y.values, ygf * 1e-4)


def test_3d_file_without_y_axis_is_not_misread_as_1d(tmp_path):
    v = smooth((2, 3000))
    minimal_write(tmp_path / "z", [v], "F", ">", axes="XZ")
    d = load_bes3t(tmp_path / "z.DSC")
    assert d.data.shape == (2, 3000) and np.array_equal(d.data, v)


@pytest.mark.parametrize("name", ["bes3tint", "be3tintlit", "2024_08_CaWO4171Yb_rabi_6K_6724G_18dB"])
def test_wrong_byte_order_is_refused(tmp_path, name):
    for f in DATA.glob(name + ".*"):
        shutil.copy(f, tmp_path / f.name)
    dsc = next(tmp_path.glob("*.[dD][sS][cC]"))
    text = dsc.read_text(encoding="latin-1")
    swapped = text.replace("BSEQ\tBIG", "BSEQ\tLIT") if "BSEQ\tBIG" in text else text.replace("BSEQ\tLIT", "BSEQ\tBIG")
    dsc.write_text(swapped, encoding="latin-1")
    with pytest.raises(Bes3tError, match="read that way are implausible.*fix BSEQ"):
        read_bes3t(dsc)


def test_foreign_and_broken_files_say_what_was_expected(tmp_path):
    shutil.copy(DATA / "SAMPLE2.PAR", tmp_path / "x.DSC")
    with pytest.raises(FormatError, match="expected a Bruker BES3T descriptor starting with '#DESC', found"):
        read_bes3t(tmp_path / "x.DSC")
    with pytest.raises(FormatError, match="no descriptor"):
        read_bes3t(tmp_path / "missing.DTA")
    minimal_write(tmp_path / "t", [smooth((2, 64))], "D", ">", axes="XY")
    (tmp_path / "t.DTA").write_bytes((tmp_path / "t.DTA").read_bytes()[:-8])
    with pytest.raises(Bes3tError, match="127 values, but XPTS x YPTS = 64 x 2"):
        read_bes3t(tmp_path / "t.DSC")


def test_written_file_reads_back_with_the_independent_reader(tmp_path, rng):
    x = np.linspace(3300.0, 3400.0, 256)
    y = rng.normal(size=256) + 1j * rng.normal(size=256)
    write_bes3t(tmp_path / "w", x, y, parameters={"MWFQ": 9.4e9})
    xr, yr = minimal_read(tmp_path / "w.DSC")
    assert np.array_equal(yr, y) and np.allclose(xr, x, rtol=1e-15)


def test_linear_sweep_with_round_off_is_written_as_idx(tmp_path):
    """A setpoint sweep converted T -> G is linear up to round-off: IDX, not an .XGF file."""
    x = np.linspace(0.3300, 0.3400, 1001) / 1e-4
    assert not np.array_equal(x, np.linspace(x[0], x[-1], len(x)))  # not exactly linear
    write_bes3t(tmp_path / "sweep", x, np.zeros(len(x)))
    assert "XTYP\tIDX" in (tmp_path / "sweep.DSC").read_text() and not (tmp_path / "sweep.XGF").exists()
    xr, _ = minimal_read(tmp_path / "sweep.DSC")
    assert np.max(np.abs(xr - x)) < 1e-6 * (x[1] - x[0])
