"""Regenerate the generated sections of the docs from the code's own declarations.

    python docs/generate.py           # rewrite the sections in place
    python docs/generate.py --check   # exit 1 and name the stale sections (the doc tests do this)

A generated section sits between ``<!-- generated:NAME -->`` and ``<!-- /generated:NAME -->``;
everything outside those markers is written by hand. Sections: ``sim-keys`` (docs/simulator.md,
from ``app.simconfig.SIM_TABLE`` and the simulated samples' fields) and ``experiments``
(docs/experiments.md, from every experiment's class, ``Parameter`` and ``Result`` declarations).
Writing also regenerates ``sequences/catalogue.json``, the listing `spinbench list` prints.
"""
from __future__ import annotations

import dataclasses
import math
import re
import sys
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]


def _cell(value: Any) -> str:
    text = str(value).replace("|", "\\|").replace("\n", " ")
    return text or "–"


def _default(value: Any) -> str:
    if isinstance(value, float) and math.isinf(value):
        return "inf"
    if isinstance(value, tuple):
        return "[" + ", ".join(_default(v) for v in value) + "]"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, dict):
        return "{}"
    return str(value)


def sim_keys() -> str:
    """The [sim] table and, per sample, its [sim.sample_parameters] fields with defaults."""
    from app.simconfig import SAMPLE_PARAMETERS, SAMPLES, SIM_TABLE, sample_class

    lines = ["| key | default | unit | accepted | what it sets |", "|---|---|---|---|---|"]
    lines += [f"| `{k.name}` | `{_default(k.default)}` | {_cell(k.unit)} | {_cell(k.accepted)} | {_cell(k.doc)} |"
              for k in SIM_TABLE]
    for kind in SAMPLES:
        cls = sample_class(kind)
        lines += ["", f"`sample = \"{kind}\"` (`{cls.__module__}.{cls.__qualname__}`): "
                      f"`[sim.sample_parameters]` keys", "",
                  "| key | default | unit | meaning |", "|---|---|---|---|"]
        for f in dataclasses.fields(cls):
            if not f.init:
                continue
            default = f"`{_default(f.default)}`" if f.default is not dataclasses.MISSING else "(computed)"
            unit, doc = SAMPLE_PARAMETERS[f.name]
            lines.append(f"| `{f.name}` | {default} | {_cell(unit)} | {_cell(doc)} |")
    return "\n".join(lines)


def experiments() -> str:
    """Every catalogue experiment: CLI name, class, roles, its parameters and its result keys (with
    units) as declared."""
    from sequences.experiments import EXPERIMENTS

    out = []
    for name, cls in sorted(EXPERIMENTS.items()):
        roles = ", ".join(f"`{r}`" for r in cls.roles)
        optional = ", ".join(f"`{r}`" for r in getattr(cls, "optional_roles", ()))
        out += [f"### `{name}`: {cls.title}", "",
                f"Class `{cls.__module__}.{cls.__qualname__}`; roles {roles}"
                + (f" (uses {optional} when present)" if optional else "") + ".", "",
                "| parameter | default | unit | range | meaning |", "|---|---|---|---|---|"]
        for p in cls.parameters:
            out.append(f"| `{p.name}` | {_cell(p.text(p.default))} | {_cell(p.shown_unit)} | "
                       f"{_cell(p.range_text())} | {_cell(p.doc)} |")
        out += ["", "| result key | unit | meaning |", "|---|---|---|"]
        out += [f"| `{r.name}` | {_cell(r.unit)} | {_cell(r.doc)} |" for r in cls.results]
        out.append("")
    return "\n".join(out).rstrip()


SECTIONS: dict[str, tuple[str, Callable[[], str]]] = {
    "sim-keys": ("docs/simulator.md", sim_keys),
    "experiments": ("docs/experiments.md", experiments),
}


def render(text: str, name: str, body: str) -> str:
    pattern = re.compile(rf"(<!-- generated:{name} -->\n).*?(<!-- /generated:{name} -->)", re.S)
    if not pattern.search(text):
        raise ValueError(f"no <!-- generated:{name} --> ... <!-- /generated:{name} --> section")
    return pattern.sub(lambda m: f"{m.group(1)}{body}\n{m.group(2)}", text)


def stale() -> list[str]:
    """Names of the sections whose text differs from what the code declares now."""
    out = []
    for name, (path, make) in SECTIONS.items():
        text = (ROOT / path).read_text(encoding="utf-8")
        if render(text, name, make()) != text:
            out.append(f"{path} [{name}]")
    return out


def main(argv: list[str]) -> int:
    if "--check" in argv:
        bad = stale()
        for item in bad:
            print(f"stale: {item} (run: python docs/generate.py)")
        return 1 if bad else 0
    for name, (path, make) in SECTIONS.items():
        file = ROOT / path
        file.write_text(render(file.read_text(encoding="utf-8"), name, make()), encoding="utf-8")
        print(f"wrote {path} [{name}]")
    from sequences.catalogue import write as write_catalogue  # what `spinbench list` prints

    print(f"wrote {write_catalogue().relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
