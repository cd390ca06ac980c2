"""``spinbench sequence ...``: timing diagrams, checks and compiled listings from the shell."""
from __future__ import annotations

import json

from app.cli import main
from drivers.pulse_program import PulseProgram
from sequences.pulse import get_sequence
from sequences.pulse.render import render_timing


def test_show_writes_a_timing_diagram(tmp_path, capsys):
    out = tmp_path / "hahn.png"
    assert main(["sequence", "show", "hahn-echo", "--set", "tau=2us", "--out", str(out)]) == 0
    assert out.stat().st_size > 10_000
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert str(out) in capsys.readouterr().out


def test_show_draws_invalid_sequences_and_lists_their_problems(tmp_path, capsys):
    out = tmp_path / "bad.png"
    # drawn (with the problems marked), but an invalid sequence exits 1, like ``check``
    assert main(["sequence", "show", "cpmg", "--set", "tau=100ns", "--linear", "--out", str(out)]) == 1
    text = capsys.readouterr().out
    assert out.exists() and "[ring-down]" in text and "[negative]" in text


def test_check_exit_code_and_messages(capsys):
    assert main(["sequence", "check", "hahn-echo", "--set", "tau=2us"]) == 0
    assert main(["sequence", "check", "nutation", "--set", "tp=4ns"]) == 1
    text = capsys.readouterr().out
    assert "[min-instruction]" in text and "nearest valid: 10 ns" in text


def test_compile_prints_the_program_and_writes_json(tmp_path, capsys):
    path = tmp_path / "prog.json"
    assert main(["sequence", "compile", "cpmg", "--averages", "4", "--json", str(path)]) == 0
    text = capsys.readouterr().out
    assert "LOOP" in text and "END_LOOP" in text and "STOP" in text
    program = PulseProgram.from_json(path.read_text())
    assert [i.data for i in program.instructions if i.op.name == "LOOP"] == [4, 8, 8]


def test_bad_input_is_refused_with_what_is_accepted(capsys):
    assert main(["sequence", "show", "hahn-echo", "--set", "tau=2 parsecs"]) == 2
    assert "unknown unit" in capsys.readouterr().err
    assert main(["sequence", "show", "hahn-echo", "--set", "n_echoes=3"]) == 2
    assert "has no parameter 'n_echoes'" in capsys.readouterr().err
    assert main(["sequence", "show", "spin-lock"]) == 2
    assert "the library has" in capsys.readouterr().err


def test_list_and_json_sequence_files(tmp_path, capsys):
    assert main(["sequence", "list"]) == 0
    listed = capsys.readouterr().out
    assert all(name in listed for name in ("fid", "hahn-echo", "cpmg", "inversion-recovery", "saturation-recovery",
                                           "nutation", "ramsey"))
    path = tmp_path / "mine.json"
    path.write_text(get_sequence("ramsey").to_json())
    assert main(["sequence", "check", str(path), "--set", "t_free=300ns"]) == 0
    assert json.loads(path.read_text())["name"] == "ramsey"


def test_render_returns_a_figure_for_the_gui():
    fig = render_timing(get_sequence("saturation-recovery"), step=1)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[:2] == ["RF", "ADC"] and "trigger" in labels
    assert any(t.get_text() == "x 8" for t in ax.texts)  # the comb loop is bracketed, not drawn 8 times


def test_list_shows_parameters_with_units(capsys):
    assert main(["sequence", "list"]) == 0
    listed = capsys.readouterr().out
    assert "e-0" not in listed  # no bare SI like 2e-08
    assert "p90=20ns" in listed and "rep_delay=200us" in listed and "n_echoes=8" in listed


def test_linear_diagram_breaks_the_long_repetition_delay():
    """On a linear axis the 200 us repetition delay used to squeeze the CPMG pulses into a sliver
    at t = 0; it is now drawn short with a break mark and its real length."""
    from matplotlib.patches import Rectangle

    fig = render_timing(get_sequence("cpmg"), scale="linear")
    ax = fig.axes[0]
    lo, hi = ax.get_xlim()
    rf = sorted(p.get_x() for p in ax.patches if isinstance(p, Rectangle) and p.get_y() == 2)  # RF row
    assert len(rf) >= 3
    assert (rf[1] - rf[0]) / (hi - lo) > 0.1  # p1 -> first pi pulse (600 ns) spans a readable share
    texts = [t.get_text() for t in ax.texts]
    assert any("200 us" in t and "not to scale" in t for t in texts)
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert "0" in ticks
    # a shot without a dominant empty interval keeps a plain linear axis
    plain = render_timing(get_sequence("hahn-echo", rep_delay=1e-6), scale="linear")
    assert not any("not to scale" in t.get_text() for t in plain.axes[0].texts)


def test_t2_hahn_too_short_tau_says_what_to_change(capsys):
    assert main(["run", "t2-hahn", "--sim", "--set", "tau_start=150ns", "--set", "points=3"]) == 2
    err = capsys.readouterr().err
    assert "use tau_start >= 208 ns or acq_time <= 140 ns" in err
