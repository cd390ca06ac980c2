"""Run the blocks of one documentation page in order, in a scratch folder, as a reader would.

The scratch folder links the repository's ``examples/``, ``benchmarks/`` and ``tests/data/`` so the documented
relative paths work. Python blocks share one namespace per page (a page is read top to bottom);
``spinbench`` lines run in-process through ``app.cli.main`` (fast, same behaviour as the
console script); any other shell line runs in bash; a line ending in ``&`` starts a background
job that the page may use until its end (it is ready once it prints the block's ``ready``
marker text, or any line without one; it is stopped when the page is done). A shell line's trailing comment may state its exit status
(``exit 1``/``exits 1``); otherwise it must exit 0. Output goes to ``docs_output.compare_output``.
"""
from __future__ import annotations

import contextlib
import glob
import io
import os
import shlex
import subprocess
import sys
import time
import tomllib
from pathlib import Path

from docs_markdown import ROOT, SHELL, Block, logical_lines
from docs_names import EXIT
from docs_output import Tolerance, compare_output

LINKED = ("examples", "benchmarks", "tests/data")


def _expand(word: str) -> list[str]:
    """A shell glob as bash expands it (sorted matches; the word itself when nothing matches)."""
    if not any(c in word for c in "*?["):
        return [word]
    return sorted(glob.glob(word)) or [word]


class PageRunner:
    """State of one page: scratch folder, Python namespace, background jobs."""

    def __init__(self, scratch: Path):
        self.scratch = scratch
        for name in LINKED:
            (scratch / name).parent.mkdir(parents=True, exist_ok=True)
            (scratch / name).symlink_to(ROOT / name, target_is_directory=True)
        self.namespace: dict[str, object] = {"__name__": "__doc__"}
        self.background: list[subprocess.Popen] = []

    def close(self) -> None:
        for job in self.background:  # only the jobs this page started
            job.terminate()
            try:
                job.wait(timeout=10)
            except subprocess.TimeoutExpired:
                job.kill()
                job.wait()

    def run(self, block: Block) -> None:
        old = Path.cwd()
        os.chdir(self.scratch)
        try:
            if block.lang == "python":
                out = self._python(block)
            elif block.lang in SHELL:
                out = self._shell(block)
            elif block.lang == "toml":
                out = self._toml(block)
            else:
                return
        finally:
            os.chdir(old)
        if block.output is not None:
            tol = Tolerance.parse(block.markers.get("tolerance") or block.output.markers.get("tolerance"))
            compare_output(block.output.code, out, tol, block.where)
        for pattern in block.markers.get("files", "").split():
            assert list(self.scratch.glob(pattern)), \
                f"{block.where}: the block should leave {pattern} but the folder has " \
                f"{sorted(str(p.relative_to(self.scratch)) for p in self.scratch.rglob('*') if p.is_file())}"

    def _python(self, block: Block) -> str:
        buf = io.StringIO()
        code = compile(block.code, block.where, "exec")
        with contextlib.redirect_stdout(buf):
            exec(code, self.namespace)  # noqa: S102 - the documented example itself
        return buf.getvalue()

    def _shell(self, block: Block) -> str:
        out = []
        for offset, line in logical_lines(block.code):
            where = f"{block.where.rsplit(':', 1)[0]}:{block.line + 1 + offset}"
            m = EXIT.search(line)
            expected = int(m.group(1)) if m else 0
            words = shlex.split(line, comments=True)
            if not words:
                continue
            if words[-1] == "&":
                self._start_background(line.rsplit("&", 1)[0], block.markers.get("ready", ""), where)
                continue
            if words[0] == "spinbench":
                rc, text = self._spinbench([m for w in words[1:] for m in _expand(w)])
            else:
                done = subprocess.run(["bash", "-c", line], cwd=self.scratch, capture_output=True, text=True,
                                      timeout=900)
                rc, text = done.returncode, done.stdout + done.stderr
            assert rc == expected, f"{where}: `{line}` exited {rc} (documented: {expected})\n{text}"
            out.append(text)
        return "".join(out)

    @staticmethod
    def _spinbench(argv: list[str]) -> tuple[int, str]:
        from app.cli import main

        buf = io.StringIO()
        with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
            try:
                rc = main(argv)
            except SystemExit as exc:  # argparse errors and --help
                rc = exc.code if isinstance(exc.code, int) else 2
        return rc, buf.getvalue()

    def _start_background(self, command: str, ready: str, where: str) -> None:
        log = self.scratch / f".background-{len(self.background)}.log"
        with open(log, "w") as sink:  # a file, not a pipe: a chatty job never blocks on it
            job = subprocess.Popen(["bash", "-c", f"exec {command}"], cwd=self.scratch, stdout=sink,
                                   stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self.background.append(job)
        for _ in range(1200):  # up to 60 s for the job to say it is ready
            text = log.read_text(errors="replace")
            if (ready in text if ready else text) or job.poll() is not None:
                break
            time.sleep(0.05)
        assert job.poll() is None and (ready in text if ready else text), \
            f"{where}: background job `{command}` is not ready (no {ready!r} in its output):\n{text}"

    def _toml(self, block: Block) -> str:
        """A lab file ([lab] table) must build a lab (drivers connect lazily: nothing is sent)."""
        table = tomllib.loads(block.code)
        if "lab" in table:
            from app.labconfig import lab_from_file

            path = self.scratch / f"doc-lab-{block.line}.toml"
            path.write_text(block.code, encoding="utf-8")
            lab_from_file(path).close()
        return ""


def run_page(blocks: list[Block], scratch: Path, include_slow: bool) -> int:
    """Run the page's runnable blocks (slow ones only when asked); returns how many ran."""
    runner = PageRunner(scratch)
    count = 0
    try:
        for block in blocks:
            if block.runs and block.lang != "output" and (include_slow or not block.slow):
                runner.run(block)
                count += 1
    finally:
        runner.close()
    sys.stdout.flush()
    return count
