"""``spinbench sequence show`` fails like ``sequence check`` for an invalid sequence: the same
validation list, a non-zero exit status."""
from __future__ import annotations

import pytest

from app.cli import main


@pytest.mark.parametrize("setting, rule", [
    ("tau=-2us", "[negative]"),          # negative durations
    ("tau=1e9s", "[max-delay]"),         # 32 years: beyond LONG_DELAY's 20-bit multiplier
])
def test_show_exits_non_zero_with_the_validation_list(setting, rule, tmp_path, capsys):
    out = tmp_path / "hahn.png"
    assert main(["sequence", "show", "hahn-echo", "--set", setting, "--out", str(out)]) == 1
    shown = capsys.readouterr().out
    assert main(["sequence", "check", "hahn-echo", "--set", setting]) == 1
    checked = capsys.readouterr().out
    assert rule in shown and "error(s)" in shown
    # the same findings as ``check``
    assert [ln for ln in shown.splitlines() if ln.startswith("  [")] == \
        [ln for ln in checked.splitlines() if ln.startswith("  [")]


def test_longest_representable_delay_is_accepted(capsys):
    # 4294967295 ticks x 2^20 at 500 MHz = 9.007e6 s: a delay just inside it compiles
    assert main(["sequence", "check", "hahn-echo", "--set", "tau=9e6s"]) == 0
