"""The experiment catalogue as text (names, titles, roles, parameters), without importing the
experiments.

`spinbench list` shows every experiment's parameters; importing the ~30 experiment modules (and
numpy, the analysis and driver modules they import) to read them costs about 0.3 s of CPU on
every call. The listing is stored instead in ``sequences/catalogue.json``, generated from the
classes (``python -m sequences.catalogue``, also run by ``python docs/generate.py``) together with a digest of the sources that define it;
when the digest does not match the sources (an experiment edited, the file not regenerated) the
catalogue is built from the classes, so it is never stale, only slower. The digest covers every
module importing the experiments can load that is ours and can change the listed text
(sequences/, analysis/ for model and geometry choices, drivers/ for roles, magnets/ for the
field lock, units/ for the formatting), recursively; experiments come from the fixed ``EXPERIMENTS`` table, none is
registered at run time.
``tests/test_experiment_catalogue.py`` checks that the stored catalogue equals the classes'.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).with_name("catalogue.json")
#: Sources whose text can change a listed parameter (declarations, choices, formatting, units).
SOURCES = ("sequences/**/*.py", "analysis/**/*.py", "drivers/**/*.py", "magnets/**/*.py", "units/**/*.py")

#: name -> {"title", "roles", "parameters": [(name, default, unit, doc, bounds), ...]} (text).
Catalogue = dict[str, dict[str, Any]]


def source_digest() -> str:
    """SHA-256 over the sources in :data:`SOURCES` (paths and contents, sorted by path)."""
    h = hashlib.sha256()
    for path in sorted({p for pattern in SOURCES for p in ROOT.glob(pattern)}):
        h.update(path.relative_to(ROOT).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def build() -> Catalogue:
    """The catalogue from the experiment classes (imports every experiment)."""
    from sequences.experiments import EXPERIMENTS

    return {name: {"title": cls.title, "roles": list(cls.roles),
                   "parameters": [(p.name, p.text(p.default), p.shown_unit, p.doc, p.range_text())
                                  for p in cls.parameters]}
            for name, cls in sorted(EXPERIMENTS.items())}


def stored() -> tuple[str, Catalogue] | None:
    """(digest, catalogue) as last written by :func:`write`; None when there is no stored file."""
    if not DATA.is_file():
        return None
    doc = json.loads(DATA.read_text(encoding="utf-8"))
    return doc["digest"], {name: {**entry, "parameters": [tuple(p) for p in entry["parameters"]]}
                           for name, entry in doc["catalogue"].items()}


def experiment_catalogue() -> Catalogue:
    """The stored catalogue when it matches the sources, else the one built from the classes."""
    kept = stored()
    if kept is None or kept[0] != source_digest():
        return build()
    return kept[1]


def write() -> Path:
    """Regenerate ``sequences/catalogue.json`` from the classes (one experiment per line)."""
    body = ",\n".join(f"  {json.dumps(name)}: {json.dumps(entry, ensure_ascii=False)}" for name, entry in build().items())
    DATA.write_text(f'{{"digest": {json.dumps(source_digest())},\n "catalogue": {{\n{body}\n}}}}\n', encoding="utf-8")
    return DATA


if __name__ == "__main__":
    print(f"wrote {write()}")
