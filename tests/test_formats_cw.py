"""cw readers against real files: Bruker ESP and WinEPR (.par/.spc), Magnettech XML, and text
files with header units; every reader's parameters under the BES3T names in SI."""
from __future__ import annotations

import base64
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from formats import FormatError, MissingParameter, load
from formats.esp import load_esp
from formats.magnettech import load_magnettech
from formats.text import load_text

DATA = Path(__file__).parent / "data" / "real"


def test_esp_dialect_big_endian_int32_with_mapped_parameters():
    d = load(DATA / "SAMPLE2.SPC")
    assert d.format == "ESP"
    raw = np.frombuffer((DATA / "SAMPLE2.SPC").read_bytes(), ">i4")  # ESP-300: big-endian int32
    assert np.array_equal(d.data, raw[:2048])
    assert d.x.unit == "T" and len(d.x) == 2048
    assert d.x.values[0] == pytest.approx(2299.756e-4) and d.x.values[-1] == pytest.approx(4299.756e-4)  # GST, GST+GSI
    assert d.parameter("MWFQ") == pytest.approx(9.243887e9)  # MF in GHz
    assert d.parameter("B0MA") == pytest.approx(4.766548e-4)  # RMA in G
    assert d.parameter("RCTC") == pytest.approx(10.24e-3) and d.parameter("SPTP") == pytest.approx(20.48e-3)
    assert d.parameter("MWPW") is None  # power not recorded in this file
    with pytest.raises(MissingParameter, match="has no MWPW"):
        d.require("MWPW", "microwave power")


def test_winepr_dialect_two_dimensional_power_sweep():
    d = load_esp(DATA / "EMX_Acquisit_power2d.par")
    assert d.format == "WinEPR" and d.data.shape == (13, 1024)
    par = d.raw
    assert d.data.min() == float(par["MIN"]) and d.data.max() == float(par["MAX"])  # stored by WinEPR
    assert d.x.values[0] == pytest.approx(0.341) and d.x.values[-1] == pytest.approx(0.355)  # XXLB + XXWI in G
    assert d.y.unit == "dB" and np.allclose(d.y.values, 44.0 - 3.0 * np.arange(13))  # 44 dB down to 8 dB
    assert d.parameter("MWFQ") == pytest.approx(9.702e9) and d.parameter("MWPW") == pytest.approx(7.97e-6)
    assert d.parameter("AVGS") == 2 and d.parameter("B0MA") == pytest.approx(2e-4)


def test_esp_reader_refuses_other_files(tmp_path):
    shutil.copy(DATA / "bes3tint.dsc", tmp_path / "a.par")
    shutil.copy(DATA / "bes3tint.dta", tmp_path / "a.spc")
    with pytest.raises(FormatError, match="expected ESP/WinEPR parameters, found a BES3T descriptor"):
        load_esp(tmp_path / "a.par")
    (tmp_path / "b.par").write_text("hello\n")
    (tmp_path / "b.spc").write_bytes(b"\0" * 16)
    with pytest.raises(FormatError, match="expected ESP/WinEPR parameters .* found 'hello'"):
        load_esp(tmp_path / "b.par")
    with pytest.raises(FormatError, match="c.spc is missing"):
        (tmp_path / "c.par").write_text("MF 9.5\n")
        load_esp(tmp_path / "c.par")


def independent_magnettech(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(t_field, field_mT, t_signal, signal) decoded here: 12-character base64 float64 blocks."""
    root = ET.parse(path).getroot()
    out = []
    for c in root.iter("Curve"):
        text = "".join(c.text.split())
        v = np.array([np.frombuffer(base64.b64decode(text[i:i + 12]), "<f8")[0] for i in range(0, len(text), 12)])
        out += [float(c.get("XOffset")) + float(c.get("XSlope")) * np.arange(len(v)), v]
    return tuple(out)


def test_magnettech_xml_field_axis_from_the_field_curve():
    d = load_magnettech(DATA / "trityl.xml")
    tb, b, ts, s = independent_magnettech(DATA / "trityl.xml")
    inside = (ts >= tb[0]) & (ts <= tb[-1])
    assert np.array_equal(d.data, s[inside])
    assert np.allclose(d.x.values, np.interp(ts[inside], tb, b) * 1e-3)
    assert np.all(np.diff(d.x.values) > 0)  # an up-sweep
    assert 0.336 - 2e-4 < d.x.values[0] and d.x.values[-1] < 0.341 + 2e-4  # Bfrom/Bto of the recipe
    assert d.parameter("MWFQ") == pytest.approx(9.49151036e9)
    assert d.parameter("MWPW") == pytest.approx(1e-4) and d.parameter("B0MA") == pytest.approx(3e-6)
    assert d.parameter("B0MF") == pytest.approx(1e4)


def test_magnettech_reader_refuses_other_xml(tmp_path):
    (tmp_path / "x.xml").write_text("<?xml version='1.0'?><root/>")
    with pytest.raises(FormatError, match=r"expected Magnettech ESRStudio XML \(root <ESRXmlFile>\), found <root>"):
        load(tmp_path / "x.xml")


@pytest.mark.parametrize("sep", ["\t", ",", "  ", ";"])
def test_text_with_header_units(tmp_path, sep):
    b = np.linspace(330.0, 340.0, 11)
    lines = ["# sample: DPPH", "# Frequency: 9.4 GHz", sep.join(["Field [mT]", "X (V)", "Y/mV"])]
    lines += [sep.join(f"{v:.6g}" for v in row) for row in zip(b, np.sin(b), np.cos(b))]
    (tmp_path / "s.txt").write_text("\n".join(lines) + "\n")
    d = load(tmp_path / "s.txt")
    assert d.x.unit == "T" and np.allclose(d.x.values, b * 1e-3)
    assert [o.name for o in d.ordinates] == ["X", "Y"] and d.ordinates[1].unit == "V"
    assert np.allclose(d.ordinates[1].values, np.round(np.cos(b), 6) * 1e-3, atol=1e-9)
    assert d.parameter("MWFQ") == pytest.approx(9.4e9) and d.raw["sample"] == "DPPH"


def test_text_errors_name_the_line(tmp_path):
    (tmp_path / "bad.csv").write_text("B [G],I\n3300,1\n3301,x\n")
    with pytest.raises(FormatError, match=r"bad.csv:3: expected numbers, found '3301,x'"):
        load_text(tmp_path / "bad.csv")
    (tmp_path / "one.csv").write_text("1\n2\n")
    with pytest.raises(FormatError, match="at least two numeric columns"):
        load_text(tmp_path / "one.csv")


def test_unknown_file_lists_what_is_read(tmp_path):
    (tmp_path / "spectrum.foo").write_bytes(b"\x00\x01")
    with pytest.raises(FormatError, match=r"not a spectrum file spinbench reads; accepted: Bruker BES3T"):
        load(tmp_path / "spectrum.foo")
