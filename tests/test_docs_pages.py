"""The user documentation (README.md, docs/**/*.md) runs as written.

Every fenced block is classified by its language; every code block passes the syntax-and-names
check; every runnable block runs in a scratch folder, page by page, and its documented output
block and files are compared with what it really produced (``docs_markdown`` explains the
markers, ``docs_output`` the comparison). Blocks marked ``slow`` run only in the slow lane.
"""
from __future__ import annotations

import pytest

from docs_markdown import LANGUAGES, ROOT, blocks, doc_files
from docs_names import check_block
from docs_paths import missing_paths
from docs_run import run_page

PAGES = {str(p.relative_to(ROOT)): blocks(p) for p in doc_files()}
FAST = [name for name, bs in PAGES.items() if any(b.runs and not b.slow and b.lang not in ("output", "text")
                                                      for b in bs)]
SLOW = [name for name, bs in PAGES.items() if any(b.runs and b.slow for b in bs)]


def test_every_block_says_what_it_is():
    """A fence without a known language would escape the doc tests."""
    bad = [f"{b.where}: fence language {b.lang!r}" for bs in PAGES.values() for b in bs if b.lang not in LANGUAGES]
    orphans = [f"{b.where}: output block without a code block right above it"
               for bs in PAGES.values() for b in bs
               if b.lang == "output" and not any(o.output is b for o in bs)]
    assert not bad + orphans, f"use one of {LANGUAGES}:\n" + "\n".join(bad + orphans)


@pytest.mark.parametrize("page", PAGES)
def test_blocks_have_valid_syntax_and_names(page):
    known: set[str] = set()
    problems = [p for b in PAGES[page] for p in check_block(b, known)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("page", FAST)
def test_page_runs_as_documented(page, tmp_path):
    assert run_page(PAGES[page], tmp_path, include_slow=False) > 0


@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.parametrize("page", SLOW)
def test_page_runs_as_documented_with_slow_blocks(page, tmp_path):
    assert run_page(PAGES[page], tmp_path, include_slow=True) > 0


def test_the_tutorial_has_seven_steps_each_showing_checked_output():
    steps = sorted(p for p in PAGES if p.startswith("docs/tutorial/0"))
    assert [s.split("/")[-1][:2] for s in steps] == [f"0{i}" for i in range(1, 8)], steps
    for step in steps:
        checked = [b for b in PAGES[step] if b.runs and b.output is not None]
        assert checked, f"{step}: no block whose output the tests compare"


@pytest.mark.parametrize("page", PAGES)
def test_the_repository_paths_a_page_names_exist(page):
    assert not missing_paths(ROOT / page), "stale paths (moved or never committed):\n" + \
        "\n".join(missing_paths(ROOT / page))
