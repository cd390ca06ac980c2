"""Syntax-and-names check of a documented block that is not run (or before it runs).

Python: the block compiles, every module and name it imports exists, and every name it reads
is bound by this block, an earlier Python block of the same page, or the builtins (the
NameError a reader would hit). Shell: ``spinbench`` lines parse with the real CLI parser and
name a real experiment and its real parameters; ``python FILE`` / ``python -m MODULE`` name an
existing file / module; ``pip install -e '.[extra]'`` names an existing extra. TOML: parses.
"""
from __future__ import annotations

import ast
import builtins
import contextlib
import importlib
import importlib.util
import io
import re
import shlex
import tomllib
from typing import Any

from docs_markdown import ROOT, SHELL, Block, logical_lines

_BUILTINS = set(dir(builtins))
#: A shell line's documented exit status: ``# ... exit 1`` or ``exits 1`` in its trailing comment.
EXIT = re.compile(r"#.*\bexits?(?: status)? (\d+)\b")


def bound_names(tree: ast.AST) -> set[str]:
    """Names a block binds (assignments, imports, defs, loop/with/comprehension targets, args)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.alias):
            names.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
    return names


def _check_imports(tree: ast.AST, where: str) -> list[str]:
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if importlib.util.find_spec(alias.name) is None:
                    problems.append(f"{where}: no module {alias.name!r}")
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            try:
                module = importlib.import_module(node.module)
            except ImportError as exc:
                problems.append(f"{where}: cannot import {node.module!r} ({exc})")
                continue
            for alias in node.names:
                if alias.name != "*" and not hasattr(module, alias.name) and \
                        importlib.util.find_spec(f"{node.module}.{alias.name}") is None:
                    problems.append(f"{where}: {node.module} has no {alias.name!r}")
    return problems


def check_python(block: Block, known: set[str]) -> list[str]:
    """Problems of a Python block; adds the names it binds to ``known``."""
    try:
        tree = ast.parse(block.code, filename=block.where)
    except SyntaxError as exc:
        return [f"{block.where}: syntax error on block line {exc.lineno}: {exc.msg}"]
    problems = _check_imports(tree, block.where)
    known |= bound_names(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and \
                node.id not in known and node.id not in _BUILTINS:
            problems.append(f"{block.where}: name {node.id!r} (block line {node.lineno}) is never defined")
    return problems


def _check_spinbench(argv: list[str], where: str, fails: bool) -> list[str]:
    """The CLI parses the line; for ``run`` (unless documented to fail) the experiment and every
    ``--set`` name exist."""
    from app.cli import build_parser
    from sequences.experiments import EXPERIMENTS

    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            args = build_parser().parse_args(argv)
    except SystemExit:
        return [f"{where}: spinbench {' '.join(argv)}: {err.getvalue().strip().splitlines()[-1]}"]
    if args.command != "run" or fails:
        return []
    if args.experiment not in EXPERIMENTS:
        return [f"{where}: no experiment {args.experiment!r}"]
    names = {p.name for p in EXPERIMENTS[args.experiment].parameters}
    problems = [f"{where}: {args.experiment} has no parameter {s.split('=')[0]!r}"
                for s in args.set or [] if s.split("=")[0] not in names]
    if problems or (args.config and not (ROOT / args.config).is_file()):
        return problems  # a lab file the page makes first (sim-serve) or the reader's own
    return _check_settings(args, where)


def _check_settings(args: Any, where: str) -> list[str]:
    """The values pass the experiment's and the lab's checks, as ``spinbench run`` would make
    sure before touching an instrument (nothing runs)."""
    from app.labconfig import lab_from_file
    from app.runner import experiment_from_settings
    from app.simlab import build_sim_lab
    from drivers.errors import ConfigError

    lab = lab_from_file(ROOT / args.config) if args.config else build_sim_lab()
    try:
        experiment_from_settings(args.experiment, args.set or [], lab)
    except ConfigError as exc:
        return [f"{where}: spinbench run {args.experiment}: {exc}"]
    finally:
        lab.close()
    return []


def _check_python_command(words: list[str], where: str) -> list[str]:
    if len(words) > 2 and words[1] == "-m":
        return [] if importlib.util.find_spec(words[2]) else [f"{where}: no module {words[2]!r}"]
    if len(words) > 1 and words[1].endswith(".py"):
        script = ROOT / words[1]
        if not script.is_file():
            return [f"{where}: no file {words[1]}"]
        try:
            compile(script.read_text(encoding="utf-8"), str(script), "exec")
        except SyntaxError as exc:
            return [f"{where}: {words[1]} does not compile: {exc}"]
    return []


def _check_pip(words: list[str], where: str) -> list[str]:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    extras = pyproject["project"].get("optional-dependencies", {})
    problems = []
    for word in words:
        if word.startswith(".[") and word.endswith("]"):
            problems += [f"{where}: pyproject.toml has no extra {e!r}" for e in word[2:-1].split(",")
                         if e not in extras]
    return problems


def check_shell(block: Block) -> list[str]:
    problems = []
    for offset, line in logical_lines(block.code):
        where = f"{block.path.relative_to(ROOT)}:{block.line + 1 + offset}"
        try:
            words = shlex.split(line, comments=True)
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
            continue
        for k, word in enumerate(words):  # the command after a launcher (xvfb-run -a ... python)
            if word in ("spinbench", "python", "pip"):
                words = words[k:]
                break
        if not words or words[-1] == "&":
            words = words[:-1] if words else words
        if words and words[0] == "spinbench":
            problems += _check_spinbench(words[1:], where, fails=bool(EXIT.search(line)) and
                                         EXIT.search(line).group(1) != "0")
        elif words and words[0] == "python":
            problems += _check_python_command(words, where)
        elif words and words[0] == "pip":
            problems += _check_pip(words, where)
    return problems


def check_toml(block: Block) -> list[str]:
    try:
        tomllib.loads(block.code)
    except tomllib.TOMLDecodeError as exc:
        return [f"{block.where}: TOML does not parse: {exc}"]
    return []


def check_excerpt(block: Block) -> list[str]:
    """An excerpt's non-blank lines are lines of the file it quotes, in the same order."""
    path = ROOT / block.markers["excerpt"]
    if not path.is_file():
        return [f"{block.where}: excerpt of {block.markers['excerpt']}, which does not exist"]
    lines, pos = [l.rstrip() for l in path.read_text(encoding="utf-8").splitlines()], 0
    for want in (l.rstrip() for l in block.code.splitlines() if l.strip()):
        try:
            pos = lines.index(want, pos) + 1
        except ValueError:
            return [f"{block.where}: excerpt line not in {block.markers['excerpt']} (in this order): {want.strip()}"]
    return []


def check_block(block: Block, known: set[str]) -> list[str]:
    """Every syntax/name problem of one block (``known``: Python names bound so far on the page)."""
    if "excerpt" in block.markers:
        return check_excerpt(block)
    if block.lang == "python":
        return check_python(block, known)
    if block.lang in SHELL:
        return check_shell(block)
    if block.lang == "toml":
        return check_toml(block)
    return []
