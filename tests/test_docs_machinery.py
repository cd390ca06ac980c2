"""The doc-test machinery itself: a changed quoted number, a changed command or an undefined
name in a documented block fails with a message that says where and what."""
from __future__ import annotations

import pytest

from docs_markdown import ROOT, Block, blocks, parse_markers
from docs_names import check_block
from docs_output import Tolerance, compare_output, last_digit_unit
from docs_run import run_page

GUI = ROOT / "docs" / "gui.md"


def test_a_number_is_checked_to_its_last_quoted_digit():
    assert last_digit_unit("2.0036") == pytest.approx(1e-4)
    assert last_digit_unit("4.11e-15") == pytest.approx(1e-17)
    assert last_digit_unit("198") == 1
    compare_output("  g_factor  2.0036 ± 6.1e-08", "  g_factor                 2.003599382 ± 6.1e-08", Tolerance(), "x")
    with pytest.raises(AssertionError, match=r"quoted 2.0037, got 2.003599382 \(tolerance ±5e-05\)"):
        compare_output("  g_factor  2.0037 ± 6.1e-08", "  g_factor  2.003599382 ± 6.1e-08", Tolerance(), "doc.md:3")


def test_text_must_match_and_dots_stand_for_anything():
    out = "run file: runs/20261202-114454_esr-sweep.h5  (401 points)\nstatus:   completed\n"
    compare_output("run file: runs/..._esr-sweep.h5...\nstatus: completed", out, Tolerance(), "x")
    with pytest.raises(AssertionError, match="no line of the real output matches it"):
        compare_output("status: aborted", out, Tolerance(), "x")
    with pytest.raises(AssertionError):  # in order: the status line comes after the file line
        compare_output("status: completed\nrun file: ...", out, Tolerance(), "x")


def test_a_tolerance_marker_widens_the_check():
    compare_output("p_half 198 mW", "p_half 201.5 mW", Tolerance.parse("2%"), "x")
    with pytest.raises(AssertionError):
        compare_output("p_half 198 mW", "p_half 201.5 mW", Tolerance(), "x")


def _gui_live_plot_page() -> list[Block]:
    page = blocks(GUI)
    return [b for b in page if b.lang == "python" and "PlotSpec" in b.code]


def test_the_gui_snippet_runs_as_documented(tmp_path):
    assert run_page(_gui_live_plot_page(), tmp_path, include_slow=False) == 1


def test_changing_a_quoted_number_fails(tmp_path):
    block = _gui_live_plot_page()[0]
    block.output.code = block.output.code.replace("scans=2)", "scans=3)", 1)
    with pytest.raises(AssertionError, match=r"(?s)docs/gui.md:\d+: .*quoted 3, got 2"):
        run_page([block], tmp_path, include_slow=False)


def test_changing_a_documented_command_fails(tmp_path):
    block = _gui_live_plot_page()[0]
    block.code = block.code.replace("EsrFieldSweep(scans=2)", "EsrFieldSweep(scans=1)", 1)
    with pytest.raises(AssertionError, match="documented output line"):
        run_page([block], tmp_path, include_slow=False)


def test_an_undefined_name_is_found_without_running():
    block = Block(GUI, 1, "python", "from sequences.pulse import get_sequence\nc = Constraints.from_lab(lab)\n")
    problems = check_block(block, set())
    assert any("'Constraints'" in p for p in problems) and any("'lab'" in p for p in problems)
    bad_import = Block(GUI, 1, "python", "from sequences.experiments.esr_fmr import FreqFieldMap\n")
    assert check_block(bad_import, set())


def test_a_shell_line_with_an_unknown_parameter_is_found_without_running():
    block = Block(GUI, 1, "bash", "spinbench run esr-sweep --sim --set field_strat=335mT\n")
    assert any("no parameter 'field_strat'" in p for p in check_block(block, set()))
    documented_error = Block(GUI, 1, "bash", "spinbench run esr-sweep --sim --set field_strat=1    # exit 2\n")
    assert check_block(documented_error, set()) == []


def test_markers_are_checked():
    assert parse_markers("slow; tolerance: 2%", "x") == {"slow": "", "tolerance": "2%"}
    with pytest.raises(ValueError, match="unknown doc marker 'slwo'"):
        parse_markers("slwo", "x")
    with pytest.raises(ValueError, match="needs a reason"):
        parse_markers("not-run", "x")
