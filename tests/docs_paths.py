"""Repository paths the documentation names (in `inline code` and in text blocks such as file
layouts) must exist: a module that moved, a renamed example or a notes file that was never
committed is a stale doc. ``a/{b,c}.py`` names both files; ``x.py::Name`` and ``x.py:Name``
name x.py; globs must match something."""
from __future__ import annotations

import glob
import re
from pathlib import Path

from docs_markdown import ROOT, blocks

_INLINE = re.compile(r"`([^`\n]+)`")
_TOKEN = re.compile(r"[\w.*{},/-]+/[\w.*{},/-]*")
_FILE = re.compile(r"^(.*?\.(?:py|toml|md|png|json|csv|yaml|h5|rst))(?:[:(].*)?$")


def _tops() -> set[str]:
    return {p.name for p in ROOT.iterdir() if p.is_dir() and not p.name.startswith(".")} | {".ci"}


def _expand(token: str) -> list[str]:
    m = re.search(r"\{([^{}]*)\}", token)
    if not m:
        return [token]
    return [x for alt in m.group(1).split(",") for x in _expand(token[:m.start()] + alt + token[m.end():])]


def _candidates(text: str) -> list[str]:
    return [t for m in _INLINE.finditer(text) for t in _TOKEN.findall(m.group(1))]


def missing_paths(path: Path) -> list[str]:
    """'page: path' for every repository path the page names that is not in the repository."""
    text = path.read_text(encoding="utf-8")
    tokens = _candidates(text)
    for block in blocks(path):
        if block.lang == "text":
            tokens += _TOKEN.findall(block.code)
    tops, out = _tops(), []
    for token in tokens:
        token = token.split("::")[0].rstrip(".,;:")
        if token.split("/")[0] not in tops or "<" in token or "$" in token:
            continue
        for name in _expand(token):
            m = _FILE.match(name)
            name = m.group(1) if m else name
            if not glob.glob(str(ROOT / name)):
                out.append(f"{path.relative_to(ROOT)}: {name}")
    return sorted(set(out))
