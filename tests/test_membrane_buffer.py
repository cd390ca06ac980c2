"""The membrane lock-in's data buffer: its samples are the 10 ms reads (the same exact
integration with the same random numbers, vectorised), and the experiments' readout uses it."""
from __future__ import annotations

import numpy as np
import pytest

from drivers.roles.lockin import buffered
from sequences.experiments.membrane_readout import prepare_readout
from membrane_helpers import membrane_lab


def driven_lab(seed: int = 1):
    lab = membrane_lab(seed)
    f0 = lab.world.membrane.mode.f0
    lab.piezo.frequency, lab.piezo.amplitude, lab.piezo.output = f0 + 0.3, 0.5, True
    readout = prepare_readout(lab, f0, 0.01, 24, 1.0)
    lab.sleep(1.0)
    readout.read()  # integrate up to now: both paths start from the same state and random stream
    return lab, readout


def test_buffered_samples_equal_timed_reads_of_the_same_seeded_lab():
    lab, readout = driven_lab()
    reads = np.array([(lab.sleep(0.01), readout.read())[1] for _ in range(500)])
    lab2, readout2 = driven_lab()
    li = buffered(readout2.lockin)
    assert li is not None and 100.0 in li.buffer_rates()
    li.start_buffer(100.0)
    lab2.sleep(5.0)
    data = li.read_buffer_xy()
    li.stop_buffer()
    assert len(data) == 501 and data.interval == pytest.approx(0.01)
    z = np.sqrt(2) * (data.x + 1j * data.y)[1:] * readout2.metres_per_volt
    np.testing.assert_allclose(z, reads, rtol=1e-9, atol=1e-9 * np.abs(reads).max())


def test_readout_series_goes_through_the_buffer_and_matches_reads():
    lab, readout = driven_lab(2)
    reads = np.array([(lab.sleep(0.01), readout.read())[1] for _ in range(300)])
    lab2, readout2 = driven_lab(2)
    before = len(lab2.world.command_log)
    series = readout2.series(lab2, 300, 0.01)
    np.testing.assert_allclose(series, reads, rtol=1e-9, atol=1e-9 * np.abs(reads).max())
    assert lab2.clock.now() == pytest.approx(lab.clock.now(), abs=0.006)
    sent = [c for _, who, c in lab2.world.command_log[before:]]
    assert "STRT 100 Hz" in sent and sent.count("SNAP? 1,2") == 0  # one buffer, no per-sample reads


def test_a_rate_the_buffer_does_not_offer_falls_back_to_reads():
    lab, readout = driven_lab(3)
    series = readout.series(lab, 5, 0.0123)
    assert series.shape == (5,) and np.all(np.isfinite(series))
    with pytest.raises(ValueError, match="buffer rate"):
        buffered(readout.lockin).start_buffer(81.3)
