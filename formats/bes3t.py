"""Reading Bruker BES3T files (.DSC descriptor + .DTA data, .XGF/.YGF/.ZGF axis files): what
Xepr and Bruker's pulsed (E580) software write. Pure numpy.

Format facts used (Bruker BioSpin, "BES3T data file format", version 1.2, Xepr manual appendix):
- The .DSC is text: layers '#DESC', '#SPL', '#DSL', '#MHL'; one 'KEY value' per line, '*' starts
  a comment, a trailing backslash continues the value on the next line; strings in single quotes.
- #DESC keys: BSEQ (BIG/LIT byte order), IKKF (REAL or CPLX per ordinate item, comma-separated
  when there are several items), XTYP/YTYP/ZTYP (IDX = linear axis from XMIN + XWID, IGD = axis
  values in .XGF/.YGF/.ZGF in XFMT/YFMT/ZFMT, NODATA), IRFMT/IIFMT per item (C int8, S int16,
  I int32, F float32, D float64), XPTS/YPTS/ZPTS, XNAM/XUNI, IRNAM/IRUNI etc.
- .DTA: the ordinate, x fastest, then y, then z; for CPLX, real and imaginary parts interleaved
  per point; several items follow one another, each a whole x*y*z block.
- #SPL holds acquisition parameters in SI units (MWFQ Hz, MWPW W, A1CT/A1SW T, B0MA T
  peak-to-peak, B0MF Hz, RCTC s, RCHM harmonic, STMP K, AVGS scans, EXPT CW or PLS).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from formats.dataset import Axis, Dataset, FormatError, Ordinate
from formats.si import si_unit

FORMATS = {"C": "i1", "S": "i2", "I": "i4", "F": "f4", "D": "f8"}


class Bes3tError(FormatError):
    """A BES3T file that cannot be read; the message names the file and what is wrong."""


@dataclass
class Bes3tData:
    """A BES3T data set as the file holds it (axes in the file's units; see :func:`load_bes3t`
    for the SI :class:`~formats.dataset.Dataset`)."""
    x: np.ndarray
    data: np.ndarray  # (nx,), (ny, nx), (nz, ny, nx) or (nz, nx); complex for CPLX; the first item
    y: np.ndarray | None = None
    x_name: str = ""
    x_unit: str = ""
    y_name: str = ""
    y_unit: str = ""
    title: str = ""
    descriptor: dict[str, str] = field(default_factory=dict)
    parameters: dict[str, str] = field(default_factory=dict)  # the #SPL layer
    z: np.ndarray | None = None
    z_name: str = ""
    z_unit: str = ""
    items: list[np.ndarray] = field(default_factory=list)  # every ordinate item (IKKF entries)

    def parameter(self, key: str, default: float = float("nan")) -> float:
        try:
            return float(self.parameters[key])
        except (KeyError, ValueError):
            return default


def parse_dsc(text: str) -> tuple[dict[str, str], dict[str, str]]:
    """(#DESC keys, #SPL keys) of a descriptor."""
    layers: dict[str, dict[str, str]] = {"DESC": {}, "SPL": {}, "DSL": {}, "MHL": {}}
    current = layers["DESC"]
    pending = ""
    for raw in text.splitlines():
        line = pending + raw.rstrip()
        pending = ""
        if line.endswith("\\"):
            pending = line[:-1] + "\n"
            continue
        stripped = line.strip()
        if not stripped or stripped.startswith("*"):
            continue
        if stripped.startswith("#"):
            name = stripped[1:].split(None, 1)[0]
            current = layers.setdefault(name, {})
            continue
        parts = stripped.split(None, 1)
        key = parts[0]
        value = parts[1].strip() if len(parts) > 1 else ""
        if len(value) >= 2 and value[0] == "'" and value[-1] == "'":
            value = value[1:-1]
        current[key] = value
    return layers["DESC"], layers["SPL"]


def _need(desc: dict[str, str], key: str, path: Path, why: str = "") -> str:
    if key not in desc:
        raise Bes3tError(f"{path}: the descriptor has no {key!r} key{' (' + why + ')' if why else ''}; a BES3T "
                         f".DSC must define it in its #DESC layer")
    return desc[key]


def _int(desc: dict[str, str], key: str, path: Path, why: str = "") -> int:
    value = _need(desc, key, path, why)
    try:
        n = int(float(value))
    except ValueError:
        raise Bes3tError(f"{path}: {key} = {value!r} is not a number") from None
    if n < 1:
        raise Bes3tError(f"{path}: {key} = {n} must be at least 1")
    return n


def _float(desc: dict[str, str], key: str, path: Path, why: str = "") -> float:
    value = _need(desc, key, path, why)
    try:
        return float(value)
    except ValueError:
        raise Bes3tError(f"{path}: {key} = {value!r} is not a number") from None


def _list(desc: dict[str, str], key: str, path: Path, n: int, why: str = "") -> list[str]:
    """A comma-separated per-item key, one entry per ordinate item (a single entry serves all)."""
    codes = [c.strip().upper() for c in _need(desc, key, path, why).split(",")]
    if len(codes) == 1:
        return codes * n
    if len(codes) != n:
        raise Bes3tError(f"{path}: {key} has {len(codes)} entries but IKKF names {n} items")
    return codes


def _dtype(code: str, key: str, order: str, path: Path) -> np.dtype:
    if code not in FORMATS:
        raise Bes3tError(f"{path}: {key} = {code!r}; BES3T formats are {', '.join(FORMATS)}")
    return np.dtype(order + FORMATS[code])


def _axis(desc: dict[str, str], letter: str, n: int, order: str, dsc: Path) -> np.ndarray:
    kind = desc.get(f"{letter}TYP", "NODATA")
    if kind == "IDX":
        why = f"{letter}TYP is IDX"
        start = _float(desc, f"{letter}MIN", dsc, why)
        width = _float(desc, f"{letter}WID", dsc, why)
        return np.linspace(start, start + width, n) if n > 1 else np.array([start])
    if kind == "IGD":
        gf = next((p for p in (dsc.with_suffix(f".{letter}GF"), dsc.with_suffix(f".{letter.lower()}gf"))
                   if p.exists()), None)
        if gf is None:
            raise Bes3tError(f"{dsc}: {letter}TYP is IGD but the axis file {dsc.with_suffix('.' + letter + 'GF')} "
                             f"is missing")
        code = _need(desc, f"{letter}FMT", dsc, f"{letter}TYP is IGD").split(",")[0].strip().upper()
        values = np.fromfile(gf, dtype=_dtype(code, f"{letter}FMT", order, dsc))
        if len(values) != n:
            raise Bes3tError(f"{gf}: {len(values)} axis values, the descriptor says {letter}PTS = {n}")
        return values.astype(float)
    if kind in ("NODATA", "NTUP"):
        return np.arange(n, dtype=float)
    raise Bes3tError(f"{dsc}: {letter}TYP = {kind!r}; expected IDX, IGD or NODATA")


def _roughness(v: np.ndarray) -> float:
    """Median point-to-point step over the robust range: ~1e-3 for a spectrum, ~0.3 for noise."""
    finite = v[np.isfinite(v)]
    if len(finite) < 32:
        return 0.0
    lo, hi = np.percentile(finite, [1, 99])
    return float(np.median(np.abs(np.diff(finite))) / (hi - lo)) if hi > lo else 0.0


def _implausible(v: np.ndarray) -> float:
    """Fraction of values no instrument writes: NaN/inf, |v| > 1e30 or subnormal-small."""
    a = np.abs(v)
    return float(np.mean(~np.isfinite(v) | (a > 1e30) | ((a > 0) & (a < 1e-30)))) if len(v) else 0.0


def check_byte_order(raw: bytes, dtype: np.dtype, dta: Path, bseq: str) -> None:
    """Refuse data that only make sense in the other byte order (a wrong BSEQ would otherwise
    load values near 1e-314 or byte-scrambled integers without a word)."""
    if dtype.itemsize == 1:
        return
    n = len(raw) // dtype.itemsize
    with np.errstate(invalid="ignore", over="ignore"):
        as_declared = np.frombuffer(raw, dtype, n).astype(float)
        as_swapped = np.frombuffer(raw, dtype.newbyteorder(), n).astype(float)
    bad, bad_swapped = _implausible(as_declared), _implausible(as_swapped)
    rough, rough_swapped = _roughness(as_declared), _roughness(as_swapped)
    if (bad > 0.05 and bad_swapped < 0.005) or (bad_swapped < 0.005 and rough > 0.05 and rough > 20 * rough_swapped):
        other = "LIT" if bseq == "BIG" else "BIG"
        raise Bes3tError(f"{dta}: the descriptor says BSEQ {bseq}, but the data read that way are implausible "
                         f"({bad:.0%} non-physical values, point-to-point roughness {rough:.2g}) while read as "
                         f"{other} they are a smooth signal (roughness {rough_swapped:.2g}); fix BSEQ in the .DSC")


def _companion(dsc: Path, suffix: str) -> Path:
    return next((p for p in (dsc.with_suffix(suffix.upper()), dsc.with_suffix(suffix.lower())) if p.exists()),
                dsc.with_suffix(suffix.upper()))


def read_bes3t(path: str | Path) -> Bes3tData:
    """Read a .DSC/.DTA pair (either name may be given)."""
    base = Path(path)
    dsc = _companion(base, ".DSC")
    if not dsc.exists():
        raise Bes3tError(f"{base}: expected a Bruker BES3T data set, but there is no descriptor {dsc.name} "
                         f"(or .dsc) next to it")
    text = dsc.read_text(encoding="latin-1")
    if "#DESC" not in text[:4096]:
        head = text.lstrip()[:40].splitlines()[0] if text.strip() else "an empty file"
        raise Bes3tError(f"{dsc}: expected a Bruker BES3T descriptor starting with '#DESC', found {head!r}")
    desc, spl = parse_dsc(text)
    bseq = _need(desc, "BSEQ", dsc, "byte order BIG or LIT").upper()
    order = {"BIG": ">", "LIT": "<"}.get(bseq)
    if order is None:
        raise Bes3tError(f"{dsc}: BSEQ = {desc['BSEQ']!r}; expected BIG or LIT")
    kinds = [k.strip().upper() for k in _need(desc, "IKKF", dsc, "REAL or CPLX").split(",")]
    if any(k not in ("REAL", "CPLX") for k in kinds):
        raise Bes3tError(f"{dsc}: IKKF = {desc['IKKF']!r}; expected REAL or CPLX per item")
    _need(desc, "XTYP", dsc, "abscissa type IDX or IGD")
    nx = _int(desc, "XPTS", dsc)
    has_y = desc.get("YTYP", "NODATA") != "NODATA"
    has_z = desc.get("ZTYP", "NODATA") != "NODATA"
    ny = _int(desc, "YPTS", dsc, "YTYP is not NODATA") if has_y else 1
    nz = _int(desc, "ZPTS", dsc, "ZTYP is not NODATA") if has_z else 1
    real_codes = _list(desc, "IRFMT", dsc, len(kinds))
    imag_codes = _list(desc, "IIFMT", dsc, len(kinds), "IKKF has CPLX") if "CPLX" in kinds else real_codes
    dta = _companion(dsc, ".DTA")
    if not dta.exists():
        raise Bes3tError(f"{dsc}: the data file {dsc.with_suffix('.DTA')} is missing")
    raw = dta.read_bytes()
    npts = nx * ny * nz
    shape = tuple(n for n, present in ((nz, has_z), (ny, has_y), (nx, True)) if present)
    need = sum(npts * _dtype(r, "IRFMT", order, dsc).itemsize
               + (npts * _dtype(i, "IIFMT", order, dsc).itemsize if k == "CPLX" else 0)
               for k, r, i in zip(kinds, real_codes, imag_codes))
    if len(raw) != need:
        per = 2 if kinds == ["CPLX"] else 1
        size = _dtype(real_codes[0], "IRFMT", order, dsc).itemsize
        dims = f"XPTS x YPTS = {nx} x {ny}" + (f" x ZPTS {nz}" if has_z else "")
        extra = (f" x 2 (complex)" if per == 2 else "") + (f" x {len(kinds)} items" if len(kinds) > 1 else "")
        raise Bes3tError(f"{dta}: {len(raw) // size} values, but {dims}{extra} = {npts * per * len(kinds)}")
    items, offset = [], 0
    for kind, rcode, icode in zip(kinds, real_codes, imag_codes):
        rt = _dtype(rcode, "IRFMT", order, dsc)
        if kind == "CPLX" and rcode == icode:
            block = raw[offset: offset + 2 * npts * rt.itemsize]
            check_byte_order(block, rt, dta, bseq)
            v = np.frombuffer(block, rt).astype(float)
            values = v[0::2] + 1j * v[1::2]
            offset += len(block)
        elif kind == "CPLX":  # different real/imaginary formats: pairs of mixed width
            it = _dtype(icode, "IIFMT", order, dsc)
            pair = np.dtype([("re", rt), ("im", it)])
            rec = np.frombuffer(raw[offset: offset + npts * pair.itemsize], pair)
            values = rec["re"].astype(float) + 1j * rec["im"].astype(float)
            offset += npts * pair.itemsize
        else:
            block = raw[offset: offset + npts * rt.itemsize]
            check_byte_order(block, rt, dta, bseq)
            values = np.frombuffer(block, rt).astype(float)
            offset += len(block)
        items.append(values.reshape(shape))
    return Bes3tData(x=_axis(desc, "X", nx, order, dsc), data=items[0],
                     y=_axis(desc, "Y", ny, order, dsc) if has_y else None,
                     x_name=desc.get("XNAM", ""), x_unit=desc.get("XUNI", ""), y_name=desc.get("YNAM", ""),
                     y_unit=desc.get("YUNI", ""), title=desc.get("TITL", ""), descriptor=desc, parameters=spl,
                     z=_axis(desc, "Z", nz, order, dsc) if has_z else None, z_name=desc.get("ZNAM", ""),
                     z_unit=desc.get("ZUNI", ""), items=items)


def _number(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text


def load_bes3t(path: str | Path) -> Dataset:
    """A BES3T data set as a :class:`Dataset`: axes converted to SI, #SPL values as numbers."""
    b = read_bes3t(path)
    axes = []
    for values, name, unit in ((b.x, b.x_name, b.x_unit), (b.y, b.y_name, b.y_unit), (b.z, b.z_name, b.z_unit)):
        if values is not None:
            si, factor = si_unit(unit)
            axes.append(Axis(values * factor, name, si))
    names = [n.strip() for n in b.descriptor.get("IRNAM", "").split(",")]
    units = [u.strip() for u in b.descriptor.get("IRUNI", "").split(",")]
    ordinates = tuple(Ordinate(v, names[i] if i < len(names) else "", units[i] if i < len(units) else "")
                      for i, v in enumerate(b.items))
    params = {k: _number(v) for k, v in b.parameters.items()}
    params.setdefault("TITL", b.title)
    raw = {**b.descriptor, **b.parameters}
    return Dataset(tuple(axes), ordinates, params, "BES3T", _companion(Path(path), ".DSC"), b.title, raw)
