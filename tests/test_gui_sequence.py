"""The sequence panel's interactive timing diagram and the pulsed experiments' estimated duration,
checked against the sequences' published timing (closed forms from their definitions)."""
from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6 import QtCore  # noqa: E402

import app.simlab  # noqa: E402
from app.gui.experiment_panel import ExperimentPanel  # noqa: E402
from app.gui.sequence_panel import SequencePanel  # noqa: E402
from sequences.experiments import EXPERIMENTS  # noqa: E402


def hover(panel: SequencePanel, t: float, channel: str) -> str:
    """Move the mouse (a scene move event, as Qt delivers it) over time t in a channel's row."""
    vb = panel.plot.getPlotItem().vb
    panel.plot.getPlotItem().setXRange(0, 1.2e-6, padding=0)
    pos = vb.mapViewToScene(QtCore.QPointF(t, panel.diagram.row(channel)))
    panel.plot.scene().sigMouseMoved.emit(pos)
    return panel.readout.text()


def test_hahn_diagram_pulses_sit_where_the_sequence_puts_them(qtbot):
    """Hahn echo (pi/2 - tau - pi - tau - echo): the pi pulse centred at p90/2 + tau, the
    receiver window centred on the echo at p90/2 + 2 tau (tau from the centre of the pi/2)."""
    p90, p180, tau, acq = 20e-9, 40e-9, 500e-9, 256e-9
    panel = SequencePanel()
    qtbot.addWidget(panel)
    panel.resize(900, 300)
    panel.show()
    panel.set_experiment(EXPERIMENTS["t2-hahn"](p90=p90, p180=p180, tau_start=tau))
    qtbot.waitUntil(lambda: panel.diagram is not None, timeout=5000)
    d = panel.diagram
    assert d.channels[:2] == ("rf", "adc") and "trigger" in d.channels
    rf = [p for p in d.pulses if p.channel == "rf"]
    assert [p.length for p in rf] == pytest.approx([p90, p180])
    assert rf[1].start + p180 / 2 == pytest.approx(p90 / 2 + tau)
    (adc,) = [p for p in d.pulses if p.channel == "adc"]
    assert adc.start + acq / 2 == pytest.approx(p90 / 2 + 2 * tau) and adc.length == pytest.approx(acq)
    text = hover(panel, rf[1].start + p180 / 2, "rf")
    assert text.startswith("rf: start") and "length 40 ns" in text and "phase x" in text
    assert "receiver" in hover(panel, adc.start + acq / 2, "adc")
    # nothing under the mouse between pulses: the time is read out instead
    assert hover(panel, 200e-9, "rf").startswith("t = 200 ns")
    # the diagram follows the form: a longer tau moves the pi pulse
    panel.set_experiment(EXPERIMENTS["t2-hahn"](p90=p90, p180=p180, tau_start=2 * tau))
    qtbot.waitUntil(lambda: panel.diagram is not d, timeout=5000)
    rf = [p for p in panel.diagram.pulses if p.channel == "rf"]
    assert rf[1].start + p180 / 2 == pytest.approx(p90 / 2 + 2 * tau)


def test_nv_diagram_shows_laser_and_counter_gate_rows(qtbot):
    panel = SequencePanel()
    qtbot.addWidget(panel)
    panel.set_experiment(EXPERIMENTS["nv-rabi"]())
    qtbot.waitUntil(lambda: panel.diagram is not None, timeout=5000)
    d = panel.diagram
    assert "laser" in d.channels and d.label("adc") == "counter gate"
    ticks = [label for _, label in panel.plot.getPlotItem().getAxis("left")._tickLevels[0]]
    assert {"rf", "laser", "counter gate"} <= set(ticks)


def test_cw_experiment_has_no_diagram(qtbot):
    panel = SequencePanel()
    qtbot.addWidget(panel)
    panel.set_experiment(EXPERIMENTS["esr-sweep"]())
    panel.redraw()
    assert panel.diagram is None and "no pulse sequence" in panel.message.text()


def test_pulsed_estimated_duration_is_the_compiled_programs_length(qtbot):
    """Hahn echo, two-step cycle, ``averages`` passes: each point runs averages x 2 shots of
    p90/2 + 2 tau + acq/2 + rep_delay (the sequence's own definition), summed over the sweep."""
    lab = app.simlab.build_sim_lab()
    panel = ExperimentPanel(EXPERIMENTS, lab=lab)
    qtbot.addWidget(panel)
    panel.select("t2-hahn")
    values = {"p90": "20", "p180": "40", "tau_start": "0.4", "tau_stop": "2.4", "points": "5",
              "spacing": "linear", "averages": "3", "rep_delay": "100", "acq_time": "256"}
    for name, text in values.items():
        panel.set_text(name, text)
    qtbot.waitUntil(lambda: not panel.checking and panel.current is not None, timeout=10_000)
    taus = [0.4e-6 + k * 0.5e-6 for k in range(5)]
    expected = sum(3 * 2 * (10e-9 + 2 * t + 128e-9 + 100e-6) for t in taus)
    assert panel.current.estimated_duration() == pytest.approx(expected, rel=1e-9)
    assert "unknown" not in panel.duration.text() and "ms" in panel.duration.text()


def shaped_sequence():
    """A Gaussian pi/2, a hyperbolic-secant inversion at half amplitude, a linear chirp, then the
    receiver: one pulse of each kind the envelope model (sequences.pulse.shapes) knows."""
    from sequences.pulse.model import Sequence, acquire, delay, pulse

    return Sequence("shaped-demo", (
        pulse("p_g", "x", name="g90", shape="gauss(sigma=0.15)"), delay("d"),
        pulse("p_hs", "x", amplitude=0.5, name="hs", shape="hsec(beta=5.3,mu=5)"), delay("d"),
        pulse("p_ch", "y", name="chirp", shape="chirp(bw=2e7)"), delay("d"), acquire("acq")),
        {"p_g": 200e-9, "p_hs": 1e-6, "p_ch": 800e-9, "d": 300e-9, "acq": 500e-9})


def test_shaped_pulses_are_drawn_with_their_envelope(qtbot):
    """Closed forms of the envelopes (Silver, Joseph & Hoult 1984 for the sech pulse): the
    drawn |B1| at the pulse edges and centre, and Re B1 only where the phase is modulated."""
    import math

    import numpy as np
    import pyqtgraph as pg

    from app.gui.sequence_panel import BOX

    panel = SequencePanel()
    qtbot.addWidget(panel)
    panel.resize(900, 300)
    panel.show()
    panel.show_sequence(shaped_sequence())
    d = panel.diagram
    g, hs, ch = [p for p in d.pulses if p.channel == "rf"]
    assert (g.shape, hs.amplitude, ch.shape) == ("gauss(sigma=0.15)", 0.5, "chirp(bw=2e+07)")
    base = d.row("rf") - BOX / 2

    def drawn(p):  # the outline curve over this pulse: the top of the filled envelope
        for item in panel.plot.getPlotItem().items:
            if isinstance(item, pg.PlotDataItem) and item.xData is not None and len(item.xData) > 2 \
                    and item.xData[0] == pytest.approx(p.start) and item.xData[-1] == pytest.approx(p.start + p.length) \
                    and np.all(item.yData >= base - 1e-12) and np.max(item.yData) > base + 1e-9:
                return (np.asarray(item.yData) - base) / BOX
        raise AssertionError(f"no envelope drawn for {p.name}")

    env = drawn(g)
    assert env[0] == pytest.approx(math.exp(-0.25 / (2 * 0.15**2)), rel=1e-9)
    assert env[len(env) // 2] == pytest.approx(1.0, rel=1e-9)
    env = drawn(hs)
    assert env[0] == pytest.approx(0.5 / math.cosh(5.3), rel=1e-9)
    assert env.max() == pytest.approx(0.5, rel=1e-9)
    assert np.ptp(drawn(ch)) < 1e-9 or drawn(ch).min() == pytest.approx(1.0)
    # Re B1 lines (drawn in the foreground colour): the sech and the chirp sweep their phase,
    # the Gaussian does not
    from app.gui import theme

    fg = pg.mkColor(theme.current().foreground).name()
    lines = [i for i in panel.plot.getPlotItem().items if isinstance(i, pg.PlotDataItem) and i.xData is not None
             and len(i.xData) > 2 and pg.mkPen(i.opts["pen"]).color().name() == fg]
    assert sorted(round(i.xData[0] * 1e9) for i in lines) == [round(hs.start * 1e9), round(ch.start * 1e9)]
    (chirp_line,) = [i for i in lines if i.xData[0] == pytest.approx(ch.start)]
    u = (chirp_line.xData - ch.start) / ch.length  # Re exp(i pi bw T (u^2 - u)), the linear sweep
    expected = np.cos(math.pi * 2e7 * ch.length * (u * u - u))
    np.testing.assert_allclose((chirp_line.yData - base - BOX / 2) / (BOX / 2), expected, atol=1e-9)
    text = hover(panel, hs.start + hs.length / 2, "rf")
    assert "shape hsec(beta=5.3,mu=5)" in text and "peak amplitude 0.5" in text and "length 1 us" in text
