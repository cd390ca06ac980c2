"""Fenced code blocks of the user documentation (README.md and docs/**/*.md), with the markers
that say how the doc tests treat each block.

A marker is an HTML comment on the lines just above a fence (invisible when rendered)::

    <!-- doc: slow -->                      run only in the slow lane (pytest -m slow)
    <!-- doc: hardware -->                  needs real instruments: syntax and names only
    <!-- doc: not-run: the whole suite -->  never run (installs, the test suite, benchmarks):
                                            syntax and names only; the reason is required
    <!-- doc: files: runs/*_esr-sweep.h5 --> files (globs) the block must leave in its folder
    <!-- doc: tolerance: 2% -->             extra tolerance for the numbers of its output block
    <!-- doc: ready: serving -->            a background job (``cmd &``) is ready once it prints this
    <!-- doc: excerpt: examples/x.py -->    the block's lines appear in that file, in order (not run)

Several markers may share one comment, separated by ``;``. A block fenced as ``output`` right
after a code block is that block's expected output (see ``docs_output.py``). Languages:
``bash``/``sh``/``console`` (shell), ``python``, ``toml``, ``output``, ``text`` (not code).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHELL = ("bash", "sh", "shell", "console")
LANGUAGES = SHELL + ("python", "toml", "output", "text")
_FENCE = re.compile(r"^(\s*)(```+|~~~+)\s*([\w+-]*)\s*$")
_MARKER = re.compile(r"^\s*<!--\s*doc:\s*(.*?)\s*-->\s*$")
KNOWN_MARKERS = {"slow", "hardware", "not-run", "files", "tolerance", "ready", "excerpt"}


@dataclass
class Block:
    """One fenced block: where it is, its language, its code and its markers."""

    path: Path
    line: int  # 1-based line of the opening fence
    lang: str
    code: str
    markers: dict[str, str] = field(default_factory=dict)
    output: "Block | None" = None  # the expected-output block that follows, if any

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"

    @property
    def runs(self) -> bool:
        """False for blocks checked for syntax and names only."""
        return not {"hardware", "not-run", "excerpt"} & set(self.markers)

    @property
    def slow(self) -> bool:
        return "slow" in self.markers


def doc_files() -> list[Path]:
    """README.md and every markdown file under docs/, in a stable order."""
    return [ROOT / "README.md"] + sorted((ROOT / "docs").rglob("*.md"))


def parse_markers(text: str, where: str) -> dict[str, str]:
    markers: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(";"))):
        key, _, value = item.partition(":")
        key = key.strip()
        if key not in KNOWN_MARKERS:
            raise ValueError(f"{where}: unknown doc marker {key!r}; accepted: {', '.join(sorted(KNOWN_MARKERS))}")
        if key == "not-run" and not value.strip():
            raise ValueError(f"{where}: 'not-run' needs a reason (<!-- doc: not-run: why -->)")
        markers[key] = value.strip()
    return markers


def blocks(path: Path) -> list[Block]:
    """Every fenced block of one markdown file, output blocks attached to the block before."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    pending: dict[str, str] = {}
    gap_only = False  # only blank lines / markers since the last block closed
    i = 0
    while i < len(lines):
        line = lines[i]
        marker = _MARKER.match(line)
        fence = _FENCE.match(line)
        if marker:
            pending.update(parse_markers(marker.group(1), f"{path.relative_to(ROOT)}:{i + 1}"))
        elif fence:
            indent, ticks, lang = fence.groups()
            end = i + 1
            while end < len(lines) and not lines[end].strip().startswith(ticks[0] * len(ticks)):
                end += 1
            body = "\n".join(l[len(indent):] if l.startswith(indent) else l for l in lines[i + 1:end])
            block = Block(path, i + 1, lang or "", body + "\n", pending)
            if lang == "output" and found and gap_only and found[-1].output is None and found[-1].lang != "output":
                found[-1].output = block
            found.append(block)
            pending, gap_only, i = {}, True, end
        elif line.strip():
            if pending:
                raise ValueError(f"{path.relative_to(ROOT)}:{i + 1}: a doc marker must sit right above a fence")
            gap_only = False
        i += 1
    return found


def logical_lines(code: str) -> list[tuple[int, str]]:
    """Shell lines with backslash continuations joined: (offset of the first line, text)."""
    out: list[tuple[int, str]] = []
    current, start = "", 0
    for n, raw in enumerate(code.splitlines()):
        if not current:
            start = n
        if raw.rstrip().endswith("\\"):
            current += raw.rstrip()[:-1] + " "
            continue
        current += raw
        if current.strip():
            out.append((start, current.strip()))
        current = ""
    return out
