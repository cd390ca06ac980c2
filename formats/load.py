"""``load(path)``: any readable spectrum file into a :class:`~formats.dataset.Dataset`, the reader
chosen from the file name and, where the name is ambiguous, from the file's first bytes.

``READERS`` lists every format with the file patterns a file dialog should offer."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from formats.bes3t import load_bes3t
from formats.dataset import Dataset, FormatError
from formats.esp import load_esp
from formats.magnettech import load_magnettech
from formats.specman import load_specman
from formats.text import load_text
from formats.topspin import load_topspin


@dataclass(frozen=True)
class Reader:
    name: str
    patterns: tuple[str, ...]  # glob patterns, case-insensitive
    load: Callable[[Path], Dataset]


READERS = (
    Reader("Bruker BES3T", ("*.dsc", "*.dta"), load_bes3t),
    Reader("Bruker ESP/WinEPR", ("*.par", "*.spc"), load_esp),
    Reader("Magnettech XML", ("*.xml",), load_magnettech),
    Reader("SpecMan4EPR", ("*.d01", "*.exp"), load_specman),
    Reader("Bruker TopSpin", ("fid", "ser", "acqus"), load_topspin),
    Reader("text/CSV", ("*.csv", "*.txt", "*.dat", "*.asc", "*.tsv"), load_text),
)


def reader_for(path: Path) -> Reader:
    """The reader a path's name (or, for a folder, its contents) calls for."""
    if path.is_dir():
        if (path / "acqus").exists():
            return READERS[4]
        raise FormatError(f"{path}: a folder, but not a TopSpin experiment folder (no 'acqus' in it)")
    name = path.name.lower()
    for reader in READERS:
        if any(name == p or (p.startswith("*") and name.endswith(p[1:])) for p in reader.patterns):
            return reader
    head = path.read_bytes()[:256] if path.exists() else b""
    if head.lstrip(b"\xef\xbb\xbf").startswith(b"#DESC"):
        return READERS[0]
    if head.lstrip(b"\xef\xbb\xbf").startswith(b"<?xml"):
        return READERS[2]
    accepted = "; ".join(f"{r.name} ({' '.join(r.patterns)})" for r in READERS)
    raise FormatError(f"{path}: not a spectrum file spinbench reads; accepted: {accepted}")


def load(path: str | Path) -> Dataset:
    """Read any supported spectrum file (see :data:`READERS`)."""
    path = Path(path)
    if not path.exists():
        raise FormatError(f"{path}: no such file")
    return reader_for(path).load(path)
