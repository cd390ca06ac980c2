"""Named parameter presets: an experiment's form texts saved to, and read from, a TOML file
that can be shared.

    experiment = "esr-sweep"
    [parameters]
    field_start = "337.5 mT"
    points = "41"

Values are texts with their unit, read exactly as the form (and ``spinbench run --set``) reads
them; a file naming an unknown experiment or parameter is refused with a one-line message
naming the file and the key.
"""
from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

#: The file suffix the preset dialogs offer.
PRESET_SUFFIX = ".preset.toml"


def write_preset(path: str | Path, experiment: str, texts: dict[str, str]) -> Path:
    """Write ``texts`` (parameter name -> text with unit) for ``experiment``; returns the path."""
    path = Path(path)
    # a JSON string is a valid TOML basic string (same escapes)
    lines = [f"experiment = {json.dumps(experiment)}", "", "[parameters]"]
    lines += [f"{name} = {json.dumps(text)}" for name, text in texts.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def read_preset(path: str | Path, experiments: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """(experiment name, parameter texts) from a preset file; ValueError naming what is wrong."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: cannot read the preset ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not a TOML preset ({exc})") from None
    name = data.get("experiment")
    if name not in experiments:
        raise ValueError(f"{path}: experiment = {name!r} is not one of: {', '.join(sorted(experiments))}")
    params = data.get("parameters", {})
    if not isinstance(params, dict):
        raise ValueError(f"{path}: [parameters] must be a table of name = \"value unit\"")
    known = {p.name for p in experiments[name].parameters}
    unknown = sorted(set(params) - known)
    if unknown:
        raise ValueError(f"{path}: {name} has no parameter {', '.join(unknown)} (it has: {', '.join(sorted(known))})")
    return name, {k: str(v) for k, v in params.items()}
