"""The layer rules of the README's architecture section, read from the source (every import
statement, also the lazy ones inside functions): imports only go downwards, the libraries import
nothing of ours but the quantity parser, and only app/gui/ imports Qt."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("app", "sequences", "drivers", "sim_backend", "magnets", "analysis", "formats", "units")

#: What each package may import of ours (README "Architecture").
ALLOWED = {
    "app": set(PACKAGES),
    "sequences": {"drivers", "analysis", "magnets", "units"},
    "sim_backend": {"drivers", "magnets", "analysis", "units"},
    "drivers": {"units"},
    "magnets": {"units"},
    "analysis": {"units"},
    "formats": {"units"},
    "units": set(),
}
QT = ("PySide6", "PyQt5", "PyQt6", "pyqtgraph")


def _imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


@pytest.mark.parametrize("package", PACKAGES)
def test_imports_go_only_downwards(package):
    wrong = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for line, module in _imports(path):
            top = module.split(".")[0]
            if top in PACKAGES and top != package and top not in ALLOWED[package]:
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
            if top in QT and not path.relative_to(ROOT).as_posix().startswith("app/gui/"):
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {module} (Qt only in app/gui/)")
    assert not wrong, "\n".join(wrong)
