"""Durations as the CLI progress bar and the GUI show them."""
from __future__ import annotations

import pytest

from units.durations import format_duration


@pytest.mark.parametrize("seconds, text", [(0.4, "0 s"), (59.6, "1 min 00 s"), (125, "2 min 05 s"),
                                           (3 * 3600 + 185, "3 h 03 min"), (float("nan"), "unknown"),
                                           (-1.0, "unknown")])
def test_durations_read_as_people_say_them(seconds, text):
    assert format_duration(seconds) == text
