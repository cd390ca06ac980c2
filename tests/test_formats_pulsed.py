"""Pulsed readers: SpecMan4EPR against a real file, Bruker TopSpin against files written here
from the documented layout (JCAMP-DX acqus, interleaved int32/float64, 1024-byte FID blocks in
ser, digital-filter group delay)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from formats import FormatError, MissingParameter, load
from formats.specman import load_specman
from formats.topspin import load_topspin

DATA = Path(__file__).parent / "data" / "real"


def test_specman_field_swept_echo():
    d = load(DATA / "specman_2pfs.d01")
    head = np.frombuffer((DATA / "specman_2pfs.d01").read_bytes()[:80], "<u4")
    assert head[0] == 3 and head[1] == 1  # three float32 streams
    streams = np.frombuffer((DATA / "specman_2pfs.d01").read_bytes()[80:], "<f4").reshape(3, 500)
    assert d.x.unit == "T" and np.allclose(d.x.values, np.linspace(-0.056, 0.056, 500))  # '-56 mT to 56 mT'
    echo, monitor = d.ordinates
    assert np.iscomplexobj(echo.values) and echo.unit == "V"
    assert np.array_equal(echo.values, streams[0] + 1j * streams[1])
    assert monitor.unit == "T" and np.array_equal(monitor.values, streams[2].astype(float))
    # the field monitor covers the 112 mT relative sweep (D band, ~4.7 T) within its calibration
    assert np.ptp(monitor.values) == pytest.approx(0.112, rel=0.1) and 4.5 < monitor.values.mean() < 5.0
    assert d.parameter("SRT") == pytest.approx(5e-3)
    with pytest.raises(MissingParameter, match="has no MWFQ"):
        d.require("MWFQ", "the microwave frequency, needed for g")


def test_specman_truncated_and_foreign(tmp_path):
    (tmp_path / "a.exp").write_bytes((DATA / "specman_2pfs.exp").read_bytes())
    (tmp_path / "a.d01").write_bytes((DATA / "specman_2pfs.d01").read_bytes()[:-400])
    with pytest.raises(FormatError, match="truncated"):
        load_specman(tmp_path / "a.exp")
    (tmp_path / "b.exp").write_text("[general]\nname = x\n")
    (tmp_path / "b.d01").write_bytes((DATA / "specman_2pfs.d01").read_bytes())
    with pytest.raises(FormatError, match=r"expected a SpecMan descriptor with \[sweep\] and \[streams\]"):
        load_specman(tmp_path / "b.d01")


def write_topspin(folder: Path, fids: np.ndarray, *, sw: float, grpdly: float | None, order: str = "<",
                  dtype: str = "i4", vdlist: list[str] | None = None) -> None:
    """Write an experiment folder as the TopSpin manuals describe it."""
    folder.mkdir()
    fids = np.atleast_2d(fids)
    td = 2 * fids.shape[1]
    lines = ["##TITLE= Parameter file", "##JCAMPDX= 5.0", f"##$TD= {td}", f"##$SW_h= {sw}", "##$SFO1= 400.13",
             f"##$BYTORDA= {0 if order == '<' else 1}", f"##$DTYPA= {0 if dtype == 'i4' else 2}", "##$NS= 16",
             "##$DSPFVS= 20", "##$DECIM= 16", "##$P= (0..3)", "10 12.5 0 0", "##$PULPROG= <zg30>"]
    if grpdly is not None:
        lines.append(f"##$GRPDLY= {grpdly}")
    (folder / "acqus").write_text("\n".join(lines + ["##END="]) + "\n")
    item = np.dtype(dtype).itemsize
    block = int(np.ceil(td * item / 1024)) * 1024 // item
    out = np.zeros((fids.shape[0], block))
    out[:, 0:td:2], out[:, 1:td:2] = fids.real, fids.imag
    data = out if fids.shape[0] > 1 else out[:, :td]
    data.astype(order + dtype).tofile(folder / ("ser" if fids.shape[0] > 1 else "fid"))
    if vdlist:
        (folder / "vdlist").write_text("\n".join(vdlist) + "\n")


def test_topspin_group_delay_puts_time_zero_where_the_signal_starts(tmp_path):
    """A FID exp(2 pi i f t - t/T2) that the filter delays by GRPDLY points: on the reader's axis
    its phase at t = 0 is zero; a reader ignoring the delay would see 2 pi f GRPDLY / SW_h."""
    sw, grpdly, f = 20_000.0, 67.9842376709, 1234.0
    n = 2048
    t = (np.arange(n) - grpdly) / sw
    fid = np.where(t >= 0, 1e6 * np.exp(2j * np.pi * f * t - t / 0.05), 0.0)
    write_topspin(tmp_path / "1", np.round(fid.real) + 1j * np.round(fid.imag), sw=sw, grpdly=grpdly)
    d = load(tmp_path / "1")
    assert d.format == "TopSpin" and d.data.shape == (n,)
    assert d.x.values[0] == pytest.approx(-grpdly / sw)
    after = d.x.values >= 0
    phase = np.angle(np.sum(d.data[after] * np.exp(-2j * np.pi * f * d.x.values[after])))
    assert abs(phase) < 1e-3
    assert d.parameter("SFO1") == pytest.approx(400.13e6) and d.parameter("AVGS") == 16
    assert d.parameters["PULPROG"] == "zg30"


@pytest.mark.parametrize("order,dtype", [("<", "i4"), (">", "i4"), ("<", "f8"), (">", "f8")])
def test_topspin_ser_blocks_and_vdlist(tmp_path, order, dtype):
    rows = np.array([np.arange(150) + 1000 * k - 1j * (np.arange(150) + 7 * k) for k in range(4)])
    write_topspin(tmp_path / "2", rows, sw=1e4, grpdly=0, order=order, dtype=dtype,
                  vdlist=["10u", "1m", "0.5", "2s"])
    d = load_topspin(tmp_path / "2" / "ser")
    assert np.array_equal(d.data, rows)  # 300 values per FID, each padded to a 1024-byte block
    assert d.y.name == "vd" and np.allclose(d.y.values, [1e-5, 1e-3, 0.5, 2.0])
    (tmp_path / "2" / "acqu2s").write_text("##$TD= 3\n##END=\n")
    with pytest.raises(FormatError, match="4 FIDs, but acqu2s says TD = 3"):
        load_topspin(tmp_path / "2")


def test_topspin_without_group_delay_is_refused(tmp_path):
    write_topspin(tmp_path / "3", np.ones(64, complex), sw=1e4, grpdly=None)
    with pytest.raises(FormatError, match="without ##\\$GRPDLY"):
        load(tmp_path / "3" / "fid")
    (tmp_path / "4").mkdir()
    with pytest.raises(FormatError, match="not a TopSpin experiment folder"):
        load(tmp_path / "4")
