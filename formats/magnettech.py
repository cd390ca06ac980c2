"""Magnettech (Bruker) MiniScope MS-5000 / ESRStudio XML spectra.

Layout (as the ESRStudio XML file describes itself; element and attribute names are the
vendor's): <ESRXmlFile><Data><Measurement MwFreq="GHz" QFactor=... Temperature=...> holding a
<Recipe><Parameters><Param Name= Unit=>value</Param> list and <DataCurves> with one <Curve> per
recorded quantity. A curve is sampled in time, t_i = XOffset + i * XSlope (XUnit, s), and its
values are base64 blocks, one per 8-byte little-endian float64 value, concatenated. The field
sweep is its own curve ('BField', mT): the spectrum's field axis is that curve interpolated at
the absorption curve's sample times, and samples outside the recorded field curve are dropped.
The file does not say whether 'Modulation' is a peak or peak-to-peak amplitude; it is taken as
peak-to-peak (B0MA), the Bruker convention.
"""
from __future__ import annotations

import base64
import binascii
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

from formats.dataset import Axis, Dataset, FormatError, Ordinate
from formats.si import to_si

#: Recipe parameter -> BES3T name (converted to SI from the Param's own Unit attribute)
PARAMETER_MAP = {"MicrowavePower": "MWPW", "Modulation": "B0MA", "ModulationFreq": "B0MF",
                 "Accumulations": "AVGS"}


def decode_curve(text: str, where: str) -> np.ndarray:
    """Values of one <Curve>: 12-character base64 blocks of one float64 (little-endian) each."""
    text = "".join(text.split())
    if len(text) % 12:
        raise FormatError(f"{where}: curve text of {len(text)} characters is not a whole number of "
                          f"12-character base64 float64 blocks")
    try:
        raw = b"".join(base64.b64decode(text[i:i + 12], validate=True) for i in range(0, len(text), 12))
    except (binascii.Error, ValueError):
        raise FormatError(f"{where}: curve data are not base64") from None
    return np.frombuffer(raw, "<f8").astype(float)


def _curve(measurement: ET.Element, name_part: str, path: Path) -> tuple[np.ndarray, np.ndarray, ET.Element]:
    names = []
    for c in measurement.iter("Curve"):
        names.append(c.get("Name", ""))
        if name_part.lower() in c.get("YType", "").lower() or name_part.lower() in c.get("Name", "").lower():
            values = decode_curve(c.text or "", f"{path}: curve {c.get('Name')!r}")
            t = float(c.get("XOffset", 0)) + float(c.get("XSlope", 1)) * np.arange(len(values))
            return t, values, c
    raise FormatError(f"{path}: Magnettech XML without a {name_part!r} curve (curves found: {names or 'none'})")


def load_magnettech(path: str | Path) -> Dataset:
    """Read a Magnettech ESRStudio XML spectrum (field sweep, first-harmonic absorption)."""
    path = Path(path)
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise FormatError(f"{path}: expected Magnettech ESRStudio XML, but the file is not XML ({exc})") from None
    if root.tag != "ESRXmlFile":
        raise FormatError(f"{path}: expected Magnettech ESRStudio XML (root <ESRXmlFile>), found <{root.tag}>")
    m = root.find("./Data/Measurement")
    if m is None:
        raise FormatError(f"{path}: Magnettech XML without a <Data><Measurement> element")
    t_b, field, bcurve = _curve(m, "BField", path)
    t_s, signal, scurve = _curve(m, "MW_Absorption", path)
    inside = (t_s >= t_b.min()) & (t_s <= t_b.max())
    b_factor, b_unit_si = to_si(1.0, bcurve.get("YUnit", "mT"))
    b = np.interp(t_s[inside], t_b, field) * b_factor
    params: dict[str, float | str] = {"EXPT": "CW", "TITL": m.get("Name", path.stem)}
    if m.get("MwFreq"):
        params["MWFQ"] = float(m.get("MwFreq")) * 1e9  # GHz in ESRStudio files
    raw = {k: v for k, v in m.attrib.items() if k != "FWV"}
    for p in m.iter("Param"):
        name, text = p.get("Name", ""), (p.text or "").strip()
        raw[name] = text + (f" {p.get('Unit')}" if p.get("Unit") else "")
        if name in PARAMETER_MAP:
            try:
                params[PARAMETER_MAP[name]] = to_si(float(text), p.get("Unit", ""))[0]
            except ValueError:
                pass
    axis = Axis(b, "field", b_unit_si)
    ordinate = Ordinate(signal[inside], scurve.get("Name", "signal"), scurve.get("YUnit", ""))
    return Dataset((axis,), (ordinate,), params, "Magnettech XML", path, str(params["TITL"]), raw)
